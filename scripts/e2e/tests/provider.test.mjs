// A provider's life on the dev chain, from polkadot.js with metadata only (no custom types):
// it registers a GPU profile (with the kinds of work its worker runs) and bonds in one batch, its
// worker key sends a free heartbeat, an early heartbeat is refused and pays its fee, and
// everything is read back with `api.query`. A profile that declares no kind of work is refused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, sendAndFinalize } from '../lib/node.mjs';
import { MATMUL_ONLY } from '../lib/market.mjs';

const UNIT = 10n ** 12n;
let node;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode('provider');
});

after(async () => {
  await node?.stop();
});

/** The fee an extrinsic paid, from its `TransactionFeePaid` event. */
function feePaid(api, events) {
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  assert.ok(paid, 'TransactionFeePaid event');
  return paid.event.data.actualFee.toBigInt();
}

test('a provider registers, bonds and heartbeats; the chain shows it matchable', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const provider = keyring.addFromUri('//Bob');
  // The worker's hot key: a fresh account with just enough for the up-front fee.
  const worker = keyring.addFromUri('//Bob//worker');
  await sendAndFinalize(api, api.tx.balances.transferKeepAlive(worker.address, UNIT), alice);

  const params = await api.query.stake.parameters();
  const bond = 2n * params.minBondPerGpu.toBigInt();
  assert.ok(bond > 0n, 'the dev chain has a minimum bond');
  const profile = {
    gpu: { model: 'NVIDIA GeForce RTX 4090', vramMib: 24 * 1024, count: 2, fp16Tflops: 165, int8Tops: 660 },
    cpuCores: 16,
    ramMib: 64 * 1024,
    diskGib: 2000,
    bandwidthMbps: 1000,
    region: 'Europe',
    capabilities: MATMUL_ONLY,
  };
  const price = 3n * UNIT / 100n;
  const freeBefore = (await api.query.system.account(provider.address)).data.free.toBigInt();
  const { events } = await sendAndFinalize(api, api.tx.utility.batchAll([
    api.tx.providers.register(profile, price, 2, 'https://bob-gpu.example.org', worker.address),
    api.tx.stake.bond(bond),
  ]), provider);
  const names = events.map(({ event }) => `${event.section}.${event.method}`);
  for (const expected of ['providers.Registered', 'stake.Bonded', 'providers.MatchableChanged']) {
    assert.ok(names.includes(expected), `${expected} in ${names}`);
  }

  // The bond and the registration deposit are held, not spent: free balance fell by both and
  // the fee, and the holds are the bond and the deposit.
  const deposit = api.consts.providers.registrationDeposit.toBigInt();
  const account = await api.query.system.account(provider.address);
  assert.equal(freeBefore - account.data.free.toBigInt(), bond + deposit + feePaid(api, events));
  assert.equal(account.data.reserved.toBigInt(), bond + deposit);
  const holds = await api.query.balances.holds(provider.address);
  assert.equal(holds.length, 2);
  const stakeHold = holds.find((h) => h.id.isStake);
  assert.ok(stakeHold, `hold reasons ${holds.map((h) => h.id)}`);
  assert.equal(stakeHold.id.asStake.toString(), 'Staked');
  assert.equal(stakeHold.amount.toBigInt(), bond);
  const depositHold = holds.find((h) => h.id.isProviders);
  assert.ok(depositHold, `hold reasons ${holds.map((h) => h.id)}`);
  assert.equal(depositHold.id.asProviders.toString(), 'RegistrationDeposit');
  assert.equal(depositHold.amount.toBigInt(), deposit);
  const ledger = (await api.query.stake.ledgers(provider.address)).unwrap();
  assert.equal(ledger.bonded.toBigInt(), bond);
  assert.equal(ledger.unbonding.length, 0);

  // The worker's first heartbeat is free.
  const workerBefore = (await api.query.system.account(worker.address)).data.free.toBigInt();
  const beat = await sendAndFinalize(api, api.tx.providers.heartbeat(), worker);
  assert.equal(feePaid(api, beat.events), 0n);
  const beatBlock = (await api.rpc.chain.getHeader(beat.blockHash)).number.toNumber();
  assert.equal((await api.query.system.account(worker.address)).data.free.toBigInt(), workerBefore);

  // Everything reads back from storage.
  const info = (await api.query.providers.providers(provider.address)).unwrap();
  assert.equal(info.worker.toString(), worker.address);
  assert.equal(info.pricePerUnit.toBigInt(), price);
  assert.equal(info.maxJobs.toNumber(), 2);
  assert.equal(info.profile.gpu.model.toUtf8(), 'NVIDIA GeForce RTX 4090');
  assert.equal(info.profile.gpu.vramMib.toNumber(), 24 * 1024);
  assert.equal(info.profile.gpu.count.toNumber(), 2);
  assert.equal(info.profile.gpu.int8Tops.toNumber(), 660);
  assert.equal(info.profile.region.toString(), 'Europe');
  assert.deepEqual(info.profile.capabilities.toJSON(), MATMUL_ONLY, 'the declared capabilities');
  assert.equal(info.endpoint.toUtf8(), 'https://bob-gpu.example.org');
  assert.equal(info.status.toString(), 'Online');
  assert.equal(info.lastHeartbeat.unwrap().toNumber(), beatBlock);
  const timeout = api.consts.providers.heartbeatTimeout.toNumber();
  assert.equal(info.heartbeatDeadline.toNumber(), beatBlock + timeout);
  assert.ok(info.indexed.isTrue, 'in the price index');
  assert.equal((await api.query.providers.workers(worker.address)).unwrap().toString(), provider.address);
  assert.ok((await api.query.providers.livenessDeadlines(beatBlock + timeout, provider.address)).isSome);

  // It is in the price index, in Europe's and the worldwide lists of its memory tier.
  const entries = await api.query.providers.priceIndex.entries();
  const mine = entries.filter(([key]) => key.args[2][1].toString() === provider.address);
  const scopes = mine.map(([key]) => (key.args[0].isSome ? key.args[0].unwrap().toString() : 'anywhere'));
  assert.deepEqual(scopes.sort(), ['Europe', 'anywhere']);
  for (const [, entry] of mine) {
    assert.equal(entry.unwrap().gpus.toNumber(), 2);
    assert.equal(entry.unwrap().worker.toString(), worker.address);
  }

  // An early heartbeat is refused and pays its fee, so heartbeats cannot be spammed for free.
  await assert.rejects(
    sendAndFinalize(api, api.tx.providers.heartbeat(), worker),
    /providers\.HeartbeatTooEarly/,
  );
  const workerAfter = (await api.query.system.account(worker.address)).data.free.toBigInt();
  assert.ok(workerAfter < workerBefore, 'the refused heartbeat paid a fee');

  // A profile whose worker would run nothing is refused: matching could never offer it a job.
  const idle = keyring.addFromUri('//Eve');
  const idleWorker = keyring.addFromUri('//Eve//worker');
  const none = { ...profile, capabilities: { matmulI8: false, opaque: false, enclave: false } };
  await assert.rejects(
    sendAndFinalize(api, api.tx.providers.register(none, price, 2, 'https://eve-gpu.example.org', idleWorker.address), idle),
    /providers\.NoCapability/,
  );
  assert.ok((await api.query.providers.providers(idle.address)).isNone, 'not registered');
});

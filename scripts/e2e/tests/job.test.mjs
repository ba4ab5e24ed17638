// One whole job on the dev chain, from polkadot.js with metadata only: a provider registers and
// bonds, a client posts a MatMulI8 job with seed inputs, the provider's worker (scripted here)
// acknowledges it and submits a receipt, the challenge window passes and the escrow settles:
// the provider is paid price x units, the treasury the protocol fee, and the client gets the
// rest back, to the unit. The market's JSON-RPC (`market_quote`, `market_job`) is called over
// plain HTTP, as a dApp without polkadot.js would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { u8aConcat, stringToU8a } from '@polkadot/util';
import { cryptoWaitReady, encodeAddress } from '@polkadot/util-crypto';
import { startDevNode, sendAndFinalize, withTimeout, sleep } from '../lib/node.mjs';

const UNIT = 10n ** 12n;
// The treasury: the account of PalletId `tsr/trsy` ("modl" + id, zero-padded to 32 bytes).
const TREASURY = encodeAddress(u8aConcat(stringToU8a('modl'), stringToU8a('tsr/trsy'), new Uint8Array(20)));
let node;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode('job');
});

after(async () => {
  await node?.stop();
});

/** A JSON-RPC call over HTTP (the node serves HTTP and WebSocket on the same port). */
async function rpc(method, params) {
  const url = `http://127.0.0.1:${node.rpcPort}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await res.json();
  assert.equal(body.error, undefined, `${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

function eventsOf(api, events, section, method) {
  return events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);
}

function feePaid(api, events) {
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  return paid.event.data.actualFee.toBigInt();
}

/** Resolves with the events of the first block whose events satisfy `predicate`. */
function waitForEvent(api, predicate, timeoutMs) {
  return withTimeout(new Promise((resolve) => {
    let unsub = () => {};
    api.query.system.events((records) => {
      const hit = records.find(({ event }) => predicate(event));
      if (hit) { unsub(); resolve(hit.event); }
    }).then((u) => { unsub = u; });
  }), timeoutMs, 'waiting for an event');
}

test('a MatMulI8 job is posted, run, verified and paid; every unit accounted for', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const provider = keyring.addFromUri('//Bob');
  const worker = keyring.addFromUri('//Bob//worker');
  const client = keyring.addFromUri('//Charlie');
  await sendAndFinalize(api, api.tx.balances.transferKeepAlive(worker.address, UNIT), alice);

  // The provider: one RTX 4090 in Europe at 0.05 TSR per tera-operation.
  const price = 5n * UNIT / 100n;
  const { minBondPerGpu } = await api.query.stake.parameters();
  const profile = {
    gpu: { model: 'NVIDIA GeForce RTX 4090', vramMib: 24576, count: 1, fp16Tflops: 165, int8Tops: 660 },
    cpuCores: 16, ramMib: 65536, diskGib: 2000, bandwidthMbps: 1000, region: 'Europe',
  };
  await sendAndFinalize(api, api.tx.utility.batchAll([
    api.tx.providers.register(profile, price, 4, 'https://bob-gpu.example.org', worker.address),
    api.tx.stake.bond(minBondPerGpu.toBigInt()),
  ]), provider);

  // The job: 8192 x 8192 x 8192 int8 is 1.1 tera-operations, so 2 units.
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const maxPrice = 6n * UNIT / 100n;
  const spec = {
    workload: { MatMulI8: { m: 8192, n: 8192, k: 8192 } },
    inputs: { Seed: '0x' + '42'.repeat(32) },
    requirements: { minVramMib: 16384, minGpus: 1, minInt8Tops: 0, minFp16Tflops: 0, region: null, minReputation: 0, attestation: false },
    maxPricePerUnit: maxPrice,
    replicas: 1,
    verification: 'SpotCheck',
    deadline: head + 200,
  };
  const units = 2n;
  const fee = (x) => x * 2n / 100n; // the runtime's 2% protocol fee
  const escrow = maxPrice * units + fee(maxPrice * units);

  // A dApp asks what it would cost, over raw JSON-RPC (balances travel as decimal strings).
  const quote = await rpc('market_quote', [{ ...spec, maxPricePerUnit: maxPrice.toString() }]);
  assert.equal(BigInt(quote.units), units);
  assert.equal(BigInt(quote.escrow), escrow);
  assert.equal(quote.providers.length, 1);
  assert.equal(quote.providers[0].provider, provider.address);
  assert.equal(BigInt(quote.total), price * units + fee(price * units));

  const clientBefore = (await api.query.system.account(client.address)).data;
  const treasuryBefore = (await api.query.system.account(TREASURY)).data.free.toBigInt();
  assert.ok(treasuryBefore > 0n, 'the treasury exists from genesis');
  const providerBefore = (await api.query.system.account(provider.address)).data;
  const posted = await sendAndFinalize(api, api.tx.jobs.post(spec), client);
  const [postedEvent] = eventsOf(api, posted.events, 'jobs', 'Posted');
  const jobId = postedEvent.data.job.toNumber();
  assert.equal(postedEvent.data.escrow.toBigInt(), escrow);
  const [assigned] = eventsOf(api, posted.events, 'jobs', 'Assigned');
  assert.equal(assigned.data.provider.toString(), provider.address);
  assert.equal(assigned.data.worker.toString(), worker.address);
  const clientFees = feePaid(api, posted.events);
  const held = (await api.query.system.account(client.address)).data;
  assert.equal(held.reserved.toBigInt() - clientBefore.reserved.toBigInt(), escrow);

  // The worker's side: it finds the job assigned to its provider, acknowledges, "computes" and
  // reports. (tessera-worker does this for real; here the output commitment is made up.)
  const mine = await api.query.jobs.providerJobs(provider.address, jobId);
  assert.equal(mine.unwrap().toNumber(), 0);
  await sendAndFinalize(api, api.tx.jobs.acknowledge(jobId, 0), worker);
  const receipt = { outputCommitment: '0x' + 'ab'.repeat(32), outputUri: `https://bob-gpu.example.org/jobs/${jobId}/c`, usedUnits: units };
  const submitted = await sendAndFinalize(api, api.tx.jobs.submitReceipt(jobId, 0, receipt), worker);
  const [receiptEvent] = eventsOf(api, submitted.events, 'jobs', 'ReceiptSubmitted');
  const verdictAt = receiptEvent.data.verdictAt.toNumber();

  // The job over raw JSON-RPC while it waits for its verdict.
  const pending = await rpc('market_job', [jobId]);
  assert.equal(pending.client, client.address);
  assert.equal(pending.state, 'Active');

  // The challenge window passes; the hook settles the job.
  const closed = await waitForEvent(api, (e) => api.events.jobs.Closed.is(e) && e.data.job.toNumber() === jobId, (verdictAt - head + 30) * 6_000);
  assert.equal(closed.data.state.toString(), 'Completed');
  await sleep(100);

  const payment = price * units;
  const clientAfter = (await api.query.system.account(client.address)).data;
  const providerAfter = (await api.query.system.account(provider.address)).data;
  assert.equal(clientAfter.reserved.toBigInt(), clientBefore.reserved.toBigInt(), 'escrow released');
  assert.equal(clientBefore.free.toBigInt() - clientAfter.free.toBigInt(), payment + fee(payment) + clientFees);
  assert.equal(closed.data.refund.toBigInt(), escrow - payment - fee(payment));
  assert.equal(providerAfter.free.toBigInt() - providerBefore.free.toBigInt(), payment);
  const treasuryAfter = (await api.query.system.account(TREASURY)).data.free.toBigInt();
  assert.equal(treasuryAfter - treasuryBefore, fee(payment));

  const record = (await api.query.jobs.jobs(jobId)).unwrap();
  assert.equal(record.state.toString(), 'Completed');
  assert.equal(record.escrow.toBigInt(), 0n);
  const paid = record.replicas[0].state.asPaid;
  assert.equal(paid.payment.toBigInt(), payment);
  assert.equal(paid.fee.toBigInt(), fee(payment));
  assert.ok((await api.query.jobs.providerJobs(provider.address, jobId)).isNone);

  const done = await rpc('market_job', [jobId]);
  assert.equal(done.state, 'Completed');
});

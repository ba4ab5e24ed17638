// A challenge re-executed by three real workers (`tessera-worker`, node/worker), on the dev chain:
// protocol v2's random executors (docs/protocol.md, "Challenges and re-execution"). Bob, Dave
// and Eve register and bond with the worker's CLI and run their workers. Ferdie, a scripted
// provider asking less than they do, takes Charlie's 64 x 64 x 64 `Optimistic` seed job and
// submits a made-up output. Charlie challenges it (`jobs.challenge`, 100 TSR bond); then:
//
// - the executors are drawn `RandomnessDelay + 1` blocks later, from the providers that fit the
//   job and registered before its receipt, never Ferdie (the provider) nor Charlie (client and
//   challenger): Bob, Dave and Eve (`proofs.ExecutorAssigned` x 3), each setting
//   `ExecutorCollateral` aside from its bond (`stake.CollateralReserved`);
// - each worker sees its duty (`proofs.duties`), recomputes the job, reports a seal of its
//   output (`proofs.Reexecuted`, three different seals of one output), and once all have sealed
//   (`proofs.ExecutorRevealsOpened`) reveals it (`proofs.ExecutorRevealed`: the reference
//   product's commitment, three times);
// - the last reveal settles the challenge in its block: Ferdie is slashed for fraud and banned,
//   Charlie is the watcher and gets its bond back less the executors' half, which Bob, Dave and
//   Eve share; their collateral comes back and their bonds did not move.
//
// Needs the built binaries: tessera-node ($TESSERA_NODE) and tessera-worker ($TESSERA_WORKER).
// Logs: logs/reexecution-node.log, logs/reexecution-{bob,dave,eve}.log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, sendAndFinalize, freePort } from '../lib/node.mjs';
import { UNIT, eventsOf, eventLog, gpuProfile, heartbeats } from '../lib/market.mjs';
import { seedMatrices, matmul, buildProver } from '../lib/commitment.mjs';
import { startProvider } from '../lib/worker.mjs';

const DIMS = { m: 64, n: 64, k: 64 };
const SEED = '0x' + '6d'.repeat(32);
const EXECUTORS = ['Bob', 'Dave', 'Eve'];

let node;
let log;
let keys;
let alive;
const workers = [];
const dirs = [];

before(async () => {
  await cryptoWaitReady();
  const nodeDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-reexecution-node-'));
  dirs.push(nodeDir);
  node = await startDevNode('reexecution-node', { basePath: nodeDir });
  log = eventLog(node.api);
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519' });
  keys = { alice: keyring.addFromUri('//Alice'), client: keyring.addFromUri('//Charlie') };
  for (const name of [...EXECUTORS, 'Ferdie']) {
    keys[name] = keyring.addFromUri(`//${name}`);
    keys[`${name}Worker`] = keyring.addFromUri(`//${name}//worker`);
  }
  // The worker keys pay their own fees (seals and reveals that are taken are free).
  await sendAndFinalize(api, api.tx.utility.batchAll([...EXECUTORS, 'Ferdie'].map((name) =>
    api.tx.balances.transferKeepAlive(keys[`${name}Worker`].address, 100n * UNIT))), keys.alice);
  // Ferdie, scripted: the cheapest, so the job is his.
  const bond = (await api.query.stake.parameters()).minBondPerGpu.toBigInt();
  await sendAndFinalize(api, api.tx.utility.batchAll([
    api.tx.providers.register(gpuProfile({ region: 'Europe' }), UNIT / 100n, 4, 'https://ferdie-gpu.example.org', keys.FerdieWorker.address),
    api.tx.stake.bond(bond),
  ]), keys.Ferdie);
  alive = heartbeats(api, [keys.FerdieWorker]);
  await Promise.all(EXECUTORS.map(async (name) => {
    const basePath = mkdtempSync(join(tmpdir(), `tessera-e2e-reexecution-${name.toLowerCase()}-`));
    dirs.push(basePath);
    workers.push(await startProvider(node, name, {
      logName: `reexecution-${name.toLowerCase()}`, price: '0.05', workerAddress: keys[`${name}Worker`].address, basePath, freePort,
    }));
  }));
});

after(async () => {
  alive?.stop();
  for (const worker of workers) if (!worker.exitStatus()) await worker.stop();
  log?.stop();
  await node?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A provider's bond and committed collateral. */
async function ledger(who) {
  const l = (await node.api.query.stake.ledgers(who)).unwrap();
  return { bonded: l.bonded.toBigInt(), committed: l.committed.toBigInt() };
}

test('three real workers drawn as executors seal, reveal and prove a made-up receipt wrong', { timeout: 600_000 }, async () => {
  const { api } = node;
  const address = (name) => keys[name].address;
  const before = {};
  for (const name of EXECUTORS) before[name] = { ledger: await ledger(address(name)), free: (await api.query.system.account(address(name))).data.free.toBigInt() };
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const spec = {
    workload: { MatMulI8: DIMS },
    inputs: { Seed: SEED },
    requirements: { minVramMib: 16384, minGpus: 1, minInt8Tops: 0, minFp16Tflops: 0, region: null, minReputation: 0, attestation: false },
    maxPricePerUnit: 6n * UNIT / 100n,
    replicas: 1,
    verification: 'Optimistic',
    deadline: head + 300,
  };
  const posted = await sendAndFinalize(api, api.tx.jobs.post(spec), keys.client);
  const job = eventsOf(api, posted.events, 'jobs', 'Posted')[0].data.job.toNumber();
  const [assigned] = eventsOf(api, posted.events, 'jobs', 'Assigned');
  assert.equal(assigned.data.provider.toString(), address('Ferdie'), 'the cheapest provider runs it');

  const { a, bCols } = seedMatrices(SEED, DIMS);
  const right = buildProver(DIMS, matmul(DIMS, a, bCols)).outputCommitment;
  const madeUp = buildProver(DIMS, matmul(DIMS, a, bCols).map((x) => (x + 1) | 0)).outputCommitment;
  await sendAndFinalize(api, api.tx.jobs.acknowledge(job, 0), keys.FerdieWorker);
  await sendAndFinalize(api, api.tx.jobs.submitReceipt(job, 0, {
    outputCommitment: madeUp, outputUri: `https://ferdie-gpu.example.org/jobs/${job}/c`, usedUnits: 1, enclaveSignature: null,
  }), keys.FerdieWorker);
  const challenged = await sendAndFinalize(api, api.tx.jobs.challenge(job, 0), keys.client);
  const challengedAt = (await api.rpc.chain.getHeader(challenged.blockHash)).number.toNumber();
  assert.equal(eventsOf(api, challenged.events, 'proofs', 'ExecutorAssigned').length, 0, 'nobody is drawn in the challenge\'s block');

  const ofJob = (section, method) => (e) => e.section === section && e.method === method && e.data.job?.toNumber() === job;
  const failed = await log.waitFor(ofJob('jobs', 'ReplicaFailed'), 540_000, `jobs.ReplicaFailed of job ${job}`);
  assert.equal(failed.event.data.reason.toString(), 'Rejected');
  const named = (section, method) => log.all().filter(({ event }) => ofJob(section, method)(event));

  const drawn = named('proofs', 'ExecutorAssigned');
  assert.deepEqual(drawn.map(({ event }) => event.data.provider.toString()).sort(), EXECUTORS.map(address).sort(), 'Bob, Dave and Eve drawn');
  assert.equal(drawn[0].block, challengedAt + api.consts.proofs.randomnessDelay.toNumber() + 1, 'drawn from the blocks after the challenge');
  const seals = named('proofs', 'Reexecuted').map(({ event }) => event.data.seal.toHex());
  assert.equal(new Set(seals).size, 3, 'three seals, each its own');
  assert.ok(!seals.includes(right), 'no seal shows the output');
  assert.equal(named('proofs', 'ExecutorRevealsOpened').length, 1);
  assert.deepEqual(named('proofs', 'ExecutorRevealed').map(({ event }) => event.data.output.toHex()), [right, right, right]);
  const [settled] = named('proofs', 'ChallengeSettled');
  assert.ok(settled, 'proofs.ChallengeSettled');
  assert.equal(settled.event.data.upheld.isTrue, false);
  assert.equal(settled.block, failed.block, 'the last reveal settles the challenge in its block');
  const toExecutors = settled.event.data.toExecutors.toBigInt();
  const each = toExecutors / 3n;
  assert.ok(each > 0n);
  assert.ok((await api.query.providers.banned(address('Ferdie'))).isSome, 'the cheater is banned');
  for (const name of EXECUTORS) {
    assert.deepEqual(await ledger(address(name)), before[name].ledger, `${name}'s bond unchanged and its collateral back`);
    const free = (await api.query.system.account(address(name))).data.free.toBigInt();
    assert.equal(free, before[name].free + each, `${name} is paid its share of the bond`);
  }
});

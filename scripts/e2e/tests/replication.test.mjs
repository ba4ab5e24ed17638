// A replicated job run by two real workers (`tessera-worker`, node/worker), on the dev chain:
// protocol v2's sealed results (docs/protocol.md, "Replication"). Bob and Dave register and bond
// with the worker's CLI, and their workers (//Bob//worker, //Dave//worker) run. Charlie posts one
// 64 x 64 x 64 seed MatMulI8 job with `replicas: 2` and `Replicated` verification; then:
//
// - each worker's receipt carries a seal of its output commitment, not the commitment: the two
//   receipts' commitments differ although both computed the same C;
// - once both have sealed, the chain opens the reveals (`proofs.RevealsOpened`), and each worker
//   reveals its output commitment and salt (`proofs.Revealed`, the same output for both, which
//   is the reference product's commitment);
// - the tally agrees (`proofs.QuorumReached`), both replicas are paid (`jobs.Paid` x 2) and the
//   job closes `Completed`; neither provider's bond moved and no collateral is left committed.
//
// Needs the built binaries: tessera-node ($TESSERA_NODE) and tessera-worker ($TESSERA_WORKER).
// Logs: logs/replication-node.log, logs/replication-{bob,dave}.log and their register and bond
// logs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, sendAndFinalize, freePort } from '../lib/node.mjs';
import { UNIT, eventsOf, eventLog } from '../lib/market.mjs';
import { seedMatrices, matmul, buildProver } from '../lib/commitment.mjs';
import { startProvider } from '../lib/worker.mjs';

const DIMS = { m: 64, n: 64, k: 64 };
const SEED = '0x' + '5e'.repeat(32);
const PRICE = '0.05'; // TSR per unit, each provider
const MAX_PRICE = 6n * UNIT / 100n;

let node;
let log;
let keys;
const workers = [];
const dirs = [];

/** Registers, bonds and starts the worker of provider `name` (`//Name`, worker `//Name//worker`). */
async function provider(name) {
  const lower = name.toLowerCase();
  const basePath = mkdtempSync(join(tmpdir(), `tessera-e2e-replication-${lower}-`));
  dirs.push(basePath);
  workers.push(await startProvider(node, name, {
    logName: `replication-${lower}`, price: PRICE, workerAddress: keys[`${lower}Worker`].address, basePath, freePort,
  }));
}

/** A provider's bond and committed collateral. */
async function ledger(who) {
  const l = (await node.api.query.stake.ledgers(who)).unwrap();
  return { bonded: l.bonded.toBigInt(), committed: l.committed.toBigInt() };
}

before(async () => {
  await cryptoWaitReady();
  const nodeDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-replication-node-'));
  dirs.push(nodeDir);
  node = await startDevNode('replication-node', { basePath: nodeDir });
  log = eventLog(node.api);
  const keyring = new Keyring({ type: 'sr25519' });
  keys = {
    alice: keyring.addFromUri('//Alice'),
    bob: keyring.addFromUri('//Bob'),
    bobWorker: keyring.addFromUri('//Bob//worker'),
    dave: keyring.addFromUri('//Dave'),
    daveWorker: keyring.addFromUri('//Dave//worker'),
    client: keyring.addFromUri('//Charlie'),
  };
  const { api } = node;
  // The worker keys pay their own fees (reveals and answers that are right are free).
  await sendAndFinalize(api, api.tx.utility.batchAll([
    api.tx.balances.transferKeepAlive(keys.bobWorker.address, 100n * UNIT),
    api.tx.balances.transferKeepAlive(keys.daveWorker.address, 100n * UNIT),
  ]), keys.alice);
  await Promise.all([provider('Bob'), provider('Dave')]);
});

after(async () => {
  for (const worker of workers) if (!worker.exitStatus()) await worker.stop();
  log?.stop();
  await node?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('two real workers seal, reveal, agree and are both paid', { timeout: 600_000 }, async () => {
  const { api } = node;
  const before = { bob: await ledger(keys.bob.address), dave: await ledger(keys.dave.address) };
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const spec = {
    workload: { MatMulI8: DIMS },
    inputs: { Seed: SEED },
    requirements: { minVramMib: 16384, minGpus: 1, minInt8Tops: 0, minFp16Tflops: 0, region: null, minReputation: 0, attestation: false },
    maxPricePerUnit: MAX_PRICE,
    replicas: 2,
    verification: 'Replicated',
    deadline: head + 300,
  };
  const posted = await sendAndFinalize(api, api.tx.jobs.post(spec), keys.client);
  const [postedEvent] = eventsOf(api, posted.events, 'jobs', 'Posted');
  assert.ok(postedEvent, 'jobs.Posted');
  const job = postedEvent.data.job.toNumber();
  const assigned = eventsOf(api, posted.events, 'jobs', 'Assigned').map((e) => e.data.provider.toString()).sort();
  assert.deepEqual(assigned, [keys.bob.address, keys.dave.address].sort(), 'one replica each');

  const ofJob = (section, method) => (e) => e.section === section && e.method === method && e.data.job?.toNumber() === job;
  const closed = await log.waitFor(ofJob('jobs', 'Closed'), 540_000, `jobs.Closed of job ${job}`);
  assert.equal(closed.event.data.state.toString(), 'Completed');

  const named = (section, method) => log.all().map(({ event }) => event).filter(ofJob(section, method));
  // The receipts carried seals: different for the two replicas although C is the same.
  const record = (await api.query.jobs.jobs(job)).unwrap();
  const seals = record.replicas.map((r) => r.receipt.unwrap().outputCommitment.toHex());
  assert.notEqual(seals[0], seals[1], 'each receipt carries its own seal');
  const { a, bCols } = seedMatrices(SEED, DIMS);
  const expected = buildProver(DIMS, matmul(DIMS, a, bCols)).outputCommitment;
  assert.ok(!seals.includes(expected), 'no receipt shows the output commitment itself');
  assert.equal(named('proofs', 'RevealsOpened').length, 1, 'the reveals opened once');
  const revealed = named('proofs', 'Revealed').map((e) => e.data.output.toHex());
  assert.deepEqual(revealed, [expected, expected], 'both revealed the reference commitment');
  assert.equal(named('proofs', 'QuorumReached').length, 1);
  assert.equal(named('jobs', 'Paid').length, 2, 'both replicas paid');
  const after = { bob: await ledger(keys.bob.address), dave: await ledger(keys.dave.address) };
  assert.deepEqual(after, before, 'neither bond moved, no collateral left committed');
});

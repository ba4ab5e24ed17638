// The job protocol's promise to an honest provider, on the dev chain, from polkadot.js with
// metadata only: it never loses stake for what others do, and a failure of its own costs it at
// most the collateral it agreed to put at risk for that job. One node for all the tests; the
// providers' workers are scripted here (they acknowledge or stay silent as each test needs, and
// keep their providers alive with heartbeats).
//
// 1. The attack of the report: a client posts a MatMulI8 job of 2^20 x 2^20 x 1 with seed
//    inputs, whose output alone is 4 TiB. Matching offers it to nobody whose declared memory
//    cannot hold it, so it stays queued (no `jobs.Assigned`); the client cancels it and gets its
//    escrow back less its fees; no provider's stake or balance moved.
// 2. A content-input job whose declared size is not m x k + n x k, or whose k is above what a
//    spot-check can open, is refused at `post`.
// 3. A worker that stays silent through its acknowledgement window costs its provider no stake
//    (`jobs.ReplicaFailed` `MissedAcknowledgement`, no `stake.Slashed`).
// 4. A worker that acknowledges a job (which sets the job's collateral aside: the
//    `stake.CollateralReserved` amount, max(1 TSR, 50% x price x units) on the dev runtime) and
//    never delivers loses exactly that collateral at the deadline (`stake.Slashed`
//    `MissedDeadline`), the client at most its compensation cap of it, and nothing else. The
//    job is posted with the shortest deadline the chain allows before the other tests run, so
//    that its wait overlaps theirs.
//
// Providers: Dave in Europe (the silent one) and Ferdie in Asia (the one that misses its
// deadline); jobs name their region, so each goes where its test wants it. Clients: Charlie and
// Eve.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, sendAndFinalize, sleep } from '../lib/node.mjs';
import {
  UNIT, BLOCK_MS, PERBILL, eventsOf, feePaid, eventLog, numberOf, gpuProfile, expectedCollateral, reservedIn,
  heartbeats,
} from '../lib/market.mjs';

const PRICE = 4n * UNIT / 100n; // the providers' 0.04 TSR per unit
const MAX_PRICE = 6n * UNIT / 100n; // the clients' 0.06 TSR per unit

let node;
let log;
let keys;
let alive;
let bond;
/** Test 4's job, posted and acknowledged in `before`: its outcome, awaited by test 4. */
let deadlineRun;

/** Units of a MatMulI8 job: ceil(2mnk / 10^12). */
function unitsOf({ m, n, k }) {
  const ops = 2n * BigInt(m) * BigInt(n) * BigInt(k);
  return (ops + UNIT - 1n) / UNIT;
}

const head = async () => (await node.api.rpc.chain.getHeader()).number.toNumber();

/** A SpotCheck MatMulI8 spec for providers in `region` (null: anywhere), due in `blocks`. */
async function jobSpec(dims, { region = null, blocks = 200, inputs = { Seed: '0x' + '3c'.repeat(32) } } = {}) {
  return {
    workload: { MatMulI8: dims },
    inputs,
    requirements: { minVramMib: 16384, minGpus: 1, minInt8Tops: 0, minFp16Tflops: 0, region, minReputation: 0, attestation: false },
    maxPricePerUnit: MAX_PRICE,
    replicas: 1,
    verification: 'SpotCheck',
    deadline: (await head()) + blocks,
  };
}

/** Free and reserved balance, and the stake ledger, of a provider. */
async function standing(who) {
  const { api } = node;
  const { data } = await api.query.system.account(who);
  const ledger = (await api.query.stake.ledgers(who)).unwrap();
  return {
    free: data.free.toBigInt(),
    reserved: data.reserved.toBigInt(),
    bonded: ledger.bonded.toBigInt(),
    committed: ledger.committed.toBigInt(),
  };
}

/** Posts `spec` as `client`: { jobId, block, escrow, fee, events }. */
async function post(spec, client) {
  const { api } = node;
  const posted = await sendAndFinalize(api, api.tx.jobs.post(spec), client);
  const [event] = eventsOf(api, posted.events, 'jobs', 'Posted');
  assert.ok(event, 'jobs.Posted');
  return {
    jobId: event.data.job.toNumber(),
    block: await numberOf(api, posted.blockHash),
    escrow: event.data.escrow.toBigInt(),
    fee: feePaid(api, posted.events),
    events: posted.events,
  };
}

/** Every `stake.Slashed` of `who` the log has seen. */
const slashesOf = (who) => log.all().filter(({ event }) => node.api.events.stake.Slashed.is(event) && event.data.who.toString() === who);

/**
 * Test 4's job, up to its acknowledgement: Eve posts a job for Asia with the shortest deadline
 * allowed, Ferdie's worker acknowledges it (and will do nothing more). Resolves what test 4
 * checks, and `deadline()`, which waits for the replica to fail.
 */
async function acknowledgeAndWalkAway() {
  const { api } = node;
  const dims = { m: 64, n: 64, k: 64 };
  const minDeadline = api.consts.jobs.minDeadline.toNumber();
  const spec = await jobSpec(dims, { region: 'Asia', blocks: minDeadline + 2, inputs: { Seed: '0x' + 'dd'.repeat(32) } });
  const before = await standing(keys.ferdie.address);
  const posted = await post(spec, keys.eve);
  const [assigned] = eventsOf(api, posted.events, 'jobs', 'Assigned');
  assert.equal(assigned?.data.provider.toString(), keys.ferdie.address, 'the Asian job goes to Ferdie');
  const acked = await alive.send(keys.ferdieWorker, api.tx.jobs.acknowledge(posted.jobId, 0));
  const collateral = reservedIn(api, acked.events, keys.ferdie.address);
  const running = await standing(keys.ferdie.address);
  const record = (await api.query.jobs.jobs(posted.jobId)).unwrap();
  const deadline = async () => {
    const failure = await log.waitFor(
      (e) => api.events.jobs.ReplicaFailed.is(e) && e.data.job.toNumber() === posted.jobId,
      (spec.deadline - await head() + 10) * BLOCK_MS, `jobs.ReplicaFailed of job ${posted.jobId}`);
    await sleep(100);
    return { failure, after: await standing(keys.ferdie.address) };
  };
  return { spec, dims, posted, before, collateral, running, recordCollateral: record.replicas[0].collateral.toBigInt(), deadline };
}

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode('protocol');
  log = eventLog(node.api);
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519' });
  keys = {
    alice: keyring.addFromUri('//Alice'),
    charlie: keyring.addFromUri('//Charlie'),
    eve: keyring.addFromUri('//Eve'),
    dave: keyring.addFromUri('//Dave'),
    daveWorker: keyring.addFromUri('//Dave//worker'),
    ferdie: keyring.addFromUri('//Ferdie'),
    ferdieWorker: keyring.addFromUri('//Ferdie//worker'),
  };
  bond = (await api.query.stake.parameters()).minBondPerGpu.toBigInt();
  await sendAndFinalize(api, api.tx.utility.batchAll([
    api.tx.balances.transferKeepAlive(keys.daveWorker.address, 10n * UNIT),
    api.tx.balances.transferKeepAlive(keys.ferdieWorker.address, 10n * UNIT),
  ]), keys.alice);
  const register = (provider, worker, region) => sendAndFinalize(api, api.tx.utility.batchAll([
    api.tx.providers.register(gpuProfile({ region }), PRICE, 4, `https://${region.toLowerCase()}-gpu.example.org`, worker.address),
    api.tx.stake.bond(bond),
  ]), provider);
  await Promise.all([register(keys.dave, keys.daveWorker, 'Europe'), register(keys.ferdie, keys.ferdieWorker, 'Asia')]);
  alive = heartbeats(api, [keys.daveWorker, keys.ferdieWorker]);
  // Test 4's job runs to its deadline from now on, while the other tests run.
  const walkedAway = await acknowledgeAndWalkAway();
  deadlineRun = walkedAway.deadline().then((end) => ({ value: { ...walkedAway, ...end } }), (error) => ({ error }));
});

after(async () => {
  await alive?.stop();
  log?.stop();
  await sleep(200);
  await node?.stop();
});

test('the report\'s attack: a job no honest provider can hold is never assigned; cancelled, it costs the providers nothing', async () => {
  const { api } = node;
  const dims = { m: 1 << 20, n: 1 << 20, k: 1 };
  const units = unitsOf(dims);
  const clientBefore = (await api.query.system.account(keys.charlie.address)).data;
  const providersBefore = [await standing(keys.dave.address), await standing(keys.ferdie.address)];
  // Any region, any provider: the output alone (4 TiB) is beyond every declared memory.
  const { jobId, block: postedAt, escrow, fee: postFee, events } = await post(await jobSpec(dims), keys.charlie);
  assert.equal(escrow, MAX_PRICE * units + MAX_PRICE * units * 2n / 100n, 'escrow: budget + the 2% fee');
  assert.deepEqual(eventsOf(api, events, 'jobs', 'Assigned').map((e) => e.data.provider.toString()), [], 'not assigned at its post');
  // The queue tries it again every block: a few blocks, and still nobody.
  while (await head() < postedAt + 3) await sleep(1_000);
  const record = (await api.query.jobs.jobs(jobId)).unwrap();
  assert.equal(record.state.toString(), 'Queued');
  assert.equal(record.replicas.length, 0);
  assert.deepEqual(log.all().filter(({ event }) => api.events.jobs.Assigned.is(event) && event.data.job.toNumber() === jobId), [],
    'no jobs.Assigned for it, ever');

  const cancelled = await sendAndFinalize(api, api.tx.jobs.cancel(jobId), keys.charlie);
  const [closed] = eventsOf(api, cancelled.events, 'jobs', 'Closed');
  assert.equal(closed?.data.state.toString(), 'Cancelled');
  assert.equal(closed.data.refund.toBigInt(), escrow, 'the whole escrow comes back');
  const clientAfter = (await api.query.system.account(keys.charlie.address)).data;
  assert.equal(clientAfter.reserved.toBigInt(), clientBefore.reserved.toBigInt(), 'no escrow held any more');
  assert.equal(clientBefore.free.toBigInt() - clientAfter.free.toBigInt(), postFee + feePaid(api, cancelled.events),
    'the client is out of its two fees only');
  assert.deepEqual([await standing(keys.dave.address), await standing(keys.ferdie.address)], providersBefore,
    'stake.ledgers and balances of every provider unchanged');
});

test('post refuses content inputs whose size does not fit the matrices, or whose k a spot-check cannot open', async () => {
  const { api } = node;
  const content = (size) => ({ Content: { hash: '0x' + '11'.repeat(32), uri: 'https://client.example.org/in.bin', size } });
  const dims = { m: 8, n: 4, k: 16 };
  const exact = dims.m * dims.k + dims.n * dims.k;
  await assert.rejects(post(await jobSpec(dims, { inputs: content(exact + 1) }), keys.charlie), /jobs\.InputSizeMismatch/);
  const deep = { m: 1, n: 1, k: (1 << 16) + 1 };
  await assert.rejects(post(await jobSpec(deep, { inputs: content(2 * deep.k) }), keys.charlie), /jobs\.InnerDimensionTooLarge/);
});

test('a worker that stays silent through its acknowledgement window costs its provider no stake', async () => {
  const { api } = node;
  const before = await standing(keys.dave.address);
  const { jobId, block: postedAt, escrow, events } = await post(await jobSpec({ m: 64, n: 64, k: 64 }, { region: 'Europe' }), keys.charlie);
  const [assigned] = eventsOf(api, events, 'jobs', 'Assigned');
  assert.equal(assigned?.data.provider.toString(), keys.dave.address, 'the European job goes to Dave');
  const ackTimeout = api.consts.jobs.ackTimeout.toNumber();
  const failure = await log.waitFor((e) => api.events.jobs.ReplicaFailed.is(e) && e.data.job.toNumber() === jobId,
    (postedAt + ackTimeout - await head() + 10) * BLOCK_MS, `jobs.ReplicaFailed of job ${jobId}`);
  assert.equal(failure.event.data.reason.toString(), 'MissedAcknowledgement');
  assert.equal(failure.event.data.provider.toString(), keys.dave.address);
  assert.equal(failure.block, postedAt + ackTimeout, 'at the end of the window');
  await sleep(100);
  // Nobody else in Europe: the job fails and its escrow goes back.
  const closed = log.at(failure.block).find((e) => api.events.jobs.Closed.is(e) && e.data.job.toNumber() === jobId);
  assert.equal(closed?.data.state.toString(), 'Failed');
  assert.equal(closed.data.refund.toBigInt(), escrow);
  assert.deepEqual(slashesOf(keys.dave.address).map(({ block }) => block), [], 'no stake.Slashed of Dave');
  assert.deepEqual(await standing(keys.dave.address), before, 'Dave\'s stake and balances unchanged');
  const reputation = log.at(failure.block).find((e) => api.events.providers.ReputationChanged.is(e) && e.data.provider.toString() === keys.dave.address);
  assert.equal(reputation?.data.outcome.toString(), 'Ignored', 'a small reputation cost instead');
});

test('a worker that acknowledges and misses the deadline loses exactly the job\'s collateral', async () => {
  const { api } = node;
  const run = await deadlineRun;
  if (run.error) throw run.error;
  const { spec, dims, posted, before, collateral, running, recordCollateral, failure, after } = run.value;
  const units = unitsOf(dims);
  assert.equal(collateral, expectedCollateral(api, PRICE, units), 'stake.CollateralReserved: max(MinCollateral, 50% x price x units)');
  assert.equal(recordCollateral, collateral, 'the replica records its collateral');
  assert.equal(running.committed, collateral, 'committed while the job runs');
  assert.equal(running.bonded, before.bonded - collateral, 'and no longer free');
  assert.equal(running.reserved, before.reserved, 'still part of the same hold');

  assert.equal(failure.event.data.reason.toString(), 'MissedDeadline');
  assert.equal(failure.event.data.provider.toString(), keys.ferdie.address);
  assert.equal(failure.block, spec.deadline + 1, 'the block after the deadline');
  const [slash] = log.at(failure.block).filter((e) => api.events.stake.Slashed.is(e) && e.data.who.toString() === keys.ferdie.address);
  assert.ok(slash, `stake.Slashed of Ferdie at block ${failure.block}`);
  assert.equal(slash.data.reason.toString(), 'MissedDeadline');
  assert.equal(slash.data.amount.toBigInt(), collateral, 'the slash is the collateral, and only it');
  // The client's share of it is capped at MaxCompensation of its budget for the replica; the
  // treasury gets the rest (no watcher).
  const params = await api.query.stake.parameters();
  const cap = MAX_PRICE * units * api.consts.jobs.maxCompensation.toBigInt() / PERBILL;
  const share = collateral * params.clientShare.toBigInt() / PERBILL;
  const toClient = share < cap ? share : cap;
  assert.equal(slash.data.client.unwrap().toString(), keys.eve.address);
  assert.equal(slash.data.toClient.toBigInt(), toClient);
  assert.equal(slash.data.toTreasury.toBigInt(), collateral - toClient);
  assert.equal(slash.data.toWatcher.toBigInt(), 0n);

  assert.equal(after.committed, 0n, 'nothing left committed');
  assert.equal(after.bonded, before.bonded - collateral, 'the bond is short by the collateral only');
  assert.equal(before.reserved - after.reserved, collateral, 'the hold too');
  assert.equal(after.free, before.free, 'the provider paid nothing else');
  const closed = log.at(failure.block).find((e) => api.events.jobs.Closed.is(e) && e.data.job.toNumber() === posted.jobId);
  assert.equal(closed?.data.state.toString(), 'Failed');
  assert.equal(closed.data.refund.toBigInt(), posted.escrow, 'the client gets its escrow back');
  assert.deepEqual(slashesOf(keys.ferdie.address).map(({ block }) => block), [failure.block], 'Ferdie\'s only slash');
});

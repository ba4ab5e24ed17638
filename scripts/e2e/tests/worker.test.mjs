// The real provider worker, `tessera-worker` (node/worker), against the dev chain: nothing about
// the worker is scripted here. The provider (Bob) registers and bonds with the worker's own CLI
// (`register`, `bond`; a second `register` is refused with `AlreadyRegistered`; the profile
// declares MatMulI8 only), and the worker (`run`, hot key //Bob//worker, one compute thread)
// follows the chain's best blocks and serves HTTP. Then, on one node and one worker shared by
// the tests, in order:
//
// 1. A content-input job: the test serves a 96 x 80 x 112 input file (A row-major, B by columns)
//    over HTTP and posts its input commitment as the job's `hash`. The worker fetches and checks
//    it, acknowledges, computes C, commits to it, answers the chain's spot-check and is paid
//    price x units, the treasury the 2% fee, to the unit. The C it serves at the receipt's
//    output URI is the reference product and has the receipt's output commitment.
// 1b. A content-input job whose server sends the wrong bytes (the right length, another
//    commitment): the worker declines it (`jobs.ReplicaFailed`, `Declined`) within its
//    acknowledgement window, and the provider's stake and balance do not move.
// 2. A crash: an 8192^3 seed job (2 units) is interrupted by SIGKILL while the worker's progress
//    metric says it is part-way; the worker, started again on the same local store, resumes it
//    (`tessera_worker_jobs_resumed_total`), submits exactly one receipt, passes the spot-check
//    and is paid price x 2.
// 3. The node goes away: it is stopped and started again on the same database and ws URL; the
//    same worker process notices (`connected: false`), reconnects, follows the new finalized
//    blocks and completes a new job.
// 4. SIGTERM: the worker shuts down gracefully, exit code 0 within 15 s.
//
// Every job is `SpotCheck`ed: receipt -> samples drawn RandomnessDelay + 1 blocks later -> the
// worker, following best blocks, opens them in the next block or so, for free -> the chain pays
// in that same block (`jobs.Paid`, `jobs.Closed` Completed), within 5 blocks of the receipt. The content job's input commitment (docs/protocol.md, "Commitments")
// comes from lib/commitment.mjs, whose `selfTest` checks it against the spec's known answers.
//
// Needs the built binaries: tessera-node ($TESSERA_NODE) and tessera-worker ($TESSERA_WORKER),
// by default the release builds in $CARGO_TARGET_DIR (~/.cache/tessera/target). Logs:
// logs/worker-node.log (both runs of the node), logs/worker.log (both runs of the worker),
// logs/worker-register.log, logs/worker-bond.log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { startDevNode, sendAndFinalize, sleep, freePort } from '../lib/node.mjs';
import { UNIT, BLOCK_MS, TREASURY, MATMUL_ONLY, eventsOf, eventLog, callsIn } from '../lib/market.mjs';
import { selfTest, seedMatrices, matmul, buildProver, inputCommitment } from '../lib/commitment.mjs';
import { runWorkerCli, startWorker } from '../lib/worker.mjs';

// ---- Helpers ----------------------------------------------------------------------------------

/** mulberry32: a fixed, seedable PRNG, so the content job's matrices are the same every run. */
function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  };
}

/** `len` int8 drawn from `next`. */
function randomInt8(next, len) {
  const out = new Int8Array(len);
  for (let i = 0; i < len; i++) out[i] = next() & 0xff; // an Int8Array stores the byte as int8
  return out;
}

/** A planck amount as a TSR decimal string, exactly (`1000`, `0.05`). */
function tsr(planck) {
  const whole = planck / UNIT;
  const frac = (planck % UNIT).toString().padStart(12, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** Units of a MatMulI8 job: ceil(2mnk / 10^12). */
function unitsOf({ m, n, k }) {
  const ops = 2n * BigInt(m) * BigInt(n) * BigInt(k);
  return (ops + UNIT - 1n) / UNIT;
}

const fee = (x) => x * 2n / 100n; // the runtime's 2% protocol fee

/** Whether two SS58 addresses (of any prefix) are the same account. */
const sameAccount = (x, y) => typeof x === 'string' && typeof y === 'string'
  && u8aToHex(decodeAddress(x)) === u8aToHex(decodeAddress(y));

/**
 * Polls `probe` every `intervalMs` until it returns a truthy value (which it resolves with);
 * rejects after `timeoutMs` naming `what` and the last value (or error) seen. An error thrown
 * by `probe` (a request that failed) is retried, except an assertion, which fails at once.
 */
async function waitUntil(probe, { timeoutMs, intervalMs = 500, what }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      last = `error: ${error.message}`;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last seen: ${JSON.stringify(last)})`);
    await sleep(intervalMs);
  }
}

/** An event as `section.Method {data}` for failure messages. */
const describe = (event) => `${event.section}.${event.method} ${JSON.stringify(event.data.toHuman())}`;

/**
 * A client's file server: serves `file` at /inputs.bin on a free local port. Resolves
 * { uri, hits, close } (`hits`: the requests it answered, as `METHOD /path`).
 */
async function serveFile(file) {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    if (req.url === '/inputs.bin' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length });
      res.end(req.method === 'GET' ? file : undefined);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const port = await freePort();
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
  return {
    uri: `http://127.0.0.1:${port}/inputs.bin`,
    hits,
    close() { server.closeAllConnections?.(); server.close(); },
  };
}

/** A 96 x 80 x 112-like content job's matrices from `seed`: { a, bCols, file, hash }. */
function contentInputs(dims, seed) {
  const next = mulberry32(seed);
  const a = randomInt8(next, dims.m * dims.k);
  const bCols = randomInt8(next, dims.n * dims.k);
  const file = Buffer.concat([Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(bCols.buffer, bCols.byteOffset, bCols.byteLength)]);
  assert.equal(file.length, dims.m * dims.k + dims.n * dims.k);
  return { a, bCols, file, hash: inputCommitment(dims, a, bCols) };
}

// ---- Shared state -----------------------------------------------------------------------------

const DIMS_SMALL = { m: 64, n: 64, k: 64 };
const PRICE = 5n * UNIT / 100n; // the provider's 0.05 TSR per unit
const MAX_PRICE = 6n * UNIT / 100n; // the clients' 0.06 TSR per unit
const PROFILE = {
  gpu: { model: 'NVIDIA GeForce RTX 4090', vramMib: 24576, count: 1, fp16Tflops: 165, int8Tops: 660 },
  cpuCores: 16, ramMib: 65536, diskGib: 2000, bandwidthMbps: 1000, region: 'Europe',
};

let node;
let log;
let worker;
let nodeDir;
let workerDir;
let workerPort;
let endpoint;
let keys;
let workerOptions;

/** The `register` command line for Bob, with this run's endpoint and worker address. */
function registerArgs() {
  return [
    'register',
    '--node', node.rpcUrl,
    '--provider-key', '//Bob',
    '--worker', keys.worker.address,
    '--endpoint', endpoint,
    '--price', tsr(PRICE),
    '--max-jobs', '4',
    '--region', PROFILE.region,
    '--gpu-model', PROFILE.gpu.model,
    '--vram-mib', String(PROFILE.gpu.vramMib),
    '--gpus', String(PROFILE.gpu.count),
    '--int8-tops', String(PROFILE.gpu.int8Tops),
    '--fp16-tflops', String(PROFILE.gpu.fp16Tflops),
    '--cpu-cores', String(PROFILE.cpuCores),
    '--ram-mib', String(PROFILE.ramMib),
    '--disk-gib', String(PROFILE.diskGib),
    '--bandwidth-mbps', String(PROFILE.bandwidthMbps),
  ];
}

before(async () => {
  await cryptoWaitReady();
  // The commitment code must reproduce the spec's known answers before the worker is judged
  // against it.
  selfTest();

  nodeDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-worker-node-'));
  workerDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-worker-store-'));
  node = await startDevNode('worker-node', { basePath: nodeDir });
  log = eventLog(node.api);
  const { api } = node;

  const keyring = new Keyring({ type: 'sr25519' });
  keys = {
    alice: keyring.addFromUri('//Alice'),
    provider: keyring.addFromUri('//Bob'),
    worker: keyring.addFromUri('//Bob//worker'),
    client: keyring.addFromUri('//Charlie'),
  };
  workerPort = await freePort();
  endpoint = `http://127.0.0.1:${workerPort}`;

  // The worker key pays its own fees; the provider registers with the worker's CLI meanwhile.
  const [, registered] = await Promise.all([
    sendAndFinalize(api, api.tx.balances.transferKeepAlive(keys.worker.address, 1000n * UNIT), keys.alice),
    runWorkerCli('worker-register', registerArgs(), { timeoutMs: 120_000 }),
  ]);
  assert.equal(registered.code, 0, `tessera-worker register exited ${registered.code}:\n${registered.output}`);

  const info = await api.query.providers.providers(keys.provider.address);
  assert.ok(info.isSome, 'providers.providers(Bob) after `register`');
  const provider = info.unwrap();
  assert.ok(sameAccount(provider.worker.toString(), keys.worker.address), `registered worker ${provider.worker}`);
  assert.equal(provider.pricePerUnit.toBigInt(), PRICE, 'price per unit from --price 0.05');
  assert.equal(provider.maxJobs.toNumber(), 4);
  assert.equal(provider.endpoint.toUtf8(), endpoint);
  assert.equal(provider.status.toString(), 'Online');
  assert.equal(provider.profile.gpu.model.toUtf8(), PROFILE.gpu.model);
  assert.equal(provider.profile.gpu.vramMib.toNumber(), PROFILE.gpu.vramMib);
  assert.equal(provider.profile.gpu.count.toNumber(), PROFILE.gpu.count);
  assert.equal(provider.profile.gpu.int8Tops.toNumber(), PROFILE.gpu.int8Tops);
  assert.equal(provider.profile.gpu.fp16Tflops.toNumber(), PROFILE.gpu.fp16Tflops);
  assert.equal(provider.profile.cpuCores.toNumber(), PROFILE.cpuCores);
  assert.equal(provider.profile.ramMib.toNumber(), PROFILE.ramMib);
  assert.equal(provider.profile.diskGib.toNumber(), PROFILE.diskGib);
  assert.equal(provider.profile.bandwidthMbps.toNumber(), PROFILE.bandwidthMbps);
  assert.equal(provider.profile.region.toString(), PROFILE.region);
  assert.deepEqual(provider.profile.capabilities.toJSON(), MATMUL_ONLY, 'the worker declares MatMulI8 only');

  // The bond: the chain's minimum for one GPU (1000 TSR if the minimum is zero).
  const minBond = (await api.query.stake.parameters()).minBondPerGpu.toBigInt() * BigInt(PROFILE.gpu.count);
  const bond = minBond > 0n ? minBond : 1000n * UNIT;
  const bonded = await runWorkerCli('worker-bond', ['bond', '--node', node.rpcUrl, '--provider-key', '//Bob', '--amount', tsr(bond)]);
  assert.equal(bonded.code, 0, `tessera-worker bond exited ${bonded.code}:\n${bonded.output}`);
  const ledger = await api.query.stake.ledgers(keys.provider.address);
  assert.ok(ledger.isSome, 'stake.ledgers(Bob) after `bond`');
  assert.equal(ledger.unwrap().bonded.toBigInt(), bond, `bonded ${tsr(bond)} TSR`);

  workerOptions = {
    nodeUrl: node.rpcUrl,
    key: '//Bob//worker',
    basePath: workerDir,
    port: workerPort,
    extraArgs: ['--threads', '1'],
  };
  worker = await startWorker('worker', workerOptions);
});

after(async () => {
  if (worker && !worker.exitStatus()) await worker.stop();
  log?.stop();
  await sleep(200);
  await node?.stop();
  for (const dir of [nodeDir, workerDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A SpotCheck MatMulI8 spec like job.test.mjs's. */
async function jobSpec(dims, inputs) {
  const head = (await node.api.rpc.chain.getHeader()).number.toNumber();
  return {
    workload: { MatMulI8: dims },
    inputs,
    requirements: { minVramMib: 16384, minGpus: 1, minInt8Tops: 0, minFp16Tflops: 0, region: null, minReputation: 0, attestation: false },
    maxPricePerUnit: MAX_PRICE,
    replicas: 1,
    verification: 'SpotCheck',
    deadline: head + 200,
  };
}

/**
 * Charlie posts `spec`; checks it was assigned to Bob's worker at Bob's price. Resolves
 * { jobId, block, units, escrow }.
 */
async function post(spec) {
  const { api } = node;
  const posted = await sendAndFinalize(api, api.tx.jobs.post(spec), keys.client);
  const [postedEvent] = eventsOf(api, posted.events, 'jobs', 'Posted');
  assert.ok(postedEvent, `jobs.Posted in ${posted.events.map(({ event }) => `${event.section}.${event.method}`)}`);
  const jobId = postedEvent.data.job.toNumber();
  const units = unitsOf(spec.workload.MatMulI8);
  assert.equal(postedEvent.data.units.toBigInt(), units, 'units = ceil(2mnk / 10^12)');
  const [assigned] = eventsOf(api, posted.events, 'jobs', 'Assigned');
  assert.ok(assigned, `job ${jobId} assigned at once (events: ${posted.events.map(({ event }) => `${event.section}.${event.method}`)})`);
  assert.equal(assigned.data.provider.toString(), keys.provider.address);
  assert.equal(assigned.data.worker.toString(), keys.worker.address);
  assert.equal(assigned.data.pricePerUnit.toBigInt(), PRICE);
  const block = (await api.rpc.chain.getHeader(posted.blockHash)).number.toNumber();
  return { jobId, block, units, escrow: postedEvent.data.escrow.toBigInt() };
}

const head = async () => (await node.api.rpc.chain.getHeader()).number.toNumber();

/** `promise`, unless the worker process ends first (then a rejection that says so). */
function whileWorkerRuns(promise) {
  const running = worker;
  return Promise.race([promise, running.exited.then((status) => {
    throw new Error(`tessera-worker (pid ${running.pid}) exited while the test waited: ${JSON.stringify(status)}; see logs/worker.log`);
  })]);
}

/**
 * Waits for the first event of job `jobId` that is one of `methods` (`section.Method`), or
 * for a sign the job went wrong (`jobs.ReplicaFailed`, `jobs.Closed`, `proofs.SpotCheckFailed`)
 * to fail fast; asserts it is one of `methods`. Resolves { block, event }.
 */
async function waitJob(jobId, methods, ms) {
  const wanted = new Set(methods);
  const bad = new Set(['jobs.ReplicaFailed', 'jobs.Closed', 'proofs.SpotCheckFailed']);
  const hit = await whileWorkerRuns(log.waitFor((e) => {
    const name = `${e.section}.${e.method}`;
    return (wanted.has(name) || bad.has(name)) && e.data.job?.toNumber() === jobId;
  }, ms, `${methods.join(' or ')} of job ${jobId}`));
  const name = `${hit.event.section}.${hit.event.method}`;
  assert.ok(wanted.has(name), `job ${jobId}: waiting for ${methods.join(' or ')}, got ${describe(hit.event)} at block ${hit.block}`);
  return hit;
}

/**
 * Follows a spot-checked job from its post (at block `postedAt`) to its close: acknowledged
 * within the ack timeout, receipt within `receiptBlocks`, samples drawn RandomnessDelay + 1
 * blocks after it, answered within the window by free `proofs.respond` calls, and paid and
 * closed `Completed` in the block of the last answer, within 5 blocks of the receipt.
 * Resolves { acknowledged, receipt, drawn, passed, closing }.
 */
async function followJob(jobId, postedAt, { receiptBlocks = 40 } = {}) {
  const { api } = node;
  const ackTimeout = api.consts.jobs.ackTimeout.toNumber();
  const acknowledged = await waitJob(jobId, ['jobs.Acknowledged'], (postedAt + ackTimeout - await head() + 5) * BLOCK_MS);
  assert.ok(acknowledged.block <= postedAt + ackTimeout, `acknowledged at block ${acknowledged.block}, within the ack timeout`);
  const receipt = await waitJob(jobId, ['jobs.ReceiptSubmitted'], receiptBlocks * BLOCK_MS);
  const verdictAt = receipt.event.data.verdictAt.toNumber();
  const delay = api.consts.proofs.randomnessDelay.toNumber();
  assert.equal(verdictAt, receipt.block + delay + 1, 'samples are drawn RandomnessDelay + 1 blocks after the receipt');
  const drawn = await whileWorkerRuns(log.waitFor(
    (e) => api.events.proofs.SamplesDrawn.is(e) && e.data.job.toNumber() === jobId,
    (verdictAt - await head() + 10) * BLOCK_MS, `proofs.SamplesDrawn of job ${jobId}`));
  assert.equal(drawn.block, verdictAt);
  assert.equal(drawn.event.data.replica.toNumber(), 0);
  const respondBy = drawn.event.data.respondBy.toNumber();
  const passed = await waitJob(jobId, ['proofs.SpotCheckPassed'], (respondBy - await head() + 10) * BLOCK_MS);
  assert.ok(passed.block <= respondBy, `answered at block ${passed.block}, within the window (by ${respondBy})`);
  const closing = await whileWorkerRuns(log.waitFor((e) => api.events.jobs.Closed.is(e) && e.data.job.toNumber() === jobId,
    15 * BLOCK_MS, `jobs.Closed of job ${jobId}`));
  assert.equal(closing.event.data.state.toString(), 'Completed', `job ${jobId} closed: ${describe(closing.event)}`);
  assert.equal(closing.block, passed.block, 'paid in the block of the last answer, not after the response window');
  assert.ok(log.at(closing.block).some((e) => api.events.jobs.Paid.is(e) && e.data.job.toNumber() === jobId), `jobs.Paid at block ${closing.block}`);
  assert.ok(closing.block - receipt.block <= 5,
    `job ${jobId} paid at block ${closing.block}, within 5 blocks of its receipt's (${receipt.block}; samples drawn at ${drawn.block})`);
  // The worker's answers cost it nothing.
  const answers = (await callsIn(api, passed.block, 'proofs', 'respond')).filter((call) => sameAccount(call.signer, keys.worker.address));
  assert.ok(answers.length >= 1, `the worker's proofs.respond is in block ${passed.block}`);
  for (const answer of answers) {
    assert.ok(answer.ok, 'the response succeeded');
    assert.equal(answer.fee, 0n, 'a right response pays no fee (transactionPayment.TransactionFeePaid actualFee 0)');
  }
  return { acknowledged, receipt, drawn, passed, closing };
}

/** Every event of the canonical blocks `from ..= to`, read from the node: [{ block, event }]. */
async function eventsBetween(from, to) {
  const { api } = node;
  const out = [];
  for (let block = from; block <= to; block++) {
    const hash = await api.rpc.chain.getBlockHash(block);
    for (const { event } of await api.query.system.events.at(hash)) out.push({ block, event });
  }
  return out;
}

/** Free balance of `who` at block number `block` (latest if omitted). */
async function freeAt(who, block) {
  const { api } = node;
  if (block === undefined) return (await api.query.system.account(who)).data.free.toBigInt();
  const hash = await api.rpc.chain.getBlockHash(block);
  return (await api.query.system.account.at(hash, who)).data.free.toBigInt();
}

/** The worker's /health once it follows the chain: connected, and finalized caught up. */
async function healthCaughtUp(what, timeoutMs = 60_000) {
  const finalized = (await node.api.rpc.chain.getHeader(await node.api.rpc.chain.getFinalizedHead())).number.toNumber();
  return waitUntil(async () => {
    const h = await worker.health();
    return h.connected === true && typeof h.finalized === 'number' && h.finalized >= finalized ? h : false;
  }, { timeoutMs, what: `${what}: /health connected with finalized >= ${finalized}` });
}

// ---- The tests --------------------------------------------------------------------------------

test('the CLI refuses a second registration; the worker reports its identity, its provider and the chain', async () => {
  const { api } = node;
  // What a registration sets (heartbeats and reputation move the rest of the record).
  const registration = async () => {
    const { profile, pricePerUnit, maxJobs, endpoint: url, worker: key } = (await api.query.providers.providers(keys.provider.address)).unwrap();
    return JSON.stringify({ profile, pricePerUnit, maxJobs, url, key });
  };
  const before = await registration();
  const again = await runWorkerCli('worker-register', registerArgs(), { timeoutMs: 120_000 });
  assert.notEqual(again.code, 0, `a second register must fail; it exited 0:\n${again.output}`);
  assert.match(again.stderr, /already\s*registered/i, `the error (providers.AlreadyRegistered) is on stderr:\n${again.output}`);
  assert.equal(await registration(), before, 'the registration is unchanged');

  const health = await healthCaughtUp('worker start');
  assert.ok(sameAccount(health.worker, keys.worker.address), `/health worker ${health.worker} is //Bob//worker (${keys.worker.address})`);
  const withProvider = await waitUntil(async () => {
    const h = await worker.health();
    return h.provider !== null && h.provider !== undefined ? h : false;
  }, { timeoutMs: 30_000, what: '/health provider' });
  assert.ok(sameAccount(withProvider.provider, keys.provider.address), `/health provider ${withProvider.provider} is Bob (${keys.provider.address})`);
  assert.equal(typeof health.backend, 'string');
  assert.ok(health.backend.length > 0, '/health names its compute backend');

  assert.equal(await worker.metric('tessera_worker_connected'), 1, 'tessera_worker_connected');
  const finalizedMetric = await worker.metric('tessera_worker_finalized_block');
  assert.ok(finalizedMetric !== null && finalizedMetric >= health.finalized,
    `tessera_worker_finalized_block ${finalizedMetric} >= /health's ${health.finalized}`);

  const unknown = await worker.get('/jobs/999999/0/output');
  assert.equal(unknown.status, 404, 'the output of an unknown job is 404');
  await unknown.body?.cancel();
});

test('the worker computes a content-input job, is paid, and serves an output matching the commitment and a reference multiplication', async () => {
  const { api } = node;
  const dims = { m: 96, n: 80, k: 112 };
  const { a, bCols, file, hash } = contentInputs(dims, 0x7e55e7a);

  // The client's file server.
  const server = await serveFile(file);
  const { uri, hits } = server;
  try {
    const spec = await jobSpec(dims, { Content: { hash, uri, size: file.length } });
    const providerBefore = await freeAt(keys.provider.address);
    const treasuryBefore = await freeAt(TREASURY);
    const { jobId, block: postedAt, units, escrow } = await post(spec);
    assert.equal(units, 1n);

    const { receipt, closing } = await followJob(jobId, postedAt);
    assert.ok(hits.includes('GET /inputs.bin'), `the worker fetched the input file (requests: ${JSON.stringify(hits)})`);
    assert.equal(receipt.event.data.usedUnits.toBigInt(), units);

    // Settlement, read at the closing block: the provider got price x units, the treasury 2%.
    const payment = PRICE * units;
    const paid = log.at(closing.block).find((e) => api.events.jobs.Paid.is(e) && e.data.job.toNumber() === jobId);
    assert.ok(paid, `jobs.Paid of job ${jobId} at block ${closing.block}`);
    assert.equal(paid.data.payment.toBigInt(), payment);
    assert.equal(paid.data.fee.toBigInt(), fee(payment));
    assert.equal(closing.event.data.refund.toBigInt(), escrow - payment - fee(payment));
    assert.equal(await freeAt(keys.provider.address, closing.block) - providerBefore, payment, 'the provider is paid price x units');
    assert.equal(await freeAt(TREASURY, closing.block) - treasuryBefore, fee(payment), 'the treasury gets the 2% fee');

    // The output: at the receipt's URI, the reference C, committed to by the receipt.
    const record = (await api.query.jobs.jobs(jobId)).unwrap();
    assert.equal(record.state.toString(), 'Completed');
    const onChain = record.replicas[0].receipt.unwrap();
    const outputUri = onChain.outputUri.toUtf8();
    assert.equal(outputUri, `${endpoint}/jobs/${jobId}/0/output`, 'outputUri = <endpoint>/jobs/<job>/<replica>/output');
    const res = await fetch(outputUri, { signal: AbortSignal.timeout(30_000) });
    assert.equal(res.status, 200, `GET ${outputUri}`);
    assert.match(res.headers.get('content-type') ?? '', /application\/octet-stream/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(bytes.length, dims.m * dims.n * 4, 'C is m x n little-endian int32');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const served = new Int32Array(dims.m * dims.n);
    for (let at = 0; at < served.length; at++) served[at] = view.getInt32(at * 4, true);
    const reference = matmul(dims, a, bCols);
    const wrong = served.findIndex((v, at) => v !== reference[at]);
    assert.equal(wrong, -1, wrong < 0 ? '' : `C[${Math.floor(wrong / dims.n)}][${wrong % dims.n}] is ${served[wrong]}, the reference ${reference[wrong]}`);
    assert.equal(buildProver(dims, served).outputCommitment, onChain.outputCommitment.toHex(), 'the served C has the receipt\'s output commitment');
    assert.equal(receipt.event.data.outputCommitment.toHex(), onChain.outputCommitment.toHex());

    // The worker's own account of it.
    assert.ok((await worker.metric('tessera_worker_receipts_submitted_total')) >= 1, 'tessera_worker_receipts_submitted_total >= 1');
    const earned = await waitUntil(async () => {
      const v = await worker.metric('tessera_worker_earnings_tsr_total');
      return v !== null && v >= 0.05 - 1e-9 ? v : false;
    }, { timeoutMs: 60_000, what: 'tessera_worker_earnings_tsr_total reaches 0.05 once the payment is finalized' });
    assert.ok(Math.abs(earned - 0.05) < 1e-6, `tessera_worker_earnings_tsr_total ${earned} = 0.05 TSR (one unit at 0.05)`);
    const gops = await worker.metric('tessera_worker_gops');
    assert.ok(gops !== null && Number.isFinite(gops) && gops >= 0, `tessera_worker_gops ${gops}`);
  } finally {
    server.close();
  }
});

test('the worker declines a job whose inputs do not match their commitment; the provider loses nothing', async () => {
  const { api } = node;
  const dims = { m: 40, n: 24, k: 56 };
  const { file, hash } = contentInputs(dims, 0xdec1);
  // The right length, other bytes: the commitment cannot match.
  const wrong = Buffer.from(file.map((x) => x ^ 0x5a));
  const server = await serveFile(wrong);
  try {
    const ledger = async () => {
      const { bonded, committed } = (await api.query.stake.ledgers(keys.provider.address)).unwrap();
      return { bonded: bonded.toBigInt(), committed: committed.toBigInt() };
    };
    const ledgerBefore = await ledger();
    const providerBefore = await freeAt(keys.provider.address);
    const declinedBefore = (await worker.metric('tessera_worker_jobs_declined_total', { reason: 'inputs' })) ?? 0;
    const { jobId, block: postedAt, escrow } = await post(await jobSpec(dims, { Content: { hash, uri: server.uri, size: wrong.length } }));

    const ackTimeout = api.consts.jobs.ackTimeout.toNumber();
    const failed = await whileWorkerRuns(log.waitFor((e) => api.events.jobs.ReplicaFailed.is(e) && e.data.job.toNumber() === jobId,
      (ackTimeout + 5) * BLOCK_MS, `jobs.ReplicaFailed of job ${jobId}`));
    assert.equal(failed.event.data.reason.toString(), 'Declined', `job ${jobId}: ${describe(failed.event)}`);
    assert.equal(failed.event.data.provider.toString(), keys.provider.address);
    assert.ok(failed.block < postedAt + ackTimeout, `declined at block ${failed.block}, before the window closed (${postedAt + ackTimeout})`);
    assert.ok(server.hits.includes('GET /inputs.bin'), `the worker fetched the inputs first (requests: ${JSON.stringify(server.hits)})`);
    const declines = (await callsIn(api, failed.block, 'jobs', 'decline')).filter((call) => sameAccount(call.signer, keys.worker.address));
    assert.equal(declines.length, 1, 'one jobs.decline, by the worker key');
    assert.ok(declines[0].ok);

    // No other provider fits: the job fails and the client gets its escrow back, in that block.
    const closed = log.at(failed.block).find((e) => api.events.jobs.Closed.is(e) && e.data.job.toNumber() === jobId);
    assert.ok(closed, `jobs.Closed of job ${jobId} at block ${failed.block}`);
    assert.equal(closed.data.state.toString(), 'Failed');
    assert.equal(closed.data.refund.toBigInt(), escrow, 'the whole escrow is refunded');

    // Nothing was acknowledged, slashed or set aside, and the provider's stake and balance are
    // as they were.
    const events = (await eventsBetween(postedAt, failed.block)).map(({ event }) => event);
    assert.equal(events.filter((e) => api.events.jobs.Acknowledged.is(e) && e.data.job.toNumber() === jobId).length, 0, 'never acknowledged');
    assert.deepEqual(events.filter((e) => (api.events.stake.Slashed.is(e) || api.events.stake.CollateralReserved.is(e))
      && e.data.who.toString() === keys.provider.address).map(describe), [], 'no slash, no collateral');
    assert.deepEqual(await ledger(), ledgerBefore, 'stake.ledgers(Bob) unchanged');
    assert.equal(await freeAt(keys.provider.address), providerBefore, 'the provider\'s free balance unchanged');
    const declined = await waitUntil(async () => {
      const v = await worker.metric('tessera_worker_jobs_declined_total', { reason: 'inputs' });
      return v !== null && v > declinedBefore ? v : false;
    }, { timeoutMs: 10_000, what: 'tessera_worker_jobs_declined_total{reason="inputs"} counts the decline' });
    assert.equal(declined, declinedBefore + 1, 'declined once');
    const finished = await waitUntil(async () => {
      const v = await worker.metric('tessera_worker_jobs_finished_total', { outcome: 'declined' });
      return v !== null && v >= 1 ? v : false;
    }, { timeoutMs: 60_000, what: 'tessera_worker_jobs_finished_total{outcome="declined"} once the decline is finalized' });
    assert.equal(finished, 1, 'the decline counted once, not as a failure');
  } finally {
    server.close();
  }
});

test('kill -9 mid-job: the job resumes from the local store and completes once', async () => {
  const { api } = node;
  const dims = { m: 8192, n: 8192, k: 8192 };
  const spec = await jobSpec(dims, { Seed: '0x' + '8b'.repeat(32) });
  const providerBefore = await freeAt(keys.provider.address);
  const { jobId, block: postedAt, units } = await post(spec);
  assert.equal(units, 2n, 'ceil(2 x 8192^3 / 10^12) = 2 units');
  const pid = worker.pid;

  // Part-way through C, by the worker's own progress metric.
  const ackTimeout = api.consts.jobs.ackTimeout.toNumber();
  const seen = [];
  const progressAtKill = await waitUntil(async () => {
    assert.equal(worker.exitStatus(), null, 'the worker is running');
    const p = await worker.metric('tessera_worker_job_progress', { job: jobId, replica: 0 });
    if (p !== null) seen.push(p);
    assert.ok(!(await hasReceipt(jobId)),
      `job ${jobId}'s receipt came before the worker could be interrupted (last progress seen: ${seen.slice(-5).join(', ')})`);
    assert.ok(p === null || p < 0.9, `job ${jobId} is already ${p} done: too fast to interrupt (last progress seen: ${seen.slice(-5).join(', ')})`);
    return p !== null && p > 0 ? p : false;
  }, { timeoutMs: (ackTimeout + 10) * BLOCK_MS, intervalMs: 200, what: `tessera_worker_job_progress{job="${jobId}",replica="0"} in (0, 0.9)` });
  const killed = await worker.kill();
  assert.equal(killed.signal, 'SIGKILL', `the worker was killed (${JSON.stringify(killed)})`);

  // The same worker, started again on the same store and port.
  worker = await startWorker('worker', workerOptions);
  assert.notEqual(worker.pid, pid, 'a new process');
  const { closing, receipt } = await followJob(jobId, postedAt, { receiptBlocks: 100 });

  const resumed = await worker.metric('tessera_worker_jobs_resumed_total');
  assert.ok(resumed !== null && resumed >= 1, `tessera_worker_jobs_resumed_total ${resumed} >= 1 on the restarted worker (it was killed at progress ${progressAtKill})`);

  // One receipt, one acknowledgement and no failure for this job, in every block from its post
  // to its close.
  const events = (await eventsBetween(postedAt, closing.block)).filter(({ event }) => event.data.job?.toNumber?.() === jobId);
  const named = (name) => events.filter(({ event }) => `${event.section}.${event.method}` === name);
  assert.equal(named('jobs.ReceiptSubmitted').length, 1,
    `exactly one receipt for job ${jobId}: ${named('jobs.ReceiptSubmitted').map(({ block, event }) => `#${block} ${describe(event)}`)}`);
  assert.equal(named('jobs.ReceiptSubmitted')[0].block, receipt.block);
  assert.equal(named('jobs.Acknowledged').length, 1, 'exactly one acknowledgement');
  assert.deepEqual([...named('jobs.ReplicaFailed'), ...named('proofs.SpotCheckFailed')].map(({ event }) => describe(event)), []);

  const payment = PRICE * units;
  assert.equal(await freeAt(keys.provider.address, closing.block) - providerBefore, payment, 'the provider is paid price x 2, once');
  // The new process counts this payment, once, and nothing from before its start (the node
  // reports recent finalized blocks first to a new subscription); it acted on no stale block.
  const since = await counted(0.1, 'after the restart');
  assert.ok(Math.abs(since.earnings - 0.1) < 1e-6, `tessera_worker_earnings_tsr_total ${since.earnings} = 0.1 TSR (this job only)`);
  assert.equal(since.paid, 1, 'tessera_worker_jobs_finished_total{outcome="paid"}: this job only');
  assert.equal(since.failedResponses, 0, 'no proofs.respond failed (none answered a stale block)');
  const gops = await worker.metric('tessera_worker_gops');
  assert.ok(Number.isFinite(gops) && gops > 0, `tessera_worker_gops ${gops} > 0 after computing part of an 8192^3 job`);
});

/**
 * What this worker process counted from finalized blocks: its earnings (TSR), replicas paid and
 * declined, and `proofs.respond` calls that failed. Waits until the earnings reach
 * `earningsAtLeast` (they are counted once the payment is finalized).
 */
async function counted(earningsAtLeast, what) {
  await waitUntil(async () => {
    const v = await worker.metric('tessera_worker_earnings_tsr_total');
    return v !== null && v >= earningsAtLeast - 1e-9;
  }, { timeoutMs: 60_000, what: `${what}: tessera_worker_earnings_tsr_total reaches ${earningsAtLeast}` });
  return {
    earnings: await worker.metric('tessera_worker_earnings_tsr_total'),
    paid: await worker.metric('tessera_worker_jobs_finished_total', { outcome: 'paid' }),
    declined: await worker.metric('tessera_worker_jobs_finished_total', { outcome: 'declined' }),
    failedResponses: (await worker.metric('tessera_worker_transactions_total', { call: 'respond', outcome: 'failed' })) ?? 0,
  };
}

/** Whether replica 0 of job `jobId` has a receipt on chain. */
async function hasReceipt(jobId) {
  const record = await node.api.query.jobs.jobs(jobId);
  return record.isSome && record.unwrap().replicas[0]?.receipt.isSome;
}

test('the worker reconnects after the node restarts', async () => {
  const pid = worker.pid;
  const before = await healthCaughtUp('before the restart');
  const finalizedBefore = before.finalized;

  // The node goes away.
  const { rpcPort, p2pPort, basePath } = node;
  log.stop();
  log = null;
  await sleep(200);
  await node.stop();
  node = null;
  await sleep(5_000);
  const noticed = await waitUntil(async () => {
    let h = null;
    try { h = await worker.health(); } catch { /* answered below by the metric */ }
    if (h && h.connected === false) return `/health connected false`;
    const connected = await worker.metric('tessera_worker_connected');
    return connected === 0 ? 'tessera_worker_connected 0' : false;
  }, { timeoutMs: 30_000, what: 'the worker notices the node is gone' });
  assert.ok(noticed);
  assert.equal(worker.exitStatus(), null, 'the worker keeps running without its node');

  // The node comes back: same database, same ws URL. (A port can take a moment to be free.)
  let restarted = null;
  for (let attempt = 1; !restarted; attempt++) {
    try {
      restarted = await startDevNode('worker-node', { basePath, rpcPort, p2pPort });
    } catch (error) {
      if (attempt >= 3) throw error;
      await sleep(3_000);
    }
  }
  node = restarted;
  log = eventLog(node.api);
  const resumed = await waitUntil(async () => {
    const h = await worker.health();
    return h.connected === true && typeof h.finalized === 'number' && h.finalized > finalizedBefore ? h : false;
  }, { timeoutMs: 120_000, what: `/health connected with finalized > ${finalizedBefore} after the node restart` });
  assert.ok(resumed.finalized > finalizedBefore);
  assert.equal(await worker.metric('tessera_worker_connected'), 1);

  // And it still works: a new job on the restarted chain.
  const providerBefore = await freeAt(keys.provider.address);
  const { jobId, block: postedAt, units } = await post(await jobSpec(DIMS_SMALL, { Seed: '0x' + '5c'.repeat(32) }));
  const { closing } = await followJob(jobId, postedAt);
  assert.equal(await freeAt(keys.provider.address, closing.block) - providerBefore, PRICE * units);
  assert.equal(worker.pid, pid, 'the same worker process did the job');
  // The reconnection counted no block twice: the kill test's payment and this one.
  const total = await counted(0.15, 'after the reconnection');
  assert.ok(Math.abs(total.earnings - 0.15) < 1e-6, `tessera_worker_earnings_tsr_total ${total.earnings} = 0.15 TSR`);
  assert.equal(total.paid, 2, 'tessera_worker_jobs_finished_total{outcome="paid"}: two jobs, each once');
  assert.equal(total.failedResponses, 0, 'no proofs.respond failed');
  assert.equal(worker.exitStatus(), null, 'the worker never exited');
});

test('the worker shuts down gracefully on SIGTERM', async () => {
  const stopped = await worker.stop();
  assert.equal(stopped.forced, false, 'exited within 15 s of SIGTERM, without SIGKILL');
  assert.equal(stopped.signal, null, `exited by itself, not by a signal (${JSON.stringify(stopped)})`);
  assert.equal(stopped.code, 0, 'exit code 0');
});

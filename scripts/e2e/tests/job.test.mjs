// One whole spot-checked job on the dev chain, from polkadot.js with metadata only: a provider
// registers and bonds, a client posts a 64 x 64 x 64 MatMulI8 job with seed inputs and
// `SpotCheck` verification, and the provider's worker (scripted here, with the commitment scheme
// of docs/protocol.md ported to lib/commitment.mjs) acknowledges it, computes C for real,
// commits to it in its receipt, and when the chain draws its samples (`proofs.SamplesDrawn`,
// positions recomputed here from the block hashes) opens them with one `proofs.respond`; the
// chain checks every opening (`proofs.SpotCheckPassed`) and settles the escrow in the same block:
// the provider is paid price x units, the treasury the protocol fee, and the client gets the rest
// back, to the unit (the worker's own fees touch none of those accounts, and its right answer
// costs it no fee). The acknowledgement set the job's collateral aside from the provider's bond;
// the payment gives it back.
// The market's JSON-RPC (`market_quote`, `market_job`) is called over plain HTTP, as a dApp
// without polkadot.js would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, sendAndFinalize, sleep } from '../lib/node.mjs';
import {
  UNIT, BLOCK_MS, TREASURY, rpc as marketRpc, eventsOf, feePaid, eventLog, numberOf, expectedPositions,
  gpuProfile, expectedCollateral, reservedIn,
} from '../lib/market.mjs';
import { selfTest, seedMatrices, matmul, buildProver, verifyOutputOpening } from '../lib/commitment.mjs';

let node;
let log;

before(async () => {
  await cryptoWaitReady();
  // The port of the commitment scheme must reproduce the spec's known answers before it is
  // trusted to answer the chain.
  selfTest();
  node = await startDevNode('job');
  log = eventLog(node.api);
});

/** A JSON-RPC call to this test's node over HTTP. */
const rpc = (method, params) => marketRpc(node, method, params);

after(async () => {
  log?.stop();
  await node?.stop();
});

test('a spot-checked MatMulI8 job is posted, run, opened, verified and paid; every unit accounted for', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const provider = keyring.addFromUri('//Bob');
  const worker = keyring.addFromUri('//Bob//worker');
  const client = keyring.addFromUri('//Charlie');
  // The worker pays its own fees (acknowledge, receipt, respond) from this.
  await sendAndFinalize(api, api.tx.balances.transferKeepAlive(worker.address, 10n * UNIT), alice);

  // The provider: one RTX 4090 in Europe at 0.05 TSR per tera-operation.
  const price = 5n * UNIT / 100n;
  const { minBondPerGpu } = await api.query.stake.parameters();
  const profile = gpuProfile({ region: 'Europe' });
  await sendAndFinalize(api, api.tx.utility.batchAll([
    api.tx.providers.register(profile, price, 4, 'https://bob-gpu.example.org', worker.address),
    api.tx.stake.bond(minBondPerGpu.toBigInt()),
  ]), provider);

  // The job: 64 x 64 x 64 int8 is 2 x 64^3 = 524288 operations, under one tera-operation, so
  // 1 unit; small enough for the scripted worker to compute C in JS.
  const dims = { m: 64, n: 64, k: 64 };
  const seed = '0x' + '42'.repeat(32);
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const maxPrice = 6n * UNIT / 100n;
  const spec = {
    workload: { MatMulI8: dims },
    inputs: { Seed: seed },
    requirements: { minVramMib: 16384, minGpus: 1, minInt8Tops: 0, minFp16Tflops: 0, region: null, minReputation: 0, attestation: false },
    maxPricePerUnit: maxPrice,
    replicas: 1,
    verification: 'SpotCheck',
    deadline: head + 200,
  };
  const units = 1n;
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
  assert.equal(postedEvent.data.units.toBigInt(), units);
  assert.equal(postedEvent.data.escrow.toBigInt(), escrow);
  const [assigned] = eventsOf(api, posted.events, 'jobs', 'Assigned');
  assert.equal(assigned.data.provider.toString(), provider.address);
  assert.equal(assigned.data.worker.toString(), worker.address);
  const clientFees = feePaid(api, posted.events);
  const held = (await api.query.system.account(client.address)).data;
  // The escrow and the job's storage deposit (given back when the job closes).
  const jobDeposit = api.consts.jobs.jobDeposit.toBigInt();
  assert.equal(postedEvent.data.deposit.toBigInt(), jobDeposit);
  assert.equal(held.reserved.toBigInt() - clientBefore.reserved.toBigInt(), escrow + jobDeposit);

  // The worker's side: it finds the job assigned to its provider, acknowledges, computes C from
  // the seed, and reports the commitment to it (the tree over C's 64-element chunks).
  const mine = await api.query.jobs.providerJobs(provider.address, jobId);
  assert.equal(mine.unwrap().toNumber(), 0);
  const acked = await sendAndFinalize(api, api.tx.jobs.acknowledge(jobId, 0), worker);
  // The acknowledgement sets the collateral aside: max(MinCollateral, 50% x price x units).
  const collateral = reservedIn(api, acked.events, provider.address);
  assert.equal(collateral, expectedCollateral(api, price, units), 'stake.CollateralReserved');
  assert.equal((await api.query.stake.ledgers(provider.address)).unwrap().committed.toBigInt(), collateral, 'committed while the job runs');
  assert.equal((await api.query.jobs.jobs(jobId)).unwrap().replicas[0].collateral.toBigInt(), collateral, 'the replica records its collateral');
  const { a, bCols } = seedMatrices(seed, dims);
  const prover = buildProver(dims, matmul(dims, a, bCols));
  const receipt = {
    outputCommitment: prover.outputCommitment,
    outputUri: `https://bob-gpu.example.org/jobs/${jobId}/c`,
    usedUnits: units,
    enclaveSignature: null,
  };
  const submitted = await sendAndFinalize(api, api.tx.jobs.submitReceipt(jobId, 0, receipt), worker);
  const [receiptEvent] = eventsOf(api, submitted.events, 'jobs', 'ReceiptSubmitted');
  assert.ok(receiptEvent, 'jobs.ReceiptSubmitted');
  const receiptBlock = await numberOf(api, submitted.blockHash);
  const drawAt = receiptEvent.data.verdictAt.toNumber();
  const delay = api.consts.proofs.randomnessDelay.toNumber();
  assert.equal(drawAt, receiptBlock + delay + 1, 'a spot-check draws its samples RandomnessDelay + 1 blocks after the receipt');

  // The job over raw JSON-RPC while it is being checked.
  const pending = await rpc('market_job', [jobId]);
  assert.equal(pending.client, client.address);
  assert.equal(pending.state, 'Active');

  // The chain draws the samples; the worker opens every one of them in one response.
  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  const drawn = await log.waitFor(
    (e) => api.events.proofs.SamplesDrawn.is(e) && e.data.job.toNumber() === jobId && e.data.replica.toNumber() === 0,
    (drawAt - now + 10) * BLOCK_MS, 'proofs.SamplesDrawn');
  assert.equal(drawn.block, drawAt);
  assert.equal(drawn.event.data.audit.isTrue, false, 'the job\'s own spot-check, not an audit');
  const positions = drawn.event.data.positions.map(([i, j]) => [i.toNumber(), j.toNumber()]);
  const samples = api.consts.proofs.spotCheckSamples.toNumber();
  assert.equal(positions.length, samples);
  const respondBy = drawn.event.data.respondBy.toNumber();
  assert.equal(respondBy, drawAt + api.consts.proofs.responseWindow.toNumber());
  assert.deepEqual(positions, await expectedPositions(api, { at: drawAt, job: jobId, replica: 0, output: prover.outputCommitment, dims, count: samples }),
    'the positions are those docs/protocol.md derives from the hashes of the blocks after the receipt');

  const openings = positions.map((position, sample) => [sample, prover.open(position)]);
  for (const [sample, opening] of openings) {
    assert.ok(verifyOutputOpening(dims, prover.roots, positions[sample], opening), `opening ${sample} verifies locally`);
  }
  const response = await sendAndFinalize(api, api.tx.proofs.respond(jobId, 0, prover.roots, openings), worker);
  const [passed] = eventsOf(api, response.events, 'proofs', 'SpotCheckPassed');
  assert.ok(passed, `proofs.SpotCheckPassed in ${response.events.map(({ event }) => `${event.section}.${event.method}`)}`);
  assert.equal(passed.data.job.toNumber(), jobId);
  assert.equal(eventsOf(api, response.events, 'proofs', 'SpotCheckFailed').length, 0);
  const responseBlock = await numberOf(api, response.blockHash);
  assert.ok(responseBlock <= respondBy, 'answered within the response window');
  assert.equal(feePaid(api, response.events), 0n, 'a right answer is free');

  // The last right answer settles the job in its own block: paid, collateral released, closed.
  const closing = await log.waitFor((e) => api.events.jobs.Closed.is(e) && e.data.job.toNumber() === jobId,
    15 * BLOCK_MS, 'jobs.Closed');
  assert.equal(closing.block, responseBlock, 'paid in the block of the last answer, not after the window');
  const settled = log.at(responseBlock);
  assert.ok(settled.some((e) => api.events.jobs.Paid.is(e) && e.data.job.toNumber() === jobId), `jobs.Paid in block ${responseBlock}`);
  const released = settled.find((e) => api.events.stake.CollateralReleased.is(e) && e.data.who.toString() === provider.address);
  assert.equal(released?.data.amount.toBigInt(), collateral, 'stake.CollateralReleased: the whole collateral back');
  assert.ok(responseBlock - receiptBlock <= 5, `paid at block ${responseBlock}, within 5 blocks of the receipt (${receiptBlock})`);
  const closed = closing.event;
  assert.equal(closed.data.state.toString(), 'Completed');
  await sleep(100);

  const payment = price * units;
  const clientAfter = (await api.query.system.account(client.address)).data;
  const providerAfter = (await api.query.system.account(provider.address)).data;
  assert.equal(clientAfter.reserved.toBigInt(), clientBefore.reserved.toBigInt(), 'escrow released');
  assert.equal(clientBefore.free.toBigInt() - clientAfter.free.toBigInt(), payment + fee(payment) + clientFees);
  assert.equal(closed.data.refund.toBigInt(), escrow - payment - fee(payment));
  assert.equal(providerAfter.free.toBigInt() - providerBefore.free.toBigInt(), payment);
  assert.equal(providerAfter.reserved.toBigInt(), providerBefore.reserved.toBigInt(), 'the bond is untouched');
  const ledger = (await api.query.stake.ledgers(provider.address)).unwrap();
  assert.equal(ledger.bonded.toBigInt(), minBondPerGpu.toBigInt(), 'the whole bond is free again');
  assert.equal(ledger.committed.toBigInt(), 0n, 'no collateral left committed');
  const treasuryAfter = (await api.query.system.account(TREASURY)).data.free.toBigInt();
  assert.equal(treasuryAfter - treasuryBefore, fee(payment));

  const record = (await api.query.jobs.jobs(jobId)).unwrap();
  assert.equal(record.state.toString(), 'Completed');
  assert.equal(record.escrow.toBigInt(), 0n);
  const paid = record.replicas[0].state.asPaid;
  assert.equal(paid.payment.toBigInt(), payment);
  assert.equal(paid.fee.toBigInt(), fee(payment));
  assert.equal(record.replicas[0].receipt.unwrap().outputCommitment.toHex(), prover.outputCommitment);
  assert.ok((await api.query.jobs.providerJobs(provider.address, jobId)).isNone);
  assert.ok((await api.query.proofs.checks(jobId, 0)).isNone, 'the verifier forgot the check');
  assert.ok((await api.query.providers.banned(provider.address)).isNone, 'an honest provider is not banned');

  const done = await rpc('market_job', [jobId]);
  assert.equal(done.state, 'Completed');
});

// A cheating provider is caught by a spot-check, on the dev chain, from polkadot.js with metadata
// only: a provider (Dave) registers and bonds, a client (Eve) posts a 64 x 64 x 64 MatMulI8 job
// with seed inputs and `SpotCheck` verification, and the provider's worker (scripted here)
// reports a wrong C: it commits to it honestly (a consistent Merkle tree, so every path
// verifies) and opens the positions the chain draws, but the chain recomputes each sampled dot
// product from the seed and finds it differs (`proofs.SpotCheckFailed`, `WrongProduct`). In the
// same block the replica fails (`jobs.ReplicaFailed`, `Rejected`), the job's collateral goes back
// to the bond and the provider is slashed for fraud (its whole bond in the dev genesis: half to
// the client, the rest to the treasury, no watcher) and banned, and the client's escrow comes
// back in full. The faulty response pays its fee (a right one would be free). Everything is
// read back from chain state and checked to the unit, including that no balance was created or
// lost, and that the banned provider can no longer be matched or go online.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, sendAndFinalize, sleep } from '../lib/node.mjs';
import {
  UNIT, BLOCK_MS, TREASURY, PERBILL, rpc as marketRpc, eventsOf, feePaid, eventLog, numberOf, expectedPositions,
  gpuProfile, expectedCollateral, reservedIn,
} from '../lib/market.mjs';
import { selfTest, seedMatrices, matmul, buildProver, verifyOutputOpening } from '../lib/commitment.mjs';

let node;
let log;

before(async () => {
  await cryptoWaitReady();
  // The port of the commitment scheme must reproduce the spec's known answers first: otherwise
  // a failed spot-check below would prove nothing about the cheater.
  selfTest();
  node = await startDevNode('cheat');
  log = eventLog(node.api);
});

/** A JSON-RPC call to this test's node over HTTP. */
const rpc = (method, params) => marketRpc(node, method, params);

after(async () => {
  log?.stop();
  await node?.stop();
});

/** Free, reserved and their sum of an account. */
async function balanceOf(api, who) {
  const { data } = await api.query.system.account(who);
  const free = data.free.toBigInt();
  const reserved = data.reserved.toBigInt();
  return { free, reserved, total: free + reserved };
}

test('a provider that reports a wrong product is caught by a spot-check, slashed and banned; the client is refunded and compensated', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const provider = keyring.addFromUri('//Dave');
  const worker = keyring.addFromUri('//Dave//worker');
  const client = keyring.addFromUri('//Eve');
  await sendAndFinalize(api, api.tx.balances.transferKeepAlive(worker.address, 10n * UNIT), alice);

  // The provider: one RTX 4090 in Europe at 0.04 TSR per tera-operation, with the minimum bond.
  const price = 4n * UNIT / 100n;
  const params = await api.query.stake.parameters();
  const bond = params.minBondPerGpu.toBigInt();
  const profile = gpuProfile({ region: 'Europe' });
  await sendAndFinalize(api, api.tx.utility.batchAll([
    api.tx.providers.register(profile, price, 4, 'https://dave-gpu.example.org', worker.address),
    api.tx.stake.bond(bond),
  ]), provider);
  assert.equal((await api.query.stake.ledgers(provider.address)).unwrap().bonded.toBigInt(), bond);

  // What a fraud slash of this bond must move (pallets/stake/src/slashing.rs): `fraud_slash` of
  // bonded + unbonding (the job's collateral is released into the bond first), rounded down; the client's share rounded down; no watcher proved it, so
  // the watcher's share is not taken; the treasury gets the remainder.
  const slashed = bond * params.fraudSlash.toBigInt() / PERBILL;
  const toClient = slashed * params.clientShare.toBigInt() / PERBILL;
  const toTreasury = slashed - toClient;
  assert.ok(toClient > 0n && toTreasury > 0n, 'the dev genesis slashes for fraud and compensates the client');

  // The job: 64 x 64 x 64 int8 with seed inputs, spot-checked: 1 unit.
  const dims = { m: 64, n: 64, k: 64 };
  const seed = '0x' + '07'.repeat(32);
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
  const escrow = maxPrice * units + maxPrice * units * 2n / 100n; // budget + the 2% protocol fee
  const quote = await rpc('market_quote', [{ ...spec, maxPricePerUnit: maxPrice.toString() }]);
  assert.equal(BigInt(quote.escrow), escrow);
  assert.deepEqual(quote.providers.map((p) => p.provider), [provider.address], 'the provider is matchable before it cheats');

  const clientBefore = await balanceOf(api, client.address);
  const providerBefore = await balanceOf(api, provider.address);
  const workerBefore = await balanceOf(api, worker.address);
  const treasuryBefore = await balanceOf(api, TREASURY);
  const issuanceBefore = (await api.query.balances.totalIssuance()).toBigInt();
  const stakedBefore = (await api.query.stake.totalStaked()).toBigInt();
  const registrationDeposit = api.consts.providers.registrationDeposit.toBigInt();
  assert.equal(providerBefore.reserved, bond + registrationDeposit, 'the provider\'s holds are its bond and its registration deposit');
  assert.ok(treasuryBefore.free > 0n, 'the treasury exists from genesis');

  const posted = await sendAndFinalize(api, api.tx.jobs.post(spec), client);
  const [postedEvent] = eventsOf(api, posted.events, 'jobs', 'Posted');
  const jobId = postedEvent.data.job.toNumber();
  assert.equal(postedEvent.data.escrow.toBigInt(), escrow);
  const [assigned] = eventsOf(api, posted.events, 'jobs', 'Assigned');
  assert.equal(assigned.data.provider.toString(), provider.address);
  assert.equal(assigned.data.worker.toString(), worker.address);
  const clientFees = feePaid(api, posted.events);
  const jobDeposit = api.consts.jobs.jobDeposit.toBigInt();
  assert.equal(postedEvent.data.deposit.toBigInt(), jobDeposit);
  assert.equal((await balanceOf(api, client.address)).reserved - clientBefore.reserved, escrow + jobDeposit, 'escrow and the job deposit held');

  // The cheater. It computes C (it could as well skip the work) and reports C + 1 in every
  // element. Wrong in every element, not just somewhere: the chain samples random positions, and
  // a C wrong in a few places could pass 8 samples by luck; this way the first sample already
  // proves the fraud, and the test is deterministic. Its tree over the wrong C is consistent, so
  // the roots and every Merkle path check out and the product check is what catches it.
  let workerFees = 0n;
  const acked = await sendAndFinalize(api, api.tx.jobs.acknowledge(jobId, 0), worker);
  workerFees += feePaid(api, acked.events);
  const collateral = reservedIn(api, acked.events, provider.address);
  assert.equal(collateral, expectedCollateral(api, price, units), 'stake.CollateralReserved');
  const { a, bCols } = seedMatrices(seed, dims);
  const honest = buildProver(dims, matmul(dims, a, bCols));
  const wrongC = matmul(dims, a, bCols).map((x) => (x + 1) | 0);
  const cheat = buildProver(dims, wrongC);
  assert.notEqual(cheat.outputCommitment, honest.outputCommitment);
  const receipt = {
    outputCommitment: cheat.outputCommitment,
    outputUri: `https://dave-gpu.example.org/jobs/${jobId}/c`,
    usedUnits: units,
    enclaveSignature: null,
  };
  const submitted = await sendAndFinalize(api, api.tx.jobs.submitReceipt(jobId, 0, receipt), worker);
  workerFees += feePaid(api, submitted.events);
  const [receiptEvent] = eventsOf(api, submitted.events, 'jobs', 'ReceiptSubmitted');
  assert.ok(receiptEvent, 'jobs.ReceiptSubmitted');
  const drawAt = receiptEvent.data.verdictAt.toNumber();
  assert.equal(drawAt, (await numberOf(api, submitted.blockHash)) + api.consts.proofs.randomnessDelay.toNumber() + 1);

  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  const drawn = await log.waitFor(
    (e) => api.events.proofs.SamplesDrawn.is(e) && e.data.job.toNumber() === jobId && e.data.replica.toNumber() === 0,
    (drawAt - now + 10) * BLOCK_MS, 'proofs.SamplesDrawn');
  assert.equal(drawn.block, drawAt);
  assert.equal(drawn.event.data.audit.isTrue, false);
  const samples = api.consts.proofs.spotCheckSamples.toNumber();
  const positions = drawn.event.data.positions.map(([i, j]) => [i.toNumber(), j.toNumber()]);
  assert.equal(positions.length, samples);
  assert.deepEqual(positions, await expectedPositions(api, { at: drawAt, job: jobId, replica: 0, output: cheat.outputCommitment, dims, count: samples }));
  const respondBy = drawn.event.data.respondBy.toNumber();
  assert.equal(respondBy, drawAt + api.consts.proofs.responseWindow.toNumber());

  // It answers every sample with the openings of its wrong C. Each path is valid (checked here):
  // only the product is wrong.
  const openings = positions.map((position, sample) => [sample, cheat.open(position)]);
  for (const [sample, opening] of openings) {
    assert.ok(verifyOutputOpening(dims, cheat.roots, positions[sample], opening), `opening ${sample} is a valid path`);
  }
  const response = await sendAndFinalize(api, api.tx.proofs.respond(jobId, 0, cheat.roots, openings), worker);
  const responseFee = feePaid(api, response.events);
  assert.ok(responseFee > 0n, 'a faulty response pays its fee');
  workerFees += responseFee;
  const responseBlock = await numberOf(api, response.blockHash);
  assert.equal(eventsOf(api, response.events, 'proofs', 'SpotCheckPassed').length, 0);
  const [failed] = eventsOf(api, response.events, 'proofs', 'SpotCheckFailed');
  assert.ok(failed, `proofs.SpotCheckFailed in ${response.events.map(({ event }) => `${event.section}.${event.method}`)}`);
  assert.equal(failed.data.job.toNumber(), jobId);
  assert.equal(failed.data.replica.toNumber(), 0);
  const fault = failed.data.fault;
  assert.ok(fault.isOpening, `fault ${fault}`);
  assert.equal(fault.asOpening.sample.toNumber(), 0, 'the first opening already fails');
  assert.equal(fault.asOpening.error.toString(), 'WrongProduct');
  // The check is decided and the jobs pallet acts on the verdict at once: the check is gone.
  assert.ok((await api.query.proofs.checks(jobId, 0)).isNone, 'the verifier forgot the decided check');

  // The verdict: the replica fails, the provider is slashed and banned, the job closes Failed,
  // all in the block of the faulty response.
  const failure = await log.waitFor((e) => api.events.jobs.ReplicaFailed.is(e) && e.data.job.toNumber() === jobId,
    15 * BLOCK_MS, 'jobs.ReplicaFailed');
  assert.equal(failure.block, responseBlock, 'the verdict is acted on in the block of the response');
  assert.equal(failure.event.data.provider.toString(), provider.address);
  assert.equal(failure.event.data.reason.toString(), 'Rejected');
  const verdictEvents = log.at(failure.block);
  const released = verdictEvents.find((e) => api.events.stake.CollateralReleased.is(e) && e.data.who.toString() === provider.address);
  assert.equal(released?.data.amount.toBigInt(), collateral, 'the collateral is released before the fraud slash');
  const [slash] = verdictEvents.filter((e) => api.events.stake.Slashed.is(e));
  assert.ok(slash, `stake.Slashed in block ${failure.block}`);
  assert.equal(slash.data.who.toString(), provider.address);
  assert.equal(slash.data.reason.toString(), 'Fraud');
  assert.equal(slash.data.amount.toBigInt(), slashed);
  assert.equal(slash.data.client.unwrap().toString(), client.address);
  assert.equal(slash.data.toClient.toBigInt(), toClient);
  assert.ok(slash.data.watcher.isNone);
  assert.equal(slash.data.toWatcher.toBigInt(), 0n);
  assert.equal(slash.data.toTreasury.toBigInt(), toTreasury);
  const [banned] = verdictEvents.filter((e) => api.events.providers.Banned.is(e));
  assert.ok(banned, `providers.Banned in block ${failure.block}`);
  assert.equal(banned.data.provider.toString(), provider.address);
  const [closed] = verdictEvents.filter((e) => api.events.jobs.Closed.is(e) && e.data.job.toNumber() === jobId);
  assert.ok(closed, `jobs.Closed in block ${failure.block}`);
  assert.equal(closed.data.state.toString(), 'Failed');
  assert.equal(closed.data.refund.toBigInt(), escrow, 'the whole escrow is refunded');
  assert.equal(verdictEvents.filter((e) => api.events.jobs.Paid.is(e)).length, 0, 'nothing is paid');
  await sleep(100);

  // Read back from chain state.
  // The stake: the whole bond is gone, and the ledger with it.
  assert.ok((await api.query.stake.ledgers(provider.address)).isNone, 'the provider\'s ledger is gone');
  assert.equal(stakedBefore - (await api.query.stake.totalStaked()).toBigInt(), slashed);
  // Only the registration deposit is left on hold: the record stays (banned) until it deregisters.
  const holdsLeft = await api.query.balances.holds(provider.address);
  assert.equal(holdsLeft.length, 1, 'no hold left on the provider but its registration deposit');
  assert.ok(holdsLeft[0].id.isProviders, `hold reason ${holdsLeft[0].id}`);
  assert.equal(holdsLeft[0].amount.toBigInt(), registrationDeposit);
  // The ban: since the verdict's block, for good; the provider is offline and out of the index.
  const bannedAt = await api.query.providers.banned(provider.address);
  assert.ok(bannedAt.isSome, 'providers.banned(provider) is set');
  assert.equal(bannedAt.unwrap().toNumber(), failure.block);
  const info = (await api.query.providers.providers(provider.address)).unwrap();
  assert.equal(info.status.toString(), 'Offline');
  assert.equal(info.indexed.isTrue, false, 'out of the price index');
  assert.equal(info.activeJobs.toNumber(), 0, 'its job slot was freed');
  // The job.
  const record = (await api.query.jobs.jobs(jobId)).unwrap();
  assert.equal(record.state.toString(), 'Failed');
  assert.equal(record.escrow.toBigInt(), 0n);
  assert.ok(record.replicas[0].state.isFailed, `replica state ${record.replicas[0].state}`);
  assert.equal(record.replicas[0].receipt.unwrap().outputCommitment.toHex(), cheat.outputCommitment);
  assert.ok((await api.query.jobs.providerJobs(provider.address, jobId)).isNone);
  assert.ok((await api.query.proofs.checks(jobId, 0)).isNone, 'the verifier forgot the check');
  assert.equal((await rpc('market_job', [jobId])).state, 'Failed');

  // The balances, to the unit.
  const clientAfter = await balanceOf(api, client.address);
  const providerAfter = await balanceOf(api, provider.address);
  const workerAfter = await balanceOf(api, worker.address);
  const treasuryAfter = await balanceOf(api, TREASURY);
  assert.equal(clientAfter.reserved, clientBefore.reserved, 'the escrow hold is released');
  assert.equal(clientAfter.free - clientBefore.free, toClient - clientFees, 'client: + its share of the slash - its fee');
  assert.equal(providerAfter.free, providerBefore.free, 'the provider paid nothing and was paid nothing');
  assert.equal(providerBefore.reserved - providerAfter.reserved, slashed, 'the provider lost its bond');
  assert.equal(treasuryAfter.total - treasuryBefore.total, toTreasury, 'the treasury got the rest of the slash');
  assert.equal(workerBefore.total - workerAfter.total, workerFees, 'the worker paid its fees and nothing else');
  // Nothing is created or lost: what the client, the provider and the treasury gained and lost
  // together is the client's fee, and with the worker every fee; fees are burnt.
  const delta = (b, a) => a.total - b.total;
  assert.equal(delta(clientBefore, clientAfter) + delta(providerBefore, providerAfter) + delta(treasuryBefore, treasuryAfter), -clientFees);
  assert.equal(delta(clientBefore, clientAfter) + delta(providerBefore, providerAfter) + delta(treasuryBefore, treasuryAfter)
    + delta(workerBefore, workerAfter), -(clientFees + workerFees));
  assert.equal((await api.query.balances.totalIssuance()).toBigInt() - issuanceBefore, -(clientFees + workerFees), 'issuance falls by the burnt fees only');

  // The banned provider cannot be matched again: a quote for a job it fits finds nobody, and it
  // cannot go back online.
  const after = await rpc('market_quote', [{ ...spec, deadline: (await api.rpc.chain.getHeader()).number.toNumber() + 200, maxPricePerUnit: maxPrice.toString() }]);
  assert.deepEqual(after.providers, [], 'no provider for the job any more');
  assert.equal(BigInt(after.total), 0n);
  await assert.rejects(sendAndFinalize(api, api.tx.providers.goOnline(), provider), /providers\.Banned/);
  assert.ok((await api.query.providers.banned(provider.address)).isSome);
});

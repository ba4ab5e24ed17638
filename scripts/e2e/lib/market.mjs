// What the market's end-to-end tests share: the market's JSON-RPC over plain HTTP, events of
// a submitted transaction, a log of every block's events, where the chain draws its
// spot-check samples, the fees each call of a block paid, a job's collateral, and heartbeats
// that keep scripted providers alive.

import assert from 'node:assert/strict';
import { u8aConcat, stringToU8a } from '@polkadot/util';
import { encodeAddress } from '@polkadot/util-crypto';
import { withTimeout, sendAndFinalize } from './node.mjs';
import { sampleSeed, samplePositions, drawRandomness } from './commitment.mjs';

export const UNIT = 10n ** 12n;
export const BLOCK_MS = 6_000;
export const PERBILL = 1_000_000_000n;

/**
 * The kinds of work a provider declares in its profile (`capabilities`): the tests' providers
 * run MatMulI8 jobs only, as tessera-worker does.
 */
export const MATMUL_ONLY = { matmulI8: true, opaque: false, enclave: false };

/** The tests' provider host: one RTX 4090, 64 GiB of RAM, MatMulI8 only; `overrides` on top. */
export function gpuProfile(overrides = {}) {
  return {
    gpu: { model: 'NVIDIA GeForce RTX 4090', vramMib: 24576, count: 1, fp16Tflops: 165, int8Tops: 660 },
    cpuCores: 16,
    ramMib: 65536,
    diskGib: 2000,
    bandwidthMbps: 1000,
    region: 'Europe',
    capabilities: MATMUL_ONLY,
    ...overrides,
  };
}
// The treasury: the account of PalletId `tsr/trsy` ("modl" + id, zero-padded to 32 bytes).
export const TREASURY = encodeAddress(u8aConcat(stringToU8a('modl'), stringToU8a('tsr/trsy'), new Uint8Array(20)));

/** A JSON-RPC call over HTTP (the node serves HTTP and WebSocket on the same port). */
export async function rpc(node, method, params) {
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

export function eventsOf(api, events, section, method) {
  return events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);
}

export function feePaid(api, events) {
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  assert.ok(paid, 'TransactionFeePaid event');
  return paid.event.data.actualFee.toBigInt();
}

/**
 * Every event of every block from now on, block by block (no block skipped even if two are
 * imported between notifications), so that a waiter started late still sees an event that
 * came earlier. `waitFor(predicate, ms, what)` resolves with { block, event }; `at(block)`
 * lists the events of a block already seen, `all()` every event seen with its block.
 */
export function eventLog(api) {
  const seen = [];
  let waiters = [];
  let last = null;
  let chain = Promise.resolve();
  let stopped = false;
  const check = () => {
    waiters = waiters.filter((w) => {
      const hit = seen.find(({ event }) => w.predicate(event));
      if (hit) w.resolve(hit);
      return !hit;
    });
  };
  const unsub = api.rpc.chain.subscribeNewHeads((header) => {
    const head = header.number.toNumber();
    chain = chain.then(async () => {
      if (stopped) return;
      const from = last === null ? head : last + 1;
      for (let block = from; block <= head; block++) {
        const hash = await api.rpc.chain.getBlockHash(block);
        const records = await api.query.system.events.at(hash);
        for (const { event } of records) seen.push({ block, event });
        last = block;
      }
      check();
    }).catch((error) => { console.error('event log:', error); });
  });
  return {
    waitFor(predicate, ms, what) {
      return withTimeout(new Promise((resolve) => { waiters.push({ predicate, resolve }); check(); }), ms, `waiting for ${what}`);
    },
    at(block) { return seen.filter((e) => e.block === block).map(({ event }) => event); },
    /** Every event seen so far: [{ block, event }]. */
    all() { return [...seen]; },
    stop() { stopped = true; unsub.then((u) => u()); },
  };
}

export async function numberOf(api, hash) {
  return (await api.rpc.chain.getHeader(hash)).number.toNumber();
}

/**
 * The positions the chain must draw for a receipt whose draw is at block `at`: the randomness
 * of the `delay` block hashes before `at` (sampling::randomness), then docs/protocol.md.
 */
export async function expectedPositions(api, { at, job, replica, output, dims, count }) {
  const delay = api.consts.proofs.randomnessDelay.toNumber();
  const hashes = [];
  for (let b = at - delay; b < at; b++) hashes.push((await api.rpc.chain.getBlockHash(b)).toHex());
  return samplePositions(sampleSeed(drawRandomness(hashes), job, replica, output), dims, count);
}

/**
 * The collateral the chain sets aside when a worker acknowledges a replica at `price` per unit
 * for `units` (pallet_jobs::matching::collateral): max(MinCollateral, CollateralRatio x price x
 * units), the ratio rounded down.
 */
export function expectedCollateral(api, price, units) {
  const ratio = api.consts.jobs.collateralRatio.toBigInt();
  const min = api.consts.jobs.minCollateral.toBigInt();
  const share = price * BigInt(units) * ratio / PERBILL;
  return share > min ? share : min;
}

/** The `stake.CollateralReserved` amount for `who` in `events` ([{ event }]), or null. */
export function reservedIn(api, events, who) {
  const hit = events.find(({ event }) => api.events.stake.CollateralReserved.is(event) && event.data.who.toString() === who);
  return hit ? hit.event.data.amount.toBigInt() : null;
}

/**
 * Each extrinsic of block `number` that calls `section.method`, with who signed it, the fee it
 * paid (its `transactionPayment.TransactionFeePaid`, null if none) and whether it succeeded:
 * [{ index, signer, fee, ok }].
 */
export async function callsIn(api, number, section, method) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const [signed, records] = await Promise.all([api.rpc.chain.getBlock(hash), api.query.system.events.at(hash)]);
  const of = (index) => records.filter(({ phase }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === index).map(({ event }) => event);
  const out = [];
  signed.block.extrinsics.forEach((extrinsic, index) => {
    if (extrinsic.method.section !== section || extrinsic.method.method !== method) return;
    const events = of(index);
    const paid = events.find((e) => api.events.transactionPayment.TransactionFeePaid.is(e));
    out.push({
      index,
      signer: extrinsic.signer.toString(),
      fee: paid ? paid.data.actualFee.toBigInt() : null,
      ok: events.some((e) => api.events.system.ExtrinsicSuccess.is(e)),
    });
  });
  return out;
}

/**
 * Keeps scripted providers online: each of `workers` (keyring pairs of worker keys) sends a
 * heartbeat at once and then every `providers.heartbeatInterval` blocks (free, for a bonded
 * provider), so that none is slashed for missed heartbeats during a long test. `send(signer,
 * tx)` sends another transaction of one of these keys in turn with its heartbeats (two
 * transactions of one key sent at once could take the same nonce), resolving as
 * sendAndFinalize does. `stop()` ends it.
 */
export function heartbeats(api, workers) {
  const interval = api.consts.providers.heartbeatInterval.toNumber();
  const queues = new Map();
  const lastSent = new Map();
  let stopped = false;
  const send = (signer, tx) => {
    const turn = (queues.get(signer.address) ?? Promise.resolve()).catch(() => {}).then(() => sendAndFinalize(api, tx, signer));
    queues.set(signer.address, turn);
    return turn;
  };
  // Per worker: the block that included its last heartbeat, or 'pending' while one is on its
  // way (the next is due `interval` blocks after the inclusion, never earlier).
  const beat = (head) => {
    for (const worker of workers) {
      const last = lastSent.get(worker.address);
      if (last === 'pending' || (last !== undefined && head < last + interval)) continue;
      lastSent.set(worker.address, 'pending');
      send(worker, api.tx.providers.heartbeat())
        .then(async ({ blockHash }) => lastSent.set(worker.address, await numberOf(api, blockHash)))
        .catch((error) => {
          lastSent.set(worker.address, head);
          if (!stopped) console.error(`heartbeat of ${worker.address}:`, error.message);
        });
    }
  };
  const unsub = api.rpc.chain.subscribeNewHeads((header) => { if (!stopped) beat(header.number.toNumber()); });
  return {
    send,
    async stop() {
      stopped = true;
      (await unsub)();
      await Promise.allSettled([...queues.values()]);
    },
  };
}

// What the market's end-to-end tests share: the market's JSON-RPC over plain HTTP, events of
// a submitted transaction, a log of every block's events, and where the chain draws its
// spot-check samples.

import assert from 'node:assert/strict';
import { u8aConcat, stringToU8a } from '@polkadot/util';
import { encodeAddress } from '@polkadot/util-crypto';
import { withTimeout } from './node.mjs';
import { sampleSeed, samplePositions, drawRandomness } from './commitment.mjs';

export const UNIT = 10n ** 12n;
export const BLOCK_MS = 6_000;
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
 * lists the events of a block already seen.
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

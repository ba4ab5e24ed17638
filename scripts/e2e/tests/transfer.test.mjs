// Smoke test of the chain foundation: a balance transfer from polkadot.js, finalized by GRANDPA,
// with both balances and the fee checked to the last unit. Uses only the chain's metadata: no
// custom type definitions.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { findUnknownExtensions } from '@polkadot/types/extrinsic/signedExtensions';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, sendAndFinalize } from '../lib/node.mjs';

const UNIT = 10n ** 12n;
let node;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode('transfer');
});

after(async () => {
  await node?.stop();
});

test('chain properties: TSR with 12 decimals, metadata v15+', async () => {
  const { api } = node;
  const props = await api.rpc.system.properties();
  assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'TSR');
  assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
  const versions = await api.call.metadata.metadataVersions();
  assert.ok(versions.some((v) => v.toNumber() >= 15), `metadata versions ${versions}`);
  assert.equal(api.runtimeVersion.specName.toString(), 'tessera');
  // Every transaction extension the chain declares is one polkadot.js (and so Apps) encodes
  // without user-supplied types.
  const extensions = api.registry.signedExtensions;
  assert.ok(extensions.includes('ChargeTransactionPayment'), `extensions ${extensions}`);
  assert.deepEqual(findUnknownExtensions(extensions), []);
});

test('a transfer is finalized and moves exactly amount + fee', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  // A fresh account, so its balance before is exactly zero.
  const dest = keyring.addFromUri(`//Tessera//transfer//${Date.now()}`);
  const amount = 123n * UNIT;

  const before = await api.query.system.account(alice.address);
  const destBefore = await api.query.system.account(dest.address);
  assert.equal(destBefore.data.free.toBigInt(), 0n);

  const tx = api.tx.balances.transferKeepAlive(dest.address, amount);
  const { blockHash, events } = await sendAndFinalize(api, tx, alice);

  // The finalized head has reached the block of the transfer.
  const finalized = await api.rpc.chain.getFinalizedHead();
  const finalizedNumber = (await api.rpc.chain.getHeader(finalized)).number.toNumber();
  const blockNumber = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  assert.ok(finalizedNumber >= blockNumber);

  const feeEvent = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  assert.ok(feeEvent, 'TransactionFeePaid event');
  const [who, actualFee, tip] = feeEvent.event.data;
  assert.equal(who.toString(), alice.address);
  assert.equal(tip.toBigInt(), 0n);
  const fee = actualFee.toBigInt();
  assert.ok(fee > 0n, 'a transfer pays a fee');

  const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
  assert.ok(transfer, 'Transfer event');
  assert.equal(transfer.event.data.amount.toBigInt(), amount);

  // Balances as of the finalized block that holds the transfer.
  const at = await api.at(blockHash);
  const after = await at.query.system.account(alice.address);
  const destAfter = await at.query.system.account(dest.address);
  assert.equal(destAfter.data.free.toBigInt(), amount);
  assert.equal(before.data.free.toBigInt() - after.data.free.toBigInt(), amount + fee);
  assert.equal(after.nonce.toNumber(), before.nonce.toNumber() + 1);

  // The fee matches what the chain quotes for the same call.
  const info = await api.call.transactionPaymentApi.queryInfo(tx.toU8a(), tx.encodedLength);
  assert.equal(info.partialFee.toBigInt(), fee);
});

// Posts one MatMulI8 job to a running dev chain (./scripts/dev.sh) from polkadot.js, as a
// client would from Apps, and follows it until it is paid:
//   cd scripts/e2e && node post-job.mjs [ws://127.0.0.1:9944] [SIZE]
// The client is //Charlie; the job is SIZE x SIZE x SIZE (default 1024) with seed inputs,
// spot-checked, at most 0.02 TSR per unit, due within 200 blocks. It prints each event of the
// job as it happens and exits 0 once the job completed, 1 if it failed or expired.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const size = Number(process.argv[3] ?? 1024);
const UNIT = 10n ** 12n;

await cryptoWaitReady();
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const client = new Keyring({ type: 'sr25519' }).addFromUri('//Charlie');
const head = (await api.rpc.chain.getHeader()).number.toNumber();
const spec = {
  workload: { MatMulI8: { m: size, n: size, k: size } },
  inputs: { Seed: '0x' + '2a'.repeat(32) },
  requirements: { minVramMib: 0, minGpus: 1, minInt8Tops: 0, minFp16Tflops: 0, region: null, minReputation: 0, attestation: false },
  maxPricePerUnit: 2n * UNIT / 100n,
  replicas: 1,
  verification: 'SpotCheck',
  deadline: head + 200,
};

let job = null;
const done = new Promise((resolve) => {
  api.query.system.events((records) => {
    for (const { event } of records) {
      if (job === null || event.data.job?.toNumber?.() !== job) continue;
      if (!['jobs', 'proofs'].includes(event.section)) continue;
      console.log(`${event.section}.${event.method} ${JSON.stringify(event.data.toHuman())}`);
      if (api.events.jobs.Closed.is(event)) resolve(event.data.state.toString());
    }
  });
});
await new Promise((resolve, reject) => {
  api.tx.jobs.post(spec).signAndSend(client, ({ status, events, dispatchError }) => {
    if (dispatchError) reject(new Error(`jobs.post failed: ${dispatchError.toString()}`));
    if (status.isInBlock) {
      const posted = events.find(({ event }) => api.events.jobs.Posted.is(event));
      job = posted.event.data.job.toNumber();
      console.log(`posted job ${job}: ${size}x${size}x${size}, ${posted.event.data.units} units`);
      resolve();
    }
  }).catch(reject);
});
const state = await done;
console.log(`job ${job}: ${state}`);
await api.disconnect();
process.exit(state === 'Completed' ? 0 : 1);

// Starts a tessera-node for a test and connects @polkadot/api to it.
//
// The node runs `--dev --tmp` on ports the OS hands out, so tests never collide with a dev chain
// a person has running on 9944. Its log goes to logs/<name>.log for post-mortems. A test that
// stops a node and starts it again on the same chain passes `basePath` (a directory it owns, in
// place of `--tmp`) and the `rpcPort` and `p2pPort` the first run returned, so the chain, its
// state and the ws URL stay the same; the second run's log follows the first in the same file.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, createWriteStream } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';

const here = dirname(fileURLToPath(import.meta.url));
const logsDir = join(here, '..', 'logs');

/** Path of the built node: $TESSERA_NODE, else the release binary in the shared target dir. */
export function nodeBinary() {
  if (process.env.TESSERA_NODE) return process.env.TESSERA_NODE;
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'tessera', 'target');
  return join(target, 'release', 'tessera-node');
}

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Names of the logs this process has opened: the first open truncates, a later one appends. */
const openedLogs = new Set();

/**
 * A write stream on logs/<name>.log: truncated the first time this process opens `name`, appended
 * to after that (so a restarted process's log follows the first run's).
 */
export function logStream(name) {
  mkdirSync(logsDir, { recursive: true });
  const flags = openedLogs.has(name) ? 'a' : 'w';
  openedLogs.add(name);
  return createWriteStream(join(logsDir, `${name}.log`), { flags });
}

/**
 * Starts `tessera-node --dev --tmp` and returns { api, rpcUrl, rpcPort, p2pPort, basePath, stop }.
 * Rejects if the node exits or its RPC does not answer within `timeoutMs`.
 *
 * Options: `basePath` runs on that directory (`--base-path`) instead of a throw-away one, so the
 * chain survives a stop; `rpcPort` and `p2pPort` pin the ports instead of taking free ones
 * (`basePath` is null when the node ran on `--tmp`).
 */
export async function startDevNode(name, { timeoutMs = 60_000, basePath = null, rpcPort = null, p2pPort = null } = {}) {
  mkdirSync(logsDir, { recursive: true });
  rpcPort ??= await freePort();
  p2pPort ??= await freePort();
  const promPort = await freePort();
  const args = [
    '--dev',
    ...(basePath ? ['--base-path', basePath] : ['--tmp']),
    '--rpc-port', String(rpcPort),
    '--port', String(p2pPort),
    '--prometheus-port', String(promPort),
    '--no-telemetry',
  ];
  const log = logStream(name);
  const child = spawn(nodeBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);

  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited ??= { code, signal };
      resolve(exited);
    });
    // A binary that cannot start emits 'error' and no 'exit'.
    child.on('error', (error) => {
      exited ??= { error: error.code === 'ENOENT' ? `${nodeBinary()} does not exist` : error.message };
      if (child.pid === undefined) resolve(exited);
    });
  });

  const rpcUrl = `ws://127.0.0.1:${rpcPort}`;
  const deadline = Date.now() + timeoutMs;
  let api = null;
  while (!api) {
    if (exited) throw new Error(`tessera-node exited early (${JSON.stringify(exited)}); see logs/${name}.log`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tessera-node RPC did not answer on ${rpcUrl} within ${timeoutMs} ms`);
    }
    try {
      const provider = new WsProvider(rpcUrl, false);
      await provider.connect();
      api = await withTimeout(ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true }), 10_000);
    } catch {
      await sleep(500);
    }
  }

  async function stop() {
    await api.disconnect().catch(() => {});
    if (!exited) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    }
    log.end();
  }
  return { api, rpcUrl, rpcPort, p2pPort, basePath, stop };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function withTimeout(promise, ms, what = 'operation') {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms); }),
  ]);
}

/**
 * Signs and sends `tx`, resolves once the block that includes it is finalized, with
 * { blockHash, events } (the events of this extrinsic). Rejects on a dispatch error.
 */
export function sendAndFinalize(api, tx, signer, timeoutMs = 90_000) {
  return withTimeout(new Promise((resolve, reject) => {
    let unsub = () => {};
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        unsub();
        let msg = dispatchError.toString();
        if (dispatchError.isModule) {
          const d = api.registry.findMetaError(dispatchError.asModule);
          msg = `${d.section}.${d.name}`;
        }
        reject(new Error(`dispatch failed: ${msg}`));
      } else if (status.isFinalized) {
        unsub();
        resolve({ blockHash: status.asFinalized, events });
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        unsub();
        reject(new Error(`transaction ${status.type}`));
      }
    }).then((u) => { unsub = u; }, reject);
  }), timeoutMs, 'finalization');
}

// Runs the provider's worker, `tessera-worker` (node/worker), for the end-to-end tests: its
// one-shot subcommands (`register`, `bond`) to completion, and its long-running `run` as a
// process the test can query over HTTP (`/health`, `/metrics`, outputs), stop gracefully or
// kill outright, and start again on the same local store.
//
// Each process's stdout and stderr go to logs/<name>.log; a worker started again under the same
// name appends to it, so the log of a restarted worker follows the first run's.

import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { logStream, sleep } from './node.mjs';
import { UNIT } from './market.mjs';

/** Path of the built worker: $TESSERA_WORKER, else the release binary in the shared target dir. */
export function workerBinary() {
  if (process.env.TESSERA_WORKER) return process.env.TESSERA_WORKER;
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'tessera', 'target');
  return join(target, 'release', 'tessera-worker');
}

const notBuilt = (error) => (error.code === 'ENOENT'
  ? new Error(`${workerBinary()} does not exist: build it (cargo build --release -p tessera-worker) or set TESSERA_WORKER`)
  : error);

/**
 * Runs `tessera-worker <args>` to completion. Resolves { code, signal, output, stdout, stderr }
 * (`output` both streams as they came); rejects if it cannot start or runs past `timeoutMs`
 * (then it is killed).
 */
export function runWorkerCli(name, args, { timeoutMs = 120_000 } = {}) {
  const log = logStream(name);
  log.write(`$ tessera-worker ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(workerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { output += chunk; stdout += chunk; log.write(chunk); });
    child.stderr.on('data', (chunk) => { output += chunk; stderr += chunk; log.write(chunk); });
    let timedOut = false;
    let failed = null;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    // A process that cannot start emits 'error', then 'close'.
    child.on('error', (error) => { failed = notBuilt(error); });
    // 'close', not 'exit': every byte of both pipes has been read by then.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      log.write(`[exit code ${code}${signal ? `, signal ${signal}` : ''}]\n`);
      log.end();
      if (failed) {
        reject(failed);
      } else if (timedOut) {
        reject(new Error(`tessera-worker ${args[0]} did not finish within ${timeoutMs} ms; output:\n${output}`));
      } else {
        resolve({ code, signal, output, stdout, stderr });
      }
    });
  });
}

/**
 * Parses Prometheus' text exposition format into [{ name, labels, value }] (comments, HELP and
 * TYPE lines skipped; label values unescaped; NaN and +/-Inf understood).
 */
export function parseMetrics(text) {
  const samples = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) continue;
    const name = nameMatch[0];
    let at = name.length;
    const labels = {};
    if (line[at] === '{') {
      at++;
      for (;;) {
        while (line[at] === ' ' || line[at] === ',') at++;
        if (line[at] === '}') { at++; break; }
        const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(at));
        if (!key) throw new Error(`metrics: cannot parse labels of: ${line}`);
        at += key[0].length;
        while (line[at] === ' ') at++;
        if (line[at] !== '=' || line[at + 1] !== '"') throw new Error(`metrics: cannot parse labels of: ${line}`);
        at += 2;
        let value = '';
        while (at < line.length && line[at] !== '"') {
          if (line[at] === '\\') {
            const next = line[at + 1];
            value += next === 'n' ? '\n' : next;
            at += 2;
          } else {
            value += line[at++];
          }
        }
        if (line[at] !== '"') throw new Error(`metrics: unterminated label value in: ${line}`);
        at++;
        labels[key[0]] = value;
      }
    }
    const [valueText] = line.slice(at).trim().split(/\s+/);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    samples.push({ name, labels, value });
  }
  return samples;
}

/** The value of the first sample named `name` whose labels include `labels`, or null. */
export function findMetric(samples, name, labels = {}) {
  const hit = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === String(v)));
  return hit ? hit.value : null;
}

/**
 * Starts `tessera-worker run --node <nodeUrl> --key <key> --base-path <basePath> --listen
 * 127.0.0.1:<port> ...extraArgs` and resolves once `GET /health` answers 200 (rejects if it does
 * not within `timeoutMs`, or as soon as the process exits). Returns
 * { url, port, pid, health(), metrics(), metric(name, labels), stop(), kill(), exited, exitStatus() }:
 * `stop()` sends SIGTERM and waits for the exit (SIGKILL after 15 s), `kill()` sends SIGKILL and
 * waits; both resolve { code, signal, forced } (`forced`: it had to be SIGKILLed). `exited`
 * resolves { code, signal } when the process ends, whatever the cause; `exitStatus()` is that,
 * or null while it runs.
 */
export async function startWorker(name, { nodeUrl, key, basePath, port, extraArgs = [], timeoutMs = 60_000 }) {
  const args = ['run', '--node', nodeUrl, '--key', key, '--base-path', basePath, '--listen', `127.0.0.1:${port}`, ...extraArgs];
  const log = logStream(name);
  log.write(`$ tessera-worker ${args.join(' ')}\n`);
  const child = spawn(workerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  let status = null;
  let spawnError = null;
  const exited = new Promise((resolve) => {
    child.on('error', (error) => {
      spawnError = notBuilt(error);
      // A process that never started emits no 'exit' (only 'close').
      if (child.pid === undefined && !status) {
        status = { code: null, signal: null, error: spawnError };
        resolve(status);
      }
    });
    child.on('exit', (code, signal) => {
      if (status) return;
      status = { code, signal };
      resolve(status);
    });
  });
  // Closed once both pipes are drained, so nothing is written to the log after its end.
  child.on('close', (code, signal) => {
    log.write(`[exit code ${code}${signal ? `, signal ${signal}` : ''}]\n`);
    log.end();
  });

  const url = `http://127.0.0.1:${port}`;

  async function get(path, timeout = 5_000) {
    const res = await fetch(url + path, { signal: AbortSignal.timeout(timeout) });
    return res;
  }

  async function health() {
    const res = await get('/health');
    if (res.status !== 200) throw new Error(`GET /health answered ${res.status}: ${await res.text()}`);
    return res.json();
  }

  async function metrics() {
    const res = await get('/metrics');
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
    return res.text();
  }

  async function metric(metricName, labels = {}) {
    return findMetric(parseMetrics(await metrics()), metricName, labels);
  }

  async function waitExit(ms) {
    let timer;
    const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve(null), ms); });
    const result = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    return result;
  }

  async function stop() {
    if (status) return { ...status, forced: false };
    child.kill('SIGTERM');
    const done = await waitExit(15_000);
    if (done) return { ...done, forced: false };
    child.kill('SIGKILL');
    return { ...(await exited), forced: true };
  }

  async function kill() {
    if (status) return { ...status, forced: false };
    child.kill('SIGKILL');
    return { ...(await exited), forced: true };
  }

  // Up once /health answers 200.
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    if (status) {
      throw spawnError ?? new Error(`tessera-worker exited before answering /health (${JSON.stringify(status)}); see logs/${name}.log`);
    }
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`tessera-worker's /health on ${url} did not answer 200 within ${timeoutMs} ms (last: ${lastError}); see logs/${name}.log`);
    }
    try {
      const res = await get('/health', 2_000);
      if (res.status === 200) {
        await res.body?.cancel();
        break;
      }
      lastError = `status ${res.status}`;
      await res.body?.cancel();
    } catch (error) {
      lastError = error.message;
    }
    await sleep(250);
  }

  return {
    url,
    port,
    pid: child.pid,
    health,
    metrics,
    metric,
    /** GET `path` (e.g. `/jobs/1/0/output`) on the worker's HTTP server: the fetch Response. */
    get,
    stop,
    kill,
    exited,
    exitStatus: () => status,
  };
}

/**
 * A provider run by the real worker: `tessera-worker register` and `bond` for `//<name>` (one
 * RTX 4090 in Europe at `price` TSR per unit, the chain's minimum bond), then `run` with the
 * worker key `//<name>//worker` (which must hold funds for its fees) on a fresh store under
 * `basePath`. Logs go to logs/<logName>-register.log, -bond.log and <logName>.log. Resolves the
 * running worker (see `startWorker`).
 */
export async function startProvider(node, name, { logName, price, workerAddress, basePath, freePort }) {
  const port = await freePort();
  const registered = await runWorkerCli(`${logName}-register`, [
    'register', '--node', node.rpcUrl, '--provider-key', `//${name}`, '--worker', workerAddress,
    '--endpoint', `http://127.0.0.1:${port}`, '--price', price, '--max-jobs', '2', '--region', 'Europe',
    '--gpu-model', 'NVIDIA GeForce RTX 4090', '--vram-mib', '24576', '--gpus', '1', '--int8-tops', '660',
    '--fp16-tflops', '165', '--cpu-cores', '16', '--ram-mib', '65536', '--disk-gib', '2000', '--bandwidth-mbps', '1000',
  ], { timeoutMs: 120_000 });
  if (registered.code !== 0) throw new Error(`register ${name}:\n${registered.output}`);
  const minBond = (await node.api.query.stake.parameters()).minBondPerGpu.toBigInt();
  const whole = ((minBond > 0n ? minBond : 1000n * UNIT) / UNIT).toString();
  const bonded = await runWorkerCli(`${logName}-bond`, ['bond', '--node', node.rpcUrl, '--provider-key', `//${name}`, '--amount', whole]);
  if (bonded.code !== 0) throw new Error(`bond ${name}:\n${bonded.output}`);
  return startWorker(logName, { nodeUrl: node.rpcUrl, key: `//${name}//worker`, basePath, port, extraArgs: ['--threads', '1'] });
}

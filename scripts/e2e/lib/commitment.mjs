// The Merkle commitment scheme over int8 matrices (docs/protocol.md, "Commitments over
// matrices"), ported from `primitives/commitment` for the end-to-end tests' scripted workers.
// Seed inputs only: A and B are derived from the job's seed, so openings carry no rows or
// columns (`row: null, column: null`) and `roots.inputs` is null.
//
// Layouts: A row-major (m x k), B column-major (column j is bCols[j*k .. (j+1)*k]), C row-major
// (m x n) in wrapping int32. C is cut into chunks of 64 elements that never cross a row; the
// tree over them is padded with zero hashes up to a power of two.
//
// `selfTest()` checks the port against the known-answer vectors of docs/protocol.md; the tests
// call it first, so that a drift between this file and the chain fails loudly, not as a
// mysterious `SpotCheckFailed`.

import { blake2AsU8a } from '@polkadot/util-crypto';
import { stringToU8a, u8aConcat, u8aToHex, hexToU8a } from '@polkadot/util';

/** Elements of C per leaf. */
export const C_CHUNK = 64;

const MASK64 = (1n << 64n) - 1n;
const GAMMA = 0x9E3779B97F4A7C15n;
const ZERO_HASH = new Uint8Array(32);
const TAG_A = 0x41; // 'A'
const TAG_B = 0x42; // 'B'
const TAG_C = 0x43; // 'C'
const TAG_NODE = 0x4e; // 'N'

const H = (...parts) => blake2AsU8a(u8aConcat(...parts), 256);

function u32le(x) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, x, true);
  return out;
}

function u64le(x) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(x), true);
  return out;
}

function readU64le(bytes, at) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at, true);
}

function checkDims({ m, n, k }) {
  for (const [name, v] of [['m', m], ['n', n], ['k', k]]) {
    if (!Number.isInteger(v) || v < 1 || v > 1 << 20) throw new Error(`dimension ${name} = ${v} is not in 1..2^20`);
  }
}

// ---- Seed inputs --------------------------------------------------------------------------

/** splitmix64's finaliser on a u64 BigInt. */
function mix(z) {
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94D049BB133111EBn);
  return z ^ (z >> 31n);
}

/** Word `w` of the stream of `key`. */
function word(key, w) {
  return mix(BigInt.asUintN(64, key + BigInt.asUintN(64, w * GAMMA)));
}

function seedKey(seed, domain) {
  return readU64le(H(stringToU8a(domain), seed), 0);
}

/** Fills `out[line*k .. (line+1)*k]` with line `line` of the stream of `key`. */
function fillLine(key, line, k, out) {
  const wordsPerLine = BigInt(Math.ceil(k / 8));
  const first = BigInt(line) * wordsPerLine;
  const base = line * k;
  for (let w = 0; w * 8 < k; w++) {
    let v = word(key, first + BigInt(w));
    for (let b = 0; b < 8 && w * 8 + b < k; b++) {
      out[base + w * 8 + b] = Number(v & 0xffn); // an Int8Array stores the byte as int8
      v >>= 8n;
    }
  }
}

/**
 * A and B of a seed job: `seedHex` the job's 32-byte seed as hex. Returns
 * { a: Int8Array (m*k, row-major), bCols: Int8Array (n*k, column-major) }.
 */
export function seedMatrices(seedHex, dims) {
  checkDims(dims);
  const { m, n, k } = dims;
  const seed = hexToU8a(seedHex);
  if (seed.length !== 32) throw new Error(`a seed is 32 bytes, got ${seed.length}`);
  const keyA = seedKey(seed, 'tessera/seed/A');
  const keyB = seedKey(seed, 'tessera/seed/B');
  const a = new Int8Array(m * k);
  const bCols = new Int8Array(n * k);
  for (let i = 0; i < m; i++) fillLine(keyA, i, k, a);
  for (let j = 0; j < n; j++) fillLine(keyB, j, k, bCols);
  return { a, bCols };
}

/** C = A x B with wrapping int32 accumulation, row-major. */
export function matmul({ m, n, k }, a, bCols) {
  if (a.length !== m * k || bCols.length !== n * k) throw new Error('matmul: inputs do not match the dimensions');
  const c = new Int32Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = i * k;
    for (let j = 0; j < n; j++) {
      const col = j * k;
      let acc = 0;
      for (let t = 0; t < k; t++) acc = (acc + Math.imul(a[row + t], bCols[col + t])) | 0;
      c[i * n + j] = acc;
    }
  }
  return c;
}

// ---- Trees and commitments ----------------------------------------------------------------

function nodeHash(left, right) {
  return H(new Uint8Array([TAG_NODE]), left, right);
}

/** Leaf hash of a chunk of C: H('C' || index u64 LE || each element as i32 LE). */
function cLeaf(index, chunk) {
  const payload = new Uint8Array(chunk.length * 4);
  const view = new DataView(payload.buffer);
  chunk.forEach((v, at) => view.setInt32(at * 4, v, true));
  return H(new Uint8Array([TAG_C]), u64le(index), payload);
}

/** All levels of the tree over `leaves` padded with zero hashes to a power of two. */
function merkleLevels(leaves) {
  let width = 1;
  while (width < leaves.length) width *= 2;
  let level = [...leaves];
  while (level.length < width) level.push(ZERO_HASH);
  const levels = [level];
  while (level.length > 1) {
    const next = [];
    for (let at = 0; at < level.length; at += 2) next.push(nodeHash(level[at], level[at + 1]));
    levels.push(next);
    level = next;
  }
  return levels;
}

/**
 * Root of the tree over `count` lines of `len` int8 each (rows of A, columns of B): leaf i is
 * H(tag || i as u64 LE || the line's bytes).
 */
function linesRoot(tag, lines, count, len) {
  if (lines.length !== count * len) throw new Error(`linesRoot: ${lines.length} elements, not ${count} x ${len}`);
  const bytes = new Uint8Array(lines.buffer, lines.byteOffset, lines.byteLength);
  const leaves = [];
  for (let i = 0; i < count; i++) leaves.push(H(new Uint8Array([tag]), u64le(i), bytes.subarray(i * len, (i + 1) * len)));
  const levels = merkleLevels(leaves);
  return levels[levels.length - 1][0];
}

/** H("tessera/inputs/v1" || m || n || k || A root || B root): a `Content` MatMulI8 job's `hash`. */
export function inputCommitment({ m, n, k }, a, bCols) {
  return u8aToHex(H(stringToU8a('tessera/inputs/v1'), u32le(m), u32le(n), u32le(k),
    linesRoot(TAG_A, a, m, k), linesRoot(TAG_B, bCols, n, k)));
}

/** H("tessera/output/v1" || m || n || k || C root), dimensions as u32 LE. */
export function outputCommitment({ m, n, k }, cRoot) {
  const root = typeof cRoot === 'string' ? hexToU8a(cRoot) : cRoot;
  return u8aToHex(H(stringToU8a('tessera/output/v1'), u32le(m), u32le(n), u32le(k), root));
}

/** Where element (i, j) of C lies: { leaf, offset, len }. */
export function cChunk({ n }, i, j) {
  const perRow = Math.ceil(n / C_CHUNK);
  const offset = j % C_CHUNK;
  return { leaf: i * perRow + Math.floor(j / C_CHUNK), offset, len: Math.min(C_CHUNK, n - (j - offset)) };
}

/**
 * The worker's side of a seed job whose output is `c` (row-major, m*n int32, right or wrong):
 * { outputCommitment, roots, open([i, j]) }, in the shapes `jobs.submitReceipt` and
 * `proofs.respond` take.
 */
export function buildProver(dims, c) {
  checkDims(dims);
  const { m, n } = dims;
  if (c.length !== m * n) throw new Error(`buildProver: C has ${c.length} elements, not ${m * n}`);
  const perRow = Math.ceil(n / C_CHUNK);
  const leaves = [];
  for (let i = 0; i < m; i++) {
    for (let ch = 0; ch < perRow; ch++) {
      const start = i * n + ch * C_CHUNK;
      const end = i * n + Math.min(n, (ch + 1) * C_CHUNK);
      leaves.push(cLeaf(i * perRow + ch, Array.from(c.subarray(start, end))));
    }
  }
  const levels = merkleLevels(leaves);
  const root = levels[levels.length - 1][0];
  return {
    outputCommitment: outputCommitment(dims, root),
    roots: { output: u8aToHex(root), inputs: null },
    open([i, j]) {
      if (!(i >= 0 && i < m && j >= 0 && j < n)) throw new Error(`position (${i}, ${j}) is outside C`);
      const { leaf, offset, len } = cChunk(dims, i, j);
      const start = i * n + (j - offset);
      const path = [];
      let at = leaf;
      for (const level of levels.slice(0, -1)) {
        path.push(u8aToHex(level[at ^ 1]));
        at >>= 1;
      }
      return { output: { chunk: Array.from(c.subarray(start, start + len)), path }, row: null, column: null };
    },
  };
}

/**
 * Whether `opening` proves element (i, j) of C under `roots.output` (the chain's checks 6 and 7:
 * chunk length and path; the product itself needs A and B).
 */
export function verifyOutputOpening(dims, roots, [i, j], opening) {
  const { leaf, len } = cChunk(dims, i, j);
  const { chunk, path } = opening.output;
  const leafCount = dims.m * Math.ceil(dims.n / C_CHUNK);
  let depth = 0;
  while ((1 << depth) < leafCount) depth++;
  if (chunk.length !== len || path.length !== depth) return false;
  let node = cLeaf(leaf, chunk);
  let at = leaf;
  for (const sibling of path) {
    node = at & 1 ? nodeHash(hexToU8a(sibling), node) : nodeHash(node, hexToU8a(sibling));
    at >>= 1;
  }
  return u8aToHex(node) === roots.output;
}

// ---- Sampling (to cross-check the chain's draw) -------------------------------------------

/** H("tessera/sample/v1" || randomness || job u64 LE || replica u32 LE || output commitment). */
export function sampleSeed(randomnessHex, job, replica, outputHex) {
  return u8aToHex(H(stringToU8a('tessera/sample/v1'), hexToU8a(randomnessHex), u64le(job), u32le(replica), hexToU8a(outputHex)));
}

/** The `count` positions [i, j] drawn from a sample seed. */
export function samplePositions(seedHex, { m, n }, count) {
  const seed = hexToU8a(seedHex);
  const out = [];
  for (let s = 0; s < count; s++) {
    const h = H(seed, u32le(s));
    out.push([Number(readU64le(h, 0) % BigInt(m)), Number(readU64le(h, 8) % BigInt(n))]);
  }
  return out;
}

/** The audit roll of a sample seed, in parts per billion. */
export function auditRoll(seedHex) {
  const h = H(stringToU8a('tessera/audit/v1'), hexToU8a(seedHex));
  return new DataView(h.buffer, h.byteOffset).getUint32(0, true) % 1_000_000_000;
}

/** The randomness the chain draws from at block `at`: H(hashes of blocks at-delay .. at-1). */
export function drawRandomness(blockHashesHex) {
  return u8aToHex(H(...blockHashesHex.map((h) => hexToU8a(h))));
}

// ---- Known answers ------------------------------------------------------------------------

function expectEqual(what, got, want) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`commitment.mjs disagrees with docs/protocol.md's known answer for ${what}: got ${g}, expected ${w}`);
}

/**
 * Checks this port against the known-answer vectors of docs/protocol.md; throws an Error
 * naming the first value that differs. Needs `cryptoWaitReady()` to have resolved.
 */
export function selfTest() {
  const seed = '0x' + '01'.repeat(32);
  const d = { m: 3, n: 5, k: 7 };
  const { a, bCols } = seedMatrices(seed, d);
  expectEqual('row 0 of A (3x5x7)', Array.from(a.subarray(0, 7)), [-7, 101, -97, 71, 84, 112, -76]);
  expectEqual('column 0 of B (3x5x7)', Array.from(bCols.subarray(0, 7)), [85, 105, -110, 29, -9, -90, 3]);
  const a16 = seedMatrices(seed, { m: 3, n: 5, k: 16 }).a;
  expectEqual('row 0 of A when k = 16, first 8', Array.from(a16.subarray(0, 8)), [-7, 101, -97, 71, 84, 112, -76, 127]);
  expectEqual('A root (3x5x7)', u8aToHex(linesRoot(TAG_A, a, d.m, d.k)), '0x6eeea292a06e725915ea24860df0fc4c408a8d78062e15b0e9363683210f5d7e');
  expectEqual('B root (3x5x7)', u8aToHex(linesRoot(TAG_B, bCols, d.n, d.k)), '0xfeac246564f77a57b4b9d0505b8b6fba854597f345a249ce5ffb22d65075ccd2');
  expectEqual('input commitment (3x5x7)', inputCommitment(d, a, bCols), '0x15d11c2db592e9807f78817187cc17ca634c37da26e5e96ab9506934cec3c383');
  const c = matmul(d, a, bCols);
  expectEqual('C (3x5x7)', Array.from(c),
    [11675, 20519, -7539, 7042, 13040, 20906, -17194, 23577, 1008, 3411, 7400, 56, -6900, -3209, -3325]);
  const prover = buildProver(d, c);
  expectEqual('C root (3x5x7)', prover.roots.output, '0x5e67edae91be71d620f472d7c1d93c43be53b42da49b8020676bc7257e25793b');
  expectEqual('output commitment (3x5x7)', prover.outputCommitment, '0x0b892d8c6d1a81d4002c8131bec543eb013d8cc6dc9446f83a07e8613a0555f9');
  const sSeed = sampleSeed('0x' + '02'.repeat(32), 7, 1, prover.outputCommitment);
  expectEqual('sample_seed (3x5x7)', sSeed, '0xfa5c428fda4fb8883732bf290eb7a3906038c613926fbaf1d87151942399c5fd');
  expectEqual('first 4 positions (3x5x7)', samplePositions(sSeed, d, 4), [[1, 3], [1, 3], [1, 2], [0, 0]]);
  expectEqual('audit_roll (3x5x7)', auditRoll(sSeed), 204744006);

  const d2 = { m: 2, n: 130, k: 9 };
  const s2 = seedMatrices(seed, d2);
  expectEqual('input commitment (2x130x9)', inputCommitment(d2, s2.a, s2.bCols), '0xe724dc70a6065a17d6a58137f2c03d0beac2173f804a05b38aed9b3a2ff7722e');
  const p2 = buildProver(d2, matmul(d2, s2.a, s2.bCols));
  expectEqual('output commitment (2x130x9)', p2.outputCommitment, '0x92784a322d2c29e4aaf9a94cd0ee71ee610280d53504389ac9c81bfb193a98ac');
  // The last, 2-element chunk of a row and its path (6 leaves padded to 8: depth 3).
  const last = p2.open([1, 129]);
  expectEqual('chunk length of (1, 129) (2x130x9)', last.output.chunk.length, 2);
  expectEqual('path length (2x130x9)', last.output.path.length, 3);
  for (let i = 0; i < d2.m; i++) {
    for (let j = 0; j < d2.n; j++) {
      if (!verifyOutputOpening(d2, p2.roots, [i, j], p2.open([i, j]))) throw new Error(`commitment.mjs: the opening of (${i}, ${j}) (2x130x9) does not verify`);
    }
  }
  return true;
}

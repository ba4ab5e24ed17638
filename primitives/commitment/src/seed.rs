//! Inputs derived from a seed, for jobs with `Inputs::Seed`.
//!
//! The chain derives the row of A and the column of B a spot-check needs by itself, so such
//! jobs need no input openings. Every row of A and every column of B is a stream of 64-bit
//! words of a counter-mode generator (splitmix64's finaliser over `key + w * golden gamma`),
//! so any single element is computable without the rest of the matrix:
//!
//! - `key_A = u64 LE of blake2_256(b"tessera/seed/A" || seed)[0..8]`, `key_B` likewise with
//!   `b"tessera/seed/B"`;
//! - element t of row i of A is byte `t % 8` (little-endian) of word
//!   `value(key_A, i * ceil(k/8) + t/8)`, as an i8; column j of B the same with `key_B` and j.

use crate::{hash_parts, matrix::area, u64_at, Dims, H256};
use alloc::{vec, vec::Vec};

/// Increment of the word counter: the 64-bit golden ratio, splitmix64's gamma.
pub(crate) const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// splitmix64's finaliser: a bijection on u64 with full avalanche.
pub(crate) fn mix(mut z: u64) -> u64 {
	z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
	z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
	z ^ (z >> 31)
}

/// Word `w` of the stream of `key`.
pub(crate) fn word(key: u64, w: u64) -> u64 {
	mix(key.wrapping_add(w.wrapping_mul(GAMMA)))
}

/// The key of one matrix: separate domain strings for A and B, so that A and B of the same
/// seed differ.
pub(crate) fn key(seed: &H256, domain: &[u8]) -> u64 {
	u64_at(&hash_parts(&[domain, seed.as_bytes()]).0, 0)
}

/// Key of A.
pub(crate) fn key_a(seed: &H256) -> u64 {
	key(seed, b"tessera/seed/A")
}

/// Key of B.
pub(crate) fn key_b(seed: &H256) -> u64 {
	key(seed, b"tessera/seed/B")
}

/// Writes the first `min(out.len(), k)` elements of line `line` (a row of A or a column of B)
/// of the stream of `key`.
pub(crate) fn fill_line(key: u64, line: u32, k: u32, out: &mut [i8]) {
	let words_per_line = u64::from(k.div_ceil(8));
	let first = u64::from(line) * words_per_line;
	let len = out.len().min(k as usize);
	for (w, chunk) in out[..len].chunks_mut(8).enumerate() {
		let bytes = word(key, first.wrapping_add(w as u64)).to_le_bytes();
		for (element, byte) in chunk.iter_mut().zip(bytes) {
			*element = byte as i8;
		}
	}
}

/// Row `i` of A of the seed's job: writes `min(out.len(), k)` elements (`out` is normally
/// exactly k long).
pub fn seed_a_row(seed: &H256, d: Dims, i: u32, out: &mut [i8]) {
	fill_line(key_a(seed), i, d.k, out);
}

/// Column `j` of B of the seed's job: writes `min(out.len(), k)` elements.
pub fn seed_b_col(seed: &H256, d: Dims, j: u32, out: &mut [i8]) {
	fill_line(key_b(seed), j, d.k, out);
}

/// The seed's whole inputs: (A row-major, B column-major), for the worker and tests. Empty
/// vectors if a matrix is too large for memory addressing.
pub fn seed_matrices(seed: &H256, d: Dims) -> (Vec<i8>, Vec<i8>) {
	let matrix = |key: u64, lines: u32| {
		let Some(len) = area(lines, d.k) else { return Vec::new() };
		let mut out = vec![0i8; len];
		if d.k > 0 {
			for (line, chunk) in out.chunks_exact_mut(d.k as usize).enumerate() {
				fill_line(key, line as u32, d.k, chunk);
			}
		}
		out
	};
	(matrix(key_a(seed), d.m), matrix(key_b(seed), d.n))
}

/// The dot product of row `i` of A and column `j` of B of the seed's job, generated on the
/// fly: the chain checks a seed job's position without allocating a row and a column of up to
/// 2^20 bytes each. Equal to `dot` of [`seed_a_row`] and [`seed_b_col`].
pub(crate) fn seed_dot(seed: &H256, d: Dims, i: u32, j: u32) -> i32 {
	let (ka, kb) = (key_a(seed), key_b(seed));
	let words_per_line = u64::from(d.k.div_ceil(8));
	let (first_a, first_b) = (u64::from(i) * words_per_line, u64::from(j) * words_per_line);
	let mut acc = 0i32;
	let mut left = d.k;
	for w in 0..words_per_line {
		let a = word(ka, first_a.wrapping_add(w)).to_le_bytes();
		let b = word(kb, first_b.wrapping_add(w)).to_le_bytes();
		let take = left.min(8) as usize;
		for (x, y) in a.iter().zip(&b).take(take) {
			acc = acc.wrapping_add(i32::from(*x as i8).wrapping_mul(i32::from(*y as i8)));
		}
		left -= take as u32;
	}
	acc
}

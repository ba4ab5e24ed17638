//! How the chain draws the positions of C it checks; the worker recomputes them to answer.
//!
//! The sample seed binds the chain's randomness to one replica's claimed output, so positions
//! are unknown until the output is committed and differ between replicas of a job.

use crate::{hash_parts, u64_at, Dims, H256};
use alloc::vec::Vec;

/// The seed of one replica's sample: `blake2_256(b"tessera/sample/v1" || randomness ||
/// job as u64 LE || replica as u32 LE || output)`, with `output` the replica's output
/// commitment.
pub fn sample_seed(randomness: &H256, job: u64, replica: u32, output: &H256) -> H256 {
	hash_parts(&[
		b"tessera/sample/v1",
		randomness.as_bytes(),
		&job.to_le_bytes(),
		&replica.to_le_bytes(),
		output.as_bytes(),
	])
}

/// The `count` positions (i, j) of C drawn from `seed`: for s in 0..count,
/// `h = blake2_256(seed || s as u32 LE)`, `i = u64 LE(h[0..8]) % m`,
/// `j = u64 LE(h[8..16]) % n`. Positions may repeat. Empty if m or n is 0.
pub fn sample_positions(seed: &H256, d: Dims, count: u32) -> Vec<(u32, u32)> {
	if d.m == 0 || d.n == 0 {
		return Vec::new();
	}
	(0..count)
		.map(|s| {
			let h = hash_parts(&[seed.as_bytes(), &s.to_le_bytes()]).0;
			// The remainders are below m and n, so they fit u32.
			let i = (u64_at(&h, 0) % u64::from(d.m)) as u32;
			let j = (u64_at(&h, 8) % u64::from(d.n)) as u32;
			(i, j)
		})
		.collect()
}

/// The roll that decides whether a receipt whose policy is not a spot-check is audited
/// (spot-checked anyway): `u32 LE(blake2_256(b"tessera/audit/v1" || seed)[0..4]) %
/// 1_000_000_000`, uniform enough over parts per billion to be compared by the chain against
/// the parts of a `Perbill` chance (audited when below it).
pub fn audit_roll(seed: &H256) -> u32 {
	let h = hash_parts(&[b"tessera/audit/v1", seed.as_bytes()]).0;
	u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % 1_000_000_000
}

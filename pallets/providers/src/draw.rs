//! The random draw of re-executors: a partial Fisher-Yates shuffle of a candidate pool, driven by
//! a seed the caller takes from block hashes that did not exist when the draw was asked for.

use alloc::vec::Vec;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// `count` of `pool` (all of it if it is smaller), in the order drawn: the `i`th is chosen
/// uniformly from those not chosen yet, by `blake2-256(seed ++ i)` as a little-endian `u64`
/// modulo their number (a bias below `pool / 2^64`).
pub fn pick<C>(mut pool: Vec<C>, count: u32, seed: &[u8; 32]) -> Vec<C> {
	let count = (count as usize).min(pool.len());
	for i in 0..count {
		let mut preimage = seed.to_vec();
		preimage.extend_from_slice(&(i as u32).to_le_bytes());
		let hash = BlakeTwo256::hash(&preimage);
		let mut word = [0u8; 8];
		word.copy_from_slice(&hash.as_bytes()[..8]);
		let left = (pool.len() - i) as u64;
		let j = i + (u64::from_le_bytes(word) % left) as usize;
		pool.swap(i, j);
	}
	pool.truncate(count);
	pool
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_draw_takes_distinct_members_and_depends_on_the_seed() {
		let pool: Vec<u32> = (0..16).collect();
		let drawn = pick(pool.clone(), 3, &[1; 32]);
		assert_eq!(drawn.len(), 3);
		assert!(drawn.iter().all(|c| pool.contains(c)));
		assert!(drawn[0] != drawn[1] && drawn[1] != drawn[2] && drawn[0] != drawn[2]);
		assert_eq!(drawn, pick(pool.clone(), 3, &[1; 32]));
		let other_seeds = (2u8..10).map(|s| pick(pool.clone(), 3, &[s; 32]));
		assert!(other_seeds.into_iter().any(|other| other != drawn));
		// A pool smaller than the count is taken whole.
		let mut all = pick(pool.clone(), 40, &[1; 32]);
		all.sort();
		assert_eq!(all, pool);
	}

	#[test]
	fn every_member_is_drawn_about_as_often() {
		// 16 candidates, one drawn per seed, 1,600 seeds: each about 100 times.
		let mut hits = [0u32; 16];
		for s in 0..1600u32 {
			let mut seed = [0u8; 32];
			seed[..4].copy_from_slice(&s.to_le_bytes());
			hits[pick((0..16).collect::<Vec<usize>>(), 1, &seed)[0]] += 1;
		}
		assert!(hits.iter().all(|h| (60..=140).contains(h)), "{hits:?}");
	}
}

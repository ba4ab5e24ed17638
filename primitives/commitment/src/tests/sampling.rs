//! Tests of [`crate::sampling`].

use crate::sampling::*;
use crate::*;

#[test]
fn positions_are_deterministic_and_in_range() {
	let seed = sample_seed(&H256::repeat_byte(3), 7, 1, &H256::repeat_byte(4));
	for d in
		[Dims { m: 1, n: 1, k: 1 }, Dims { m: 3, n: 130, k: 9 }, Dims { m: 1 << 20, n: 17, k: 1 }]
	{
		let positions = sample_positions(&seed, d, 200);
		assert_eq!(positions.len(), 200);
		assert_eq!(positions, sample_positions(&seed, d, 200));
		assert!(positions.iter().all(|(i, j)| *i < d.m && *j < d.n));
		// A shorter sample is a prefix of a longer one.
		assert_eq!(sample_positions(&seed, d, 10)[..], positions[..10]);
	}
	let d = Dims { m: 1000, n: 1000, k: 1 };
	let positions = sample_positions(&seed, d, 50);
	// Not stuck on one value.
	assert!(positions.iter().any(|p| *p != positions[0]));
	assert!(sample_positions(&seed, Dims { m: 0, n: 5, k: 1 }, 3).is_empty());
	assert!(sample_positions(&seed, Dims { m: 5, n: 0, k: 1 }, 3).is_empty());
}

#[test]
fn sample_seed_binds_every_input() {
	let (r, o) = (H256::repeat_byte(3), H256::repeat_byte(4));
	let base = sample_seed(&r, 7, 1, &o);
	assert_ne!(base, sample_seed(&H256::repeat_byte(5), 7, 1, &o));
	assert_ne!(base, sample_seed(&r, 8, 1, &o));
	assert_ne!(base, sample_seed(&r, 7, 2, &o));
	assert_ne!(base, sample_seed(&r, 7, 1, &H256::repeat_byte(6)));
}

#[test]
fn audit_roll_is_below_one_billion() {
	let mut distinct = alloc::collections::BTreeSet::new();
	for b in 0..=255u8 {
		let roll = audit_roll(&H256::repeat_byte(b));
		assert!(roll < 1_000_000_000);
		distinct.insert(roll);
	}
	assert!(distinct.len() > 250);
}

//! Tests of [`crate::seed`].

use crate::seed::*;
use crate::*;

#[test]
fn mix_is_splitmix64() {
	// splitmix64 seeded with 0: its first output is mix(0 + GAMMA).
	assert_eq!(word(0, 1), 0xE220_A839_7B1D_CDAF);
	assert_eq!(mix(0), 0);
}

#[test]
fn rows_and_columns_match_the_whole_matrices() {
	let seed = H256::repeat_byte(9);
	for d in [
		Dims { m: 3, n: 5, k: 7 },
		Dims { m: 2, n: 4, k: 8 },
		Dims { m: 4, n: 3, k: 17 },
		Dims { m: 1, n: 1, k: 1 },
	] {
		let (a, b) = seed_matrices(&seed, d);
		assert_eq!(a.len(), (d.m * d.k) as usize);
		assert_eq!(b.len(), (d.n * d.k) as usize);
		let k = d.k as usize;
		let mut line = vec![0i8; k];
		for i in 0..d.m {
			seed_a_row(&seed, d, i, &mut line);
			assert_eq!(line[..], a[i as usize * k..(i as usize + 1) * k]);
		}
		for j in 0..d.n {
			seed_b_col(&seed, d, j, &mut line);
			assert_eq!(line[..], b[j as usize * k..(j as usize + 1) * k]);
		}
		for i in 0..d.m {
			for j in 0..d.n {
				let row = &a[i as usize * k..(i as usize + 1) * k];
				let col = &b[j as usize * k..(j as usize + 1) * k];
				assert_eq!(seed_dot(&seed, d, i, j), dot(row, col));
			}
		}
	}
}

#[test]
fn short_and_long_outputs() {
	let seed = H256::repeat_byte(2);
	let d = Dims { m: 2, n: 2, k: 11 };
	let mut full = vec![0i8; 11];
	seed_a_row(&seed, d, 1, &mut full);
	let mut short = vec![0i8; 5];
	seed_a_row(&seed, d, 1, &mut short);
	assert_eq!(short[..], full[..5]);
	let mut long = vec![42i8; 14];
	seed_a_row(&seed, d, 1, &mut long);
	assert_eq!(long[..11], full[..]);
	assert_eq!(long[11..], [42, 42, 42]);
}

#[test]
fn a_and_b_and_seeds_differ() {
	let d = Dims { m: 4, n: 4, k: 16 };
	let (a, b) = seed_matrices(&H256::repeat_byte(1), d);
	assert_ne!(a, b);
	let (a2, _) = seed_matrices(&H256::repeat_byte(2), d);
	assert_ne!(a, a2);
	// Rows do not repeat: each line starts at its own word.
	assert_ne!(a[..16], a[16..32]);
}

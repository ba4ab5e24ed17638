//! Every backend against `tessera_commitment::matmul_reference`, bit for bit.

use super::*;
use tessera_commitment::{commit_output, matmul_reference, seed_matrices, H256};

/// A small xorshift generator: uniform int8 values, reproducible from the seed.
fn random_i8(len: usize, seed: u64) -> Vec<i8> {
	let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
	(0..len)
		.map(|_| {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			(state >> 56) as u8 as i8
		})
		.collect()
}

fn dims(m: u32, n: u32, k: u32) -> Dims {
	Dims { m, n, k }
}

fn random_inputs(d: Dims, seed: u64) -> (Vec<i8>, Vec<i8>) {
	(random_i8((d.m * d.k) as usize, seed), random_i8((d.n * d.k) as usize, seed ^ 0xB))
}

/// Each kernel build this processor can run, each on 1 and on 3 threads.
fn cpu_backends() -> Vec<Cpu> {
	let supported = Isa::ALL.into_iter().filter_map(|isa| Cpu::new().with_isa(isa));
	supported.flat_map(|cpu| [cpu.clone().with_threads(1), cpu.with_threads(3)]).collect()
}

/// Shapes that hit every edge of the blocking: 1s, odd sizes, sizes below, at and above a tile
/// (4 x 4), a column block (`NC` = 128) and a k block (`KC` = 4096), and products large enough
/// to be shared between threads, by rows and (few rows) by columns.
const SHAPES: &[(u32, u32, u32)] = &[
	(1, 1, 1),
	(1, 1, 17),
	(2, 3, 1),
	(4, 4, 16),
	(5, 3, 4),
	(7, 13, 33),
	(8, 9, 15),
	(13, 7, 1025),
	(64, 64, 64),
	(3, 600, 40),
	(33, 257, 2100),
	(257, 129, 1031),
	(160, 170, 200),
	(6, 131, 4097),
	(21, 140, 9000),
	(2, 1500, 1500),
	(1, 300, 2049),
	(300, 1, 70),
];

#[test]
fn cpu_matches_reference_on_many_shapes() {
	for (index, &(m, n, k)) in SHAPES.iter().enumerate() {
		let d = dims(m, n, k);
		let (a, b) = random_inputs(d, index as u64);
		let expected = matmul_reference(d, &a, &b);
		assert_eq!(expected.len(), (m * n) as usize);
		for cpu in cpu_backends() {
			let c = cpu.matmul(d, &a, &b).unwrap();
			assert!(
				c == expected,
				"{} differs from the reference on {m}x{n}x{k}",
				cpu.description()
			);
		}
	}
}

#[test]
fn cpu_matches_reference_on_seeded_inputs() {
	let d = dims(37, 45, 530);
	let (a, b) = seed_matrices(&H256::repeat_byte(7), d);
	let expected = matmul_reference(d, &a, &b);
	for cpu in cpu_backends() {
		let c = cpu.matmul(d, &a, &b).unwrap();
		assert_eq!(commit_output(d, &c), commit_output(d, &expected));
		assert!(c == expected, "{}", cpu.description());
	}
}

/// Inputs whose sums overflow i32: lines of -128 and 127 in several patterns, so that sums of
/// products of 16384 ((-128)^2) or 16129 (127^2) pass 2^31, and sums of -16256 (-128 * 127)
/// pass -2^31; with the expected C computed in i64 and reduced modulo 2^32.
fn overflowing_inputs() -> (Dims, Vec<i8>, Vec<i8>, Vec<i32>) {
	let k = 140_001usize;
	let line = |pattern: usize| -> Vec<i8> {
		(0..k)
			.map(|t| match pattern {
				0 => -128,
				1 => 127,
				2 => [-128, 127][t % 2],
				3 => [127, -128, -128][t % 3],
				_ => [-128, -128, -128, 127, 0][t % 5],
			})
			.collect()
	};
	let a_rows: Vec<Vec<i8>> = [0, 1, 2, 3, 4, 0].into_iter().map(line).collect();
	let b_cols: Vec<Vec<i8>> = [0, 1, 4, 3, 0, 2, 1].into_iter().map(line).collect();
	let expected = a_rows
		.iter()
		.flat_map(|row| {
			b_cols.iter().map(move |col| {
				let sum: i64 =
					row.iter().zip(col).map(|(x, y)| i64::from(*x) * i64::from(*y)).sum();
				sum as i32
			})
		})
		.collect();
	let d = dims(a_rows.len() as u32, b_cols.len() as u32, k as u32);
	(d, a_rows.concat(), b_cols.concat(), expected)
}

#[test]
fn cpu_sums_wrap_like_the_reference() {
	let (d, a, b, expected) = overflowing_inputs();
	assert_eq!(matmul_reference(d, &a, &b), expected);
	// The sums did overflow: 140001 products of 16384 add up to more than 2^31.
	assert_eq!(expected[0], (16384 * i64::from(d.k)) as i32);
	assert!(16384 * i64::from(d.k) > i64::from(i32::MAX));
	for cpu in cpu_backends() {
		assert_eq!(cpu.matmul(d, &a, &b).unwrap(), expected, "{}", cpu.description());
	}
}

#[test]
fn thread_counts_give_identical_results() {
	// Row bands (m = 160) and column bands (m = 2), both above the threshold for threads.
	for (m, n, k) in [(160, 170, 200), (2, 3000, 1000), (9, 1000, 600)] {
		let d = dims(m, n, k);
		let (a, b) = random_inputs(d, u64::from(m));
		let one = Cpu::new().with_threads(1).matmul(d, &a, &b).unwrap();
		for threads in [2, 3, 7, 64] {
			let many = Cpu::new().with_threads(threads).matmul(d, &a, &b).unwrap();
			assert!(many == one, "{threads} threads differ on {m}x{n}x{k}");
		}
		assert!(one == matmul_reference(d, &a, &b));
	}
}

#[test]
fn lengths_that_do_not_match_the_dimensions_are_errors() {
	let d = dims(3, 4, 5);
	let (a, b) = random_inputs(d, 1);
	let cpu = Cpu::new();
	assert_eq!(
		cpu.matmul(d, &a[1..], &b),
		Err(GemmError::LengthMismatch { operand: Operand::A, expected: 15, actual: 14 })
	);
	let mut long_b = b.clone();
	long_b.push(0);
	let error = cpu.matmul(d, &a, &long_b).unwrap_err();
	assert_eq!(error, GemmError::LengthMismatch { operand: Operand::B, expected: 20, actual: 21 });
	assert_eq!(error.to_string(), "matrix B has 21 elements where its dimensions give 20");
	// Swapped dimensions are caught too: A 4x5, B 5x3 instead of A 3x5, B 5x4.
	assert!(matches!(
		cpu.matmul(dims(4, 3, 5), &a, &b),
		Err(GemmError::LengthMismatch { operand: Operand::A, .. })
	));
	let error: Box<dyn std::error::Error> =
		Box::new(GemmError::Backend { backend: "cuda", message: "out of memory".into() });
	assert_eq!(error.to_string(), "cuda backend: out of memory");
}

#[test]
fn empty_products() {
	let cpu = Cpu::new();
	// k = 0: every element is an empty sum.
	assert_eq!(cpu.matmul(dims(2, 3, 0), &[], &[]), Ok(vec![0; 6]));
	assert_eq!(matmul_reference(dims(2, 3, 0), &[], &[]), vec![0; 6]);
	// m = 0 or n = 0: no elements.
	assert_eq!(cpu.matmul(dims(0, 3, 2), &[], &[1; 6]), Ok(vec![]));
	assert_eq!(cpu.matmul(dims(2, 0, 2), &[1; 4], &[]), Ok(vec![]));
}

#[test]
fn shape_checks_sizes() {
	assert_eq!(
		Shape::new(dims(3, 4, 5)).map(|s| (s.a_len(), s.b_len(), s.c_len())),
		Ok((15, 20, 12))
	);
	assert_eq!(Shape::new(dims(3, 4, 5)).unwrap().macs(), 60);
	let max = 1 << 20;
	// On 64-bit targets the largest job's matrices are addressable (if not allocatable).
	#[cfg(target_pointer_width = "64")]
	assert!(Shape::new(dims(max, max, max)).is_ok());
	#[cfg(target_pointer_width = "32")]
	assert_eq!(
		Shape::new(dims(max, max, max)),
		Err(GemmError::TooLarge { dims: dims(max, max, max) })
	);
}

#[test]
fn detection_lists_the_cpu_last() {
	let backends = detect();
	assert_eq!(backends.last().map(|b| b.name()), Some("cpu"));
	assert!(Isa::detect().is_supported());
	assert!(Isa::Baseline.is_supported());
	let cpu = Cpu::new();
	assert_eq!(cpu.isa(), Isa::detect());
	assert!(cpu.threads() >= 1);
	assert_eq!(cpu.clone().with_threads(0).threads(), 1);
	assert!(cpu.description().starts_with("cpu ("));
	for isa in Isa::ALL {
		assert_eq!(cpu.clone().with_isa(isa).is_some(), isa.is_supported(), "{}", isa.name());
	}
}

#[cfg(feature = "cuda")]
mod cuda {
	use super::*;

	/// The first CUDA device, or `None` (with a note on stderr) where there is none.
	fn device() -> Option<Cuda> {
		match Cuda::new(0) {
			Ok(cuda) => Some(cuda),
			Err(error) => {
				eprintln!("skipped: no CUDA device ({error})");
				None
			},
		}
	}

	#[test]
	fn cuda_matches_cpu() {
		let Some(cuda) = device() else { return };
		eprintln!("testing {}", cuda.description());
		let cpu = Cpu::new();
		for (index, &(m, n, k)) in SHAPES.iter().enumerate() {
			let d = dims(m, n, k);
			let (a, b) = random_inputs(d, index as u64);
			let on_gpu = cuda.matmul(d, &a, &b).unwrap();
			assert!(on_gpu == cpu.matmul(d, &a, &b).unwrap(), "cuda differs on {m}x{n}x{k}");
		}
		let d = dims(512, 384, 1024);
		let (a, b) = random_inputs(d, 99);
		assert!(cuda.matmul(d, &a, &b).unwrap() == cpu.matmul(d, &a, &b).unwrap());
	}

	#[test]
	fn cuda_sums_wrap() {
		let Some(cuda) = device() else { return };
		let (d, a, b, expected) = overflowing_inputs();
		assert!(d.k as usize > super::super::cuda::K_EXACT, "the test must split k");
		assert_eq!(cuda.matmul(d, &a, &b).unwrap(), expected);
	}

	#[test]
	fn cuda_checks_lengths() {
		let Some(cuda) = device() else { return };
		let d = dims(3, 4, 5);
		let (a, b) = random_inputs(d, 1);
		assert!(matches!(cuda.matmul(d, &a[1..], &b), Err(GemmError::LengthMismatch { .. })));
		assert_eq!(cuda.matmul(dims(2, 3, 0), &[], &[]), Ok(vec![0; 6]));
	}
}

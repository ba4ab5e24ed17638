//! Times the int8 GEMM backends on a square product and compares the CPU backend with an
//! optimised f32 GEMM on the same machine (`matrixmultiply::sgemm`: runtime-detected AVX2/FMA
//! and AVX-512 kernels), on as many threads as the CPU backend.
//!
//! ```text
//! cargo run --release -p tessera-worker --example gemm_bench -- [SIZE] [--reps N] [--threads N] [--all-isas]
//! ```
//!
//! SIZE is m = n = k (default 2048). Each timing is the best of at least `--reps` runs (default
//! 3, and at least a second of runs) after one untimed run. GOPS counts 2mnk operations per second, as GFLOPS does for sgemm; the goal
//! is an int8 rate of at least half the sgemm rate. `--all-isas` also times the CPU kernel's
//! narrower builds (AVX2, baseline). CUDA devices are timed when the `cuda` feature is compiled
//! in and one is present.

use std::time::{Duration, Instant};
use tessera_commitment::{dot, seed_matrices, Dims, H256};
use tessera_worker::gemm::{self, Backend, Cpu, Isa};

struct Options {
	size: usize,
	reps: usize,
	threads: Option<usize>,
	all_isas: bool,
}

fn options() -> Options {
	let mut options = Options { size: 2048, reps: 3, threads: None, all_isas: false };
	let mut args = std::env::args().skip(1);
	let number = |value: Option<String>, what: &str| -> usize {
		value.and_then(|v| v.parse().ok()).filter(|&v| v > 0).unwrap_or_else(|| {
			eprintln!("{what} needs a positive number");
			std::process::exit(2)
		})
	};
	while let Some(arg) = args.next() {
		match arg.as_str() {
			"--reps" => options.reps = number(args.next(), "--reps"),
			"--threads" => options.threads = Some(number(args.next(), "--threads")),
			"--all-isas" => options.all_isas = true,
			size => options.size = number(Some(size.to_string()), "SIZE"),
		}
	}
	options
}

/// The best of at least `reps` timed runs of `run` (more while they add up to less than a
/// second: the first runs on a cold machine are often slower), after one untimed run; and the
/// last result.
fn best_of<T>(reps: usize, mut run: impl FnMut() -> T) -> (Duration, T) {
	let mut result = run();
	let (mut best, mut total, mut done) = (Duration::MAX, Duration::ZERO, 0);
	while done < reps || total < Duration::from_secs(1) {
		let start = Instant::now();
		result = run();
		let time = start.elapsed();
		(best, total, done) = (best.min(time), total + time, done + 1);
	}
	(best, result)
}

/// C = A x B in f32 with A row-major and B column-major, like the int8 inputs, on `threads`
/// threads, each computing a band of rows of C (`matrixmultiply`'s own kernels are
/// single-threaded without its `threading` feature).
fn sgemm(size: usize, threads: usize, a: &[f32], b_cols: &[f32], c: &mut [f32]) {
	assert!(a.len() == size * size && b_cols.len() == size * size && c.len() == size * size);
	let rows = size.div_ceil(threads).max(1);
	std::thread::scope(|s| {
		for (a_band, c_band) in a.chunks(rows * size).zip(c.chunks_mut(rows * size)) {
			s.spawn(move || sgemm_band(size, a_band, b_cols, c_band));
		}
	});
}

/// C (`a.len() / n` x n) = A x B for one band of rows of A and C.
#[allow(unsafe_code)]
fn sgemm_band(n: usize, a: &[f32], b_cols: &[f32], c: &mut [f32]) {
	let m = a.len() / n;
	assert!(a.len() == m * n && b_cols.len() == n * n && c.len() == m * n);
	let stride = isize::try_from(n).expect("the size fits isize");
	// SAFETY: A is m x n with row stride n and column stride 1, B (column j at j*n) n x n with
	// row stride 1 and column stride n, C m x n row-major: every element each stride pair
	// reaches lies in its slice (lengths checked above), and `c` is borrowed mutably, so it
	// aliases neither input.
	unsafe {
		matrixmultiply::sgemm(
			m,
			n,
			n,
			1.0,
			a.as_ptr(),
			stride,
			1,
			b_cols.as_ptr(),
			1,
			stride,
			0.0,
			c.as_mut_ptr(),
			stride,
			1,
		)
	}
}

fn main() {
	let options = options();
	let size = options.size;
	let side = u32::try_from(size).expect("SIZE fits u32");
	let dims = Dims { m: side, n: side, k: side };
	let ops = 2.0 * (size as f64).powi(3);
	// The matrices a job with seed inputs gets: uniform int8 values.
	let (a, b_cols) = seed_matrices(&H256::repeat_byte(1), dims);
	println!(
		"m = n = k = {size}; {} threads available; best of at least {} runs",
		std::thread::available_parallelism().map_or(1, |n| n.get()),
		options.reps
	);

	let mut backends: Vec<Box<dyn Backend>> =
		gemm::detect().into_iter().filter(|b| b.name() != "cpu").collect();
	let cpu = options.threads.map_or_else(Cpu::new, |threads| Cpu::new().with_threads(threads));
	let isas = if options.all_isas { Isa::ALL.to_vec() } else { vec![cpu.isa()] };
	for isa in isas.into_iter().rev() {
		if let Some(cpu) = cpu.clone().with_isa(isa) {
			backends.push(Box::new(cpu));
		}
	}

	let mut cpu_gops = None;
	for backend in &backends {
		let (time, c) = best_of(options.reps, || backend.matmul(dims, &a, &b_cols));
		let c = match c {
			Ok(c) => c,
			Err(error) => {
				println!("{}: failed: {error}", backend.description());
				continue;
			},
		};
		// Spot-check a few elements against the definition.
		for (i, j) in [(0, 0), (size - 1, size - 1), (size / 3, size / 2)] {
			let expected = dot(&a[i * size..][..size], &b_cols[j * size..][..size]);
			assert_eq!(c[i * size + j], expected, "{} is wrong at ({i}, {j})", backend.name());
		}
		let gops = ops / time.as_secs_f64() / 1e9;
		println!("{}: {:.3} s, {gops:.1} GOPS (int8)", backend.description(), time.as_secs_f64());
		if backend.name() == "cpu" && cpu_gops.is_none() {
			cpu_gops = Some(gops);
		}
	}

	let a = a.iter().map(|&x| f32::from(x)).collect::<Vec<_>>();
	let b_cols = b_cols.iter().map(|&x| f32::from(x)).collect::<Vec<_>>();
	let mut c = vec![0f32; size * size];
	let threads = options.threads.unwrap_or(cpu.threads());
	let (time, ()) = best_of(options.reps, || sgemm(size, threads, &a, &b_cols, &mut c));
	let gflops = ops / time.as_secs_f64() / 1e9;
	println!(
		"matrixmultiply sgemm (f32, {threads} threads): {:.3} s, {gflops:.1} GFLOPS",
		time.as_secs_f64()
	);
	if let Some(gops) = cpu_gops {
		println!("cpu int8 / sgemm: {:.2} (goal: >= 0.50)", gops / gflops);
	}
}

//! The CPU backend: a cache-blocked, multi-threaded int8 GEMM in safe, auto-vectorised Rust.
//!
//! Both inputs are contiguous along k (rows of A, columns of B), so every element of C is a dot
//! product of two contiguous vectors:
//!
//! - **Threads** ([`std::thread::scope`]) take contiguous bands of rows of C (or, when C has
//!   too few rows, bands of its columns), so they share nothing but the read-only inputs.
//! - **Blocking**: a thread walks C in blocks of [`NC`] columns and k in blocks of [`KC`]. The
//!   block of B in use (`NC x KC` bytes, copied into a contiguous buffer) stays in the core's L2
//!   cache while every row panel of the band passes over it, and a panel of `MR` rows of A
//!   (`MR x KC` bytes, copied too) stays in L1 while it meets every column of the block.
//! - **Micro-kernel** ([`tile`]): `MR x NR` dot products at once over one k block, in `MR * NR`
//!   i32 accumulators. Each step loads `MR + NR` int8 values, sign-extends them to i32 and does
//!   `MR * NR` multiply-adds, so each loaded value is used `NR` or `MR` times. LLVM's loop
//!   vectoriser turns the loop over k into SIMD code, a vector's width of steps per iteration
//!   (16 with AVX-512), each accumulator a vector register (on x86: `vpmovsxbd` loads,
//!   `vpmulld`, `vpaddd`); the lanes are summed once per k block. A product of two int8 values
//!   always fits in i32 and the sums wrap, so the result is exact whatever the order.
//!
//! The kernel is compiled three times: for the target's baseline instruction set, and, on
//! x86-64, with AVX2 and with AVX-512 enabled (`#[target_feature]`), chosen at run time by
//! [`Isa::detect`]; the AVX-512 build is several times faster than the baseline one. Calling a
//! `#[target_feature]` function is the only `unsafe` code here (see `x86`).

use super::{Backend, GemmError, Shape};
use std::{num::NonZeroUsize, thread};
use tessera_commitment::Dims;

/// Elements of k per block: a row of A or a column of B of one block is `KC` bytes. Large, so
/// that C is usually written once (see `panel`) and the lanes of the accumulators are summed
/// rarely.
pub const KC: usize = 4096;

/// Columns of C (of B) per block: the block of B is `NC * KC` bytes (512 KiB), for L2.
pub const NC: usize = 128;

/// Below this many multiply-accumulates (m * n * k), a product runs on one thread: starting
/// threads (tens of microseconds) would cost more than they save.
const PARALLEL_MIN_MACS: u128 = 1 << 22;

/// The instruction sets the kernel is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
	/// The target's baseline (SSE2 on x86-64, NEON on aarch64). Always available.
	Baseline,
	/// x86-64 with AVX2 (16 x 256-bit registers): 4 x 4 tiles.
	Avx2,
	/// x86-64 with AVX-512 F and BW (32 x 512-bit registers): 4 x 4 tiles.
	Avx512,
}

impl Isa {
	/// Every variant, narrowest first.
	pub const ALL: [Isa; 3] = [Isa::Baseline, Isa::Avx2, Isa::Avx512];

	/// The widest instruction set this processor supports.
	pub fn detect() -> Self {
		Self::ALL.into_iter().rev().find(|isa| isa.is_supported()).unwrap_or(Self::Baseline)
	}

	/// Whether this processor can run the kernel built for `self`.
	pub fn is_supported(self) -> bool {
		match self {
			Self::Baseline => true,
			#[cfg(target_arch = "x86_64")]
			Self::Avx2 => x86::has_avx2(),
			#[cfg(target_arch = "x86_64")]
			Self::Avx512 => x86::has_avx512(),
			#[cfg(not(target_arch = "x86_64"))]
			Self::Avx2 | Self::Avx512 => false,
		}
	}

	/// A short name for logs: `"baseline"`, `"avx2"`, `"avx512"`.
	pub fn name(self) -> &'static str {
		match self {
			Self::Baseline => "baseline",
			Self::Avx2 => "avx2",
			Self::Avx512 => "avx512",
		}
	}
}

/// The CPU backend. Cheap to create and to clone; holds no buffers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cpu {
	threads: NonZeroUsize,
	isa: Isa,
}

impl Default for Cpu {
	fn default() -> Self {
		Self::new()
	}
}

impl Cpu {
	/// One thread per available core ([`thread::available_parallelism`], 1 where unknown), and
	/// the widest instruction set the processor supports.
	pub fn new() -> Self {
		let threads = thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
		Self { threads, isa: Isa::detect() }
	}

	/// The same backend with `threads` threads (at least 1).
	pub fn with_threads(self, threads: usize) -> Self {
		Self { threads: NonZeroUsize::new(threads).unwrap_or(NonZeroUsize::MIN), ..self }
	}

	/// The same backend with the kernel built for `isa`, or `None` where this processor does not
	/// support it (tests and benchmarks compare the builds).
	pub fn with_isa(self, isa: Isa) -> Option<Self> {
		isa.is_supported().then_some(Self { isa, ..self })
	}

	/// Threads a large product runs on.
	pub fn threads(&self) -> usize {
		self.threads.get()
	}

	/// The instruction set of the kernel in use.
	pub fn isa(&self) -> Isa {
		self.isa
	}
}

impl Backend for Cpu {
	fn name(&self) -> &'static str {
		"cpu"
	}

	fn description(&self) -> String {
		format!("cpu ({}, {} threads)", self.isa.name(), self.threads)
	}

	fn matmul(&self, dims: Dims, a: &[i8], b_cols: &[i8]) -> Result<Vec<i32>, GemmError> {
		let shape = Shape::check(dims, a, b_cols)?;
		let mut c = vec![0i32; shape.c_len()];
		if shape.k == 0 || c.is_empty() {
			// Empty sums, or nothing to compute.
			return Ok(c);
		}
		let threads = if shape.macs() < PARALLEL_MIN_MACS { 1 } else { self.threads.get() };
		gemm(self.isa, threads, shape, a, b_cols, &mut c);
		Ok(c)
	}
}

/// C = A x B on `threads` threads (every element of `c` is written); lengths already checked
/// and `k > 0`.
fn gemm(isa: Isa, threads: usize, shape: Shape, a: &[i8], b_cols: &[i8], c: &mut [i32]) {
	let Shape { m, n, k } = shape;
	// Rows go to threads in multiples of the tile height, so only the last band has a ragged
	// edge; a band of fewer than a few tiles' rows per thread would leave threads idle.
	const ROW_GRAIN: usize = 4;
	let row_threads = threads.min(m / ROW_GRAIN).max(1);
	if threads == 1 || row_threads == threads {
		let rows_per = m.div_ceil(row_threads).next_multiple_of(ROW_GRAIN);
		if row_threads == 1 {
			block(isa, k, a, b_cols, c);
			return;
		}
		thread::scope(|s| {
			for (a_band, c_band) in a.chunks(rows_per * k).zip(c.chunks_mut(rows_per * n)) {
				s.spawn(move || block(isa, k, a_band, b_cols, c_band));
			}
		});
		return;
	}
	// Too few rows to share out (say a matrix-vector product): each thread computes a band of
	// columns of C into a buffer of its own, copied into C's rows afterwards.
	let cols_per = n.div_ceil(threads);
	thread::scope(|s| {
		let bands: Vec<_> = b_cols
			.chunks(cols_per * k)
			.map(|b_band| {
				s.spawn(move || {
					let mut band = vec![0i32; m * (b_band.len() / k)];
					block(isa, k, a, b_band, &mut band);
					band
				})
			})
			.collect();
		for (index, handle) in bands.into_iter().enumerate() {
			// A panic in a band is a bug in this file; pass it on rather than return a wrong C.
			let band = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
			let (col, width) = (index * cols_per, band.len() / m);
			for (c_row, band_row) in c.chunks_exact_mut(n).zip(band.chunks_exact(width)) {
				c_row[col..col + width].copy_from_slice(band_row);
			}
		}
	});
}

/// C = A x B on this thread, where A is `a.len() / k` rows, B `b.len() / k` columns and C
/// their row-major product (every element written); in the kernel built for `isa`.
fn block(isa: Isa, k: usize, a: &[i8], b: &[i8], c: &mut [i32]) {
	#[cfg(target_arch = "x86_64")]
	match isa {
		Isa::Avx512 => return x86::block_avx512(k, a, b, c),
		Isa::Avx2 => return x86::block_avx2(k, a, b, c),
		Isa::Baseline => {},
	}
	// `Cpu::with_isa` admits only supported sets: elsewhere `isa` is always `Baseline`.
	#[cfg(not(target_arch = "x86_64"))]
	let _ = isa;
	blocked::<4, 3>(k, a, b, c)
}

/// The blocked loops around the micro-kernel (see the module documentation), for tiles of `MR`
/// rows by `NR` columns. `inline(always)`, so that each `#[target_feature]` caller gets a copy
/// compiled for its instruction set.
#[inline(always)]
fn blocked<const MR: usize, const NR: usize>(k: usize, a: &[i8], b: &[i8], c: &mut [i32]) {
	let (rows, cols) = (a.len() / k, b.len() / k);
	let mut b_pack = vec![0i8; cols.min(NC) * k.min(KC)];
	let mut a_pack = vec![0i8; MR * k.min(KC)];
	for j0 in (0..cols).step_by(NC) {
		let j1 = cols.min(j0 + NC);
		for p0 in (0..k).step_by(KC) {
			let kc = KC.min(k - p0);
			let b_block = pack(b, k, j0..j1, p0, kc, &mut b_pack);
			let mut i = 0;
			while i + MR <= rows {
				let a_panel = pack(a, k, i..i + MR, p0, kc, &mut a_pack);
				panel::<MR, NR>(a_panel, b_block, kc, &mut c[i * cols..], cols, j0, p0 == 0);
				i += MR;
			}
			// The last rows (fewer than a tile), one at a time, straight from A.
			for i in i..rows {
				let a_row = &a[i * k + p0..][..kc];
				panel::<1, NR>(a_row, b_block, kc, &mut c[i * cols..], cols, j0, p0 == 0);
			}
		}
	}
}

/// Copies elements `p0 .. p0 + kc` of each of `lines` (rows of A or columns of B, `k` long in
/// `matrix`) one after the other into `buffer`, and returns that part of it.
///
/// Packing costs a copy of each block of B once per band of rows, and of each panel of A once per
/// block of columns (1 / [`NC`] of the multiply-adds), and makes every line the micro-kernel
/// reads `kc` apart instead of `k`: with k a multiple of 4096, unpacked lines would all fall in
/// the same few cache sets.
#[inline(always)]
fn pack<'a>(
	matrix: &[i8],
	k: usize,
	lines: core::ops::Range<usize>,
	p0: usize,
	kc: usize,
	buffer: &'a mut [i8],
) -> &'a [i8] {
	let packed = &mut buffer[..lines.len() * kc];
	for (to, line) in packed.chunks_exact_mut(kc).zip(lines) {
		to.copy_from_slice(&matrix[line * k + p0..][..kc]);
	}
	packed
}

/// C += the products of the `MR` rows of `a_panel` with the columns of `b_block` (lines of `kc`
/// elements, packed): `c` starts at the panel's first row, rows are `ldc` apart and the block's
/// first column is column `j0` of C.
///
/// In the `first` block of k, the sums are stored rather than added, so C's previous contents
/// do not matter: a read of C that misses the caches stalls the core for the whole of the load,
/// while stores drain in the background. With k <= [`KC`], C is never read at all; this is worth a third of the speed once
/// C outgrows the last-level cache.
#[inline(always)]
fn panel<const MR: usize, const NR: usize>(
	a_panel: &[i8],
	b_block: &[i8],
	kc: usize,
	c: &mut [i32],
	ldc: usize,
	j0: usize,
	first: bool,
) {
	let a_rows: [&[i8]; MR] = core::array::from_fn(|r| &a_panel[r * kc..][..kc]);
	let b_col = |j: usize| &b_block[j * kc..][..kc];
	let cols = b_block.len() / kc;
	let mut j = 0;
	while j + NR <= cols {
		let b_cols: [&[i8]; NR] = core::array::from_fn(|q| b_col(j + q));
		let sums = tile(a_rows, b_cols);
		for (r, sums) in sums.iter().enumerate() {
			let c_row = &mut c[r * ldc + j0 + j..][..NR];
			for (c, sum) in c_row.iter_mut().zip(sums) {
				*c = if first { *sum } else { c.wrapping_add(*sum) };
			}
		}
		j += NR;
	}
	// The last columns (fewer than a tile), one at a time.
	for j in j..cols {
		let sums = tile(a_rows, [b_col(j)]);
		for (r, sums) in sums.iter().enumerate() {
			let c = &mut c[r * ldc + j0 + j];
			*c = if first { sums[0] } else { c.wrapping_add(sums[0]) };
		}
	}
}

/// The micro-kernel: the `MR x NR` dot products of `a_rows` and `b_cols` (all of one length),
/// wrapping.
///
/// Written for the loop vectoriser: the slices are cut to one length first, so the loop has no
/// bounds checks, and the `MR * NR` sums are independent reductions it keeps in vector registers.
#[inline(always)]
fn tile<const MR: usize, const NR: usize>(
	a_rows: [&[i8]; MR],
	b_cols: [&[i8]; NR],
) -> [[i32; NR]; MR] {
	let len = a_rows[0].len();
	let a_rows = a_rows.map(|row| &row[..len]);
	let b_cols = b_cols.map(|col| &col[..len]);
	let mut sums = [[0i32; NR]; MR];
	for t in 0..len {
		let x = a_rows.map(|row| i32::from(row[t]));
		let y = b_cols.map(|col| i32::from(col[t]));
		for (sums, x) in sums.iter_mut().zip(x) {
			for (sum, y) in sums.iter_mut().zip(y) {
				// |x * y| <= 2^14: the product never overflows; only the sum wraps.
				*sum = sum.wrapping_add(x * y);
			}
		}
	}
	sums
}

/// The x86-64 builds of the kernel and their run-time dispatch.
#[cfg(target_arch = "x86_64")]
mod x86 {
	use super::blocked;

	pub(super) fn has_avx2() -> bool {
		std::is_x86_feature_detected!("avx2")
	}

	pub(super) fn has_avx512() -> bool {
		std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw")
	}

	#[target_feature(enable = "avx2")]
	fn blocked_avx2(k: usize, a: &[i8], b: &[i8], c: &mut [i32]) {
		blocked::<4, 4>(k, a, b, c)
	}

	#[target_feature(enable = "avx2,avx512f,avx512bw")]
	fn blocked_avx512(k: usize, a: &[i8], b: &[i8], c: &mut [i32]) {
		blocked::<4, 4>(k, a, b, c)
	}

	/// [`blocked`] compiled for AVX2. Panics if the processor lacks AVX2 (`Cpu` never calls
	/// it then).
	#[allow(unsafe_code)]
	pub(super) fn block_avx2(k: usize, a: &[i8], b: &[i8], c: &mut [i32]) {
		// The detection is cached: this costs a load per block of work, not a CPUID.
		assert!(has_avx2(), "the AVX2 kernel needs a processor with AVX2");
		// SAFETY: `blocked_avx2` is safe code whose only precondition is that the processor
		// supports the features it is compiled with (AVX2), checked just above.
		unsafe { blocked_avx2(k, a, b, c) }
	}

	/// [`blocked`] compiled for AVX-512. Panics if the processor lacks AVX-512 F and BW (`Cpu`
	/// never calls it then).
	#[allow(unsafe_code)]
	pub(super) fn block_avx512(k: usize, a: &[i8], b: &[i8], c: &mut [i32]) {
		assert!(has_avx2() && has_avx512(), "the AVX-512 kernel needs AVX-512 F and BW");
		// SAFETY: `blocked_avx512` is safe code whose only precondition is that the processor
		// supports the features it is compiled with (AVX2, AVX-512 F and BW), checked above.
		unsafe { blocked_avx512(k, a, b, c) }
	}
}

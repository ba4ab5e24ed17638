//! The compute backends of `MatMulI8` jobs: C = A x B over int8 inputs.
//!
//! The layouts are the protocol's (`docs/protocol.md`, "The job"):
//!
//! | Matrix | Shape | Element | Layout |
//! |---|---|---|---|
//! | `a` | m x k | `i8` | row-major: row i is `a[i*k .. (i+1)*k]` |
//! | `b_cols` | k x n | `i8` | column-major: column j is `b_cols[j*k .. (j+1)*k]` |
//! | C (returned) | m x n | `i32` | row-major: row i is `c[i*n .. (i+1)*n]` |
//!
//! `C[i][j]` is the sum over t < k of `A[i][t] * B[t][j]`, each product in i32 and the sum
//! **wrapping** (modulo 2^32). Wrapping makes the result independent of the order of summation,
//! so every backend, however it blocks and parallelises the sum, returns exactly the bits of
//! [`tessera_commitment::matmul_reference`]; the tests hold each backend to that.
//!
//! - [`Cpu`]: a cache-blocked, multi-threaded kernel, always built (see `cpu.rs`).
//! - `Cuda`: cuBLAS's int8 GEMM with int32 results, behind the `cuda` feature (see `cuda.rs`).
//!
//! [`detect`] lists the backends usable on this machine, fastest first.

use core::fmt;
use tessera_commitment::Dims;

mod cpu;
#[cfg(feature = "cuda")]
mod cuda;
#[cfg(test)]
mod tests;

pub use cpu::{Cpu, Isa};
#[cfg(feature = "cuda")]
pub use cuda::Cuda;

/// A way of computing C = A x B (see the [module documentation](self) for the layouts).
pub trait Backend: Send + Sync {
	/// A short, stable name: `"cpu"` or `"cuda"`.
	fn name(&self) -> &'static str;

	/// A description for logs (the device, the instruction set, the threads).
	fn description(&self) -> String {
		self.name().to_string()
	}

	/// C = A x B with `a` m x k row-major and `b_cols` k x n column-major; C m x n row-major,
	/// bit-identical to [`tessera_commitment::matmul_reference`]. Fails if a slice's length does
	/// not match `dims` or the backend fails; never panics on bad input.
	fn matmul(&self, dims: Dims, a: &[i8], b_cols: &[i8]) -> Result<Vec<i32>, GemmError>;
}

/// The backends usable on this machine, fastest first: one per CUDA device when the `cuda`
/// feature is compiled in and a driver and device are present, then the CPU, always (with the
/// widest instruction set the processor has and one thread per available core).
pub fn detect() -> Vec<Box<dyn Backend>> {
	#[cfg(feature = "cuda")]
	let gpus = (0..Cuda::device_count())
		.filter_map(|ordinal| Cuda::new(ordinal).ok())
		.map(|cuda| Box::new(cuda) as Box<dyn Backend>);
	#[cfg(not(feature = "cuda"))]
	let gpus = core::iter::empty();
	gpus.chain([Box::new(Cpu::new()) as Box<dyn Backend>]).collect()
}

/// One of the two inputs of a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
	/// A, m x k, row-major.
	A,
	/// B, k x n, column-major (`b_cols`).
	B,
}

/// Why a backend could not compute a product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GemmError {
	/// An input slice's length is not the one its dimensions give (m * k for A, n * k for B).
	LengthMismatch {
		/// Which input.
		operand: Operand,
		/// The length `dims` give.
		expected: usize,
		/// The slice's length.
		actual: usize,
	},
	/// A matrix of these dimensions does not fit in this machine's address space.
	TooLarge {
		/// The job's dimensions.
		dims: Dims,
	},
	/// The backend itself failed (a driver or library error, a device out of memory).
	Backend {
		/// [`Backend::name`] of the backend that failed.
		backend: &'static str,
		/// What failed, for logs.
		message: String,
	},
}

impl fmt::Display for GemmError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::LengthMismatch { operand, expected, actual } => write!(
				f,
				"matrix {operand:?} has {actual} elements where its dimensions give {expected}"
			),
			Self::TooLarge { dims } => write!(
				f,
				"a {}x{}x{} product does not fit in this machine's memory addressing",
				dims.m, dims.n, dims.k
			),
			Self::Backend { backend, message } => write!(f, "{backend} backend: {message}"),
		}
	}
}

impl std::error::Error for GemmError {}

/// The dimensions of a product as `usize`, with the lengths of its three matrices, every one
/// known to fit in memory addressing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
	/// Rows of A and C.
	pub m: usize,
	/// Columns of B and C.
	pub n: usize,
	/// Columns of A, rows of B.
	pub k: usize,
}

impl Shape {
	/// Converts `dims`, or [`GemmError::TooLarge`] where A, B or C (as bytes) would not fit in
	/// `isize` (the largest allocation Rust allows).
	pub fn new(dims: Dims) -> Result<Self, GemmError> {
		let too_large = GemmError::TooLarge { dims };
		let (m, n, k) = (dims.m as usize, dims.n as usize, dims.k as usize);
		let fits = |rows: usize, cols: usize, bytes: usize| {
			rows.checked_mul(cols)
				.and_then(|len| len.checked_mul(bytes))
				.is_some_and(|size| isize::try_from(size).is_ok())
		};
		if fits(m, k, 1) && fits(n, k, 1) && fits(m, n, 4) {
			Ok(Self { m, n, k })
		} else {
			Err(too_large)
		}
	}

	/// Checks that `a` and `b_cols` have the lengths `dims` give; the [`Shape`] of the product
	/// if so. Every backend starts with this.
	pub fn check(dims: Dims, a: &[i8], b_cols: &[i8]) -> Result<Self, GemmError> {
		let shape = Self::new(dims)?;
		for (operand, expected, actual) in
			[(Operand::A, shape.a_len(), a.len()), (Operand::B, shape.b_len(), b_cols.len())]
		{
			if expected != actual {
				return Err(GemmError::LengthMismatch { operand, expected, actual });
			}
		}
		Ok(shape)
	}

	/// m * k.
	pub fn a_len(&self) -> usize {
		self.m * self.k
	}

	/// n * k.
	pub fn b_len(&self) -> usize {
		self.n * self.k
	}

	/// m * n.
	pub fn c_len(&self) -> usize {
		self.m * self.n
	}

	/// Multiply-accumulates of the product: m * n * k (2mnk operations).
	pub fn macs(&self) -> u128 {
		self.m as u128 * self.n as u128 * self.k as u128
	}
}

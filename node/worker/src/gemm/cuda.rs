//! The CUDA backend: cuBLAS's int8 GEMM with int32 results (`cublasGemmEx` with `CUDA_R_8I`
//! inputs, a `CUDA_R_32I` output and `CUBLAS_COMPUTE_32I`), through `cudarc`.
//!
//! `cudarc` loads `libcuda` and `libcublas` at run time, so this builds without a CUDA toolkit;
//! [`Cuda::new`] fails (it does not panic) on a machine without them or without a device.
//!
//! **Layouts.** cuBLAS is column-major. Read column-major, our buffers already are the
//! transposes it needs, so nothing is transposed on the host:
//!
//! - `b_cols` (column j of B at `j*k`) is B as a column-major k x n matrix, `ld = k`; with
//!   `CUBLAS_OP_T` it is the n x k matrix B^T.
//! - `a` (row-major m x k) is A^T as a column-major k x m matrix, `ld = k`; `CUBLAS_OP_N`.
//! - Their product B^T A^T = (A B)^T = C^T is n x m; column-major with `ldc = n` that is exactly
//!   C row-major.
//!
//! So the call is `gemm(T, N, n, m, k, B, A, C)`, the "TN" form cuBLAS's int8 kernels prefer.
//!
//! **Alignment.** cuBLAS's int8 GEMM wants the leading dimensions (and the sizes) to be
//! multiples of 4. Where k, m or n is not, the inputs are copied once into zero-padded buffers
//! (k rounded up: rows of A and columns of B padded with zeros, which adds only zero products;
//! m and n rounded up: extra zero rows of A and columns of B, whose rows and columns of C are
//! dropped). Otherwise the caller's slices are copied to the device as they are.
//!
//! **Exactness.** C is defined with wrapping i32 sums, and whether cuBLAS's integer kernels wrap
//! or saturate on overflow is not documented. A sum of k products of int8 values is at most
//! k * 2^14 in magnitude, so no partial sum can overflow while k <= [`K_EXACT`]; longer
//! products are computed as several GEMMs over slices of k, each exact, added on the host with
//! wrapping. The result is then bit-identical to the CPU's whatever cuBLAS does on overflow.

use super::{Backend, GemmError, Shape};
use cudarc::{
	cublas::{result::CublasError, sys as blas, CudaBlas},
	driver::{CudaContext, CudaSlice, CudaStream, DevicePtr, DevicePtrMut, DriverError},
};
use std::{
	borrow::Cow,
	ffi::{c_int, c_void},
	sync::{Arc, Mutex},
};

/// The longest k (a multiple of 4) for which no partial sum of one dot product can overflow
/// i32: 131068 * 2^14 < 2^31. (A product of two int8 values is at most 2^14 = (-128)^2 in
/// magnitude.)
pub const K_EXACT: usize = ((i32::MAX as usize) >> 14) / 4 * 4;

/// A CUDA device and a cuBLAS handle on it.
pub struct Cuda {
	ordinal: usize,
	device: String,
	context: Arc<CudaContext>,
	stream: Arc<CudaStream>,
	/// Serialises products: the handle and the stream are shared, and one GEMM fills the device.
	blas: Mutex<CudaBlas>,
}

impl core::fmt::Debug for Cuda {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("Cuda")
			.field("ordinal", &self.ordinal)
			.field("device", &self.device)
			.finish()
	}
}

impl Cuda {
	/// CUDA devices on this machine; 0 where the driver library is missing or fails.
	pub fn device_count() -> usize {
		if !libraries_present().0 {
			return 0;
		}
		CudaContext::device_count().ok().and_then(|count| usize::try_from(count).ok()).unwrap_or(0)
	}

	/// The backend on device `ordinal` (0 for the first), or why it cannot be used: no driver or
	/// cuBLAS library, no such device, or a failure creating the context or the handle.
	pub fn new(ordinal: usize) -> Result<Self, GemmError> {
		match libraries_present() {
			(false, _) => return Err(failure("the CUDA driver library (libcuda) was not found")),
			(_, false) => return Err(failure("the cuBLAS library (libcublas) was not found")),
			_ => {},
		}
		let context = CudaContext::new(ordinal).map_err(driver_error)?;
		let device = context.name().map_err(driver_error)?;
		let stream = context.default_stream();
		let blas = CudaBlas::new(stream.clone()).map_err(blas_error)?;
		Ok(Self { ordinal, device, context, stream, blas: Mutex::new(blas) })
	}

	/// The device's name, as the driver reports it.
	pub fn device(&self) -> &str {
		&self.device
	}

	/// The device's ordinal.
	pub fn ordinal(&self) -> usize {
		self.ordinal
	}
}

impl Backend for Cuda {
	fn name(&self) -> &'static str {
		"cuda"
	}

	fn description(&self) -> String {
		format!("cuda (device {}: {})", self.ordinal, self.device)
	}

	fn matmul(&self, dims: super::Dims, a: &[i8], b_cols: &[i8]) -> Result<Vec<i32>, GemmError> {
		let shape = Shape::check(dims, a, b_cols)?;
		let Shape { m, n, k } = shape;
		if k == 0 || shape.c_len() == 0 {
			return Ok(vec![0; shape.c_len()]);
		}
		let (m4, n4, k4) = (m.next_multiple_of(4), n.next_multiple_of(4), k.next_multiple_of(4));
		let dim = |value: usize| c_int::try_from(value).map_err(|_| GemmError::TooLarge { dims });
		let (rows, cols, ld) = (dim(n4)?, dim(m4)?, dim(k4)?);
		// Checked by `Shape` for m x n, but the padded C is a little larger.
		let c4_len = m4
			.checked_mul(n4)
			.filter(|len| len.checked_mul(4).is_some_and(|bytes| bytes <= isize::MAX as usize))
			.ok_or(GemmError::TooLarge { dims })?;
		let a4 = pad(a, m, k, m4, k4);
		let b4 = pad(b_cols, n, k, n4, k4);

		// A poisoned lock only means another product panicked; the handle is still usable.
		let blas = self.blas.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		self.context.bind_to_thread().map_err(driver_error)?;
		let a_dev = self.stream.clone_htod(a4.as_ref()).map_err(driver_error)?;
		let b_dev = self.stream.clone_htod(b4.as_ref()).map_err(driver_error)?;
		let mut c_dev = self.stream.alloc_zeros::<i32>(c4_len).map_err(driver_error)?;

		let mut c4: Option<Vec<i32>> = None;
		for start in (0..k4).step_by(K_EXACT) {
			let depth = dim(K_EXACT.min(k4 - start))?;
			gemm_tn(&blas, &self.stream, rows, cols, depth, &b_dev, &a_dev, ld, start, &mut c_dev)
				.map_err(blas_error)?;
			let part = self.stream.clone_dtoh(&c_dev).map_err(driver_error)?;
			// The copy into pageable memory has completed on return; make it explicit, since the
			// next GEMM overwrites `c_dev`.
			self.stream.synchronize().map_err(driver_error)?;
			match &mut c4 {
				None => c4 = Some(part),
				Some(sum) => sum.iter_mut().zip(part).for_each(|(s, p)| *s = s.wrapping_add(p)),
			}
		}
		drop(blas);
		let c4 = c4.unwrap_or_else(|| vec![0; c4_len]);
		if n4 == n {
			let mut c = c4;
			c.truncate(m * n);
			return Ok(c);
		}
		Ok(c4.chunks_exact(n4).take(m).flat_map(|row| &row[..n]).copied().collect())
	}
}

/// `lines` lines (rows of A or columns of B) of `len` bytes, as `lines4` lines of `len4` bytes
/// with zeros after each line and zero lines at the end; borrowed when no padding is needed.
fn pad(matrix: &[i8], lines: usize, len: usize, lines4: usize, len4: usize) -> Cow<'_, [i8]> {
	if (lines, len) == (lines4, len4) {
		return Cow::Borrowed(matrix);
	}
	let mut padded = vec![0i8; lines4 * len4];
	for (to, from) in padded.chunks_exact_mut(len4).zip(matrix.chunks_exact(len)) {
		to[..len].copy_from_slice(from);
	}
	Cow::Owned(padded)
}

/// C^T (`rows` x `cols`, column-major, `ldc = rows`) = B^T A^T over k in `start .. start +
/// depth`, where `b` holds `rows` columns of B and `a` `cols` rows of A, each `ld` long; C is
/// overwritten (beta = 0).
#[allow(unsafe_code)]
fn gemm_tn(
	blas: &CudaBlas,
	stream: &CudaStream,
	rows: c_int,
	cols: c_int,
	depth: c_int,
	b: &CudaSlice<i8>,
	a: &CudaSlice<i8>,
	ld: c_int,
	start: usize,
	c: &mut CudaSlice<i32>,
) -> Result<(), CublasError> {
	let (alpha, beta) = (1i32, 0i32);
	// The `_sync` guards order the buffers' use on `stream` with their other uses (cudarc's
	// event tracking); they must live until the call is enqueued.
	let (b_ptr, _b_sync) = b.device_ptr(stream);
	let (a_ptr, _a_sync) = a.device_ptr(stream);
	let (c_ptr, _c_sync) = c.device_ptr_mut(stream);
	// `start < ld`: the first element of the slice of k, in bounds of every line.
	let offset = start as u64;
	// SAFETY: the three pointers are live device allocations of this context, held borrowed
	// until the call returns (cuBLAS enqueues on the handle's stream, `stream`, which every later
	// use of `c` is ordered after). Their sizes match the arguments: `b` holds `rows` lines and
	// `a` `cols` lines of `ld >= start + depth` bytes each (both padded to multiples of 4, as
	// are `rows`, `cols`, `ld` and `start`, which keeps every pointer 4-byte aligned), and `c`
	// holds `rows * cols` i32 with `ldc = rows`. `alpha` and `beta` are host i32 values (the
	// scale type of `CUBLAS_COMPUTE_32I`; the handle is in the default host pointer mode) that
	// outlive the call.
	unsafe {
		cudarc::cublas::result::gemm_ex(
			*blas.handle(),
			blas::cublasOperation_t::CUBLAS_OP_T,
			blas::cublasOperation_t::CUBLAS_OP_N,
			rows,
			cols,
			depth,
			(&alpha as *const i32).cast::<c_void>(),
			(b_ptr + offset) as *const c_void,
			blas::cudaDataType_t::CUDA_R_8I,
			ld,
			(a_ptr + offset) as *const c_void,
			blas::cudaDataType_t::CUDA_R_8I,
			ld,
			(&beta as *const i32).cast::<c_void>(),
			c_ptr as *mut c_void,
			blas::cudaDataType_t::CUDA_R_32I,
			rows,
			blas::cublasComputeType_t::CUBLAS_COMPUTE_32I,
			blas::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
		)
	}
}

/// Whether the CUDA driver library and the cuBLAS library can be loaded. `cudarc` panics when
/// a library it needs is missing, so every entry point checks first.
#[allow(unsafe_code)]
fn libraries_present() -> (bool, bool) {
	// SAFETY: these only try to `dlopen` (and close again) the vendor's libraries by their
	// usual names, which runs those libraries' initialisers: the same as any program linking
	// CUDA does at start-up.
	unsafe { (cudarc::driver::sys::is_culib_present(), cudarc::cublas::sys::is_culib_present()) }
}

fn failure(message: impl Into<String>) -> GemmError {
	GemmError::Backend { backend: "cuda", message: message.into() }
}

fn driver_error(error: DriverError) -> GemmError {
	failure(format!("CUDA driver: {error}"))
}

fn blas_error(error: CublasError) -> GemmError {
	failure(format!("cuBLAS: {error}"))
}

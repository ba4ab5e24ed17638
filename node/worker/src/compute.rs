//! Running a job's kernel a chunk of rows at a time, each chunk saved before the next starts, so
//! that a worker killed mid-job resumes at the first row it had not saved.

use crate::{
	gemm::{Backend, GemmError},
	inputs::Matrices,
	store::{Meta, Store},
};
use std::{
	fmt, io,
	sync::{
		atomic::{AtomicBool, Ordering},
		mpsc,
	},
	thread,
	time::{Duration, Instant},
};
use tessera_commitment::{c_leaf_count, c_leaves, Dims, H256};

/// About this many multiply-adds per chunk: a fraction of a second on a CPU, so progress is
/// visible and a kill loses little, yet large enough that a chunk's fixed costs (packing B,
/// syncing the rows to disk) stay small against its arithmetic.
const CHUNK_MACS: u64 = 1 << 37;

/// How many rows of C one chunk computes.
pub fn chunk_rows(d: Dims) -> u32 {
	let per_row = (u64::from(d.n) * u64::from(d.k)).max(1);
	// At most m, which is a u32.
	(CHUNK_MACS / per_row).max(64).min(u64::from(d.m.max(1))) as u32
}

/// A finished computation.
pub struct Computed {
	/// C, row-major.
	pub c: Vec<i32>,
	/// The leaves of C's Merkle tree ([`tessera_commitment::c_leaves`]), hashed as rows came.
	pub c_leaves: Vec<H256>,
	/// Time spent in the kernel itself (this run only).
	pub kernel: Duration,
	/// Rows found already done in the store.
	pub resumed_rows: u32,
}

/// Why a computation stopped.
#[derive(Debug)]
pub enum ComputeError {
	Kernel(GemmError),
	Store(io::Error),
	/// The worker is shutting down; the rows saved so far are kept.
	Stopped,
}

impl fmt::Display for ComputeError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			ComputeError::Kernel(e) => write!(f, "kernel: {e}"),
			ComputeError::Store(e) => write!(f, "local store: {e}"),
			ComputeError::Stopped => write!(f, "stopped by shutdown"),
		}
	}
}

impl std::error::Error for ComputeError {}

impl From<io::Error> for ComputeError {
	fn from(e: io::Error) -> Self {
		ComputeError::Store(e)
	}
}

fn not_rows() -> ComputeError {
	ComputeError::Store(io::Error::other("the saved rows do not fit the job"))
}

/// Computes the rows of C the store does not have yet and returns the whole of C with the
/// leaves of its tree. Stops between chunks once `stop` is set.
///
/// Two threads of work: this one runs the kernel, chunk after chunk; a second one takes each
/// finished chunk, saves and syncs it, records it in `meta`, hashes its leaves and calls
/// `progress(rows_done)`. Saving and hashing a chunk thus overlap the kernel's next one. At most
/// one chunk waits between them, so memory stays at C plus two chunks.
pub fn run(
	backend: &dyn Backend,
	store: &Store,
	meta: &mut Meta,
	inputs: &Matrices,
	stop: &AtomicBool,
	mut progress: impl FnMut(u32) + Send,
) -> Result<Computed, ComputeError> {
	let d = meta.dims();
	let k = d.k as usize;
	let resumed_rows = meta.rows_done.min(d.m);
	let step = chunk_rows(d);
	let (chunks, saver) = mpsc::sync_channel::<(u32, Vec<i32>)>(1);
	thread::scope(|scope| {
		let meta = &mut *meta;
		let saved = scope.spawn(move || -> Result<(Vec<i32>, Vec<H256>), ComputeError> {
			let mut c = store.read_rows(meta, resumed_rows)?;
			c.reserve((d.m - resumed_rows) as usize * d.n as usize);
			let mut leaves = Vec::with_capacity(c_leaf_count(d) as usize);
			leaves.extend(c_leaves(d, 0, &c).ok_or_else(not_rows)?);
			for (row, rows) in saver {
				store.write_rows(meta, row, &rows)?;
				let end = row + (rows.len() / d.n as usize) as u32;
				meta.rows_done = end;
				store.save(meta)?;
				leaves.extend(c_leaves(d, row, &rows).ok_or_else(not_rows)?);
				c.extend_from_slice(&rows);
				progress(end);
			}
			Ok((c, leaves))
		});
		let mut kernel = Duration::ZERO;
		let mut row = resumed_rows;
		let mut failed = None;
		while row < d.m {
			if stop.load(Ordering::Relaxed) {
				failed = Some(ComputeError::Stopped);
				break;
			}
			let end = row.saturating_add(step).min(d.m);
			let part = Dims { m: end - row, n: d.n, k: d.k };
			let a = &inputs.a[row as usize * k..end as usize * k];
			let started = Instant::now();
			match backend.matmul(part, a, &inputs.b_cols) {
				Ok(rows) => {
					kernel += started.elapsed();
					// The saver only stops early on an error, which `join` reports below.
					if chunks.send((row, rows)).is_err() {
						break;
					}
				},
				Err(e) => {
					failed = Some(ComputeError::Kernel(e));
					break;
				},
			}
			row = end;
		}
		drop(chunks);
		let saved = saved
			.join()
			.map_err(|_| ComputeError::Store(io::Error::other("the saver panicked")))?;
		let (c, c_leaves) = saved?;
		match failed {
			Some(e) => Err(e),
			None => Ok(Computed { c, c_leaves, kernel, resumed_rows }),
		}
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{gemm::Cpu, inputs::from_seed};
	use tessera_commitment::{matmul_reference, H256};

	#[test]
	fn chunks_cover_every_row_and_stay_near_the_target() {
		assert_eq!(chunk_rows(Dims { m: 10, n: 4, k: 4 }), 10);
		assert_eq!(chunk_rows(Dims { m: 100_000, n: 8192, k: 8192 }), 2048);
		assert_eq!(chunk_rows(Dims { m: 100_000, n: 1 << 20, k: 1 << 20 }), 64);
	}

	#[test]
	fn a_computation_stopped_midway_resumes_from_the_saved_rows() {
		let base = std::env::temp_dir().join(format!("tessera-compute-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&base);
		let store = Store::open(&base).unwrap();
		let d = Dims { m: 150, n: 33, k: 20 };
		let inputs = from_seed(&H256::repeat_byte(9), d, 2).unwrap();
		let reference = matmul_reference(d, &inputs.a, &inputs.b_cols);
		let cpu = Cpu::new();
		let mut meta = Meta::new(1, 0, d, "seed:09".into());
		store.begin(&meta).unwrap();
		// Pretend a first run saved 64 rows, then died: rows 64.. of the file are garbage.
		store.write_rows(&meta, 0, &reference[..64 * 33]).unwrap();
		store.write_rows(&meta, 64, &[-1; 33]).unwrap();
		meta.rows_done = 64;
		store.save(&meta).unwrap();
		let mut seen = Vec::new();
		let done = run(&cpu, &store, &mut meta, &inputs, &AtomicBool::new(false), |r| seen.push(r))
			.unwrap();
		assert_eq!(done.resumed_rows, 64);
		assert_eq!(done.c, reference);
		assert_eq!(
			tessera_commitment::MerkleTree::new(done.c_leaves).unwrap().root(),
			tessera_commitment::c_tree(d, &reference).unwrap().root()
		);
		assert_eq!(seen, vec![150]);
		assert_eq!(meta.rows_done, 150);
		assert_eq!(store.read_rows(&meta, 150).unwrap(), reference);
		assert_eq!(store.load(1, 0).unwrap().unwrap().rows_done, 150);
		std::fs::remove_dir_all(base).unwrap();
	}
}

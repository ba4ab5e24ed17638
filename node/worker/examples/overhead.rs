//! Measures what the worker adds to the bare kernel on one large seed-input job: first the
//! kernel alone (one `matmul` of the whole product), then the job as the worker runs it, with the
//! same functions (`inputs::from_seed`; `compute::run`, which saves and hashes each chunk of C
//! while the kernel computes the next; `Prover::from_parts`; `Prover::open`). The overhead is
//! the job's time less the kernel-alone time, as a share of the job's time.
//!
//! ```text
//! cargo run --release -p tessera-worker --example overhead -- [SIZE] [--k K] [--threads N] [--dir PATH]
//! ```
//!
//! SIZE is m = n, and k too unless `--k` sets it (default 8192). The kernel's work grows with
//! m·n·k, the worker's (saving C, hashing it) with m·n only, so the overhead falls as k grows. The store goes under `--dir` (default: the system's temp
//! directory) and is removed afterwards. What is not timed: the chain's share (a few
//! transactions, sent while the next block is awaited) and downloads of content inputs, which
//! depend on the client's server.

use std::{
	sync::atomic::AtomicBool,
	time::{Duration, Instant},
};
use tessera_commitment::{sample_positions, Dims, Prover, H256};
use tessera_worker::{
	compute,
	gemm::{Backend, Cpu},
	inputs,
	store::{Meta, Store},
};

fn main() {
	let mut size = 8192u32;
	let mut k = None;
	let mut threads = None;
	let mut dir = std::env::temp_dir();
	let mut args = std::env::args().skip(1);
	while let Some(arg) = args.next() {
		match arg.as_str() {
			"--threads" => threads = args.next().and_then(|v| v.parse().ok()),
			"--k" => k = args.next().and_then(|v| v.parse().ok()),
			"--dir" => dir = args.next().map(Into::into).unwrap_or(dir),
			other => size = other.parse().expect("SIZE is a positive integer"),
		}
	}
	let cpu = Cpu::new();
	let backend = match threads {
		Some(t) => cpu.with_threads(t),
		None => cpu,
	};
	let threads =
		threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
	let d = Dims { m: size, n: size, k: k.unwrap_or(size) };
	let base = dir.join(format!("tessera-overhead-{}", std::process::id()));
	let store = Store::open(&base).expect("the store opens");
	println!("{}x{}x{} int8 job, seed inputs, {}", d.m, d.n, d.k, backend.description());

	let seed = H256::repeat_byte(0x5e);
	let bare = {
		let matrices = inputs::from_seed(&seed, d, threads).expect("inputs fit in memory");
		let t = Instant::now();
		backend.matmul(d, &matrices.a, &matrices.b_cols).expect("the kernel runs");
		t.elapsed()
	};
	let total = Instant::now();
	let t = Instant::now();
	let matrices = inputs::from_seed(&seed, d, threads).expect("inputs fit in memory");
	let derive = t.elapsed();

	let mut meta = Meta::new(1, 0, d, "seed:5e".into());
	store.begin(&meta).expect("the store writes");
	let t = Instant::now();
	let computed =
		compute::run(&backend, &store, &mut meta, &matrices, &AtomicBool::new(false), |_| {})
			.expect("the kernel runs");
	let compute_all = t.elapsed();
	let kernel_in_job = computed.kernel;

	let t = Instant::now();
	let prover =
		Prover::from_parts(d, None, computed.c, computed.c_leaves).expect("C fits the job");
	let commit = t.elapsed();

	let t = Instant::now();
	let positions = sample_positions(&H256::repeat_byte(1), d, 8);
	for p in &positions {
		prover.open(*p).expect("positions are inside C");
	}
	let open = t.elapsed();
	let job = total.elapsed();
	std::fs::remove_dir_all(&base).expect("the store is removed");

	let ops = 2.0 * f64::from(d.m) * f64::from(d.n) * f64::from(d.k);
	let row = |what: &str, time: Duration| {
		println!(
			"  {what:<40} {:>9.3} s {:>6.2}%",
			time.as_secs_f64(),
			100.0 * time.as_secs_f64() / job.as_secs_f64()
		)
	};
	row("kernel alone (one matmul, before the job)", bare);
	println!("the job:");
	row("derive A and B from the seed", derive);
	row("kernel chunks, saving and hashing C", compute_all);
	row("  of which in the kernel", kernel_in_job);
	row("tree over C's leaves", commit);
	row("open 8 samples", open);
	row("job, end to end", job);
	let overhead = job.saturating_sub(bare);
	println!(
		"kernel alone: {:.1} GOPS; the job adds {:.3} s = {:.2}% of its time (goal <= 5%)",
		ops / bare.as_secs_f64() / 1e9,
		overhead.as_secs_f64(),
		100.0 * overhead.as_secs_f64() / job.as_secs_f64()
	);
}

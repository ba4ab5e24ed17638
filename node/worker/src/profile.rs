//! What the host offers, for `tessera-worker register`: the GPUs the NVIDIA driver reports, the
//! int8 throughput the worker's own backend measures, and the host's cores and memory.

use crate::gemm::Backend;
use std::{process::Command, time::Instant};
use tessera_commitment::{seed_matrices, Dims, H256};

/// One GPU as the driver reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gpu {
	pub model: String,
	pub vram_mib: u32,
}

/// The GPUs `nvidia-smi` lists; empty where there is no NVIDIA driver.
pub fn gpus() -> Vec<Gpu> {
	let output = Command::new("nvidia-smi")
		.args(["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"])
		.output();
	match output {
		Ok(out) if out.status.success() => parse_nvidia_smi(&String::from_utf8_lossy(&out.stdout)),
		_ => Vec::new(),
	}
}

/// Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`.
pub fn parse_nvidia_smi(text: &str) -> Vec<Gpu> {
	text.lines()
		.filter_map(|line| {
			let (model, vram) = line.rsplit_once(',')?;
			Some(Gpu { model: model.trim().to_string(), vram_mib: vram.trim().parse().ok()? })
		})
		.collect()
}

/// A field of `/proc/meminfo`, in KiB.
fn meminfo_kib(field: &str) -> Option<u64> {
	let text = std::fs::read_to_string("/proc/meminfo").ok()?;
	let line = text.lines().find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
	line.split_whitespace().nth(1)?.parse().ok()
}

/// Host memory in MiB.
pub fn ram_mib() -> Option<u32> {
	u32::try_from(meminfo_kib("MemTotal")? / 1024).ok()
}

/// Memory available to new allocations now, in bytes.
pub fn available_ram_bytes() -> Option<u64> {
	meminfo_kib("MemAvailable")?.checked_mul(1024)
}

/// CPU threads available to the worker.
pub fn cpu_cores() -> u32 {
	std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1)
}

/// The backend's int8 throughput in TOPS, measured on a 2048³ product (best of three).
pub fn measure_int8_tops(backend: &dyn Backend) -> f64 {
	let d = Dims { m: 2048, n: 2048, k: 2048 };
	let (a, b_cols) = seed_matrices(&H256::repeat_byte(7), d);
	let mut best = f64::MAX;
	for _ in 0..3 {
		let started = Instant::now();
		if backend.matmul(d, &a, &b_cols).is_err() {
			return 0.0;
		}
		best = best.min(started.elapsed().as_secs_f64());
	}
	2.0 * 2048f64.powi(3) / best / 1e12
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn nvidia_smi_lines_are_read_with_commas_in_names() {
		let text = "NVIDIA H100 80GB HBM3, 81559\nNVIDIA GeForce RTX 4090, 24564\nweird line\n";
		assert_eq!(
			parse_nvidia_smi(text),
			vec![
				Gpu { model: "NVIDIA H100 80GB HBM3".into(), vram_mib: 81559 },
				Gpu { model: "NVIDIA GeForce RTX 4090".into(), vram_mib: 24564 },
			]
		);
		assert!(parse_nvidia_smi("").is_empty());
	}
}

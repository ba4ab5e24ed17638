//! Getting a replica's inputs and computing it, a chunk of rows at a time, off the loop that
//! follows the chain: one task per replica, retried after a failure.

use super::*;

/// Which try a (re)start of a replica in `stage` is, or `None` if it is under way, done, or
/// failed too recently.
pub(super) fn next_attempt(stage: Option<&Stage>) -> Option<u32> {
	match stage {
		None => Some(1),
		Some(Stage::Failed(f)) if f.retry_due() => Some(f.attempts.saturating_add(1)),
		Some(_) => None,
	}
}

/// Starts getting the inputs and computing a replica, once (again after a failure, once
/// [`Failure::retry_due`]).
pub(super) fn ensure_started(
	worker: &Arc<Worker>,
	job: u64,
	replica: u32,
	d: Dims,
	inputs: &InputsView,
) {
	let key = (job, replica);
	let attempt = {
		let Ok(mut stages) = worker.stages.lock() else { return };
		let Some(attempt) = next_attempt(stages.get(&key)) else { return };
		stages.insert(key, Stage::Preparing);
		attempt
	};
	let worker = worker.clone();
	let inputs = inputs.clone();
	tokio::spawn(async move {
		let stage = match prepare_and_compute(&worker, job, replica, d, &inputs).await {
			Ok(prover) => Stage::Done(prover),
			Err(fault) => {
				let what = if fault.permanent { "cannot be run" } else { "failed" };
				tracing::error!("job {job}/{replica}: {what} (try {attempt}): {}", fault.message);
				Stage::Failed(Failure {
					at: Instant::now(),
					attempts: attempt,
					permanent: fault.permanent,
					error: fault.message,
				})
			},
		};
		let _ =
			worker.metrics.progress.remove_label_values(&[&job.to_string(), &replica.to_string()]);
		worker.set_stage((job, replica), stage);
	});
}

pub(super) fn h256(h: &subxt::utils::H256) -> H256 {
	H256::from(h.0)
}

/// Gets the inputs, computes (or resumes) C, and builds the prover that answers spot-checks.
pub(super) async fn prepare_and_compute(
	worker: &Arc<Worker>,
	job: u64,
	replica: u32,
	d: Dims,
	inputs: &InputsView,
) -> Result<Arc<Prover>, Fault> {
	let tag = match inputs {
		InputsView::Seed(seed) => format!("seed:{}", hex::encode(seed.0)),
		InputsView::Content { hash, .. } => format!("content:{}", hex::encode(hash.0)),
	};
	let store = &worker.store;
	let mut meta = match store.load(job, replica).map_err(|e| e.to_string())? {
		// The same job (same dimensions and inputs): its output is the same, whatever chain
		// the store was written on.
		Some(meta) if meta.dims() == d && meta.inputs == tag => meta,
		_ => {
			let meta = Meta::new(job, replica, d, tag);
			store.begin(&meta).map_err(|e| format!("local store: {e}"))?;
			meta
		},
	};
	let threads = worker.config.threads;
	let matrices = match inputs {
		// All of C is in the store (a restart, perhaps mid spot-check): the prover of a seed job
		// needs no inputs, so none are derived.
		InputsView::Seed(_) if meta.rows_done == d.m && meta.output_commitment.is_some() => {
			Matrices { a: Vec::new(), b_cols: Vec::new() }
		},
		InputsView::Seed(seed) => {
			let seed = h256(seed);
			tokio::task::spawn_blocking(move || inputs::from_seed(&seed, d, threads))
				.await
				.map_err(|e| e.to_string())?
				.map_err(Fault::inputs)?
		},
		InputsView::Content { hash, uri, size } => {
			inputs::check_size(d, *size).map_err(Fault::inputs)?;
			let bytes = match store.load_inputs(job, replica).map_err(|e| e.to_string())? {
				Some(bytes) => bytes,
				None => {
					let uri = String::from_utf8_lossy(uri).into_owned();
					tracing::info!("job {job}/{replica}: downloading {size} bytes from {uri}");
					inputs::download(&uri, *size, worker.config.fetch_timeout)
						.await
						.map_err(Fault::inputs)?
				},
			};
			let hash = h256(hash);
			let checked = tokio::task::spawn_blocking(move || {
				inputs::from_content(d, &bytes, &hash).map(|m| (m, bytes))
			})
			.await
			.map_err(|e| e.to_string())?
			.map_err(Fault::inputs)?;
			store.save_inputs(&meta, &checked.1).map_err(|e| e.to_string())?;
			checked.0
		},
	};
	worker.set_stage((job, replica), Stage::Computing);
	let content = matches!(inputs, InputsView::Content { .. });
	let worker2 = worker.clone();
	tokio::task::spawn_blocking(move || compute_and_prove(&worker2, &mut meta, &matrices, content))
		.await
		.map_err(|e| e.to_string())?
		.map_err(Fault::from)
}

/// The blocking part: the kernel, chunk by chunk, then the commitment.
pub(super) fn compute_and_prove(
	worker: &Worker,
	meta: &mut Meta,
	matrices: &Matrices,
	content: bool,
) -> Result<Arc<Prover>, String> {
	let d = meta.dims();
	let (job, replica) = (meta.job, meta.replica);
	let labels = [job.to_string(), replica.to_string()];
	let progress = worker.metrics.progress.with_label_values(&[&labels[0], &labels[1]]);
	let ops = 2.0 * f64::from(d.m) * f64::from(d.n) * f64::from(d.k);
	if meta.rows_done > 0 && meta.rows_done < d.m {
		tracing::info!("job {job}/{replica}: resuming at row {} of {}", meta.rows_done, d.m);
		worker.metrics.resumed.inc();
	}
	let started = Instant::now();
	let mut last_log = Instant::now();
	let first_row = meta.rows_done;
	progress.set(f64::from(meta.rows_done) / f64::from(d.m));
	let done =
		compute::run(worker.backend.as_ref(), &worker.store, meta, matrices, &worker.stop, |row| {
			progress.set(f64::from(row) / f64::from(d.m));
			if last_log.elapsed() >= Duration::from_secs(5) || row == d.m {
				last_log = Instant::now();
				let fraction = f64::from(row - first_row) / f64::from(d.m - first_row).max(1.0);
				let elapsed = started.elapsed().as_secs_f64();
				let left = if fraction > 0.0 { elapsed / fraction - elapsed } else { 0.0 };
				tracing::info!(
					"job {job}/{replica}: {:.0}% of {}x{}x{} ({:.1} s, about {:.0} s left)",
					100.0 * f64::from(row) / f64::from(d.m),
					d.m,
					d.n,
					d.k,
					elapsed,
					left
				);
			}
		})
		.map_err(|e| e.to_string())?;
	let computed_ops = ops * f64::from(d.m - done.resumed_rows) / f64::from(d.m);
	if done.kernel > Duration::ZERO {
		worker.metrics.gops.set(computed_ops / done.kernel.as_secs_f64() / 1e9);
	}
	worker.metrics.ops.inc_by(computed_ops as u64);
	let inputs = content.then_some((matrices.a.as_slice(), matrices.b_cols.as_slice()));
	let prover = Prover::from_parts(d, inputs, done.c, done.c_leaves)
		.ok_or("the output does not fit the job")?;
	let commitment = prover.output_commitment();
	match &meta.output_commitment {
		None => {
			meta.output_commitment = Some(hex::encode(commitment.0));
			worker.store.save(meta).map_err(|e| e.to_string())?;
		},
		// The receipt may already carry the stored commitment: openings of another C would be
		// fraud. A store that no longer reproduces it is damaged, and nothing is answered.
		Some(stored) if *stored != hex::encode(commitment.0) => {
			return Err(format!(
				"the stored output no longer matches its commitment 0x{stored}: the store is damaged"
			))
		},
		Some(_) => {},
	}
	tracing::info!(
		"job {job}/{replica}: computed in {:.2} s ({:.2} s in the kernel), output {commitment:?}",
		started.elapsed().as_secs_f64(),
		done.kernel.as_secs_f64()
	);
	Ok(Arc::new(prover))
}

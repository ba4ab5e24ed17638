//! The worker's loop: follow finalized blocks, and for each replica assigned to this worker's
//! provider do what its state on chain asks for next.
//!
//! The loop reads state, not events: at every finalized block it lists the provider's
//! unfinished replicas (`jobs.providerJobs`) and the check of each submitted receipt
//! (`proofs.checks`), and acts on what it finds. A worker that was down, or whose node was, picks
//! up exactly where the chain is, with no event to have missed. Events are read only for the
//! earnings metric.
//!
//! A transaction already sent is not sent again for [`RESEND_AFTER`] blocks (the local store
//! remembers acknowledgements and receipts across restarts), and the chain refuses a second
//! receipt for a replica in any case.

use crate::{
	chain::{self, types::*, Chain},
	compute,
	gemm::Backend,
	inputs::{self, Matrices},
	metrics::Metrics,
	store::{unix_now, Meta, Store},
};
use codec::Encode;
use std::{
	collections::{HashMap, HashSet},
	sync::{atomic::AtomicBool, Arc, Mutex},
	time::{Duration, Instant},
};
use subxt::{dynamic, utils::AccountId32};
use subxt_signer::sr25519::Keypair;
use tessera_commitment::{Dims, Opening, Prover, H256};
use tessera_primitives::jobs::Receipt;
use tokio::sync::watch;

/// Blocks after which a transaction that has not taken effect is sent again.
pub const RESEND_AFTER: u32 = 10;
/// Planck per TSR.
const UNIT: f64 = 1e12;

/// How the worker runs.
pub struct Config {
	/// The node's WebSocket URL.
	pub node: String,
	/// The base URL clients download outputs from; the provider's registered endpoint if unset.
	pub public_url: Option<String>,
	/// Threads for deriving inputs.
	pub threads: usize,
	/// Longest an input download may take.
	pub fetch_timeout: Duration,
	/// How long outputs of ended replicas stay downloadable.
	pub keep_outputs: Duration,
}

/// Where the worker is with one replica.
#[derive(Clone)]
enum Stage {
	/// Getting and checking the inputs.
	Preparing,
	/// Inputs good; computing C.
	Computing,
	/// C computed and committed to.
	Done(Arc<Prover>),
	/// Failed at that moment (bad or unreachable inputs, kernel or store failure; the error is
	/// in the log). Tried again after [`RETRY_AFTER`] while the chain still asks for the
	/// replica; never acknowledged or answered with a result it does not have.
	Failed(Instant),
}

/// How long after a failure a replica's preparation is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// What the worker shares between its loop, its jobs and its HTTP server; survives reconnects.
pub struct Worker {
	pub config: Config,
	pub store: Store,
	pub metrics: Metrics,
	pub backend: Arc<dyn Backend>,
	pub key: Keypair,
	pub account: AccountId32,
	/// Set on shutdown: computations stop between chunks.
	pub stop: Arc<AtomicBool>,
	stages: Mutex<HashMap<(u64, u32), Stage>>,
	/// Finalized block at which a response was last sent, per replica.
	responded: Mutex<HashMap<(u64, u32), u32>>,
	/// Finalized block at which the last heartbeat was sent.
	heartbeat_sent: Mutex<Option<u32>>,
	/// What `/health` reports.
	pub health: Mutex<Health>,
	/// Things said once in the log, not at every block.
	said: Mutex<HashSet<String>>,
}

/// The worker's state as `/health` shows it.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Health {
	pub connected: bool,
	pub finalized: Option<u32>,
	pub provider: Option<String>,
	pub worker: String,
	pub backend: String,
}

impl Worker {
	pub fn new(
		config: Config,
		store: Store,
		metrics: Metrics,
		backend: Arc<dyn Backend>,
		key: Keypair,
	) -> Arc<Self> {
		let account = key.public_key().to_account_id();
		let health = Health {
			worker: account.to_string(),
			backend: backend.description(),
			..Default::default()
		};
		Arc::new(Worker {
			config,
			store,
			metrics,
			backend,
			key,
			account,
			stop: Arc::new(AtomicBool::new(false)),
			stages: Mutex::new(HashMap::new()),
			responded: Mutex::new(HashMap::new()),
			heartbeat_sent: Mutex::new(None),
			health: Mutex::new(health),
			said: Mutex::new(HashSet::new()),
		})
	}

	fn say_once(&self, what: String) {
		if self.said.lock().map(|mut s| s.insert(what.clone())).unwrap_or(true) {
			tracing::warn!("{what}");
		}
	}

	fn stage(&self, key: (u64, u32)) -> Option<Stage> {
		self.stages.lock().ok()?.get(&key).cloned()
	}

	fn set_stage(&self, key: (u64, u32), stage: Stage) {
		if let Ok(mut stages) = self.stages.lock() {
			stages.insert(key, stage);
		}
	}

	fn set_health(&self, f: impl FnOnce(&mut Health)) {
		if let Ok(mut h) = self.health.lock() {
			f(&mut h);
		}
	}
}

/// Runs until `shutdown` turns true: connects, follows blocks, reconnects when the node goes
/// away (waiting 1 s, then up to 30 s, between attempts).
pub async fn run(worker: Arc<Worker>, mut shutdown: watch::Receiver<bool>) {
	let mut backoff = Duration::from_secs(1);
	let mut first = true;
	while !*shutdown.borrow() {
		match Chain::connect(&worker.config.node, worker.key.clone()).await {
			Ok(chain) => {
				tracing::info!("connected to {}", worker.config.node);
				if !first {
					worker.metrics.reconnects.inc();
				}
				first = false;
				backoff = Duration::from_secs(1);
				worker.metrics.connected.set(1);
				worker.set_health(|h| h.connected = true);
				let ended = follow(&worker, &chain, &mut shutdown).await;
				worker.metrics.connected.set(0);
				worker.set_health(|h| h.connected = false);
				match ended {
					Ok(()) => break,
					Err(e) => tracing::warn!("lost the node: {e}; reconnecting"),
				}
			},
			Err(e) => tracing::warn!("cannot connect to {}: {e}", worker.config.node),
		}
		tokio::select! {
			_ = tokio::time::sleep(backoff) => {},
			_ = shutdown.changed() => {},
		}
		backoff = (backoff * 2).min(Duration::from_secs(30));
	}
}

/// Follows finalized blocks on one connection; `Ok` on shutdown, `Err` when the connection is
/// lost.
async fn follow(
	worker: &Arc<Worker>,
	chain: &Chain,
	shutdown: &mut watch::Receiver<bool>,
) -> Result<(), chain::Error> {
	let mut blocks = chain.client().stream_blocks().await?;
	let mut last_events: Option<u64> = None;
	loop {
		let block = tokio::select! {
			_ = shutdown.changed() => return Ok(()),
			block = blocks.next() => block,
		};
		let block = match block {
			None => return Err("the node closed the block subscription".into()),
			Some(block) => block?,
		};
		let number = block.number();
		// A subscription may repeat a block or, on a new connection, start behind one seen.
		if last_events.is_some_and(|l| number <= l) {
			continue;
		}
		worker.metrics.finalized.set(number as i64);
		worker.set_health(|h| h.finalized = Some(number as u32));
		let at = chain.client().at_block(number).await?;
		let provider = match on_block(worker, chain, &at, number as u32).await {
			Ok(provider) => provider,
			Err(e) => {
				// A failed read is retried at the next block; a lost connection shows up in
				// the block stream.
				tracing::warn!("block {number}: {e}");
				None
			},
		};
		// Events of every block since the last one seen on this connection (a subscription may
		// skip blocks finalized together).
		if let Some(provider) = provider {
			for n in last_events.map_or(number, |l| l + 1)..=number {
				let events = if n == number {
					earnings(worker, &at, &provider).await
				} else {
					match chain.client().at_block(n).await {
						Ok(older) => earnings(worker, &older, &provider).await,
						Err(e) => Err(e.into()),
					}
				};
				if let Err(e) = events {
					tracing::debug!("events of block {n}: {e}");
				}
			}
		}
		last_events = Some(number);
	}
}

/// Counts the provider's payments and failures in a block.
async fn earnings(
	worker: &Worker,
	at: &chain::AtBlock,
	provider: &AccountId32,
) -> Result<(), chain::Error> {
	let events = at.events().fetch().await?;
	for paid in events.find::<Paid>() {
		let paid = paid?;
		if paid.provider == *provider {
			worker.metrics.earnings.add(paid.payment as f64 / UNIT);
			worker.metrics.jobs_finished.with_label_values(&["paid"]).inc();
			tracing::info!(
				"job {}/{}: paid {} TSR",
				paid.job,
				paid.replica,
				paid.payment as f64 / UNIT
			);
		}
	}
	for failed in events.find::<ReplicaFailed>() {
		let failed = failed?;
		if failed.provider == *provider {
			worker.metrics.jobs_finished.with_label_values(&["failed"]).inc();
			tracing::warn!("job {}/{}: failed ({})", failed.job, failed.replica, failed.reason);
		}
	}
	Ok(())
}

/// Everything the worker does at a finalized block; returns the provider it works for, once
/// it is registered.
async fn on_block(
	worker: &Arc<Worker>,
	chain: &Chain,
	at: &chain::AtBlock,
	number: u32,
) -> Result<Option<AccountId32>, chain::Error> {
	let Some(provider) = chain::provider_of(at, &worker.account).await? else {
		worker.say_once(format!(
			"worker key {} is not registered to a provider yet (`tessera-worker register`)",
			worker.account
		));
		return Ok(None);
	};
	worker.set_health(|h| h.provider = Some(provider.to_string()));
	let info = chain::provider(at, &provider).await?.ok_or("the provider's record is missing")?;
	// Each replica, and the heartbeat, on its own: one that cannot be handled (an undecodable
	// record, a refused transaction) must not hold up the others.
	if let Err(e) = heartbeat(worker, chain, at, &info, number).await {
		tracing::warn!("heartbeat: {e}");
	}
	let assigned = chain::provider_jobs(at, &provider).await?;
	let mut counts: HashMap<&str, i64> = HashMap::new();
	let mut live = HashSet::new();
	for (job, replica) in assigned {
		live.insert((job, replica));
		match on_replica(worker, chain, at, &provider, &info, job, replica, number).await {
			Ok(Some(state)) => *counts.entry(state).or_default() += 1,
			Ok(None) => {},
			Err(e) => tracing::warn!("job {job}/{replica}: {e}"),
		}
	}
	for state in ["awaiting_ack", "running", "submitted"] {
		worker
			.metrics
			.jobs
			.with_label_values(&[state])
			.set(counts.get(state).copied().unwrap_or(0));
	}
	forget_ended(worker, &live);
	if number.is_multiple_of(100) {
		// Also replicas that ended while the worker was down: their outputs' retention starts
		// now.
		if let Ok(metas) = worker.store.list() {
			for meta in metas.iter().filter(|m| !live.contains(&(m.job, m.replica))) {
				mark_ended(worker, meta.job, meta.replica);
			}
		}
		match worker.store.prune(worker.config.keep_outputs) {
			Ok(0) => {},
			Ok(n) => tracing::info!("removed the outputs of {n} replicas that ended long ago"),
			Err(e) => tracing::warn!("local store: pruning failed: {e}"),
		}
	}
	Ok(Some(provider))
}

/// Does what one replica's state asks for; returns the state's metric label.
#[allow(clippy::too_many_arguments)]
async fn on_replica(
	worker: &Arc<Worker>,
	chain: &Chain,
	at: &chain::AtBlock,
	provider: &AccountId32,
	info: &ProviderView,
	job: u64,
	replica: u32,
	number: u32,
) -> Result<Option<&'static str>, chain::Error> {
	let record = chain::job(at, job).await?;
	let Some(slot) = record.replicas.get(replica as usize) else { return Ok(None) };
	// The chain lets the provider's current worker key act for every replica of the provider,
	// whatever key was registered when it was assigned.
	if slot.provider != *provider {
		return Ok(None);
	}
	let state = match slot.state {
		ReplicaStateView::AwaitingAck { .. } => "awaiting_ack",
		ReplicaStateView::Running => "running",
		ReplicaStateView::Submitted { .. } => "submitted",
		ReplicaStateView::Paid { .. } | ReplicaStateView::Failed => return Ok(None),
	};
	let Some(d) = runnable(worker, job, replica, &record) else { return Ok(Some(state)) };
	ensure_started(worker, job, replica, d, &record.spec.inputs);
	match (&slot.state, worker.stage((job, replica))) {
		(ReplicaStateView::AwaitingAck { .. }, Some(Stage::Computing | Stage::Done(_))) => {
			acknowledge(worker, chain, job, replica, number).await?
		},
		(ReplicaStateView::Running, Some(Stage::Done(prover))) => {
			submit_receipt(worker, chain, info, &record, job, replica, &prover, number).await?
		},
		(ReplicaStateView::Submitted { .. }, Some(Stage::Done(prover))) => {
			if let Some(check) = chain::check(at, job, replica).await? {
				respond(worker, chain, job, replica, &check, &prover, number).await?;
			}
		},
		_ => {},
	}
	Ok(Some(state))
}

/// The dimensions of a job this worker can run, or `None` (said once in the log) if it cannot:
/// opaque programs, and attested receipts, which need an enclave this worker does not have.
fn runnable(worker: &Worker, job: u64, replica: u32, record: &JobView) -> Option<Dims> {
	let Some(d) = record.spec.workload.dims() else {
		worker
			.say_once(format!("job {job}/{replica}: opaque workloads are not run by this worker"));
		return None;
	};
	if record.spec.verification == VerificationView::Attested {
		worker.say_once(format!("job {job}/{replica}: attested jobs need an enclave; not run"));
		return None;
	}
	// A job whose matrices do not fit would abort the process on allocation, again at every
	// restart: it is declined instead (every dimension may be up to 2^20 on chain).
	let need = inputs::memory_needed(d);
	if let Some(free) = crate::profile::available_ram_bytes() {
		if need > free {
			worker.say_once(format!(
				"job {job}/{replica}: needs about {} MiB of memory, {} MiB available; not run",
				need >> 20,
				free >> 20
			));
			return None;
		}
	}
	Some(d)
}

/// Sends a heartbeat when one is due: the first after the provider went online, then every
/// `HeartbeatInterval` blocks.
async fn heartbeat(
	worker: &Worker,
	chain: &Chain,
	at: &chain::AtBlock,
	info: &ProviderView,
	number: u32,
) -> Result<(), chain::Error> {
	if info.worker != worker.account {
		return Ok(());
	}
	if info.status != StatusView::Online {
		worker.say_once(
			"the provider is offline: it gets no jobs until it sends `providers.goOnline`".into(),
		);
		return Ok(());
	}
	let interval =
		at.constants().entry(dynamic::constant::<u32>("Providers", "HeartbeatInterval"))?;
	let due = info.last_heartbeat.is_none_or(|last| number >= last.saturating_add(interval));
	let last = worker.heartbeat_sent.lock().ok().and_then(|s| *s);
	if due && may_send(last, number) {
		let sent = chain.heartbeat().await?;
		if let Ok(mut s) = worker.heartbeat_sent.lock() {
			*s = Some(number);
		}
		track(worker, "heartbeat", sent);
	}
	Ok(())
}

/// Starts getting the inputs and computing a replica, once.
fn ensure_started(worker: &Arc<Worker>, job: u64, replica: u32, d: Dims, inputs: &InputsView) {
	let key = (job, replica);
	{
		let Ok(mut stages) = worker.stages.lock() else { return };
		match stages.get(&key) {
			None => {},
			Some(Stage::Failed(at)) if at.elapsed() >= RETRY_AFTER => {},
			Some(_) => return,
		}
		stages.insert(key, Stage::Preparing);
	}
	let worker = worker.clone();
	let inputs = inputs.clone();
	tokio::spawn(async move {
		let stage = match prepare_and_compute(&worker, job, replica, d, &inputs).await {
			Ok(prover) => Stage::Done(prover),
			Err(e) => {
				tracing::error!("job {job}/{replica}: {e}");
				Stage::Failed(Instant::now())
			},
		};
		let _ =
			worker.metrics.progress.remove_label_values(&[&job.to_string(), &replica.to_string()]);
		worker.set_stage((job, replica), stage);
	});
}

fn h256(h: &subxt::utils::H256) -> H256 {
	H256::from(h.0)
}

/// Gets the inputs, computes (or resumes) C, and builds the prover that answers spot-checks.
async fn prepare_and_compute(
	worker: &Arc<Worker>,
	job: u64,
	replica: u32,
	d: Dims,
	inputs: &InputsView,
) -> Result<Arc<Prover>, String> {
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
				.map_err(|e| e.to_string())?
		},
		InputsView::Content { hash, uri, size } => {
			inputs::check_size(d, *size).map_err(|e| e.to_string())?;
			let bytes = match store.load_inputs(job, replica).map_err(|e| e.to_string())? {
				Some(bytes) => bytes,
				None => {
					let uri = String::from_utf8_lossy(uri).into_owned();
					tracing::info!("job {job}/{replica}: downloading {size} bytes from {uri}");
					inputs::download(&uri, *size, worker.config.fetch_timeout)
						.await
						.map_err(|e| e.to_string())?
				},
			};
			let hash = h256(hash);
			let checked = tokio::task::spawn_blocking(move || {
				inputs::from_content(d, &bytes, &hash).map(|m| (m, bytes))
			})
			.await
			.map_err(|e| e.to_string())?
			.map_err(|e| e.to_string())?;
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
}

/// The blocking part: the kernel, chunk by chunk, then the commitment.
fn compute_and_prove(
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

/// Whether a transaction last sent at `sent` may be sent again at `now`. A mark far ahead of
/// `now` was left by another chain (a dev chain started afresh on an old store) and is stale.
fn may_send(sent: Option<u32>, now: u32) -> bool {
	sent.is_none_or(|s| {
		now >= s.saturating_add(RESEND_AFTER) || s > now.saturating_add(RESEND_AFTER)
	})
}

async fn acknowledge(
	worker: &Worker,
	chain: &Chain,
	job: u64,
	replica: u32,
	number: u32,
) -> Result<(), chain::Error> {
	let mut actions = worker.store.load_actions(job, replica)?;
	if !may_send(actions.ack_sent_at, number) {
		return Ok(());
	}
	// Recorded before sending: a kill in between delays the acknowledgement by RESEND_AFTER
	// blocks instead of sending it twice.
	actions.ack_sent_at = Some(number);
	worker.store.save_actions(job, replica, &actions)?;
	let sent = chain.acknowledge(job, replica).await?;
	tracing::info!("job {job}/{replica}: acknowledged");
	track(worker, "acknowledge", sent);
	Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn submit_receipt(
	worker: &Worker,
	chain: &Chain,
	info: &ProviderView,
	record: &JobView,
	job: u64,
	replica: u32,
	prover: &Prover,
	number: u32,
) -> Result<(), chain::Error> {
	let mut actions = worker.store.load_actions(job, replica)?;
	if !may_send(actions.receipt_sent_at, number) {
		return Ok(());
	}
	let base = match &worker.config.public_url {
		Some(url) => url.clone(),
		None => String::from_utf8_lossy(&info.endpoint).into_owned(),
	};
	let uri = format!("{}/jobs/{job}/{replica}/output", base.trim_end_matches('/'));
	let receipt = Receipt {
		output_commitment: prover.output_commitment(),
		output_uri: uri.into_bytes().try_into().map_err(|_| "the output URL is too long")?,
		used_units: record.units,
		enclave_signature: None,
	};
	// Recorded before sending, as the acknowledgement is.
	actions.receipt_sent_at = Some(number);
	worker.store.save_actions(job, replica, &actions)?;
	let sent = chain.submit_receipt(job, replica, receipt).await?;
	worker.metrics.receipts.inc();
	tracing::info!("job {job}/{replica}: receipt sent");
	track(worker, "submit_receipt", sent);
	Ok(())
}

/// Opens the samples the chain drew and that are not answered yet.
async fn respond(
	worker: &Worker,
	chain: &Chain,
	job: u64,
	replica: u32,
	check: &CheckView,
	prover: &Prover,
	number: u32,
) -> Result<(), chain::Error> {
	let StageView::Sampling { positions, answered, respond_by, audit } = &check.stage else {
		return Ok(());
	};
	if number > *respond_by {
		return Ok(());
	}
	let last = worker.responded.lock().ok().and_then(|r| r.get(&(job, replica)).copied());
	if !may_send(last, number) {
		return Ok(());
	}
	let mut openings = Vec::new();
	for (sample, position) in positions.iter().enumerate() {
		if answered & (1 << sample) == 0 {
			let opening = prover.open(*position).ok_or("a drawn position is outside C")?;
			openings.push((sample as u32, opening));
		}
	}
	if openings.is_empty() {
		return Ok(());
	}
	let count = openings.len();
	for batch in batches(openings) {
		let sent = chain.respond(job, replica, prover.roots(), batch).await?;
		track(worker, "respond", sent);
	}
	if let Ok(mut r) = worker.responded.lock() {
		r.insert((job, replica), number);
	}
	let what = if *audit { "audit" } else { "spot-check" };
	tracing::info!("job {job}/{replica}: opened {count} samples of the {what}");
	Ok(())
}

/// Most bytes of openings in one `proofs.respond`: well inside a block's length, so a job with a
/// long k (each opening of a content job carries a row of A and a column of B) is answered in
/// several calls, which the chain accepts, rather than in one it cannot include.
const RESPONSE_BYTES: usize = 1 << 20;

/// Splits openings into consecutive batches of at most [`RESPONSE_BYTES`] (at least one opening
/// each).
fn batches(openings: Vec<(u32, Opening)>) -> Vec<Vec<(u32, Opening)>> {
	let mut out: Vec<Vec<(u32, Opening)>> = Vec::new();
	let mut size = 0;
	for opening in openings {
		let bytes = opening.encoded_size();
		match out.last_mut() {
			Some(batch) if size + bytes <= RESPONSE_BYTES => batch.push(opening),
			_ => {
				out.push(vec![opening]);
				size = 0;
			},
		}
		size += bytes;
	}
	out
}

/// Logs and counts how a sent transaction ends, without holding up the loop.
fn track(worker: &Worker, call: &'static str, sent: chain::Sent) {
	let metrics = worker.metrics.clone();
	tokio::spawn(async move {
		match sent.outcome().await {
			chain::Outcome::Success { block } => {
				metrics.transactions.with_label_values(&[call, "ok"]).inc();
				tracing::debug!("{call} finalized in {block:?}");
			},
			chain::Outcome::Failed(e) => {
				metrics.transactions.with_label_values(&[call, "failed"]).inc();
				tracing::warn!("{call} failed: {e}");
			},
		}
	});
}

/// Starts the retention period of a replica's output, once.
fn mark_ended(worker: &Worker, job: u64, replica: u32) {
	let marked = worker.store.load_actions(job, replica).and_then(|mut actions| {
		if actions.finished_at.is_none() {
			actions.finished_at = Some(unix_now());
			worker.store.save_actions(job, replica, &actions)?;
		}
		Ok(())
	});
	if let Err(e) = marked {
		tracing::warn!("job {job}/{replica}: local store: {e}");
	}
}

/// Drops the in-memory state of replicas that left the provider's list, and starts their
/// outputs' retention period.
fn forget_ended(worker: &Worker, live: &HashSet<(u64, u32)>) {
	let ended: Vec<(u64, u32)> = match worker.stages.lock() {
		Ok(stages) => stages.keys().filter(|k| !live.contains(k)).copied().collect(),
		Err(_) => return,
	};
	for (job, replica) in ended {
		mark_ended(worker, job, replica);
		if let Ok(mut stages) = worker.stages.lock() {
			// A computation still running keeps its entry until it ends; it is forgotten at the
			// next block.
			if !matches!(stages.get(&(job, replica)), Some(Stage::Preparing | Stage::Computing)) {
				stages.remove(&(job, replica));
			}
		}
		if let Ok(mut r) = worker.responded.lock() {
			r.remove(&(job, replica));
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn openings_are_sent_in_batches_that_fit_a_block() {
		use tessera_commitment::seed_matrices;
		let d = Dims { m: 2, n: 2, k: 300_000 };
		let (a, b_cols) = seed_matrices(&H256::repeat_byte(1), d);
		let c = vec![0; 4];
		let prover = Prover::new(d, Some((&a, &b_cols)), &c).unwrap();
		let openings: Vec<(u32, Opening)> =
			(0..8).map(|s| (s, prover.open((s % 2, s / 4)).unwrap())).collect();
		// Each opening carries 600 kB of inputs: one per call.
		let split = batches(openings.clone());
		assert_eq!(split.len(), 8);
		assert!(split.iter().all(|b| b.len() == 1 && b.encoded_size() <= RESPONSE_BYTES + 8));
		let small = Dims { m: 2, n: 2, k: 3 };
		let (a, b_cols) = seed_matrices(&H256::repeat_byte(1), small);
		let prover = Prover::new(small, Some((&a, &b_cols)), &c).unwrap();
		let few: Vec<(u32, Opening)> = (0..8).map(|s| (s, prover.open((0, 1)).unwrap())).collect();
		assert_eq!(batches(few.clone()), vec![few]);
		assert!(batches(Vec::new()).is_empty());
	}

	#[test]
	fn a_transaction_is_sent_again_only_after_the_resend_delay() {
		assert!(may_send(None, 5));
		assert!(!may_send(Some(5), 5));
		assert!(!may_send(Some(5), 5 + RESEND_AFTER - 1));
		assert!(may_send(Some(5), 5 + RESEND_AFTER));
		// A mark just ahead (blocks seen out of order) holds; one far ahead, left by another
		// chain on the same store, does not.
		assert!(!may_send(Some(21), 20));
		assert!(may_send(Some(500), 20));
	}
}

//! The worker's loop: follow the best blocks, and for each replica assigned to this worker's
//! provider do what its state on chain asks for next.
//!
//! The loop reads state, not events: at every new best block it lists the provider's
//! unfinished replicas (`jobs.providerJobs`) and the check of each submitted receipt
//! (`proofs.checks`), and acts on what it finds. A worker that was down, or whose node was, picks
//! up exactly where the chain is, with no event to have missed. It follows best blocks, not
//! finalized ones, so that it answers a spot-check in the block after the samples are drawn,
//! and is paid there (the chain pays an honest receipt in the block its last answer lands).
//! Events are read only for the earnings metrics, from finalized blocks, so that a payment is
//! counted once whatever forks the best chain went through.
//!
//! For each replica awaiting its acknowledgement the worker either acknowledges it, once its
//! inputs are in hand and checked, or declines it (`jobs.decline`, at no cost to the provider):
//! a job it does not run (opaque, attested, more memory than the host has), inputs that can
//! never be used (wrong size or commitment), a preparation that keeps failing past
//! [`MAX_ATTEMPTS`], an acknowledgement the chain refused for want of free stake for the job's
//! collateral, or a replica not ready a few blocks before its window closes. Silence until the
//! window closes would cost reputation, and the job would go to another provider anyway.
//!
//! A transaction already sent is not sent again for [`RESEND_AFTER`] blocks: the local store
//! records acknowledgements, declines and receipts before they are sent, across restarts. That
//! record, and the chain's own refusals (a second acknowledgement, decline or receipt for a
//! replica is refused: it is no longer in the state that allows it), also make a block seen
//! twice, or a re-org to a sibling block whose state does not yet show a transaction the
//! retracted block included, harmless: the worker finds the mark and does not send again, and
//! the node puts the retracted block's transactions back in its pool.

use crate::{
	chain::{self, types::*, Chain},
	compute,
	gemm::Backend,
	inputs::{self, Matrices},
	metrics::Metrics,
	store::{unix_now, Actions, Meta, Store},
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
use tessera_primitives::jobs::{sealed_output, Receipt};
use tokio::sync::watch;

mod computing;
mod executor;
mod transactions;

use computing::*;
use transactions::*;

/// Blocks after which a transaction that has not taken effect is sent again.
pub const RESEND_AFTER: u32 = 10;
/// Tries at preparing (getting the inputs of) and computing a replica that awaits its
/// acknowledgement, before it is declined.
pub const MAX_ATTEMPTS: u32 = 3;
/// A replica not ready to be acknowledged this many blocks before its acknowledgement window
/// closes is declined: the decline must be in a block before the window's last.
pub const DECLINE_MARGIN: u32 = 3;
/// Planck per TSR.
const UNIT: f64 = 1e12;
/// Most finalized blocks whose events are read to catch up after a reconnection.
const MAX_CATCH_UP: u64 = 600;

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
	/// Failed (bad or unreachable inputs, kernel or store failure; the error is in the log).
	/// Tried again after [`RETRY_AFTER`] while the chain still asks for the replica, unless it
	/// awaits its acknowledgement and [`refusal`] declines it; never acknowledged or answered
	/// with a result it does not have.
	Failed(Failure),
}

/// A failed preparation or computation of a replica.
#[derive(Clone, Debug)]
struct Failure {
	/// When it failed.
	at: Instant,
	/// Tries so far, this one included.
	attempts: u32,
	/// Whether trying again cannot help: the job's inputs, as posted, are unusable here.
	permanent: bool,
	/// What went wrong.
	error: String,
}

impl Failure {
	/// Whether it is time to try again.
	fn retry_due(&self) -> bool {
		let wait = if self.permanent { RETRY_PERMANENT_AFTER } else { RETRY_AFTER };
		self.at.elapsed() >= wait
	}
}

/// How long after a failure a replica's preparation is tried again: [`MAX_ATTEMPTS`] tries fit
/// well within an acknowledgement window.
const RETRY_AFTER: Duration = Duration::from_secs(20);
/// The same after a permanent failure, for a replica acknowledged before (the worker restarted
/// and its inputs cannot be had again): the client may yet fix its server.
const RETRY_PERMANENT_AFTER: Duration = Duration::from_secs(300);

/// Why a preparation or computation failed, and whether trying again can help.
#[derive(Debug)]
struct Fault {
	message: String,
	permanent: bool,
}

impl Fault {
	fn inputs(e: inputs::InputsError) -> Self {
		Fault { permanent: e.is_permanent(), message: e.to_string() }
	}
}

impl From<String> for Fault {
	fn from(message: String) -> Self {
		Fault { message, permanent: false }
	}
}

/// Why the worker will not run a replica it was assigned, and declines it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Refusal {
	/// An opaque program: this worker runs `MatMulI8` only.
	Opaque,
	/// An attested job: this worker has no enclave.
	Attested,
	/// More memory than the host has available.
	Memory { need_mib: u64, free_mib: u64 },
	/// Inputs that can never be used as posted (wrong size or commitment, a bad URI).
	BadInputs(String),
	/// A preparation or computation that failed [`MAX_ATTEMPTS`] times.
	Failing(String),
	/// The chain refused the acknowledgement: the provider's free stake does not cover the
	/// job's collateral.
	Collateral,
	/// Not ready to acknowledge [`DECLINE_MARGIN`] blocks before the window closes.
	NotReady,
}

impl Refusal {
	/// The `reason` label of `tessera_worker_jobs_declined_total`.
	fn label(&self) -> &'static str {
		match self {
			Refusal::Opaque => "opaque",
			Refusal::Attested => "attested",
			Refusal::Memory { .. } => "memory",
			Refusal::BadInputs(_) => "inputs",
			Refusal::Failing(_) => "failing",
			Refusal::Collateral => "collateral",
			Refusal::NotReady => "not_ready",
		}
	}
}

impl std::fmt::Display for Refusal {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Refusal::Opaque => write!(f, "opaque workloads are not run by this worker"),
			Refusal::Attested => {
				write!(f, "attested jobs need an enclave, which this worker lacks")
			},
			Refusal::Memory { need_mib, free_mib } => {
				write!(f, "needs about {need_mib} MiB of memory, {free_mib} MiB available")
			},
			Refusal::BadInputs(e) => write!(f, "its inputs cannot be used: {e}"),
			Refusal::Failing(e) => write!(f, "failed {MAX_ATTEMPTS} times, last: {e}"),
			Refusal::Collateral => write!(
				f,
				"the provider's free stake does not cover the job's collateral (bond more)"
			),
			Refusal::NotReady => {
				write!(f, "not ready to acknowledge before the acknowledgement window closes")
			},
		}
	}
}

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
	/// Block at which a response was last sent, per replica.
	responded: Mutex<HashMap<(u64, u32), u32>>,
	/// Block at which the last heartbeat was sent.
	heartbeat_sent: Mutex<Option<u32>>,
	/// Replicas whose acknowledgement the chain refused with `InsufficientCollateral`: they are
	/// declined.
	collateral_refused: Mutex<HashSet<(u64, u32)>>,
	/// The provider the worker key signs for, as of the last best block: whose earnings the
	/// finalized blocks' events count.
	provider: Mutex<Option<AccountId32>>,
	/// The chain (its genesis hash) and the last finalized block whose events were counted, so
	/// that a reconnection to the same chain counts each block once.
	counted: Mutex<Option<(subxt::utils::H256, u64)>>,
	/// What `/health` reports.
	pub health: Mutex<Health>,
	/// Things said once in the log, not at every block.
	said: Mutex<HashSet<String>>,
}

/// The worker's state as `/health` shows it.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Health {
	pub connected: bool,
	/// The newest finalized block seen.
	pub finalized: Option<u32>,
	/// The newest best block seen: the one the worker acts on.
	pub best: Option<u32>,
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
			collateral_refused: Mutex::new(HashSet::new()),
			provider: Mutex::new(None),
			counted: Mutex::new(None),
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

/// Follows the chain on one connection: acts at each new best block, counts earnings at each
/// finalized one. `Ok` on shutdown, `Err` when the connection is lost.
async fn follow(
	worker: &Arc<Worker>,
	chain: &Chain,
	shutdown: &mut watch::Receiver<bool>,
) -> Result<(), chain::Error> {
	let mut best = chain.client().stream_best_blocks().await?;
	let mut finalized = chain.client().stream_blocks().await?;
	// Both streams begin with several recent finalized blocks (the node's `chainHead_follow`
	// reports them first), whose state the worker may have acted on already, or which are
	// history (before it started, or the finalized block a best block replaces). Only the node's
	// best block as of now and its successors are acted on; only blocks finalized after the last
	// counted one, on this chain, have their events counted.
	let floor = chain.best_number().await?;
	let genesis = chain.client().genesis_hash();
	let stored = worker.counted.lock().ok().and_then(|c| *c);
	let finalized_floor = chain.finalized_number().await?;
	let mut counted = first_counted(stored, genesis, finalized_floor);
	let mut last_best: Option<(u64, subxt::utils::H256)> = None;
	loop {
		tokio::select! {
			_ = shutdown.changed() => return Ok(()),
			block = best.next() => {
				let block = block.ok_or("the node closed the best-block subscription")??;
				on_best(worker, chain, &block, floor, &mut last_best).await;
			},
			block = finalized.next() => {
				let block = block.ok_or("the node closed the finalized-block subscription")??;
				on_finalized(worker, chain, &block, finalized_floor, genesis, &mut counted).await;
			},
		}
	}
}

/// The finalized block up to which events count as already counted on a new connection to
/// the chain with `genesis`, whose finalized block is `finalized` now: those counted before on
/// the same chain (catching up at most [`MAX_CATCH_UP`] blocks finalized meanwhile), else all
/// up to now (what was paid before the worker was there is not its earnings).
fn first_counted(
	stored: Option<(subxt::utils::H256, u64)>,
	genesis: subxt::utils::H256,
	finalized: u64,
) -> u64 {
	match stored {
		Some((chain, last)) if chain == genesis => last.max(finalized.saturating_sub(MAX_CATCH_UP)),
		_ => finalized,
	}
}

/// Whether a best block (`number`, `hash`) is one to act on, after the last one acted on on
/// this connection, which started with the node's best block at `floor`. A subscription
/// starts with older blocks, and may repeat a block or re-org to a lower one: those are
/// skipped, the next new best block follows soon. A sibling at the same height (a re-org) is
/// acted on: its state is the chain's now, and what was sent from the retracted block is in the
/// store's marks (see the module documentation).
fn is_new_best(
	last: Option<(u64, subxt::utils::H256)>,
	floor: u64,
	number: u64,
	hash: subxt::utils::H256,
) -> bool {
	number >= floor && last.is_none_or(|(n, h)| number > n || (number == n && hash != h))
}

/// Acts on a new best block.
async fn on_best(
	worker: &Arc<Worker>,
	chain: &Chain,
	block: &chain::Block,
	floor: u64,
	last: &mut Option<(u64, subxt::utils::H256)>,
) {
	let (number, hash) = (block.number(), block.hash());
	if !is_new_best(*last, floor, number, hash) {
		return;
	}
	*last = Some((number, hash));
	worker.metrics.best.set(number as i64);
	worker.set_health(|h| h.best = Some(number as u32));
	// The state of this very block (a best block may be replaced by a sibling at its height).
	let at = match block.at().await {
		Ok(at) => at,
		Err(e) => {
			// Retried at the next block; a lost connection shows up in the block stream.
			tracing::warn!("block {number}: {e}");
			return;
		},
	};
	match on_block(worker, chain, &at, number as u32).await {
		Ok(provider) => {
			if let Some(provider) = provider {
				if let Ok(mut p) = worker.provider.lock() {
					*p = Some(provider);
				}
			}
		},
		// A failed read is retried at the next block.
		Err(e) => tracing::warn!("block {number}: {e}"),
	}
}

/// Reports a finalized block (from `floor`, the node's finalized block when the connection
/// started: the subscription starts with older ones), and counts the earnings in the finalized
/// blocks after `last`, the last one counted (a subscription may skip blocks finalized
/// together, and repeat one).
async fn on_finalized(
	worker: &Worker,
	chain: &Chain,
	block: &chain::Block,
	floor: u64,
	genesis: subxt::utils::H256,
	last: &mut u64,
) {
	let number = block.number();
	if number >= floor {
		worker.metrics.finalized.set(number as i64);
		worker.set_health(|h| h.finalized = Some(number as u32));
	}
	if number <= *last {
		return;
	}
	let provider = worker.provider.lock().ok().and_then(|p| *p);
	if let Some(provider) = provider {
		for n in (*last + 1)..=number {
			// Finalized, so a number names one block for good.
			let events = if n == number {
				match block.at().await {
					Ok(at) => earnings(worker, &at, &provider).await,
					Err(e) => Err(e.into()),
				}
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
	*last = number;
	if let Ok(mut counted) = worker.counted.lock() {
		*counted = Some((genesis, number));
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
		if failed.provider != *provider {
			continue;
		}
		let reason = failed.reason_name().unwrap_or("unknown");
		if reason == "Declined" {
			// The worker's own choice, at no cost: logged when it was sent.
			worker.metrics.jobs_finished.with_label_values(&["declined"]).inc();
			tracing::info!("job {}/{}: declined (finalized)", failed.job, failed.replica);
		} else {
			worker.metrics.jobs_finished.with_label_values(&["failed"]).inc();
			tracing::warn!("job {}/{}: failed ({reason})", failed.job, failed.replica);
		}
	}
	Ok(())
}

/// Everything the worker does at a best block; returns the provider it works for, once it is
/// registered.
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
	if chain::banned(at, &provider).await? {
		// Nothing it sends can be taken or paid any more: heartbeats, receipts and answers
		// would only cost the worker key fees.
		worker.say_once(format!(
			"provider {provider} was banned for a proven fraud: this worker does nothing more"
		));
		return Ok(Some(provider));
	}
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
	for (job, replica) in chain::duties(at, &provider).await? {
		live.insert((job, replica));
		if let Err(e) = executor::on_duty(worker, chain, at, &provider, job, replica, number).await
		{
			tracing::warn!("re-execution of job {job}/{replica}: {e}");
		}
	}
	forget_ended(worker, &live);
	if number.is_multiple_of(100) {
		// Also replicas that ended while the worker was down, and declined ones, which never
		// had a stage: their outputs' retention starts now.
		if let Ok(replicas) = worker.store.replicas() {
			for (job, replica) in replicas.into_iter().filter(|key| !live.contains(key)) {
				mark_ended(worker, job, replica);
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
	let runnable = runnable(&record);
	if let ReplicaStateView::AwaitingAck { until } = slot.state {
		let actions = worker.store.load_actions(job, replica)?;
		if actions.declined_at.is_some() {
			// Declined: nothing more is done for it. The decline is sent again only if it has
			// not taken effect after RESEND_AFTER blocks.
			decline(worker, chain, job, replica, number, actions, None).await?;
			return Ok(Some(state));
		}
		if let Some(why) = refusal(worker, (job, replica), &runnable, until, number) {
			decline(worker, chain, job, replica, number, actions, Some(why)).await?;
			return Ok(Some(state));
		}
	}
	let d = match runnable {
		Ok(d) => d,
		// Acknowledged once, it cannot be declined any more (it never is by this worker).
		Err(why) => {
			worker.say_once(format!("job {job}/{replica}: {why}; not run"));
			return Ok(Some(state));
		},
	};
	ensure_started(worker, job, replica, d, &record.spec.inputs);
	match (&slot.state, worker.stage((job, replica))) {
		(ReplicaStateView::AwaitingAck { .. }, Some(Stage::Computing | Stage::Done(_))) => {
			acknowledge(worker, chain, job, replica, number).await?
		},
		(ReplicaStateView::Running, Some(Stage::Done(prover))) => {
			let replica = Replica { job, replica, provider };
			submit_receipt(worker, chain, info, &record, &replica, &prover, number).await?
		},
		(ReplicaStateView::Submitted { .. }, Some(Stage::Done(prover))) => {
			match chain::check(at, job, replica).await? {
				Some(CheckView { stage: StageView::Revealing { until, .. } }) => {
					reveal(worker, chain, job, replica, until, &prover, number).await?
				},
				Some(check) => {
					respond(worker, chain, job, replica, &check, &prover, number).await?
				},
				None => {},
			}
		},
		_ => {},
	}
	Ok(Some(state))
}

/// The dimensions of a job this worker can run, or why it cannot: opaque programs, attested
/// jobs, which need an enclave this worker does not have, and jobs whose matrices do not fit in
/// the memory available now (they would abort the process on allocation, again at every
/// restart; every dimension may be up to 2^20 on chain).
fn runnable(record: &JobView) -> Result<Dims, Refusal> {
	let d = record.spec.workload.dims().ok_or(Refusal::Opaque)?;
	if record.spec.verification == VerificationView::Attested
		|| record.spec.requirements.attestation
	{
		return Err(Refusal::Attested);
	}
	let need = inputs::memory_needed(d);
	match crate::profile::available_ram_bytes() {
		Some(free) if need > free => {
			Err(Refusal::Memory { need_mib: need >> 20, free_mib: free >> 20 })
		},
		_ => Ok(d),
	}
}

/// Whether to decline replica `key`, awaiting its acknowledgement until block `until`, at
/// block `number`, and why: `runnable`'s answer, a refused acknowledgement, a preparation that
/// failed for good or too often, or one not ready [`DECLINE_MARGIN`] blocks before the window
/// closes (silence would end the same way, with a cost in reputation).
fn refusal(
	worker: &Worker,
	key: (u64, u32),
	runnable: &Result<Dims, Refusal>,
	until: u32,
	number: u32,
) -> Option<Refusal> {
	if let Err(why) = runnable {
		return Some(why.clone());
	}
	if worker.collateral_refused.lock().is_ok_and(|r| r.contains(&key)) {
		return Some(Refusal::Collateral);
	}
	match worker.stage(key) {
		Some(Stage::Computing | Stage::Done(_)) => return None,
		Some(Stage::Failed(f)) if f.permanent => return Some(Refusal::BadInputs(f.error)),
		Some(Stage::Failed(f)) if f.attempts >= MAX_ATTEMPTS => {
			return Some(Refusal::Failing(f.error))
		},
		Some(Stage::Preparing | Stage::Failed(_)) | None => {},
	}
	(number.saturating_add(DECLINE_MARGIN) >= until).then_some(Refusal::NotReady)
}

/// Sends a heartbeat when one is due: the first after the provider went online, then every
/// `HeartbeatInterval` blocks.
async fn heartbeat(
	worker: &Arc<Worker>,
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
		if let Ok(mut r) = worker.collateral_refused.lock() {
			r.remove(&(job, replica));
		}
	}
}

#[cfg(test)]
mod tests;

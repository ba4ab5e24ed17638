//! The worker's Prometheus metrics, served at `/metrics`.

use prometheus::{
	core::Collector, Encoder, Gauge, GaugeVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
	Opts, Registry, TextEncoder,
};

/// Every metric the worker exports.
#[derive(Clone)]
pub struct Metrics {
	registry: Registry,
	/// Replicas of this provider by their state on chain (`awaiting_ack`, `running`,
	/// `submitted`), as of the last best block.
	pub jobs: IntGaugeVec,
	/// Replicas seen to end in a finalized block, by outcome (`paid`, `declined`, `failed`).
	pub jobs_finished: IntCounterVec,
	/// Declines sent (`jobs.decline`), by why the worker would not run the replica:
	/// `opaque`, `attested`, `memory`, `inputs`, `collateral`, `not_ready`.
	pub declined: IntCounterVec,
	/// Fraction of C computed, per replica being computed.
	pub progress: GaugeVec,
	/// Throughput of the last kernel run, in int8 GOPS (2·m·n·k per second / 10^9).
	pub gops: Gauge,
	/// Operations computed (2·m·n·k per job).
	pub ops: IntCounter,
	/// Payments received by the provider, in TSR.
	pub earnings: Gauge,
	/// Receipts sent.
	pub receipts: IntCounter,
	/// Computations resumed from the local store after a restart.
	pub resumed: IntCounter,
	/// Transactions sent, by call and outcome (`ok`, `failed`).
	pub transactions: IntCounterVec,
	/// Whether the worker is connected to its node (1) or not (0).
	pub connected: IntGauge,
	/// Connections made after a lost one.
	pub reconnects: IntCounter,
	/// The newest finalized block seen.
	pub finalized: IntGauge,
	/// The newest best block seen: the one the worker acts on.
	pub best: IntGauge,
}

impl Metrics {
	pub fn new() -> Result<Self, prometheus::Error> {
		let registry = Registry::new_custom(Some("tessera_worker".into()), None)?;
		// Each metric is registered as it is made.
		fn add<M: Collector + Clone + 'static>(
			r: &Registry,
			metric: M,
		) -> Result<M, prometheus::Error> {
			r.register(Box::new(metric.clone()))?;
			Ok(metric)
		}
		let r = &registry;
		Ok(Metrics {
			jobs: add(
				r,
				IntGaugeVec::new(
					Opts::new("jobs", "Replicas of this provider by state"),
					&["state"],
				)?,
			)?,
			jobs_finished: add(
				r,
				IntCounterVec::new(
					Opts::new("jobs_finished_total", "Replicas seen to end, by outcome"),
					&["outcome"],
				)?,
			)?,
			declined: add(
				r,
				IntCounterVec::new(
					Opts::new("jobs_declined_total", "Declines sent, by reason"),
					&["reason"],
				)?,
			)?,
			progress: add(
				r,
				GaugeVec::new(
					Opts::new("job_progress", "Fraction of C computed"),
					&["job", "replica"],
				)?,
			)?,
			gops: add(r, Gauge::new("gops", "Throughput of the last kernel run, int8 GOPS")?)?,
			ops: add(r, IntCounter::new("ops_total", "Operations computed (2mnk per job)")?)?,
			earnings: add(
				r,
				Gauge::new("earnings_tsr_total", "Payments received by the provider, TSR")?,
			)?,
			receipts: add(r, IntCounter::new("receipts_submitted_total", "Receipts sent")?)?,
			resumed: add(
				r,
				IntCounter::new(
					"jobs_resumed_total",
					"Computations resumed from the local store after a restart",
				)?,
			)?,
			transactions: add(
				r,
				IntCounterVec::new(
					Opts::new("transactions_total", "Transactions sent, by call and outcome"),
					&["call", "outcome"],
				)?,
			)?,
			connected: add(r, IntGauge::new("connected", "1 while connected to the node")?)?,
			reconnects: add(
				r,
				IntCounter::new("reconnects_total", "Connections made after a lost one")?,
			)?,
			finalized: add(r, IntGauge::new("finalized_block", "Newest finalized block seen")?)?,
			best: add(r, IntGauge::new("best_block", "Newest best block seen")?)?,
			registry,
		})
	}

	/// The exposition text.
	pub fn render(&self) -> String {
		let mut out = Vec::new();
		// Encoding our own registry into a Vec cannot fail but for a bug in the crate; an
		// empty page is then the honest answer.
		if TextEncoder::new().encode(&self.registry.gather(), &mut out).is_err() {
			out.clear();
		}
		String::from_utf8(out).unwrap_or_default()
	}
}

//! What the worker reads from and sends to the chain, as Rust types that subxt decodes and
//! encodes against the runtime's metadata by field and variant name.
//!
//! Only the fields the worker uses are declared: decoding skips the rest, so a runtime upgrade
//! that adds a field elsewhere does not break a running worker, and one that renames a field it
//! uses is reported as a decoding error instead of being misread. Calls whose arguments are types
//! of the shared crates (`Receipt`, `Roots`, `Opening`) send them with `Static`, which encodes
//! them exactly as the runtime decodes them.

use scale_decode::DecodeAsType;
use scale_encode::EncodeAsType;
use subxt::{
	dynamic::Value,
	events::DecodeAsEvent,
	utils::{AccountId32, Static, H256},
};
use tessera_commitment::Dims;
use tessera_primitives::market::{Capabilities, Region};

/// A job record (`jobs.jobs`).
#[derive(Clone, Debug, DecodeAsType)]
pub struct JobView {
	pub spec: SpecView,
	pub units: u64,
	pub replicas: Vec<ReplicaView>,
}

/// The parts of a job's spec the worker needs.
#[derive(Clone, Debug, DecodeAsType)]
pub struct SpecView {
	pub workload: WorkloadView,
	pub inputs: InputsView,
	pub requirements: RequirementsView,
	pub verification: VerificationView,
	pub deadline: u32,
}

/// The one requirement the worker looks at: whether the job must run in an attested enclave.
#[derive(Clone, Debug, DecodeAsType)]
pub struct RequirementsView {
	pub attestation: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub enum WorkloadView {
	MatMulI8 { m: u32, n: u32, k: u32 },
	Opaque { program: H256, gpu_seconds: u64 },
}

impl WorkloadView {
	/// The matrix dimensions of a `MatMulI8` job.
	pub fn dims(&self) -> Option<Dims> {
		match *self {
			WorkloadView::MatMulI8 { m, n, k } => Some(Dims { m, n, k }),
			WorkloadView::Opaque { .. } => None,
		}
	}
}

#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub enum InputsView {
	Content { hash: H256, uri: Vec<u8>, size: u64 },
	Seed(H256),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub enum VerificationView {
	SpotCheck,
	Attested,
	Replicated,
	Optimistic,
}

/// One provider's run of a job. The record also carries the replica's `collateral` (set aside
/// by the acknowledgement) and its receipt, which the worker does not need: decoding skips them.
#[derive(Clone, Debug, DecodeAsType)]
pub struct ReplicaView {
	pub provider: AccountId32,
	pub worker: AccountId32,
	pub price_per_unit: u128,
	pub state: ReplicaStateView,
}

#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub enum ReplicaStateView {
	AwaitingAck { until: u32 },
	Running,
	Submitted { since: u32 },
	Paid { payment: u128, fee: u128 },
	Failed,
}

/// The check of a receipt (`proofs.checks`): only its stage matters to the worker.
#[derive(Clone, Debug, DecodeAsType)]
pub struct CheckView {
	pub stage: StageView,
}

#[derive(Clone, Debug, DecodeAsType)]
pub enum StageView {
	Window { until: u32 },
	Draw { at: u32, audit: bool },
	Sampling { positions: Vec<(u32, u32)>, answered: u32, respond_by: u32, audit: bool },
	Sealed { seal: H256 },
	Revealing { seal: H256, until: u32 },
	Quorum,
	Outvoted,
	Drawing { at: u32 },
	Reexecution { executors: Vec<ExecutorView>, until: u32, revealing: bool },
	Disputed,
	Decided(Value),
}

/// A provider booked to re-execute a challenged receipt.
#[derive(Clone, Debug, DecodeAsType)]
pub struct ExecutorView {
	pub provider: AccountId32,
	pub worker: AccountId32,
	pub sealed: Option<H256>,
	pub result: Option<H256>,
}

/// A provider's record (`providers.providers`).
#[derive(Clone, Debug, DecodeAsType)]
pub struct ProviderView {
	pub profile: ProfileView,
	pub endpoint: Vec<u8>,
	pub worker: AccountId32,
	pub status: StatusView,
	pub last_heartbeat: Option<u32>,
	pub heartbeat_deadline: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub enum StatusView {
	Online,
	Offline,
}

#[derive(Clone, Debug, DecodeAsType)]
pub struct ProfileView {
	pub gpu: GpuView,
}

#[derive(Clone, Debug, DecodeAsType)]
pub struct GpuView {
	pub count: u32,
}

/// The stake pallet's parameters (`stake.parameters`).
#[derive(Clone, Debug, DecodeAsType)]
pub struct StakeParametersView {
	pub min_bond_per_gpu: u128,
}

/// `providers.register`'s profile argument.
#[derive(Clone, Debug, EncodeAsType)]
pub struct HardwareProfileArg {
	pub gpu: GpuSpecArg,
	pub cpu_cores: u32,
	pub ram_mib: u32,
	pub disk_gib: u32,
	pub bandwidth_mbps: u32,
	/// Sent as the runtime's own type, which this crate shares.
	pub region: Static<Region>,
	/// The kinds of work the worker runs (the runtime's own type too). Matching offers a
	/// provider only the jobs whose kind it declares, and the chain refuses a profile that
	/// declares none.
	pub capabilities: Static<Capabilities>,
}

#[derive(Clone, Debug, EncodeAsType)]
pub struct GpuSpecArg {
	pub model: Vec<u8>,
	pub vram_mib: u32,
	pub count: u32,
	pub fp16_tflops: u32,
	pub int8_tops: u32,
}

/// `jobs.Paid`: what a provider earned for a replica.
#[derive(Clone, Debug, DecodeAsType)]
pub struct Paid {
	pub job: u64,
	pub replica: u32,
	pub provider: AccountId32,
	pub payment: u128,
}

impl DecodeAsEvent for Paid {
	fn is_event(pallet: &str, event: &str) -> bool {
		pallet == "Jobs" && event == "Paid"
	}
}

/// `jobs.ReplicaFailed`. The reason (`FailureReason`: `MissedAcknowledgement`,
/// `MissedDeadline`, `Rejected`, `Outvoted`, `PaymentFailed`, `Declined`, `ProviderBanned`) is
/// kept as a dynamic value, so that a reason added by a later runtime still decodes;
/// [`ReplicaFailed::reason_name`] names it.
#[derive(Clone, Debug, DecodeAsType)]
pub struct ReplicaFailed {
	pub job: u64,
	pub replica: u32,
	pub provider: AccountId32,
	pub reason: Value,
}

impl ReplicaFailed {
	/// The name of the failure's reason (`Declined`, `MissedDeadline`, ...).
	pub fn reason_name(&self) -> Option<&str> {
		variant_name(&self.reason)
	}
}

/// The variant name of an enum value decoded dynamically.
pub fn variant_name<T>(value: &Value<T>) -> Option<&str> {
	match &value.value {
		subxt::ext::scale_value::ValueDef::Variant(variant) => Some(variant.name.as_str()),
		_ => None,
	}
}

impl DecodeAsEvent for ReplicaFailed {
	fn is_event(pallet: &str, event: &str) -> bool {
		pallet == "Jobs" && event == "ReplicaFailed"
	}
}

//! What the registry stores about a provider.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use tessera_primitives::market::{Capabilities, Region};

/// The GPUs a provider offers: one model, `count` cards.
///
/// A host with cards of different models registers one provider account per model, so that a
/// job's requirements (memory and speed of each GPU) always describe every card it gets.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxModelLen))]
pub struct GpuSpec<MaxModelLen: Get<u32>> {
	/// Model name as the driver reports it, e.g. `NVIDIA GeForce RTX 4090` (UTF-8).
	pub model: BoundedVec<u8, MaxModelLen>,
	/// Memory of each card, in MiB.
	pub vram_mib: u32,
	/// Number of cards.
	pub count: u32,
	/// Measured fp16 throughput of each card, in TFLOPS.
	pub fp16_tflops: u32,
	/// Measured int8 throughput of each card, in TOPS.
	pub int8_tops: u32,
}

/// A provider's host, as it declares it. The worker measures the GPU figures; the chain checks
/// them only for plausibility, and a provider that overstates them fails its jobs' deadlines.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxModelLen))]
pub struct HardwareProfile<MaxModelLen: Get<u32>> {
	/// The GPUs.
	pub gpu: GpuSpec<MaxModelLen>,
	/// CPU cores (threads) available to jobs.
	pub cpu_cores: u32,
	/// Host memory, in MiB.
	pub ram_mib: u32,
	/// Scratch disk for inputs and outputs, in GiB.
	pub disk_gib: u32,
	/// Network bandwidth, in Mbit/s.
	pub bandwidth_mbps: u32,
	/// Where the host is.
	pub region: Region,
	/// The kinds of work its worker runs; at least one. Matching offers a job only to providers
	/// that declare what it needs.
	pub capabilities: Capabilities,
}

/// Whether a provider takes new jobs.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Status {
	/// Sends heartbeats and may be matched.
	Online,
	/// Not matched; sends no heartbeats. Jobs already assigned still run to their end.
	Offline,
}

/// Why a provider went offline.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum OfflineReason {
	/// The provider asked to.
	Requested,
	/// Its worker missed heartbeats for longer than the timeout.
	MissedHeartbeats,
	/// It was proven to have cheated and is banned.
	Banned,
}

/// A reputation score and when it was last moved. The score decays towards
/// [`tessera_primitives::market::REPUTATION_NEUTRAL`] from `updated_at` on; see
/// [`crate::reputation`].
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Reputation<BlockNumber> {
	/// Score at `updated_at`, out of [`tessera_primitives::market::REPUTATION_MAX`].
	pub score: u32,
	/// Block of the last change.
	pub updated_at: BlockNumber,
}

/// A registered provider. `Profile` is a [`HardwareProfile`] and `Endpoint` a bounded byte
/// string, with the runtime's bounds.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ProviderInfo<AccountId, Balance, BlockNumber, Profile, Endpoint> {
	/// The hardware offered.
	pub profile: Profile,
	/// Asking price per unit of work (a tera-operation for `MatMulI8`, a GPU-second otherwise).
	pub price_per_unit: Balance,
	/// How many jobs it runs at once.
	pub max_jobs: u32,
	/// Jobs assigned and not yet ended.
	pub active_jobs: u32,
	/// Base URL where the worker serves outputs (`http://` or `https://`).
	pub endpoint: Endpoint,
	/// The hot key the worker signs heartbeats, acknowledgements and receipts with.
	pub worker: AccountId,
	/// Whether it takes new jobs.
	pub status: Status,
	/// Block of the last heartbeat since the provider went online; `None` until the first, which
	/// the worker may send at once to show that its key works.
	pub last_heartbeat: Option<BlockNumber>,
	/// The block at which it is marked offline unless a heartbeat comes first; meaningful only
	/// while `tracked`.
	pub heartbeat_deadline: BlockNumber,
	/// Its track record.
	pub reputation: Reputation<BlockNumber>,
	/// Until when (exclusive) it holds a valid enclave attestation, if it does.
	pub attested_until: Option<BlockNumber>,
	/// Whether it is in the price index. It is when online, with a free job slot and a bond that
	/// covers its GPUs at the time of the last change.
	pub indexed: bool,
	/// Whether the liveness hook tracks it: online, with a bond that covers its GPUs at the time
	/// of the last change (as for `indexed`). Only then does it have an entry in
	/// `LivenessDeadlines`, at `heartbeat_deadline`, and is it slashed when its heartbeats stop;
	/// a provider without a bond costs the hook nothing.
	pub tracked: bool,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Storage deposit held from the provider's account while it is registered
	/// ([`crate::HoldReason::RegistrationDeposit`]), released at `deregister`.
	pub deposit: Balance,
}

/// What the price index keeps for each provider, so that matching reads nothing else (except
/// the bond and free stake of the entries that pass every other check).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct IndexEntry<AccountId, BlockNumber> {
	/// The provider's worker key.
	pub worker: AccountId,
	/// Number of GPUs.
	pub gpus: u32,
	/// Memory of each GPU, in MiB.
	pub vram_mib: u32,
	/// int8 TOPS of each GPU.
	pub int8_tops: u32,
	/// fp16 TFLOPS of each GPU.
	pub fp16_tflops: u32,
	/// Host memory, in MiB.
	pub ram_mib: u32,
	/// The kinds of work it runs.
	pub capabilities: Capabilities,
	/// Until when it is attested.
	pub attested_until: Option<BlockNumber>,
	/// Its reputation, with the block it was last moved (decay is applied when read).
	pub reputation: Reputation<BlockNumber>,
}

/// How many providers are online, and the GPUs they offer together.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct OnlineStats {
	/// Providers online.
	pub providers: u32,
	/// Their GPUs.
	pub gpus: u32,
}

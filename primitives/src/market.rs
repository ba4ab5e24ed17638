//! The market's shared vocabulary: what a provider offers, what a job requires, and the traits
//! through which the market pallets talk to each other.
//!
//! The pallets never name each other. `pallet-providers` implements [`ProviderRegistry`],
//! [`ReputationRecorder`], [`AttestationRegistry`] and [`StakeObserver`]; `pallet-stake`
//! implements [`StakeInfo`] and [`Slashing`]; the runtime wires them together. Each pallet's
//! tests use a mock of the others.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, DispatchResult, Weight};

/// Where a provider's hardware is. Clients that care about latency or data residency ask for
/// one; the price index keeps one ordered list per region plus one for the whole world.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Region {
	NorthAmerica,
	SouthAmerica,
	Europe,
	Africa,
	MiddleEast,
	Asia,
	Oceania,
}

impl Region {
	/// Every region, in encoding order.
	pub const ALL: [Region; 7] = [
		Region::NorthAmerica,
		Region::SouthAmerica,
		Region::Europe,
		Region::Africa,
		Region::MiddleEast,
		Region::Asia,
		Region::Oceania,
	];
}

/// The largest reputation score: a provider with a long, clean history.
pub const REPUTATION_MAX: u32 = 1_000_000;
/// The score of a new provider, and the value every score decays towards when nothing happens.
pub const REPUTATION_NEUTRAL: u32 = 500_000;

/// What a job needs from a provider. Every field is a lower bound except `region` (an exact
/// match when set) and `attestation` (a valid enclave attestation when `true`).
#[derive(
	Clone,
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
pub struct Requirements {
	/// Memory of each GPU, in MiB.
	pub min_vram_mib: u32,
	/// Number of GPUs.
	pub min_gpus: u32,
	/// Measured int8 throughput of each GPU, in TOPS.
	pub min_int8_tops: u32,
	/// Measured fp16 throughput of each GPU, in TFLOPS.
	pub min_fp16_tflops: u32,
	/// The region the provider must be in; `None` for anywhere.
	pub region: Option<Region>,
	/// Least reputation score, out of [`REPUTATION_MAX`].
	pub min_reputation: u32,
	/// Whether the provider must hold a valid enclave attestation.
	pub attestation: bool,
}

/// What kinds of work a provider's worker runs, declared in its hardware profile. Matching
/// offers a job only to providers that declare what it needs, so no worker is assigned a job it
/// cannot run and then blamed for it.
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
pub struct Capabilities {
	/// Runs `MatMulI8` jobs (and answers their spot-checks).
	pub matmul_i8: bool,
	/// Runs opaque programs (containers, models).
	pub opaque: bool,
	/// Runs jobs inside an attested enclave (`Verification::Attested`).
	pub enclave: bool,
}

impl Capabilities {
	/// Whether every capability `needed` asks for is here.
	pub fn covers(&self, needed: &Capabilities) -> bool {
		(!needed.matmul_i8 || self.matmul_i8)
			&& (!needed.opaque || self.opaque)
			&& (!needed.enclave || self.enclave)
	}
}

/// What matching asks of a provider for one job: the client's [`Requirements`] plus what the
/// job itself needs, which the jobs pallet derives from the spec (`pallet_jobs::needs`). A
/// provider that meets them can run the job as declared, so a failure is its own.
#[derive(Clone, PartialEq, Eq, Default, Encode, Decode, TypeInfo, Debug)]
pub struct Needs<Balance, BlockNumber> {
	/// The client's requirements. `min_gpus` is raised to what an opaque job needs to finish
	/// its GPU-seconds by the deadline.
	pub requirements: Requirements,
	/// Host memory the job's data takes, in MiB (inputs and output of a `MatMulI8`).
	pub memory_mib: u32,
	/// Least int8 throughput of all the provider's GPUs together, in TOPS, to finish the job
	/// between its acknowledgement and its deadline.
	pub total_int8_tops: u64,
	/// Kinds of work the provider must declare.
	pub capabilities: Capabilities,
	/// With `requirements.attestation`: the provider's attestation must still be valid at this
	/// block (the job's deadline), so that it cannot lapse while the job runs.
	pub attested_through: BlockNumber,
	/// Stake the provider must have bonded and free of other jobs' collateral: what it sets
	/// aside when it acknowledges this job.
	pub collateral: Balance,
}

/// A provider the price index offers for a job.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Candidate<AccountId, Balance> {
	/// The provider's (cold) account: the one that is paid and slashed.
	pub provider: AccountId,
	/// The worker key that acknowledges jobs and signs receipts for it.
	pub worker: AccountId,
	/// Its asking price per unit of work.
	pub price_per_unit: Balance,
}

/// How a job ended for the provider that ran it; each moves its reputation.
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
pub enum Outcome {
	/// Delivered on time and accepted.
	Completed,
	/// Delivered, but after the deadline or acknowledgement window.
	Late,
	/// Not delivered.
	Failed,
	/// Assigned, and neither acknowledged nor declined in time: a small cost, since the worker
	/// may simply have been down, and nothing was lost but the client's wait.
	Ignored,
	/// Proven wrong and slashed.
	Slashed,
}

/// Why a provider's stake is slashed. Each reason has its own fraction of the stake.
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
pub enum SlashReason {
	/// An invalid proof or a wrong result: also bans the provider.
	Fraud,
	/// A result that disagrees with the verified one (replication): takes the job's collateral.
	Dissent,
	/// A job not delivered by its deadline, after its worker acknowledged it: takes the job's
	/// collateral.
	MissedDeadline,
	/// Heartbeats missed for longer than the registry allows.
	MissedHeartbeats,
}

/// Where a slash went. `slashed == to_client + to_watcher + to_treasury`, always.
#[derive(Clone, Copy, PartialEq, Eq, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct SlashOutcome<Balance> {
	/// Taken from the provider's stake (bonded first, then unbonding).
	pub slashed: Balance,
	/// Paid to the harmed client.
	pub to_client: Balance,
	/// Paid to the watcher who proved the fault.
	pub to_watcher: Balance,
	/// Paid to the treasury account.
	pub to_treasury: Balance,
}

/// The provider registry as the jobs pallet sees it.
pub trait ProviderRegistry<AccountId, Balance, BlockNumber> {
	/// Up to `count` of the cheapest matchable providers that meet `needs` and ask at most
	/// `max_price_per_unit`, cheapest first, skipping those in `exclude`. The number of storage
	/// reads is bounded by the implementation's configuration, not by the number of providers,
	/// so a job with rare requirements may find fewer than exist.
	fn cheapest(
		needs: &Needs<Balance, BlockNumber>,
		max_price_per_unit: Balance,
		count: u32,
		exclude: &[AccountId],
	) -> Vec<Candidate<AccountId, Balance>>;

	/// The most [`Self::cheapest`] can weigh, for the calls and hooks that match jobs.
	fn cheapest_weight() -> Weight;

	/// Up to `count` providers drawn at random by `seed`, uniformly among every matchable
	/// provider that meets `needs` at no more than `max_price_per_unit` (as
	/// [`Self::cheapest`], whatever its price below that), other than those in `exclude`, that
	/// registered before block `registered_before`: the re-executors of a challenge, which no one
	/// can pick, and no one can join after seeing the receipt they would judge. The draw looks at
	/// no more than `tries` providers, taken at random without repetition from all that are
	/// online and bonded; with fewer than `tries` of those it looks at every one of them.
	fn draw(
		needs: &Needs<Balance, BlockNumber>,
		max_price_per_unit: Balance,
		count: u32,
		tries: u32,
		exclude: &[AccountId],
		registered_before: BlockNumber,
		seed: &[u8; 32],
	) -> Vec<Candidate<AccountId, Balance>>;

	/// The most [`Self::draw`] can weigh when it looks at up to `tries` providers.
	fn draw_weight(tries: u32) -> Weight;

	/// The provider a worker key signs for.
	fn provider_of_worker(worker: &AccountId) -> Option<AccountId>;

	/// The worker key of a provider.
	fn worker_of(provider: &AccountId) -> Option<AccountId>;

	/// A job was assigned to `provider`: it holds one more of its job slots. Refused when the
	/// provider is not matchable or has no free slot.
	fn job_assigned(provider: &AccountId) -> DispatchResult;

	/// A job of `provider` ended (settled, failed, re-matched or cancelled): one slot is free.
	fn job_released(provider: &AccountId) -> DispatchResult;

	/// Whether `provider` was proven to have cheated: it is never matched or paid again.
	fn is_banned(provider: &AccountId) -> bool;
}

/// Where the jobs and proofs pallets report how a job went for its provider.
pub trait ReputationRecorder<AccountId> {
	/// Moves `provider`'s reputation according to `outcome` of a job worth `value` (what the
	/// provider is paid for it, in the smallest unit). A completed job moves it in proportion to
	/// its value, and not at all below the registry's minimum, so that reputation cannot be
	/// farmed with tiny or zero-usage jobs; failures cost the same whatever the value.
	fn record(provider: &AccountId, outcome: Outcome, value: u128);
}

/// Where the proofs pallet records that a provider holds a valid enclave attestation.
pub trait AttestationRegistry<AccountId, BlockNumber> {
	/// `provider` is attested until block `until` (exclusive); `None` withdraws it.
	fn set_attested(provider: &AccountId, until: Option<BlockNumber>) -> DispatchResult;
}

/// The stake a provider has at risk, as the registry and the jobs pallet see it.
pub trait StakeInfo<AccountId, Balance: PartialOrd> {
	/// Funds bonded, including those set aside as jobs' collateral (not counting funds that
	/// are unbonding).
	fn bonded(who: &AccountId) -> Balance;
	/// Funds bonded and not set aside as collateral: what new jobs' collateral can come from.
	fn free_stake(who: &AccountId) -> Balance;
	/// The least bond that makes a provider offering `gpus` GPUs matchable.
	fn minimum_bond(gpus: u32) -> Balance;
	/// Whether `who`'s bond covers `gpus` GPUs.
	fn meets_minimum(who: &AccountId, gpus: u32) -> bool {
		Self::bonded(who) >= Self::minimum_bond(gpus)
	}
}

/// Penalising a provider.
pub trait Slashing<AccountId, Balance> {
	/// Slashes `who` for `reason`. The slashed amount goes to `harmed` (the client who lost out),
	/// `watcher` (who proved the fault) and the treasury, in the stake pallet's proportions;
	/// nothing is created or destroyed. `Fraud` also bans `who`.
	fn slash(
		who: &AccountId,
		reason: SlashReason,
		harmed: Option<&AccountId>,
		watcher: Option<&AccountId>,
	) -> Result<SlashOutcome<Balance>, DispatchError>;
}

/// Per-job collateral: the part of a provider's bond that one job can cost it.
///
/// When a worker acknowledges a job, [`Collateral::reserve`] sets the job's collateral aside
/// from the provider's free bond; when the job ends without the provider's fault,
/// [`Collateral::release`] returns it. A missed deadline or an outvoted result takes the
/// collateral ([`Collateral::slash_collateral`]) and nothing else, so one job can never cost a
/// provider more than it agreed to put at risk for it. Other slashes (fraud, missed heartbeats)
/// never touch collateral: fraud releases every collateral of the provider first and then takes
/// its fraction of everything.
pub trait Collateral<AccountId, Balance> {
	/// Sets `amount` of `who`'s free bond aside. Refused when the free bond is smaller.
	fn reserve(who: &AccountId, amount: Balance) -> DispatchResult;
	/// Returns `amount` of `who`'s collateral to its free bond (at most what is set aside).
	fn release(who: &AccountId, amount: Balance);
	/// Takes `amount` of `who`'s collateral (at most what is set aside) for `reason`. The harmed
	/// client gets the stake pallet's client share of it, but never more than the cap that comes
	/// with it (a fraction of its own escrow, so that a client can never profit from a provider's
	/// failure beyond that); `watcher` gets the watcher share and the treasury the rest. Nothing
	/// is created or destroyed; `Fraud` is not taken this way.
	fn slash_collateral(
		who: &AccountId,
		amount: Balance,
		reason: SlashReason,
		harmed: Option<(&AccountId, Balance)>,
		watcher: Option<&AccountId>,
	) -> Result<SlashOutcome<Balance>, DispatchError>;
	/// Collateral `who` has set aside, for all its jobs together.
	fn committed(who: &AccountId) -> Balance;
}

/// What the stake pallet tells the registry.
pub trait StakeObserver<AccountId> {
	/// `who`'s bond changed: the registry re-checks whether it is still matchable.
	fn stake_changed(who: &AccountId);
	/// `who` was proven to have cheated: the registry bans it for good.
	fn fraud_proven(who: &AccountId);
	/// Whether `who` has jobs assigned, during which its bond must stay where it is so that
	/// the jobs' slashes still find it.
	fn has_active_jobs(who: &AccountId) -> bool;
}

impl<AccountId> StakeObserver<AccountId> for () {
	fn stake_changed(_: &AccountId) {}
	fn fraud_proven(_: &AccountId) {}
	fn has_active_jobs(_: &AccountId) -> bool {
		false
	}
}

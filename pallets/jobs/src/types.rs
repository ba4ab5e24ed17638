//! What the jobs pallet stores about a job.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use tessera_primitives::jobs::{JobSpec, Receipt};

/// Where a job is in its life.
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
pub enum JobState {
	/// Waiting for providers that fit; refunded if none come by the deadline.
	Queued,
	/// Assigned to its providers.
	Active,
	/// Ended with at least one replica paid.
	Completed,
	/// Ended with no replica paid (every provider failed or was rejected).
	Failed,
	/// Cancelled by the client before assignment.
	Cancelled,
	/// Still queued at its deadline.
	Expired,
}

impl JobState {
	/// Whether the job still holds escrow.
	pub fn is_open(&self) -> bool {
		matches!(self, JobState::Queued | JobState::Active)
	}
}

/// Where one replica of a job is.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum ReplicaState<Balance, BlockNumber> {
	/// Assigned; the worker must acknowledge by `until`.
	AwaitingAck { until: BlockNumber },
	/// Acknowledged; the receipt is due by the job's deadline.
	Running,
	/// Receipt in since block `since`; waiting for the verifier, which checks it in its own
	/// hook and pushes its verdict (so the jobs pallet keeps no timeout for it).
	Submitted { since: BlockNumber },
	/// Paid `payment`, and `fee` went to the treasury.
	Paid { payment: Balance, fee: Balance },
	/// Not delivered, or rejected.
	Failed,
}

impl<Balance, BlockNumber> ReplicaState<Balance, BlockNumber> {
	/// Whether the replica is over.
	pub fn is_final(&self) -> bool {
		matches!(self, ReplicaState::Paid { .. } | ReplicaState::Failed)
	}
}

/// One provider's run of a job.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Replica<AccountId, Balance, BlockNumber> {
	/// The provider (paid, slashed).
	pub provider: AccountId,
	/// Its worker key at assignment. The chain checks the provider's *current* worker key
	/// when a worker acknowledges, declines or submits, so a provider can rotate its key while
	/// it runs jobs.
	pub worker: AccountId,
	/// The price per unit it was matched at.
	pub price_per_unit: Balance,
	/// Stake the provider set aside for this replica when its worker acknowledged it: what a
	/// missed deadline or an outvoted result costs it, and never more. Zero before the
	/// acknowledgement and after the replica ended.
	pub collateral: Balance,
	/// Where it is.
	pub state: ReplicaState<Balance, BlockNumber>,
	/// Its receipt, once submitted.
	pub receipt: Option<Receipt>,
}

/// A posted job. `Replicas` is a bounded vector of [`Replica`] and `Dropped` one of accounts,
/// both with the runtime's `MaxReplicas` bound.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Job<AccountId, Balance, BlockNumber, Replicas, Dropped> {
	/// Who posted it and pays for it.
	pub client: AccountId,
	/// What it is.
	pub spec: JobSpec<Balance, BlockNumber>,
	/// Units of work, derived from the workload.
	pub units: u64,
	/// Funds still held for it from the client: the budget, less what was paid out.
	pub escrow: Balance,
	/// Where it is.
	pub state: JobState,
	/// The providers running it, one per replica, in assignment order (empty while queued).
	pub replicas: Replicas,
	/// Providers dropped from it (they declined it, missed its acknowledgement, or were banned):
	/// never matched to it again.
	pub dropped: Dropped,
	/// Block it was posted at.
	pub posted_at: BlockNumber,
	/// Storage deposit held from the client for this record while the job is open
	/// ([`crate::HoldReason::JobDeposit`], `JobDeposit` when it was posted), released to the
	/// client when the job closes: zero after that.
	pub deposit: Balance,
	/// Block it closed at (`None` while open). The record is pruned `JobRetention` blocks later,
	/// with its index entries.
	pub closed_at: Option<BlockNumber>,
}

/// A scheduled check of a job, keyed by block in [`crate::Timeouts`].
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
pub enum Timeout {
	/// A queued job reaches its deadline.
	QueueExpiry,
	/// A replica's acknowledgement window ends.
	Acknowledgement(u32),
	/// A replica's receipt is due.
	Delivery(u32),
}

/// The market's counters, kept in step with the job records.
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
pub struct JobStats<Balance> {
	/// Jobs waiting in the queue.
	pub queued: u32,
	/// Jobs assigned and running.
	pub active: u32,
	/// Jobs that ended with at least one replica paid.
	pub completed: u32,
	/// Jobs that ended with none paid.
	pub failed: u32,
	/// Jobs cancelled by their client.
	pub cancelled: u32,
	/// Jobs that expired in the queue.
	pub expired: u32,
	/// Funds held in escrow for open jobs.
	pub escrowed: Balance,
	/// Closed jobs whose records were pruned (they still count in `completed`, `failed`,
	/// `cancelled` or `expired`).
	pub pruned: u32,
}

/// Why a replica failed.
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
pub enum FailureReason {
	/// The worker did not acknowledge in time.
	MissedAcknowledgement,
	/// No receipt by the deadline.
	MissedDeadline,
	/// The verifier proved the receipt wrong: the provider is slashed for fraud.
	Rejected,
	/// The verifier found the receipt outvoted by the other replicas: the provider loses the
	/// replica's collateral.
	Outvoted,
	/// The provider's account could not receive its payment (it no longer exists); the client
	/// gets the replica's budget back.
	PaymentFailed,
	/// The worker declined the job: no cost to the provider.
	Declined,
	/// The provider was proven to have cheated on another job and banned: this replica failed
	/// with it (no further cost; the fraud slash took its stake) and is re-matched if time
	/// allows.
	ProviderBanned,
}

//! # Jobs
//!
//! The market itself: clients post jobs with their budget held in escrow, the jobs are matched
//! to the cheapest providers that fit, the providers' workers acknowledge them and submit
//! receipts, a verifier checks the receipts, and the escrow pays the providers, the protocol fee
//! and the refund.
//!
//! ## Life of a job
//!
//! 1. [`Call::post`]: the spec is checked, `max_price_per_unit x units x replicas` plus the
//!    protocol fee on it is held from the client ([`HoldReason::Escrow`]), and the job is matched
//!    at once through [`ProviderRegistry::cheapest`]. If fewer providers fit than it needs
//!    replicas, it waits in the [`Queue`]; each block the hook retries a few queued jobs, until
//!    one is matched or reaches its deadline and is refunded.
//!    Matching offers a job only to providers that can run it as declared: enough host memory
//!    for its data, enough int8 throughput over all their GPUs to finish by the deadline, the
//!    capability its workload needs, an attestation that outlasts the deadline when it asks
//!    for one, and enough free stake for its collateral ([`matching`]).
//! 2. [`Call::acknowledge`]: each assigned provider's worker confirms within
//!    [`Config::AckTimeout`] blocks, and the replica's collateral
//!    (`max(MinCollateral, CollateralRatio x price x units)`) is set aside from the provider's
//!    bond. A worker may instead [`Call::decline`] the job, or stay silent until the window
//!    ends; either way it loses no stake (silence costs a little reputation), is never matched
//!    to this job again, and the replica goes to the next cheapest provider (or fails if none
//!    fits in the time left).
//! 3. [`Call::submit_receipt`]: the worker reports the output commitment, where the output is
//!    served and the units it used, by the job's deadline. A provider that misses the deadline
//!    loses the replica's collateral, and nothing else; the client's part of it is capped at
//!    [`Config::MaxCompensation`] of the replica's budget.
//! 4. The receipt goes to [`Config::Verifier`], which checks it in its own hook and names the
//!    first block it looks at it in; [`Call::challenge`] forwards a dispute to it. The verifier
//!    pushes its verdict when it has one ([`VerdictSink`]) and the jobs pallet acts on it at
//!    once, so an honest spot-checked receipt is paid in the block its last answer lands; the
//!    jobs pallet never polls it. Accepted: the provider is paid `price x used units` and the
//!    treasury the protocol fee on that, and its collateral is released. Rejected for fraud:
//!    the provider is slashed and banned, and every other open replica it has fails at once and
//!    is re-matched, so a banned provider is never paid again. Outvoted: it loses the replica's
//!    collateral (the client receives the client share, the watcher who proved it the watcher
//!    share) and nothing is paid. [`Call::accept`] lets the client accept a receipt at once.
//! 5. When every replica is over, what is left of the escrow goes back to the client, with the
//!    job's storage deposit.
//! 6. [`Config::JobRetention`] blocks after it closed, the hook prunes the job's record and its
//!    [`ClientJobs`] entry ([`pruning`], [`Event::JobPruned`]).
//!
//! Posting holds [`Config::JobDeposit`] from the client ([`HoldReason::JobDeposit`]) on top of
//! the escrow, kept in the record and released in full when the job closes, however it ends; a
//! client has at most [`Config::MaxOpenJobsPerClient`] open jobs ([`OpenJobs`]), so that one
//! account cannot fill the queue or the state cheaply.
//!
//! Timeouts (acknowledgement windows, deadlines, queue expiries) are kept in [`Timeouts`], by
//! block, so the hook touches only what is due, up to [`Config::MaxTimeoutsPerBlock`] a block
//! ([`timeouts`]); a submitted receipt has none, its verifier owns its timing. Providers are
//! found only in [`matching`]; money and stake move only in [`settlement`].
//!
//! ## Invariants (checked by `try_state`)
//!
//! Each open job's escrow is its budget less what it paid to providers and the treasury; each
//! client's balance on hold for escrow equals the escrow of its open jobs, and their sum is
//! [`Stats`]' `escrowed`; each provider's collateral set aside in the stake pallet equals the
//! collateral of its acknowledged, unfinished replicas; every unfinished replica is in its
//! provider's [`ProviderJobs`], and one waiting for its acknowledgement or its receipt has
//! exactly its one timeout (a submitted one has none); every queued job is in the [`Queue`]
//! once; the counters of [`Stats`] agree with the records and the pruned jobs; each client's
//! hold for job deposits equals the deposits of its open jobs, and [`OpenJobs`] counts exactly
//! its open jobs; every closed job is in [`Prunes`] once, and no open one.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod invariants;
mod market_impls;
pub mod matching;
#[cfg(test)]
mod mock;
pub mod pruning;
mod queries;
pub mod settlement;
pub mod spec;
#[cfg(test)]
mod tests;
pub mod timeouts;
pub mod types;
pub mod weights;

use frame_support::{
	pallet_prelude::*,
	traits::fungible::{self, InspectHold, MutateHold},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{CheckedAdd, Saturating, Zero},
	Perbill,
};
use tessera_primitives::{
	jobs::{JobId, JobSpec, Receipt, Verifier},
	market::{Collateral, ProviderRegistry, ReputationRecorder, Slashing},
};

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::jobs";

/// The balance type of [`Config::Currency`].
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A job spec with this runtime's types.
pub type JobSpecOf<T> = JobSpec<BalanceOf<T>, BlockNumberFor<T>>;

/// A replica with this runtime's types.
pub type ReplicaOf<T> =
	Replica<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A job record with this runtime's types.
pub type JobOf<T> = Job<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
	BoundedVec<ReplicaOf<T>, <T as Config>::MaxReplicas>,
	BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxReplicas>,
>;

/// Sets up what the benchmarks need from the rest of the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers and bonds `count` providers that fit any job with the default requirements
	/// at a price of at most `max_price`, each taking one job at a time, and returns their
	/// (provider, worker) accounts. They replace those of an earlier call (`count = 0` leaves
	/// none).
	fn providers(count: u32, max_price: u128) -> alloc::vec::Vec<(AccountId, AccountId)>;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::pallet_prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A client's budget for its open jobs.
		Escrow,
		/// A client's storage deposit for the records of its open jobs.
		JobDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The token escrow is held in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The provider registry: matching, worker keys, job slots and reputation.
		type Registry: ProviderRegistry<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>
			+ ReputationRecorder<Self::AccountId>;

		/// Slashes providers proven to have cheated.
		type Slasher: Slashing<Self::AccountId, BalanceOf<Self>>;

		/// Sets aside, releases and takes the per-job collateral of providers.
		type Collateral: Collateral<Self::AccountId, BalanceOf<Self>>;

		/// Checks receipts.
		type Verifier: Verifier<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;

		/// Receives the protocol fee.
		type Treasury: Get<Self::AccountId>;

		/// The protocol fee, as a share of each payment to a provider; the client's budget
		/// holds it on top of the providers' maximum.
		#[pallet::constant]
		type ProtocolFee: Get<Perbill>;

		/// Share of a replica's value (`price x units`) its provider sets aside as collateral
		/// when it acknowledges.
		#[pallet::constant]
		type CollateralRatio: Get<Perbill>;

		/// Least collateral of a replica, so that a missed deadline always costs something.
		#[pallet::constant]
		type MinCollateral: Get<BalanceOf<Self>>;

		/// Most a client receives from the collateral of a replica that failed it, as a share of
		/// that replica's budget (`max_price_per_unit x units`): a client can never gain more
		/// from a provider's failure; the rest of the collateral goes to the treasury.
		#[pallet::constant]
		type MaxCompensation: Get<Perbill>;

		/// Milliseconds per block, to turn a deadline into the time a provider has to compute.
		#[pallet::constant]
		type MillisecsPerBlock: Get<u64>;

		/// Most jobs one provider has at once (the registry's job slots): bounds the replicas
		/// failed at once when a provider is banned.
		#[pallet::constant]
		type MaxProviderJobs: Get<u32>;

		/// Most providers one job may run on.
		#[pallet::constant]
		type MaxReplicas: Get<u32>;

		/// Blocks a worker has to acknowledge an assigned job.
		#[pallet::constant]
		type AckTimeout: Get<BlockNumberFor<Self>>;

		/// Fewest blocks between posting a job and its deadline.
		#[pallet::constant]
		type MinDeadline: Get<BlockNumberFor<Self>>;

		/// Most blocks between posting a job and its deadline.
		#[pallet::constant]
		type MaxDeadline: Get<BlockNumberFor<Self>>;

		/// Most jobs waiting in the queue.
		#[pallet::constant]
		type MaxQueued: Get<u32>;

		/// Most timeouts handled in one block (the rest wait for the next).
		#[pallet::constant]
		type MaxTimeoutsPerBlock: Get<u32>;

		/// Queued jobs the hook tries to match each block.
		#[pallet::constant]
		type MaxQueueMatchesPerBlock: Get<u32>;

		/// Storage deposit held from the client for each job it posts, on top of the escrow,
		/// and released to it when the job closes. The amount held is kept in the record, so a
		/// change of this constant releases what was really held.
		#[pallet::constant]
		type JobDeposit: Get<BalanceOf<Self>>;

		/// Most open (queued or active) jobs one client may have at once: one account cannot
		/// fill the queue, and each open job holds its deposit.
		#[pallet::constant]
		type MaxOpenJobsPerClient: Get<u32>;

		/// Blocks a closed job's record is kept (for dApps and the `market_*` RPC to read) before
		/// the hook prunes it with its index entries.
		#[pallet::constant]
		type JobRetention: Get<BlockNumberFor<Self>>;

		/// Most closed jobs pruned in one block (the rest wait for the next).
		#[pallet::constant]
		type MaxPrunesPerBlock: Get<u32>;

		/// Weights of this pallet's calls and hook.
		type WeightInfo: WeightInfo;

		/// Sets up providers for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// Every job ever posted, by id.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobOf<T>, OptionQuery>;

	/// Jobs by client (all of them, open or not).
	#[pallet::storage]
	pub type ClientJobs<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, (), OptionQuery>;

	/// Jobs each provider has an unfinished replica of: what its worker has to do.
	#[pallet::storage]
	pub type ProviderJobs<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, u32, OptionQuery>;

	/// Scheduled checks, by the block they are due at.
	#[pallet::storage]
	pub type Timeouts<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		Twox64Concat,
		(JobId, Timeout),
		(),
		OptionQuery,
	>;

	/// The first block of [`Timeouts`] the hook has not finished.
	#[pallet::storage]
	pub type TimeoutCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Jobs waiting for providers, oldest first.
	#[pallet::storage]
	pub type Queue<T: Config> = StorageValue<_, BoundedVec<JobId, T::MaxQueued>, ValueQuery>;

	/// The market's counters and the total escrow.
	#[pallet::storage]
	pub type Stats<T: Config> = StorageValue<_, JobStats<BalanceOf<T>>, ValueQuery>;

	/// Open (queued or active) jobs of each client, held against
	/// [`Config::MaxOpenJobsPerClient`]; no entry for a client with none.
	#[pallet::storage]
	pub type OpenJobs<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

	/// Closed jobs by the block from which the hook prunes them ([`pruning`]).
	#[pallet::storage]
	pub type Prunes<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, JobId, (), OptionQuery>;

	/// The first block of [`Prunes`] the hook has not finished.
	#[pallet::storage]
	pub type PruneCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was posted, and `escrow` and the storage `deposit` held from its client.
		Posted {
			job: JobId,
			client: T::AccountId,
			units: u64,
			escrow: BalanceOf<T>,
			deposit: BalanceOf<T>,
		},
		/// A job found too few providers and waits in the queue.
		Queued { job: JobId },
		/// Replica `replica` of a job was assigned to `provider` at `price_per_unit`.
		Assigned {
			job: JobId,
			replica: u32,
			provider: T::AccountId,
			worker: T::AccountId,
			price_per_unit: BalanceOf<T>,
		},
		/// The worker of replica `replica` acknowledged the job.
		Acknowledged { job: JobId, replica: u32 },
		/// A receipt was submitted. `verdict_at` is the verifier's first look at it: the earliest
		/// block its verdict can come in (and the receipt be paid).
		ReceiptSubmitted {
			job: JobId,
			replica: u32,
			output_commitment: sp_core::H256,
			used_units: u64,
			verdict_at: BlockNumberFor<T>,
		},
		/// A receipt was challenged. `verdict_at` is the verifier's next look at it: its verdict
		/// comes then at the earliest.
		Challenged {
			job: JobId,
			replica: u32,
			challenger: T::AccountId,
			verdict_at: BlockNumberFor<T>,
		},
		/// The client accepted a receipt before its verdict.
		AcceptedEarly { job: JobId, replica: u32 },
		/// The provider of a replica was paid `payment`, and `fee` went to the treasury.
		Paid {
			job: JobId,
			replica: u32,
			provider: T::AccountId,
			payment: BalanceOf<T>,
			fee: BalanceOf<T>,
		},
		/// A replica failed: its worker declined it, or missed its acknowledgement or deadline,
		/// its receipt was rejected, or its provider was banned for a fraud on another job.
		ReplicaFailed { job: JobId, replica: u32, provider: T::AccountId, reason: FailureReason },
		/// A job ended (completed, failed, cancelled or expired): `refund` (what was left of its
		/// escrow) and its storage `deposit` went back to its client.
		Closed { job: JobId, state: JobState, refund: BalanceOf<T>, deposit: BalanceOf<T> },
		/// A closed job's record was pruned, with its index entries, `JobRetention` blocks after
		/// it closed.
		JobPruned { job: JobId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A `MatMulI8` dimension is zero.
		ZeroDimension,
		/// A `MatMulI8` dimension is above `MAX_MATRIX_DIM`.
		DimensionTooLarge,
		/// An opaque workload asks for zero GPU-seconds.
		ZeroGpuSeconds,
		/// The input URI is not an `http://` or `https://` URL.
		InvalidInputUri,
		/// The input size is zero.
		ZeroInputSize,
		/// The input size of a `MatMulI8` job is not `m x k + n x k` bytes, so no worker could
		/// run it as posted.
		InputSizeMismatch,
		/// A `MatMulI8` job with content inputs has `k` above `MAX_OPENED_K`: its spot-check
		/// openings would cost more than the job can pay for.
		InnerDimensionTooLarge,
		/// The job asks for no replica.
		ZeroReplicas,
		/// The job asks for more replicas than `MaxReplicas`.
		TooManyReplicas,
		/// The maximum price per unit is zero.
		ZeroPrice,
		/// The deadline is less than `MinDeadline` blocks away.
		DeadlineTooSoon,
		/// The deadline is more than `MaxDeadline` blocks away.
		DeadlineTooFar,
		/// Spot-checks need a deterministic workload (`MatMulI8`).
		SpotCheckNeedsDeterministicWorkload,
		/// Replicated verification needs at least two replicas.
		ReplicationNeedsReplicas,
		/// Attested verification needs `requirements.attestation`.
		AttestationNotRequired,
		/// The budget does not fit in a balance.
		BudgetOverflow,
		/// The client cannot cover the budget (and keep the existential deposit).
		InsufficientBalance,
		/// The queue is full: try again later, or with a higher price.
		QueueFull,
		/// No job has this id.
		UnknownJob,
		/// Only the job's client may do this.
		NotClient,
		/// The job is not waiting in the queue.
		NotQueued,
		/// The job has no such replica.
		NoSuchReplica,
		/// The signer is not the worker key of the replica's provider.
		NotAssignedWorker,
		/// The replica is not waiting for an acknowledgement.
		NotAwaitingAck,
		/// The replica is not running (acknowledge first; a receipt is submitted once).
		NotRunning,
		/// The replica has no receipt waiting for a verdict.
		NotSubmitted,
		/// The receipt reports more units than the job has.
		UsageAboveBudget,
		/// The output URI is not an `http://` or `https://` URL.
		InvalidOutputUri,
		/// The acknowledgement window has closed (its timeout is being handled).
		AckWindowClosed,
		/// The provider's free stake does not cover the replica's collateral: decline the job,
		/// or bond more first.
		InsufficientCollateral,
		/// The job's deadline has passed.
		DeadlinePassed,
		/// The client has `MaxOpenJobsPerClient` open (queued or active) jobs: wait for one to
		/// close, or cancel a queued one.
		TooManyOpenJobs,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let done = timeouts::run::<T>(now);
			let tried = matching::match_queue::<T>();
			let pruned = pruning::run::<T>(now);
			// Each handled timeout may re-match a replica, and each tried queued job runs a
			// query: the benchmarks found providers at once, so the query's worst case is added.
			// Verdicts (and the bans they bring) are pushed by the verifier, which charges them.
			let queries = done.handled.saturating_add(tried);
			T::WeightInfo::on_initialize_timeouts(done.handled)
				.saturating_add(T::WeightInfo::on_initialize_queue(tried))
				.saturating_add(T::Registry::cheapest_weight().saturating_mul(queries.into()))
				.saturating_add(T::WeightInfo::on_initialize_prune(pruned))
		}

		fn integrity_test() {
			assert!(T::MaxReplicas::get() > 0, "a job must be able to run somewhere");
			assert!(T::MinDeadline::get() > T::AckTimeout::get(), "a job must outlive its ack");
			// A window of 0 would schedule the acknowledgement check in the current block,
			// which the hook has already passed: it would never run.
			assert!(
				!sp_runtime::traits::Zero::is_zero(&T::AckTimeout::get()),
				"the acknowledgement window must end in a later block"
			);
			assert!(T::MaxDeadline::get() >= T::MinDeadline::get(), "deadline bounds are crossed");
			assert!(T::MaxTimeoutsPerBlock::get() > 0, "timeouts must make progress");
			assert!(T::MillisecsPerBlock::get() > 0, "blocks must take time");
			// A retention of 0 would schedule the pruning in the current block, which the hook
			// has already passed.
			assert!(
				!sp_runtime::traits::Zero::is_zero(&T::JobRetention::get()),
				"closed jobs must be kept until a later block"
			);
			assert!(T::MaxPrunesPerBlock::get() > 0, "pruning must make progress");
			assert!(T::MaxOpenJobsPerClient::get() > 0, "a client must be able to post");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Posts a job: holds its budget (`max_price_per_unit x units x replicas`, plus the
		/// protocol fee on it) and the storage deposit [`Config::JobDeposit`] (released when the
		/// job closes), and assigns it to the cheapest providers that fit, or queues it. A
		/// client has at most [`Config::MaxOpenJobsPerClient`] open jobs at once.
		///
		/// Dispatch origin: signed, by the client.
		///
		/// Errors: the spec errors ([`Error::ZeroDimension`], [`Error::DimensionTooLarge`],
		/// [`Error::ZeroGpuSeconds`], [`Error::InvalidInputUri`], [`Error::ZeroInputSize`],
		/// [`Error::ZeroReplicas`], [`Error::TooManyReplicas`], [`Error::ZeroPrice`],
		/// [`Error::DeadlineTooSoon`], [`Error::DeadlineTooFar`],
		/// [`Error::SpotCheckNeedsDeterministicWorkload`], [`Error::ReplicationNeedsReplicas`],
		/// [`Error::AttestationNotRequired`]), [`Error::BudgetOverflow`],
		/// [`Error::TooManyOpenJobs`], [`Error::InsufficientBalance`] (for the escrow and the
		/// deposit together), [`Error::QueueFull`].
		///
		/// Events: [`Event::Posted`], then [`Event::Assigned`] for each replica or
		/// [`Event::Queued`].
		#[pallet::call_index(0)]
		#[pallet::weight(
			T::WeightInfo::post(spec.replicas.min(T::MaxReplicas::get()))
				.saturating_add(T::Registry::cheapest_weight())
		)]
		pub fn post(origin: OriginFor<T>, spec: JobSpecOf<T>) -> DispatchResult {
			let client = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			let units = spec::check::<T>(&spec, now)?;
			let escrow = spec::escrow::<T>(&spec, units)?;
			let open = OpenJobs::<T>::get(&client).unwrap_or_default();
			ensure!(open < T::MaxOpenJobsPerClient::get(), Error::<T>::TooManyOpenJobs);
			let deposit = T::JobDeposit::get();
			let total = escrow.checked_add(&deposit).ok_or(Error::<T>::BudgetOverflow)?;
			ensure!(
				T::Currency::can_hold(&HoldReason::Escrow.into(), &client, total),
				Error::<T>::InsufficientBalance
			);
			T::Currency::hold(&HoldReason::Escrow.into(), &client, escrow)?;
			if !deposit.is_zero() {
				T::Currency::hold(&HoldReason::JobDeposit.into(), &client, deposit)?;
			}
			OpenJobs::<T>::insert(&client, open.saturating_add(1));

			let id = NextJobId::<T>::mutate(|next| {
				let id = *next;
				*next = next.saturating_add(1);
				id
			});
			let mut job = Job {
				client: client.clone(),
				spec,
				units,
				escrow,
				state: JobState::Queued,
				replicas: BoundedVec::new(),
				dropped: BoundedVec::new(),
				posted_at: now,
				deposit,
				closed_at: None,
			};
			ClientJobs::<T>::insert(&client, id, ());
			Stats::<T>::mutate(|stats| stats.escrowed = stats.escrowed.saturating_add(escrow));
			Self::deposit_event(Event::Posted { job: id, client, units, escrow, deposit });

			if matching::assign_all::<T>(id, &mut job) {
				Stats::<T>::mutate(|stats| stats.active = stats.active.saturating_add(1));
			} else {
				Queue::<T>::try_mutate(|queue| queue.try_push(id))
					.map_err(|_| Error::<T>::QueueFull)?;
				Timeouts::<T>::insert(
					timeouts::after(job.spec.deadline),
					(id, Timeout::QueueExpiry),
					(),
				);
				Stats::<T>::mutate(|stats| stats.queued = stats.queued.saturating_add(1));
				Self::deposit_event(Event::Queued { job: id });
			}
			Jobs::<T>::insert(id, job);
			Ok(())
		}

		/// Cancels a queued job and refunds its whole escrow.
		///
		/// Dispatch origin: signed, by the job's client.
		///
		/// Errors: [`Error::UnknownJob`], [`Error::NotClient`], [`Error::NotQueued`].
		///
		/// Events: [`Event::Closed`] with state `Cancelled`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::cancel())]
		pub fn cancel(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			ensure!(record.client == who, Error::<T>::NotClient);
			ensure!(record.state == JobState::Queued, Error::<T>::NotQueued);
			Queue::<T>::mutate(|queue| queue.retain(|queued| *queued != job));
			Timeouts::<T>::remove(
				timeouts::after(record.spec.deadline),
				(job, Timeout::QueueExpiry),
			);
			Stats::<T>::mutate(|stats| stats.queued = stats.queued.saturating_sub(1));
			settlement::close::<T>(job, &mut record, JobState::Cancelled);
			Jobs::<T>::insert(job, record);
			Ok(())
		}

		/// Acknowledges an assigned replica: the worker has the job and starts it. The replica's
		/// collateral is set aside from the provider's bond, and the receipt is then due by the
		/// job's deadline.
		///
		/// Dispatch origin: signed, by the worker key of the replica's provider. Operational
		/// class, so that a block full of other transactions cannot make a worker miss its
		/// window.
		///
		/// Errors: [`Error::UnknownJob`], [`Error::NoSuchReplica`],
		/// [`Error::NotAssignedWorker`], [`Error::NotAwaitingAck`], [`Error::AckWindowClosed`],
		/// [`Error::InsufficientCollateral`].
		///
		/// Events: [`Event::Acknowledged`] (and the stake pallet's collateral event).
		#[pallet::call_index(2)]
		#[pallet::weight((T::WeightInfo::acknowledge(), DispatchClass::Operational))]
		pub fn acknowledge(origin: OriginFor<T>, job: JobId, replica: u32) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			let mut record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			let deadline = timeouts::after(record.spec.deadline);
			let units = record.units;
			let slot = Self::worker_replica(&mut record, replica, &worker)?;
			let ReplicaState::AwaitingAck { until } = slot.state else {
				return Err(Error::<T>::NotAwaitingAck.into());
			};
			// Normally the hook has failed the replica at `until`; with a backlog of timeouts
			// it may not have yet, and a late acknowledgement must not slip through.
			ensure!(frame_system::Pallet::<T>::block_number() < until, Error::<T>::AckWindowClosed);
			let collateral = matching::collateral::<T>(slot.price_per_unit, units);
			T::Collateral::reserve(&slot.provider, collateral)
				.map_err(|_| Error::<T>::InsufficientCollateral)?;
			slot.collateral = collateral;
			slot.state = ReplicaState::Running;
			Timeouts::<T>::remove(until, (job, Timeout::Acknowledgement(replica)));
			Timeouts::<T>::insert(deadline, (job, Timeout::Delivery(replica)), ());
			Jobs::<T>::insert(job, record);
			Self::deposit_event(Event::Acknowledged { job, replica });
			Ok(())
		}

		/// Submits the receipt of a running replica and hands it to the verifier.
		///
		/// Dispatch origin: signed, by the worker key of the replica's provider. Operational
		/// class, like [`Call::acknowledge`].
		///
		/// Errors: [`Error::UnknownJob`], [`Error::NoSuchReplica`],
		/// [`Error::NotAssignedWorker`], [`Error::NotRunning`], [`Error::UsageAboveBudget`],
		/// [`Error::DeadlinePassed`], [`Error::InvalidOutputUri`], or the verifier's refusal.
		///
		/// Events: [`Event::ReceiptSubmitted`].
		#[pallet::call_index(3)]
		#[pallet::weight((
			T::WeightInfo::submit_receipt().saturating_add(T::Verifier::receipt_weight()),
			DispatchClass::Operational,
		))]
		pub fn submit_receipt(
			origin: OriginFor<T>,
			job: JobId,
			replica: u32,
			receipt: Receipt,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			let mut record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			ensure!(receipt.used_units <= record.units, Error::<T>::UsageAboveBudget);
			ensure!(spec::is_http_url(&receipt.output_uri), Error::<T>::InvalidOutputUri);
			let deadline = timeouts::after(record.spec.deadline);
			let (spec, client) = (record.spec.clone(), record.client.clone());
			let slot = Self::worker_replica(&mut record, replica, &worker)?;
			ensure!(slot.state == ReplicaState::Running, Error::<T>::NotRunning);
			// Normally the hook has failed the replica after the deadline; with a backlog of
			// timeouts it may not have yet.
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now <= spec.deadline, Error::<T>::DeadlinePassed);
			let verdict_at = T::Verifier::receipt_submitted(
				job,
				replica,
				&slot.provider,
				&client,
				&spec,
				&receipt,
			)?;
			// No timeout replaces the deadline's: the verifier pushes the verdict.
			Timeouts::<T>::remove(deadline, (job, Timeout::Delivery(replica)));
			slot.state = ReplicaState::Submitted { since: now };
			let event = Event::ReceiptSubmitted {
				job,
				replica,
				output_commitment: receipt.output_commitment,
				used_units: receipt.used_units,
				verdict_at,
			};
			slot.receipt = Some(receipt);
			Jobs::<T>::insert(job, record);
			Self::deposit_event(event);
			Ok(())
		}

		/// Accepts a submitted receipt at once, without waiting for the verifier: the provider
		/// is paid now.
		///
		/// Dispatch origin: signed, by the job's client.
		///
		/// Errors: [`Error::UnknownJob`], [`Error::NotClient`], [`Error::NoSuchReplica`],
		/// [`Error::NotSubmitted`], or the verifier's refusal (the receipt is being proven or
		/// was proven wrong).
		///
		/// Events: [`Event::AcceptedEarly`], [`Event::Paid`], and [`Event::Closed`] if it was
		/// the last replica.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::accept())]
		pub fn accept(origin: OriginFor<T>, job: JobId, replica: u32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			ensure!(record.client == who, Error::<T>::NotClient);
			let slot = record.replicas.get(replica as usize).ok_or(Error::<T>::NoSuchReplica)?;
			ensure!(matches!(slot.state, ReplicaState::Submitted { .. }), Error::<T>::NotSubmitted);
			T::Verifier::may_accept(job, replica)?;
			T::Verifier::closed(job, replica);
			Self::deposit_event(Event::AcceptedEarly { job, replica });
			settlement::pay::<T>(job, &mut record, replica);
			settlement::close_if_done::<T>(job, &mut record);
			Jobs::<T>::insert(job, record);
			Ok(())
		}

		/// Disputes a submitted receipt; the verifier decides how (see the proofs pallet).
		///
		/// Dispatch origin: signed, by anyone (the client or a watcher).
		///
		/// Errors: [`Error::UnknownJob`], [`Error::NoSuchReplica`], [`Error::NotSubmitted`], or
		/// the verifier's refusal.
		///
		/// Events: [`Event::Challenged`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::challenge().saturating_add(T::Verifier::challenge_weight()))]
		pub fn challenge(origin: OriginFor<T>, job: JobId, replica: u32) -> DispatchResult {
			let challenger = ensure_signed(origin)?;
			let record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			let slot = record.replicas.get(replica as usize).ok_or(Error::<T>::NoSuchReplica)?;
			ensure!(matches!(slot.state, ReplicaState::Submitted { .. }), Error::<T>::NotSubmitted);
			// The verifier reschedules its own look; nothing of the record changes.
			let verdict_at = T::Verifier::challenge(job, replica, &challenger)?;
			Self::deposit_event(Event::Challenged { job, replica, challenger, verdict_at });
			Ok(())
		}

		/// Declines an assigned replica the worker will not run (it cannot fetch the inputs, is
		/// busy, or does not want it). The provider loses nothing and is never matched to this
		/// job again; the replica goes to the next cheapest provider that fits, or fails if none
		/// does in the time left.
		///
		/// Dispatch origin: signed, by the worker key of the replica's provider. Operational
		/// class, like [`Call::acknowledge`].
		///
		/// Errors: [`Error::UnknownJob`], [`Error::NoSuchReplica`],
		/// [`Error::NotAssignedWorker`], [`Error::NotAwaitingAck`], [`Error::AckWindowClosed`].
		///
		/// Events: [`Event::ReplicaFailed`] with reason `Declined`, then [`Event::Assigned`]
		/// for the next provider, or [`Event::Closed`] if that was the job's last replica.
		#[pallet::call_index(6)]
		#[pallet::weight((
			T::WeightInfo::decline().saturating_add(T::Registry::cheapest_weight()),
			DispatchClass::Operational,
		))]
		pub fn decline(origin: OriginFor<T>, job: JobId, replica: u32) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			let mut record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			let slot = Self::worker_replica(&mut record, replica, &worker)?;
			let ReplicaState::AwaitingAck { until } = slot.state else {
				return Err(Error::<T>::NotAwaitingAck.into());
			};
			ensure!(frame_system::Pallet::<T>::block_number() < until, Error::<T>::AckWindowClosed);
			Timeouts::<T>::remove(until, (job, Timeout::Acknowledgement(replica)));
			settlement::fail::<T>(job, &mut record, replica, FailureReason::Declined, None);
			matching::replace::<T>(job, &mut record, replica);
			settlement::close_if_done::<T>(job, &mut record);
			Jobs::<T>::insert(job, record);
			Ok(())
		}
	}
}

//! # Proofs
//!
//! Decides whether a provider's receipt stands. The jobs pallet hands every receipt to this
//! pallet through the [`Verifier`] trait and forwards challenges; this pallet moves each check
//! on in its own hook, at the blocks its [`agenda`] schedules, and in the calls that answer it,
//! and tells the jobs pallet the verdict the moment it is decided ([`Config::Verdicts`]), so an
//! honest receipt is paid in the block its last check passed. It never moves escrow or stake
//! itself, except the bonds of challengers.
//!
//! ## Policies
//!
//! - **Spot-check** (`MatMulI8` only): [`Config::RandomnessDelay`] blocks after the receipt,
//!   [`Config::SpotCheckSamples`] output positions are drawn from the hashes of the blocks built
//!   after it ([`sampling`]). The provider's worker opens each with [`Call::respond`] within
//!   [`Config::ResponseWindow`] blocks; the chain recomputes each sampled dot product and checks
//!   every Merkle path ([`tessera_commitment`]). A wrong or missing answer is fraud.
//! - **Attested**: governance lists attestation authorities and allowed code measurements; a
//!   provider registers its enclave with a report an authority signed
//!   ([`Call::register_enclave`]); receipts of attested jobs carry the enclave's signature over
//!   the job, the output commitment and the usage ([`attestation`]). Then as optimistic.
//! - **Replicated**: every replica seals its output commitment in its receipt and reveals it
//!   ([`Call::reveal`]) once all have sealed, so none can copy another. The commitment a strict
//!   majority of the replicas reveals is accepted. When one dissents from a deterministic
//!   result, every winner is spot-checked, and the outvoted are slashed for dissent only after
//!   every winner passed (spot-checked themselves if one fails). No majority goes to the
//!   dispute origin ([`quorum`]).
//! - **Optimistic**: final after [`Config::ChallengeWindow`] blocks unless challenged with
//!   [`Config::ChallengeBond`]. A challenge of a deterministic workload is re-executed by
//!   [`Config::Executors`] providers drawn at random, from block hashes after the challenge,
//!   uniformly among the providers that fit the job at its price cap and registered before its
//!   receipt (never its provider, client or challenger). Each sets
//!   [`Config::ExecutorCollateral`] aside, reports a seal of its result and reveals it once all
//!   have sealed; their majority decides, and an executor that does not reveal, or reveals
//!   against the majority, loses its collateral. Otherwise the dispute origin decides
//!   ([`disputes`]). The loser pays.
//! - **Random audits**: every other `MatMulI8` receipt is spot-checked with
//!   [`Config::AuditSamples`] samples with probability [`Config::AuditChance`], drawn when its
//!   policy would otherwise accept it.
//!
//! `docs/protocol.md` specifies the commitments and shows why cheating does not pay.
//!
//! ## Invariants (checked by `try_state`)
//!
//! Every check has exactly one look scheduled (in `NextLook` and `Agenda`, and nothing else is
//! there), none before the hook's cursor; each challenger's bond on hold equals the bonds of
//! its open challenges; every sampling stage
//! has answered bits only for drawn samples;
//! every re-execution stage holds distinct executors, each with its entry in `Duties` (and no
//! other entry is there), and no result revealed before the reveals or without a seal; every replicated check has a tally that
//! lists it as sealed, and its stage agrees with the tally (sealed before the reveals open,
//! revealing in their window, tallied only once revealed); only replicated checks are in the
//! tally's stages.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

pub mod agenda;
pub mod attestation;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod disputes;
mod invariants;
mod market_impls;
#[cfg(test)]
mod mock;
mod queries;
pub mod quorum;
pub mod sampling;
#[cfg(test)]
mod tests;
pub mod types;
pub mod verifier;
pub mod weights;

use frame_support::{pallet_prelude::*, traits::fungible};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::{sr25519, H256};
use sp_runtime::Perbill;
use tessera_commitment::{Opening, Roots};
use tessera_primitives::{
	jobs::{JobId, VerdictSink},
	market::{AttestationRegistry, Collateral, ProviderRegistry, ReputationRecorder},
};

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::proofs";

/// The balance type of [`Config::Currency`].
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A check with this runtime's types.
pub type CheckOf<T> =
	Check<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A check's stage with this runtime's types.
pub type StageOf<T> =
	Stage<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A re-executor with this runtime's types.
pub type ExecutorOf<T> = Executor<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

/// A replication tally with this runtime's bound.
pub type TallyOf<T> = Tally<BlockNumberFor<T>, <T as Config>::MaxReplicas>;

/// An attestation report with this runtime's types.
pub type ReportOf<T> = AttestationReport<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// The openings of one response: `(sample, opening)` pairs.
pub type OpeningsOf = BoundedVec<(u32, Opening), ConstU32<MAX_SAMPLES>>;

/// Sets up what the benchmarks need from the rest of the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers and bonds `count` providers that fit any job with the default requirements
	/// at a price of at most `max_price`, each with a free job slot, and returns their
	/// (provider, worker) accounts.
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
		/// A challenger's bond, until its challenge is settled.
		ChallengeBond,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The token challenge bonds are held in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The provider registry: worker keys, re-executors and their job slots, reputation.
		type Registry: ProviderRegistry<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>
			+ ReputationRecorder<Self::AccountId>;

		/// Where every verdict is told the moment it is decided (by the hook, or by a call: the
		/// last spot-check answer, a wrong one, the last reveal), so that the jobs pallet
		/// settles it in the same block.
		type Verdicts: VerdictSink<Self::AccountId>;

		/// Where re-executors set their collateral aside (the stake pallet).
		type Collateral: Collateral<Self::AccountId, BalanceOf<Self>>;

		/// Where a registered enclave makes its provider eligible for attested jobs.
		type Attestations: AttestationRegistry<Self::AccountId, BlockNumberFor<Self>>;

		/// Lists attestation authorities and allowed code measurements.
		type AttestationOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Decides disputes nothing on chain can decide.
		type DisputeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Blocks between a receipt and the block whose hashes its samples are drawn from; the
		/// randomness mixes the hashes of all the blocks in between.
		#[pallet::constant]
		type RandomnessDelay: Get<BlockNumberFor<Self>>;

		/// Samples drawn for a spot-checked receipt (at most [`MAX_SAMPLES`]).
		#[pallet::constant]
		type SpotCheckSamples: Get<u32>;

		/// Samples drawn for a random audit (at most [`MAX_SAMPLES`]).
		#[pallet::constant]
		type AuditSamples: Get<u32>;

		/// Probability that a deterministic receipt not under a spot-check policy is audited.
		#[pallet::constant]
		type AuditChance: Get<Perbill>;

		/// Blocks a provider has to answer its samples.
		#[pallet::constant]
		type ResponseWindow: Get<BlockNumberFor<Self>>;

		/// Blocks an optimistic or attested receipt can be challenged in.
		#[pallet::constant]
		type ChallengeWindow: Get<BlockNumberFor<Self>>;

		/// Bond a challenger puts up; the loser of the challenge pays.
		#[pallet::constant]
		type ChallengeBond: Get<BalanceOf<Self>>;

		/// Fresh providers that re-execute a challenged deterministic job (at most
		/// [`MAX_EXECUTORS`]).
		#[pallet::constant]
		type Executors: Get<u32>;

		/// How many online, bonded providers an executor draw looks at, taken at random without
		/// repetition (at least [`Config::Executors`], at most [`MAX_EXECUTOR_TRIES`]): the
		/// executors are the first of them that fit the job. It bounds the draw's reads; a job
		/// that few providers fit may find fewer than [`Config::Executors`], and then goes to the
		/// dispute origin.
		#[pallet::constant]
		type ExecutorDrawTries: Get<u32>;

		/// Collateral each executor sets aside from its bond while booked: taken if it does not
		/// reveal a result, or reveals one against the majority.
		#[pallet::constant]
		type ExecutorCollateral: Get<BalanceOf<Self>>;

		/// Blocks the executors have to report the seal of their result.
		#[pallet::constant]
		type ReexecutionWindow: Get<BlockNumberFor<Self>>;

		/// Share of the challenge bond that pays the executors who reported the majority result.
		#[pallet::constant]
		type ExecutorShare: Get<Perbill>;

		/// Blocks between two looks at a replicated job's tally.
		#[pallet::constant]
		type ReplicationPoll: Get<BlockNumberFor<Self>>;

		/// Blocks the providers of a replicated job (and the executors of a challenge) have to
		/// reveal their sealed outputs once all of them have sealed (or the job's deadline, or
		/// the re-execution window, has passed).
		#[pallet::constant]
		type RevealWindow: Get<BlockNumberFor<Self>>;

		/// Blocks between two looks at a dispute.
		#[pallet::constant]
		type DisputePoll: Get<BlockNumberFor<Self>>;

		/// Blocks after a job's deadline within which the dispute origin must decide its
		/// disputes; after them, a disputed receipt stands and a challenger gets its bond back.
		#[pallet::constant]
		type DisputePeriod: Get<BlockNumberFor<Self>>;

		/// Most looks at checks the hook makes in one block; a backlog carries over.
		#[pallet::constant]
		type MaxLooksPerBlock: Get<u32>;

		/// Most replicas of a job (the jobs pallet's bound).
		#[pallet::constant]
		type MaxReplicas: Get<u32>;

		/// Most attestation authorities.
		#[pallet::constant]
		type MaxAuthorities: Get<u32>;

		/// Most allowed code measurements.
		#[pallet::constant]
		type MaxMeasurements: Get<u32>;

		/// Weights of this pallet's calls and of the verifier's work.
		type WeightInfo: WeightInfo;

		/// Sets up providers for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The check of each submitted receipt, by job and replica, until the jobs pallet has
	/// acted on its verdict.
	#[pallet::storage]
	pub type Checks<T: Config> =
		StorageDoubleMap<_, Twox64Concat, JobId, Twox64Concat, u32, CheckOf<T>, OptionQuery>;

	/// The looks the hook makes, by block: `(job, replica)` of each check looked at then.
	#[pallet::storage]
	pub type Agenda<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		Twox64Concat,
		(JobId, u32),
		(),
		OptionQuery,
	>;

	/// The block each check's next look is scheduled at (its entry in [`Agenda`]).
	#[pallet::storage]
	pub type NextLook<T: Config> =
		StorageDoubleMap<_, Twox64Concat, JobId, Twox64Concat, u32, BlockNumberFor<T>, OptionQuery>;

	/// The first block of [`Agenda`] the hook has not finished.
	#[pallet::storage]
	pub type AgendaCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// The re-executions each provider is booked for, `(job, replica)`, so that its worker
	/// finds its duties in a bounded read.
	#[pallet::storage]
	pub type Duties<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		(JobId, u32),
		(),
		OptionQuery,
	>;

	/// The tally of each replicated job's receipts.
	#[pallet::storage]
	pub type Tallies<T: Config> = StorageMap<_, Twox64Concat, JobId, TallyOf<T>, OptionQuery>;

	/// Keys of the attestation authorities whose reports are accepted.
	#[pallet::storage]
	pub type Authorities<T: Config> =
		StorageValue<_, BoundedVec<sr25519::Public, T::MaxAuthorities>, ValueQuery>;

	/// Code measurements an attested enclave may run.
	#[pallet::storage]
	pub type Measurements<T: Config> =
		StorageValue<_, BoundedVec<H256, T::MaxMeasurements>, ValueQuery>;

	/// Each provider's registered enclave.
	#[pallet::storage]
	pub type Enclaves<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Enclave<BlockNumberFor<T>>, OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Attestation authorities at genesis.
		pub authorities: alloc::vec::Vec<sr25519::Public>,
		/// Allowed code measurements at genesis.
		pub measurements: alloc::vec::Vec<H256>,
		#[serde(skip)]
		pub _marker: PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				self.authorities.len() <= T::MaxAuthorities::get() as usize,
				"genesis lists more than MaxAuthorities attestation authorities"
			);
			assert!(
				self.measurements.len() <= T::MaxMeasurements::get() as usize,
				"genesis lists more than MaxMeasurements measurements"
			);
			Authorities::<T>::put(BoundedVec::truncate_from(self.authorities.clone()));
			Measurements::<T>::put(BoundedVec::truncate_from(self.measurements.clone()));
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Samples were drawn: the provider must open the output at `positions` by
		/// `respond_by`. `audit`: a random audit rather than the job's own spot-check.
		SamplesDrawn {
			job: JobId,
			replica: u32,
			positions: BoundedVec<(u32, u32), ConstU32<MAX_SAMPLES>>,
			respond_by: BlockNumberFor<T>,
			audit: bool,
		},
		/// Every sample was opened correctly.
		SpotCheckPassed { job: JobId, replica: u32 },
		/// A spot-check proved the receipt wrong, or its samples were not answered.
		SpotCheckFailed { job: JobId, replica: u32, fault: Fault },
		/// Every replica of a replicated job has sealed its receipt, or its deadline has passed:
		/// the sealed replicas must reveal their outputs by `until`.
		RevealsOpened { job: JobId, until: BlockNumberFor<T> },
		/// A replica revealed the output commitment under its seal.
		Revealed { job: JobId, replica: u32, output: H256 },
		/// A replica did not reveal its sealed output in time: failed as a missed deadline.
		RevealWithheld { job: JobId, replica: u32 },
		/// A winner of the tally was proven wrong: outvoted `replica` is spot-checked on its
		/// own output instead of slashed for dissent.
		MajorityDisproven { job: JobId, replica: u32 },
		/// A strict majority of a replicated job's replicas agreed on `output`.
		QuorumReached { job: JobId, output: H256 },
		/// A replica's revealed output disagrees with the quorum (slashed for dissent once every
		/// winner is accepted; at once when the output cannot be recomputed).
		Outvoted { job: JobId, replica: u32 },
		/// A receipt was challenged; `bond` is held from `challenger`.
		Challenged { job: JobId, replica: u32, challenger: T::AccountId, bond: BalanceOf<T> },
		/// `provider` must re-execute the job and report its output by `until`.
		ExecutorAssigned {
			job: JobId,
			replica: u32,
			provider: T::AccountId,
			worker: T::AccountId,
			until: BlockNumberFor<T>,
		},
		/// Too few providers could be drawn and booked as executors (with a free job slot and
		/// free stake for the collateral): the dispute origin decides.
		ExecutorsShort { job: JobId, replica: u32, found: u32 },
		/// An executor reported the seal of its result.
		Reexecuted { job: JobId, replica: u32, provider: T::AccountId, seal: H256 },
		/// Every executor has sealed, or the re-execution window is over: they must reveal
		/// their results by `until`.
		ExecutorRevealsOpened { job: JobId, replica: u32, until: BlockNumberFor<T> },
		/// An executor revealed the result under its seal.
		ExecutorRevealed { job: JobId, replica: u32, provider: T::AccountId, output: H256 },
		/// A challenge was settled: `upheld` if the receipt stood. The bond went to the
		/// executors (`to_executors`), the provider (`to_provider`) and back to the challenger
		/// (`refunded`).
		ChallengeSettled {
			job: JobId,
			replica: u32,
			upheld: bool,
			to_executors: BalanceOf<T>,
			to_provider: BalanceOf<T>,
			refunded: BalanceOf<T>,
		},
		/// The receipt waits for the dispute origin.
		Disputed { job: JobId, replica: u32 },
		/// The dispute origin decided that `accepted` is the right output of the job's disputed
		/// receipts (of `replica` only, when given; `None` accepted: no receipt is).
		DisputeResolved { job: JobId, replica: Option<u32>, accepted: Option<H256> },
		/// Nobody decided the dispute within [`Config::DisputePeriod`] after the job's
		/// deadline: the receipt stands.
		DisputeExpired { job: JobId, replica: u32 },
		/// An attestation authority was listed.
		AuthorityAdded { key: sr25519::Public },
		/// An attestation authority was removed.
		AuthorityRemoved { key: sr25519::Public },
		/// A code measurement was allowed.
		MeasurementAllowed { measurement: H256 },
		/// A code measurement was revoked: receipts from enclaves running it are refused.
		MeasurementRevoked { measurement: H256 },
		/// A provider registered an attested enclave.
		EnclaveRegistered {
			provider: T::AccountId,
			key: sr25519::Public,
			measurement: H256,
			expires_at: BlockNumberFor<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No receipt of that job and replica is being checked.
		UnknownCheck,
		/// The signer is not the worker key of the provider concerned.
		NotProvidersWorker,
		/// The receipt is not waiting for sample openings.
		NotSampling,
		/// The response window has closed.
		ResponseClosed,
		/// A sample number that was not drawn.
		UnknownSample,
		/// The sample was already answered.
		AlreadyAnswered,
		/// Only optimistic and attested receipts can be challenged.
		NotChallengeable,
		/// The challenge window has closed, or the receipt is already being decided.
		ChallengeClosed,
		/// The receipt has already been challenged.
		AlreadyChallenged,
		/// A provider cannot challenge its own receipt.
		OwnReceipt,
		/// The challenger cannot put up the challenge bond.
		InsufficientBond,
		/// The receipt is not being re-executed.
		NotReexecuting,
		/// The re-execution window has closed.
		ReexecutionClosed,
		/// The signer is not the worker of one of the executors.
		NotExecutor,
		/// This executor has already reported (or revealed).
		AlreadyReported,
		/// The executors' reveals are not open yet, or are over: the call that reports seals
		/// is for the one phase, the reveal for the other.
		WrongReexecutionPhase,
		/// No receipt of the job (or of that replica) is waiting for the dispute origin.
		NotDisputed,
		/// The receipt is being proven (samples drawn, a challenge open) or was proven wrong:
		/// the client cannot accept it early.
		UnderProof,
		/// The receipt's reveals are not open yet: not every replica has sealed and the job's
		/// deadline has not passed.
		RevealsNotOpen,
		/// The receipt is not sealed: not a replicated job, or already revealed.
		NotSealed,
		/// The reveal window has closed.
		RevealClosed,
		/// The output and salt do not open the receipt's seal.
		SealMismatch,
		/// The authority is already listed.
		AuthorityExists,
		/// The authority is not listed.
		UnknownAuthority,
		/// [`Config::MaxAuthorities`] authorities are listed already.
		TooManyAuthorities,
		/// The measurement is already allowed.
		MeasurementExists,
		/// The measurement is not allowed.
		MeasurementNotAllowed,
		/// [`Config::MaxMeasurements`] measurements are allowed already.
		TooManyMeasurements,
		/// The report names another provider.
		NotYourReport,
		/// The report has expired.
		ReportExpired,
		/// The authority's signature over the report is not valid.
		BadAuthoritySignature,
		/// The provider has no registered enclave.
		NotAttested,
		/// The provider's attestation has expired.
		AttestationExpired,
		/// An attested job's receipt carries no enclave signature.
		MissingEnclaveSignature,
		/// The enclave signature does not sign this job's output and usage.
		BadEnclaveSignature,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			agenda::hook_weight::<T>(&agenda::run::<T>(now))
		}

		fn integrity_test() {
			use sp_runtime::traits::Zero;
			assert!(T::SpotCheckSamples::get() > 0, "a spot-check needs a sample");
			assert!(T::SpotCheckSamples::get() <= MAX_SAMPLES, "samples above MAX_SAMPLES");
			assert!(T::AuditSamples::get() > 0, "an audit needs a sample");
			assert!(T::AuditSamples::get() <= MAX_SAMPLES, "audit samples above MAX_SAMPLES");
			assert!(!T::RandomnessDelay::get().is_zero(), "samples need a later block's hash");
			// An audit at the end of the window draws from the blocks just before it, which
			// must all come after the receipt.
			assert!(
				T::ChallengeWindow::get() > T::RandomnessDelay::get(),
				"the challenge window must outlast the randomness delay"
			);
			assert!(!T::ResponseWindow::get().is_zero(), "providers need time to answer");
			assert!(!T::ReplicationPoll::get().is_zero(), "the tally must be looked at");
			assert!(!T::RevealWindow::get().is_zero(), "providers need time to reveal");
			assert!(!T::DisputePoll::get().is_zero(), "disputes must be looked at");
			assert!(T::Executors::get() > 0, "a re-execution needs executors");
			assert!(T::Executors::get() <= MAX_EXECUTORS, "executors above MAX_EXECUTORS");
			assert!(T::ExecutorDrawTries::get() >= T::Executors::get(), "fewer tries than a draw");
			assert!(T::ExecutorDrawTries::get() <= MAX_EXECUTOR_TRIES, "above MAX_EXECUTOR_TRIES");
			assert!(T::MaxLooksPerBlock::get() > 0, "checks must be looked at");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Opens sampled positions of a receipt's output: `roots` opens the output commitment
		/// (and the job's input commitment), each `(sample, opening)` one drawn sample. The
		/// samples may be answered over several calls. A wrong root or opening is fraud: the
		/// call succeeds and the receipt is rejected at once. Once every sample is answered
		/// right, the receipt is accepted and the jobs pallet pays it in this block.
		///
		/// Dispatch origin: signed, by the worker key of the receipt's provider. A response
		/// with no fault is free (`Pays::No`: a provider never pays to prove it was honest),
		/// and the call is in the operational class, so that a block full of other
		/// transactions cannot keep an honest answer out of its window. A refused or faulty
		/// response pays its fee.
		///
		/// Errors: [`Error::UnknownCheck`], [`Error::NotProvidersWorker`],
		/// [`Error::NotSampling`], [`Error::ResponseClosed`], [`Error::UnknownSample`],
		/// [`Error::AlreadyAnswered`].
		///
		/// Events: [`Event::SpotCheckPassed`] once every sample is answered, or
		/// [`Event::SpotCheckFailed`]; then the jobs pallet's settlement events.
		#[pallet::call_index(0)]
		#[pallet::weight((
			sampling::respond_weight::<T>(openings.len() as u32, tessera_commitment::MAX_ROW)
				.saturating_add(agenda::settle_weight::<T>()),
			DispatchClass::Operational,
		))]
		pub fn respond(
			origin: OriginFor<T>,
			job: JobId,
			replica: u32,
			roots: Roots,
			openings: OpeningsOf,
		) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			let answer = sampling::respond::<T>(&worker, job, replica, &roots, &openings)?;
			let mut weight = sampling::respond_weight::<T>(openings.len() as u32, answer.k);
			if answer.decided {
				weight = weight.saturating_add(agenda::settle::<T>(job, replica));
			}
			let pays_fee = if answer.faulty { Pays::Yes } else { Pays::No };
			Ok((Some(weight), pays_fee).into())
		}

		/// Reports the seal of the output commitment an executor computed for a challenged
		/// receipt: [`tessera_primitives::jobs::sealed_output`] of the job, the replica, the
		/// executor's provider account, the output commitment and a secret salt. The last seal
		/// opens the reveals ([`Call::reveal_reexecution`]).
		///
		/// Dispatch origin: signed, by the worker key of one of the executors. Operational and
		/// free when taken, as the duty it is.
		///
		/// Errors: [`Error::UnknownCheck`], [`Error::NotReexecuting`],
		/// [`Error::WrongReexecutionPhase`], [`Error::ReexecutionClosed`],
		/// [`Error::NotExecutor`], [`Error::AlreadyReported`].
		///
		/// Events: [`Event::Reexecuted`], and [`Event::ExecutorRevealsOpened`] for the last.
		#[pallet::call_index(1)]
		#[pallet::weight((
			T::WeightInfo::report_reexecution(T::Executors::get()),
			DispatchClass::Operational,
		))]
		pub fn report_reexecution(
			origin: OriginFor<T>,
			job: JobId,
			replica: u32,
			seal: H256,
		) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			disputes::report::<T>(&worker, job, replica, seal)?;
			Ok(Pays::No.into())
		}

		/// Reveals the output commitment and salt under an executor's seal. The last reveal
		/// settles the challenge in this block: the majority of the executors decides.
		///
		/// Dispatch origin: signed, by the worker key of one of the executors. Operational and
		/// free when taken.
		///
		/// Errors: [`Error::UnknownCheck`], [`Error::NotReexecuting`],
		/// [`Error::WrongReexecutionPhase`], [`Error::RevealClosed`], [`Error::NotExecutor`],
		/// [`Error::NotSealed`], [`Error::AlreadyReported`], [`Error::SealMismatch`].
		///
		/// Events: [`Event::ExecutorRevealed`]; for the last, [`Event::ChallengeSettled`] and
		/// the jobs pallet's settlement events.
		#[pallet::call_index(9)]
		#[pallet::weight((
			T::WeightInfo::reveal_reexecution(T::Executors::get())
				.saturating_add(agenda::settle_weight::<T>()),
			DispatchClass::Operational,
		))]
		pub fn reveal_reexecution(
			origin: OriginFor<T>,
			job: JobId,
			replica: u32,
			output: H256,
			salt: H256,
		) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			let last = disputes::reveal::<T>(&worker, job, replica, output, salt)?;
			let mut weight = T::WeightInfo::reveal_reexecution(T::Executors::get());
			if last {
				weight = weight.saturating_add(agenda::settle::<T>(job, replica));
			}
			Ok((Some(weight), Pays::No).into())
		}

		/// Reveals the output commitment and salt under the seal of a replicated receipt
		/// ([`tessera_primitives::jobs::sealed_output`]), once every replica has sealed (or the
		/// job's deadline has passed) and until [`Config::RevealWindow`] blocks after.
		///
		/// Dispatch origin: signed, by the worker key of the receipt's provider. A valid
		/// reveal is free (`Pays::No`) and operational, as an honest answer to a spot-check is.
		/// The last reveal of a job has the jobs pallet settle every replica in this block: the
		/// tally decides at once (paid, or spot-checks drawn when one dissents).
		///
		/// Errors: [`Error::UnknownCheck`], [`Error::NotProvidersWorker`],
		/// [`Error::RevealsNotOpen`], [`Error::NotSealed`], [`Error::RevealClosed`],
		/// [`Error::SealMismatch`].
		///
		/// Events: [`Event::Revealed`]; for the last, the tally's and the jobs pallet's events.
		#[pallet::call_index(8)]
		#[pallet::weight((
			T::WeightInfo::reveal().saturating_add(
				agenda::settle_weight::<T>().saturating_mul(T::MaxReplicas::get().into()),
			),
			DispatchClass::Operational,
		))]
		pub fn reveal(
			origin: OriginFor<T>,
			job: JobId,
			replica: u32,
			output: H256,
			salt: H256,
		) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			let settle = quorum::reveal::<T>(&worker, job, replica, output, salt)?;
			let mut weight = T::WeightInfo::reveal();
			for replica in settle {
				weight = weight.saturating_add(agenda::settle::<T>(job, replica));
			}
			Ok((Some(weight), Pays::No).into())
		}

		/// Decides the disputed receipts of `job` (all of them, or only `replica`'s): those whose
		/// output commitment is `accepted` stand, the others are rejected (for dissent in a
		/// replicated job, for fraud otherwise). A challenger whose challenge failed loses its
		/// bond to the provider. Replicas of a non-replicated job may rightly differ (opaque
		/// programs), so their disputes are decided one replica at a time.
		///
		/// Dispatch origin: [`Config::DisputeOrigin`].
		///
		/// Errors: [`Error::NotDisputed`].
		///
		/// Events: [`Event::DisputeResolved`], [`Event::ChallengeSettled`] for each
		/// challenged receipt, then the jobs pallet's settlement events: the decided receipts
		/// are settled in this block.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::resolve_dispute(T::MaxReplicas::get()).saturating_add(
			agenda::settle_weight::<T>().saturating_mul(T::MaxReplicas::get().into()),
		))]
		pub fn resolve_dispute(
			origin: OriginFor<T>,
			job: JobId,
			replica: Option<u32>,
			accepted: Option<H256>,
		) -> DispatchResultWithPostInfo {
			T::DisputeOrigin::ensure_origin(origin)?;
			let decided = disputes::resolve::<T>(job, replica, accepted)?;
			let mut weight = T::WeightInfo::resolve_dispute(decided.len() as u32);
			for replica in decided {
				weight = weight.saturating_add(agenda::settle::<T>(job, replica));
			}
			Ok(Some(weight).into())
		}

		/// Lists an attestation authority.
		///
		/// Dispatch origin: [`Config::AttestationOrigin`].
		///
		/// Errors: [`Error::AuthorityExists`], [`Error::TooManyAuthorities`].
		///
		/// Events: [`Event::AuthorityAdded`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_authority())]
		pub fn add_authority(origin: OriginFor<T>, key: sr25519::Public) -> DispatchResult {
			T::AttestationOrigin::ensure_origin(origin)?;
			Authorities::<T>::try_mutate(|keys| {
				ensure!(!keys.contains(&key), Error::<T>::AuthorityExists);
				keys.try_push(key).map_err(|_| Error::<T>::TooManyAuthorities)
			})?;
			Self::deposit_event(Event::AuthorityAdded { key });
			Ok(())
		}

		/// Removes an attestation authority. Enclaves it attested stay registered until their
		/// reports expire.
		///
		/// Dispatch origin: [`Config::AttestationOrigin`].
		///
		/// Errors: [`Error::UnknownAuthority`].
		///
		/// Events: [`Event::AuthorityRemoved`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_authority())]
		pub fn remove_authority(origin: OriginFor<T>, key: sr25519::Public) -> DispatchResult {
			T::AttestationOrigin::ensure_origin(origin)?;
			Authorities::<T>::try_mutate(|keys| {
				let at = keys.iter().position(|k| *k == key).ok_or(Error::<T>::UnknownAuthority)?;
				keys.remove(at);
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::AuthorityRemoved { key });
			Ok(())
		}

		/// Allows enclaves running code with `measurement`.
		///
		/// Dispatch origin: [`Config::AttestationOrigin`].
		///
		/// Errors: [`Error::MeasurementExists`], [`Error::TooManyMeasurements`].
		///
		/// Events: [`Event::MeasurementAllowed`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::allow_measurement())]
		pub fn allow_measurement(origin: OriginFor<T>, measurement: H256) -> DispatchResult {
			T::AttestationOrigin::ensure_origin(origin)?;
			Measurements::<T>::try_mutate(|all| {
				ensure!(!all.contains(&measurement), Error::<T>::MeasurementExists);
				all.try_push(measurement).map_err(|_| Error::<T>::TooManyMeasurements)
			})?;
			Self::deposit_event(Event::MeasurementAllowed { measurement });
			Ok(())
		}

		/// Revokes a code measurement: from now on, receipts signed by enclaves running it are
		/// refused, and no enclave can register with it.
		///
		/// Dispatch origin: [`Config::AttestationOrigin`].
		///
		/// Errors: [`Error::MeasurementNotAllowed`].
		///
		/// Events: [`Event::MeasurementRevoked`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::revoke_measurement())]
		pub fn revoke_measurement(origin: OriginFor<T>, measurement: H256) -> DispatchResult {
			T::AttestationOrigin::ensure_origin(origin)?;
			Measurements::<T>::try_mutate(|all| {
				let at = all
					.iter()
					.position(|m| *m == measurement)
					.ok_or(Error::<T>::MeasurementNotAllowed)?;
				all.remove(at);
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::MeasurementRevoked { measurement });
			Ok(())
		}

		/// Registers the caller's enclave from a report signed by a listed authority: the
		/// provider becomes eligible for attested jobs until the report expires.
		///
		/// Dispatch origin: signed, by the provider the report names.
		///
		/// Errors: [`Error::NotYourReport`], [`Error::UnknownAuthority`],
		/// [`Error::MeasurementNotAllowed`], [`Error::ReportExpired`],
		/// [`Error::BadAuthoritySignature`], or the registry's refusal (not a provider).
		///
		/// Events: [`Event::EnclaveRegistered`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::register_enclave())]
		pub fn register_enclave(
			origin: OriginFor<T>,
			report: ReportOf<T>,
			authority: sr25519::Public,
			signature: sr25519::Signature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			attestation::register::<T>(&who, report, &authority, &signature)
		}
	}
}

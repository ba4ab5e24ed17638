//! # Provider registry
//!
//! The GPU providers of the Tessera market: who they are, what hardware they offer at what
//! price, whether they are alive, how reliable they have been, and which of them a job can be
//! matched to.
//!
//! ## Overview
//!
//! A provider registers from its own (cold) account with a [`HardwareProfile`], a price per unit
//! of work, the number of jobs it runs at once, the endpoint where its worker serves outputs and
//! the worker's (hot) key. From then on:
//!
//! - **Liveness.** The worker key sends a [`Call::heartbeat`] at least every
//!   [`Config::HeartbeatTimeout`] blocks and at most every [`Config::HeartbeatInterval`] blocks
//!   (the first after going online may come at once).
//!   An on-time heartbeat is free; an early one, or one from an unknown key, is refused and pays
//!   its fee, so heartbeats cannot be used to spam the chain. An online provider whose bond
//!   covers its GPUs is tracked by a bounded hook ([`liveness`]): when its heartbeats stop, it
//!   is taken offline and slashed through [`Config::Stake`] for
//!   [`tessera_primitives::market::SlashReason::MissedHeartbeats`]. A provider without such a
//!   bond is not tracked (and not matched), so registering without bonding costs the hook
//!   nothing.
//! - **Reputation.** A score that the jobs and proofs pallets move through
//!   [`ReputationRecorder`], by the outcome and value of each job, and that decays towards
//!   neutral ([`reputation`]).
//! - **Matching.** Online providers with a free job slot and a bond covering their GPUs are in
//!   the [`price_index`], which returns the cheapest that meet a job's [`Needs`] (the client's
//!   [`Requirements`] plus the memory, throughput, capabilities, attestation and collateral
//!   the job itself needs) in a bounded number of reads ([`ProviderRegistry::cheapest`]).
//! - **Executor draws.** Online, bonded providers are also on a numbered roll, from which the
//!   re-executors of a challenge are drawn uniformly at random, whatever their price under the
//!   job's cap ([`draw`], [`ProviderRegistry::draw`]).
//! - **Bans.** A provider proven to have cheated ([`StakeObserver::fraud_proven`]) goes offline
//!   for good, and its account can never register again.
//!
//! - **Deposit.** Registering holds [`Config::RegistrationDeposit`] from the provider's account
//!   ([`HoldReason::RegistrationDeposit`]) for the storage its record, worker key and index
//!   entries take; the amount is kept in the record and released in full at
//!   [`Call::deregister`].
//!
//! Apart from that deposit the pallet moves no funds: stake lives in the stake pallet, reached
//! through the traits of [`tessera_primitives::market`].
//!
//! ## Invariants (checked by `try_state`)
//!
//! See [`Pallet::do_try_state`]; among them, each account's registration hold equals the
//! deposit of its record (zero for an account that is not registered).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod draw;
mod invariants;
pub mod liveness;
mod market_impls;
#[cfg(test)]
mod mock;
pub mod price_index;
mod queries;
mod records;
pub mod reputation;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

use frame_support::{
	dispatch::DispatchResult,
	pallet_prelude::*,
	traits::{
		fungible::{self, InspectHold, MutateHold},
		tokens::Precision,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};
#[cfg(doc)]
use tessera_primitives::market::{
	AttestationRegistry, Needs, ProviderRegistry, ReputationRecorder, Requirements, StakeObserver,
};
use tessera_primitives::market::{Outcome, StakeInfo};

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::providers";

/// The balance type prices are expressed in.
pub type BalanceOf<T> = <T as Config>::Balance;

/// A provider record as stored.
pub type ProviderInfoOf<T> = ProviderInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
	HardwareProfileOf<T>,
	EndpointOf<T>,
>;

/// A hardware profile with this runtime's bounds.
pub type HardwareProfileOf<T> = HardwareProfile<<T as Config>::MaxModelLen>;

/// An endpoint URL with this runtime's bound.
pub type EndpointOf<T> = BoundedVec<u8, <T as Config>::MaxEndpointLen>;

/// Set up what the benchmarks need from the rest of the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Gives `who` a bond that covers `gpus` GPUs, funding it as needed and with enough left
	/// free for the registration deposit.
	fn bond(who: &AccountId, gpus: u32);
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
		/// A provider's storage deposit for its registration.
		RegistrationDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The balance type of prices.
		type Balance: Parameter
			+ Member
			+ sp_runtime::traits::AtLeast32BitUnsigned
			+ Default
			+ Copy
			+ MaxEncodedLen;

		/// The token the registration deposit is held in.
		type Currency: fungible::Inspect<Self::AccountId, Balance = Self::Balance>
			+ fungible::InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Held from a provider's account while it is registered, for the storage its record
		/// takes; released at `deregister`. The amount held is kept in the record, so a change
		/// of this constant releases what was really held.
		#[pallet::constant]
		type RegistrationDeposit: Get<BalanceOf<Self>>;

		/// The providers' stake: whether a bond covers the GPUs offered, and slashing for missed
		/// heartbeats.
		type Stake: StakeInfo<Self::AccountId, Self::Balance>
			+ tessera_primitives::market::Slashing<Self::AccountId, Self::Balance>;

		/// Longest GPU model name, in bytes.
		#[pallet::constant]
		type MaxModelLen: Get<u32>;

		/// Longest endpoint URL, in bytes.
		#[pallet::constant]
		type MaxEndpointLen: Get<u32>;

		/// Most jobs one provider may run at once.
		#[pallet::constant]
		type MaxJobSlots: Get<u32>;

		/// Least number of blocks between two heartbeats; an earlier one is refused.
		#[pallet::constant]
		type HeartbeatInterval: Get<BlockNumberFor<Self>>;

		/// Blocks without a heartbeat after which a provider is taken offline and slashed. Must
		/// be larger than `HeartbeatInterval`.
		#[pallet::constant]
		type HeartbeatTimeout: Get<BlockNumberFor<Self>>;

		/// Most providers taken offline, and most deadline blocks visited, in one block.
		#[pallet::constant]
		type MaxLivenessChecksPerBlock: Get<u32>;

		/// Most price-index entries one matching query visits.
		#[pallet::constant]
		type MaxIndexScan: Get<u32>;

		/// Blocks in which a reputation's distance to neutral halves.
		#[pallet::constant]
		type ReputationHalfLife: Get<BlockNumberFor<Self>>;

		/// Least value (what the provider is paid, in the smallest unit) of a completed job that
		/// moves its provider's reputation; smaller ones move nothing, so that reputation cannot
		/// be farmed with tiny jobs. Faults cost the same whatever the value. See [`reputation`].
		#[pallet::constant]
		type MinReputationValue: Get<u128>;

		/// Value of a completed job that makes the full reputation step; a smaller one makes
		/// `step * value / unit` of it. See [`reputation`].
		#[pallet::constant]
		type ReputationValueUnit: Get<u128>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets up bonds for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Registered providers, by their (cold) account.
	#[pallet::storage]
	pub type Providers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ProviderInfoOf<T>, OptionQuery>;

	/// The provider each worker key signs for.
	#[pallet::storage]
	pub type Workers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId, OptionQuery>;

	/// Accounts banned for fraud, with the block of the ban. They can never register again.
	#[pallet::storage]
	pub type Banned<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>, OptionQuery>;

	/// Number of registered providers.
	#[pallet::storage]
	pub type ProviderCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Providers online and the GPUs they offer, for the market's statistics.
	#[pallet::storage]
	pub type Online<T: Config> = StorageValue<_, OnlineStats, ValueQuery>;

	/// Matchable providers by `(region or anywhere, memory tier, (price, provider))`, cheapest
	/// first within a `(region, tier)` prefix. See [`price_index`].
	#[pallet::storage]
	pub type PriceIndex<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, Option<tessera_primitives::market::Region>>,
			NMapKey<Twox64Concat, u8>,
			NMapKey<Identity, (price_index::PriceKey, T::AccountId)>,
		),
		IndexEntry<T::AccountId, BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Tracked providers (online, with a bond that covers their GPUs) by the block at which they
	/// are taken offline unless a heartbeat comes. See [`liveness`].
	#[pallet::storage]
	pub type LivenessDeadlines<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		Blake2_128Concat,
		T::AccountId,
		(),
		OptionQuery,
	>;

	/// The first deadline block the liveness hook has not finished.
	#[pallet::storage]
	pub type LivenessCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Tracked providers (online, with a bond that covers their GPUs), each at one position in
	/// `0..DrawRollLen`, so that the executors of a challenge can be drawn uniformly among all
	/// of them in a bounded number of reads. See [`draw`].
	#[pallet::storage]
	pub type DrawRoll<T: Config> = StorageMap<_, Twox64Concat, u32, T::AccountId, OptionQuery>;

	/// Number of providers on the [`DrawRoll`].
	#[pallet::storage]
	pub type DrawRollLen<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Each provider's position on the [`DrawRoll`], so that leaving it takes constant work.
	#[pallet::storage]
	pub type DrawRollPosition<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider registered, and `deposit` was held from its account.
		Registered {
			provider: T::AccountId,
			worker: T::AccountId,
			price_per_unit: BalanceOf<T>,
			deposit: BalanceOf<T>,
		},
		/// A provider changed its hardware profile, job slots or endpoint.
		ProfileUpdated { provider: T::AccountId },
		/// A provider changed its price.
		PriceSet { provider: T::AccountId, price_per_unit: BalanceOf<T> },
		/// A provider changed its worker key.
		WorkerChanged { provider: T::AccountId, old: T::AccountId, new: T::AccountId },
		/// A provider went online.
		WentOnline { provider: T::AccountId },
		/// A provider went offline.
		WentOffline { provider: T::AccountId, reason: OfflineReason },
		/// A provider's worker sent a heartbeat.
		Heartbeat { provider: T::AccountId, next_deadline: BlockNumberFor<T> },
		/// A provider deregistered, and its `deposit` was released.
		Deregistered { provider: T::AccountId, deposit: BalanceOf<T> },
		/// A provider entered (`true`) or left (`false`) the price index.
		MatchableChanged { provider: T::AccountId, matchable: bool },
		/// A job outcome of a provider was recorded; `score` is its reputation now (unchanged
		/// after a completed job worth less than `MinReputationValue`).
		ReputationChanged { provider: T::AccountId, outcome: Outcome, score: u32 },
		/// A provider's enclave attestation was set (`Some(until)`) or withdrawn (`None`).
		AttestationSet { provider: T::AccountId, until: Option<BlockNumberFor<T>> },
		/// A provider's account was banned for fraud.
		Banned { provider: T::AccountId },
		/// A job slot of a provider was taken (`active_jobs` is the new count).
		JobAssigned { provider: T::AccountId, active_jobs: u32 },
		/// A job slot of a provider was freed (`active_jobs` is the new count).
		JobReleased { provider: T::AccountId, active_jobs: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is banned for fraud.
		Banned,
		/// The account is already registered as a provider.
		AlreadyRegistered,
		/// The account is not a registered provider.
		NotRegistered,
		/// The worker key already signs for a provider.
		WorkerInUse,
		/// The GPU count is zero.
		NoGpus,
		/// The GPU model name is empty or not UTF-8.
		InvalidGpuModel,
		/// The GPU memory is zero.
		NoVram,
		/// A GPU throughput figure (TOPS or TFLOPS) is zero.
		NoThroughput,
		/// The price per unit is zero.
		ZeroPrice,
		/// The number of job slots is zero or above `MaxJobSlots`.
		InvalidJobSlots,
		/// The endpoint is not an `http://` or `https://` URL.
		InvalidEndpoint,
		/// The provider is already online.
		AlreadyOnline,
		/// The provider is already offline.
		AlreadyOffline,
		/// The signer is not the worker key of any provider.
		UnknownWorker,
		/// The provider is offline: go online first.
		NotOnline,
		/// The last heartbeat was less than `HeartbeatInterval` blocks ago.
		HeartbeatTooEarly,
		/// The provider still has jobs assigned.
		JobsActive,
		/// The provider is not in the price index (offline or unbonded) or has no free job slot.
		NotMatchable,
		/// The provider has no job assigned.
		NoActiveJobs,
		/// The profile declares no capability: its worker would run no job.
		NoCapability,
		/// The new number of job slots is below the jobs the provider has assigned now.
		SlotsBelowActiveJobs,
		/// The account cannot cover the registration deposit (and keep the existential
		/// deposit).
		InsufficientDeposit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			liveness::on_initialize::<T>(now)
		}

		fn integrity_test() {
			assert!(
				T::HeartbeatTimeout::get() > T::HeartbeatInterval::get(),
				"a provider must be able to send a heartbeat before it times out",
			);
			assert!(T::MaxLivenessChecksPerBlock::get() > 0, "liveness must make progress");
			assert!(T::MaxIndexScan::get() > 0, "matching must look at the index");
			assert!(T::MaxJobSlots::get() > 0, "providers must be able to take a job");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the signer as a provider and holds [`Config::RegistrationDeposit`] from its
		/// account until it deregisters. It starts online, with its heartbeat due within
		/// `HeartbeatTimeout` blocks; once its bond covers its GPUs, it is matchable and the
		/// liveness hook tracks its heartbeats.
		///
		/// - `profile`: the hardware offered.
		/// - `price_per_unit`: asking price per unit of work.
		/// - `max_jobs`: jobs run at once, `1..=MaxJobSlots`.
		/// - `endpoint`: base URL where the worker serves outputs.
		/// - `worker`: the hot key of the worker.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::Banned`], [`Error::AlreadyRegistered`], [`Error::WorkerInUse`], the
		/// profile errors ([`Error::NoGpus`], [`Error::InvalidGpuModel`], [`Error::NoVram`],
		/// [`Error::NoThroughput`], [`Error::NoCapability`]), [`Error::ZeroPrice`],
		/// [`Error::InvalidJobSlots`], [`Error::InvalidEndpoint`], [`Error::InsufficientDeposit`].
		///
		/// Events: [`Event::Registered`], and [`Event::MatchableChanged`] if it is matchable.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			profile: HardwareProfileOf<T>,
			price_per_unit: BalanceOf<T>,
			max_jobs: u32,
			endpoint: EndpointOf<T>,
			worker: T::AccountId,
		) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			ensure!(!Banned::<T>::contains_key(&provider), Error::<T>::Banned);
			ensure!(!Providers::<T>::contains_key(&provider), Error::<T>::AlreadyRegistered);
			ensure!(!Workers::<T>::contains_key(&worker), Error::<T>::WorkerInUse);
			Self::check_profile(&profile)?;
			ensure!(!price_per_unit.is_zero(), Error::<T>::ZeroPrice);
			Self::check_job_slots(max_jobs)?;
			Self::check_endpoint(&endpoint)?;
			let deposit = T::RegistrationDeposit::get();
			if !deposit.is_zero() {
				let reason = HoldReason::RegistrationDeposit.into();
				ensure!(
					T::Currency::can_hold(&reason, &provider, deposit),
					Error::<T>::InsufficientDeposit
				);
				T::Currency::hold(&reason, &provider, deposit)?;
			}

			let now = frame_system::Pallet::<T>::block_number();
			let deadline = now.saturating_add(T::HeartbeatTimeout::get());
			let mut info = ProviderInfo {
				profile,
				price_per_unit,
				max_jobs,
				active_jobs: 0,
				endpoint,
				worker: worker.clone(),
				status: Status::Online,
				last_heartbeat: None,
				heartbeat_deadline: deadline,
				reputation: reputation::initial(now),
				attested_until: None,
				indexed: false,
				tracked: false,
				registered_at: now,
				deposit,
			};
			let before = info.clone();
			Self::sync_index(&provider, &before, &mut info);
			Workers::<T>::insert(&worker, &provider);
			Self::count_online(None, Some(&info));
			Providers::<T>::insert(&provider, info);
			ProviderCount::<T>::mutate(|count| *count = count.saturating_add(1));
			Self::deposit_event(Event::Registered { provider, worker, price_per_unit, deposit });
			Ok(())
		}

		/// Replaces the provider's hardware profile, job slots and endpoint. Jobs already
		/// assigned keep running; `max_jobs` cannot go below their number.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::NotRegistered`], the profile errors, [`Error::InvalidJobSlots`],
		/// [`Error::InvalidEndpoint`], [`Error::SlotsBelowActiveJobs`].
		///
		/// Events: [`Event::ProfileUpdated`], and [`Event::MatchableChanged`] if that changed.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_profile())]
		pub fn update_profile(
			origin: OriginFor<T>,
			profile: HardwareProfileOf<T>,
			max_jobs: u32,
			endpoint: EndpointOf<T>,
		) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			Self::check_profile(&profile)?;
			Self::check_job_slots(max_jobs)?;
			Self::check_endpoint(&endpoint)?;
			Self::mutate_provider(&provider, |info| {
				ensure!(max_jobs >= info.active_jobs, Error::<T>::SlotsBelowActiveJobs);
				info.profile = profile;
				info.max_jobs = max_jobs;
				info.endpoint = endpoint;
				Ok(())
			})?;
			Self::deposit_event(Event::ProfileUpdated { provider });
			Ok(())
		}

		/// Sets the provider's price per unit of work. Jobs already assigned keep the price
		/// they were matched at.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::NotRegistered`], [`Error::ZeroPrice`].
		///
		/// Events: [`Event::PriceSet`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_price())]
		pub fn set_price(origin: OriginFor<T>, price_per_unit: BalanceOf<T>) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			ensure!(!price_per_unit.is_zero(), Error::<T>::ZeroPrice);
			Self::mutate_provider(&provider, |info| {
				info.price_per_unit = price_per_unit;
				Ok(())
			})?;
			Self::deposit_event(Event::PriceSet { provider, price_per_unit });
			Ok(())
		}

		/// Replaces the provider's worker key, e.g. after the worker host was compromised. The
		/// old key can no longer send heartbeats or act for the provider.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::NotRegistered`], [`Error::WorkerInUse`].
		///
		/// Events: [`Event::WorkerChanged`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_worker())]
		pub fn set_worker(origin: OriginFor<T>, worker: T::AccountId) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			ensure!(!Workers::<T>::contains_key(&worker), Error::<T>::WorkerInUse);
			let mut old = None;
			Self::mutate_provider(&provider, |info| {
				old = Some(core::mem::replace(&mut info.worker, worker.clone()));
				Ok(())
			})?;
			let old = old.ok_or(Error::<T>::NotRegistered)?;
			Workers::<T>::remove(&old);
			Workers::<T>::insert(&worker, &provider);
			Self::deposit_event(Event::WorkerChanged { provider, old, new: worker });
			Ok(())
		}

		/// Takes the provider offline: it is no longer matched and needs no heartbeats. Jobs
		/// already assigned still have to be delivered.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::NotRegistered`], [`Error::AlreadyOffline`].
		///
		/// Events: [`Event::WentOffline`], and [`Event::MatchableChanged`] if it was matchable.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::go_offline())]
		pub fn go_offline(origin: OriginFor<T>) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			Self::mutate_provider(&provider, |info| {
				ensure!(info.status == Status::Online, Error::<T>::AlreadyOffline);
				info.status = Status::Offline;
				Ok(())
			})?;
			Self::deposit_event(Event::WentOffline { provider, reason: OfflineReason::Requested });
			Ok(())
		}

		/// Brings the provider back online, with its next heartbeat due within
		/// `HeartbeatTimeout` blocks (tracked by the liveness hook if its bond covers its GPUs).
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::NotRegistered`], [`Error::Banned`], [`Error::AlreadyOnline`].
		///
		/// Events: [`Event::WentOnline`], and [`Event::MatchableChanged`] if it is matchable.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::go_online())]
		pub fn go_online(origin: OriginFor<T>) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			ensure!(!Banned::<T>::contains_key(&provider), Error::<T>::Banned);
			let now = frame_system::Pallet::<T>::block_number();
			Self::mutate_provider(&provider, |info| {
				ensure!(info.status == Status::Offline, Error::<T>::AlreadyOnline);
				info.status = Status::Online;
				info.last_heartbeat = None;
				info.heartbeat_deadline = now.saturating_add(T::HeartbeatTimeout::get());
				Ok(())
			})?;
			Self::deposit_event(Event::WentOnline { provider });
			Ok(())
		}

		/// Tells the chain the provider's worker is alive. Free when on time (the first since
		/// the provider went online, or at least `HeartbeatInterval` blocks after the last one)
		/// and the provider's bond covers its GPUs; a refused heartbeat pays its fee.
		///
		/// Dispatch origin: signed, by the provider's worker key.
		///
		/// Errors: [`Error::UnknownWorker`], [`Error::NotOnline`], [`Error::HeartbeatTooEarly`].
		///
		/// Events: [`Event::Heartbeat`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			let provider = Workers::<T>::get(&worker).ok_or(Error::<T>::UnknownWorker)?;
			let mut info = Providers::<T>::get(&provider).ok_or(Error::<T>::NotRegistered)?;
			ensure!(info.status == Status::Online, Error::<T>::NotOnline);
			let now = frame_system::Pallet::<T>::block_number();
			if let Some(last) = info.last_heartbeat {
				ensure!(
					now >= last.saturating_add(T::HeartbeatInterval::get()),
					Error::<T>::HeartbeatTooEarly
				);
			}
			let before = info.clone();
			info.last_heartbeat = Some(now);
			info.heartbeat_deadline = now.saturating_add(T::HeartbeatTimeout::get());
			// Moves the deadline entry of a tracked provider. Whether it is tracked changes only
			// with the changes `sync_index` sees, as whether it is matchable does.
			Self::sync_liveness(&provider, &before, &mut info, before.tracked);
			let next_deadline = info.heartbeat_deadline;
			// Free only for a provider whose bond covers its GPUs: otherwise registering many
			// unbonded providers would buy unlimited free transactions.
			let pays = if T::Stake::meets_minimum(&provider, info.profile.gpu.count) {
				Pays::No
			} else {
				Pays::Yes
			};
			Providers::<T>::insert(&provider, info);
			Self::deposit_event(Event::Heartbeat { provider, next_deadline });
			Ok(pays.into())
		}

		/// Removes the provider from the registry and releases its registration deposit in full.
		/// Its bond stays with the stake pallet, to be unbonded there.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::NotRegistered`], [`Error::JobsActive`].
		///
		/// Events: [`Event::Deregistered`], and [`Event::MatchableChanged`] if it was matchable.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::deregister())]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			let info = Providers::<T>::get(&provider).ok_or(Error::<T>::NotRegistered)?;
			ensure!(info.active_jobs == 0, Error::<T>::JobsActive);
			let mut gone = info.clone();
			gone.status = Status::Offline;
			Self::sync_index(&provider, &info, &mut gone);
			Workers::<T>::remove(&info.worker);
			Self::count_online(Some(&info), None);
			Providers::<T>::remove(&provider);
			ProviderCount::<T>::mutate(|count| *count = count.saturating_sub(1));
			let deposit = info.deposit;
			if !deposit.is_zero() {
				let released = T::Currency::release(
					&HoldReason::RegistrationDeposit.into(),
					&provider,
					deposit,
					Precision::BestEffort,
				);
				if let Err(error) = released {
					log::error!(target: LOG_TARGET, "{provider:?}: deposit release failed: {error:?}");
				}
			}
			Self::deposit_event(Event::Deregistered { provider, deposit });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	fn check_profile(profile: &HardwareProfileOf<T>) -> DispatchResult {
		let gpu = &profile.gpu;
		ensure!(gpu.count > 0, Error::<T>::NoGpus);
		ensure!(
			!gpu.model.is_empty() && core::str::from_utf8(&gpu.model).is_ok(),
			Error::<T>::InvalidGpuModel
		);
		ensure!(gpu.vram_mib > 0, Error::<T>::NoVram);
		ensure!(gpu.int8_tops > 0 && gpu.fp16_tflops > 0, Error::<T>::NoThroughput);
		let caps = &profile.capabilities;
		ensure!(caps.matmul_i8 || caps.opaque || caps.enclave, Error::<T>::NoCapability);
		Ok(())
	}

	fn check_job_slots(max_jobs: u32) -> DispatchResult {
		ensure!(max_jobs > 0 && max_jobs <= T::MaxJobSlots::get(), Error::<T>::InvalidJobSlots);
		Ok(())
	}

	fn check_endpoint(endpoint: &[u8]) -> DispatchResult {
		ensure!(tessera_primitives::jobs::is_http_url(endpoint), Error::<T>::InvalidEndpoint);
		Ok(())
	}

	/// The reputation score of `provider` now, after decay.
	pub fn reputation_of(provider: &T::AccountId) -> Option<u32> {
		let info = Providers::<T>::get(provider)?;
		Some(reputation::current(
			&info.reputation,
			frame_system::Pallet::<T>::block_number(),
			T::ReputationHalfLife::get(),
		))
	}
}

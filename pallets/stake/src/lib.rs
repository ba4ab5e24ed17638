//! # Stake
//!
//! The stake of Tessera's GPU providers: funds a provider puts at risk so that the market can
//! punish it for cheating or for failing its clients.
//!
//! ## Overview
//!
//! A provider bonds funds from its own account ([`Call::bond`], [`Call::bond_extra`]). They are
//! held with [`fungible`] holds under [`HoldReason::Staked`], so they stay in the provider's
//! account, count towards the total issuance, and can neither be spent nor transferred. The
//! provider registry asks [`StakeInfo`] whether a provider's bond covers the GPUs it offers:
//! [`StakeParameters::min_bond_per_gpu`] per GPU.
//!
//! - **Unbonding.** [`Call::unbond`] moves funds from bonded into an [`UnbondChunk`] that can be
//!   withdrawn ([`Call::withdraw_unbonded`]) after [`StakeParameters::unbonding_period`]
//!   blocks. Until then the funds stay held and slashable, so a provider cannot escape a
//!   fault proven after it left, but no longer count towards its minimum bond. [`Call::rebond`]
//!   cancels unbonding.
//! - **Collateral.** When a worker acknowledges a job, the jobs pallet sets the job's
//!   collateral aside from the provider's bond through [`Collateral::reserve`]: it moves from
//!   [`Ledger::bonded`] to [`Ledger::committed`], stays held, still counts towards the minimum
//!   bond ([`StakeInfo::bonded`]) but no longer towards what new jobs can reserve
//!   ([`StakeInfo::free_stake`]), and cannot be unbonded. A job that ends without the
//!   provider's fault gives it back ([`Collateral::release`]); a missed deadline or an
//!   outvoted result takes it, and only it ([`Collateral::slash_collateral`]), with the
//!   client's share capped by the jobs pallet. See [`collateral`].
//! - **Slashing.** The jobs and proofs pallets, and the registry for missed heartbeats, slash
//!   through [`Slashing`]: a fraction of the stake that depends on the
//!   [`tessera_primitives::market::SlashReason`] goes to the harmed client, the watcher who
//!   proved the fault and the treasury. A fraction slash never takes committed collateral,
//!   which belongs to specific jobs. See [`slashing`].
//! - **The registry is told.** After every change of a provider's stake the pallet calls
//!   [`StakeObserver::stake_changed`], so the registry re-checks whether the provider is still
//!   matchable, and on fraud [`StakeObserver::fraud_proven`], which bans it. A change of the
//!   parameters notifies no one: each provider is re-checked at its next touch.
//!
//! ## Invariants
//!
//! For every ledger, `bonded + committed + sum(unbonding)` equals the provider's balance on
//! hold for [`HoldReason::Staked`] and is not zero (an empty ledger is removed); chunks are
//! non-zero and in strictly increasing `unlock_at` order; [`TotalStaked`] is the sum of all
//! ledgers. These are checked by `try_state`. The jobs pallet checks in its own `try_state`
//! that each provider's `committed` is the sum of its jobs' collateral.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod collateral;
#[cfg(test)]
mod mock;
pub mod slashing;
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
use tessera_primitives::market::{StakeInfo, StakeObserver};

// Only named in the documentation.
#[cfg(doc)]
use tessera_primitives::market::Collateral;

/// The balance type of [`Config::Currency`].
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Sets up what the benchmarks need from the rest of the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Called by the benchmarks once `who` has bonded, before the call they measure: makes
	/// `who` known to [`Config::Observer`] in the state where its notifications cost the most
	/// (for the registry: a registered, online and matchable provider), so that the weights
	/// include the observer's worst case. `who` has bonded at least
	/// `StakeInfo::minimum_bond(64)` and is funded with as much again.
	fn setup_observed(who: &AccountId);
}

#[cfg(feature = "runtime-benchmarks")]
impl<AccountId> BenchmarkHelper<AccountId> for () {
	fn setup_observed(_: &AccountId) {}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::pallet_prelude::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Funds bonded or unbonding as a provider's stake.
		#[codec(index = 0)]
		Staked,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency stake is held in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Told about every change of a provider's stake, and about fraud.
		type Observer: StakeObserver<Self::AccountId>;

		/// The account that receives the treasury's share of every slash, and the shares that
		/// a client or watcher cannot receive.
		///
		/// It must exist (the chain's genesis funds it with at least the existential deposit)
		/// and must not be a provider's account: if it cannot receive a share below the
		/// existential deposit, slashes fail with [`Error::TreasuryCannotReceive`].
		type Treasury: Get<Self::AccountId>;

		/// The origin that may change the [`StakeParameters`]: Root in the runtime.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Most unbonding chunks one ledger may have: at most this many `unbond`s with distinct
		/// unlock blocks can be pending at once. Bounds the ledger's size and so the weight of
		/// every call and of a slash.
		#[pallet::constant]
		type MaxUnbondingChunks: Get<u32>;

		/// Weights of this pallet's calls and of a slash.
		type WeightInfo: WeightInfo;

		/// Puts the observer in its most expensive state for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The stake of each provider that has one.
	#[pallet::storage]
	pub type Ledgers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Ledger<T>>;

	/// Sum of `bonded + committed + unbonding` over all [`Ledgers`]: everything held by this
	/// pallet.
	#[pallet::storage]
	pub type TotalStaked<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// The staking policy: minimum bond, unbonding period, slash fractions and their split.
	#[pallet::storage]
	pub type Parameters<T: Config> = StorageValue<_, StakeParametersOf<T>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The initial staking policy. Must be valid ([`StakeParameters::is_valid`]).
		pub params: StakeParametersOf<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				self.params.is_valid(),
				"stake parameters need a non-zero unbonding period and client + watcher shares \
				 of at most 100%",
			);
			Parameters::<T>::put(self.params);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `amount` was added to `who`'s bond (a new ledger or an existing one).
		Bonded { who: T::AccountId, amount: BalanceOf<T> },
		/// `amount` of `who`'s bond started unbonding; it can be withdrawn from `unlock_at` on.
		Unbonded { who: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// `amount` that was unbonding was bonded again.
		Rebonded { who: T::AccountId, amount: BalanceOf<T> },
		/// `amount` of unlocked funds was released from the hold to `who`'s free balance.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// `who` was slashed `amount` for `reason`: `to_client` went to `client`, `to_watcher` to
		/// `watcher` and `to_treasury` to the treasury (including any share that `client` or
		/// `watcher` could not receive). The three always add up to `amount`, which is zero when
		/// `who` had no stake.
		Slashed {
			who: T::AccountId,
			reason: tessera_primitives::market::SlashReason,
			amount: BalanceOf<T>,
			client: Option<T::AccountId>,
			to_client: BalanceOf<T>,
			watcher: Option<T::AccountId>,
			to_watcher: BalanceOf<T>,
			to_treasury: BalanceOf<T>,
		},
		/// The staking policy was changed.
		ParametersSet { params: StakeParametersOf<T> },
		/// `amount` of `who`'s bond was set aside as a job's collateral
		/// ([`Collateral::reserve`]). It stays held and part of the bond, but can no longer be
		/// unbonded or reserved for another job.
		CollateralReserved { who: T::AccountId, amount: BalanceOf<T> },
		/// `amount` of `who`'s collateral was returned to its free bond
		/// ([`Collateral::release`]): the amount actually moved, never more than was committed.
		CollateralReleased { who: T::AccountId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The amount is zero.
		ZeroAmount,
		/// The account already has a ledger: use `bond_extra` (or `rebond`).
		AlreadyBonded,
		/// The account has no ledger: `bond` first.
		NotBonded,
		/// The account's free balance cannot cover the hold (it must also keep the existential
		/// deposit free).
		InsufficientFunds,
		/// The amount is more than is bonded.
		InsufficientBond,
		/// The amount is more than is unbonding.
		InsufficientUnbonding,
		/// The ledger already has `MaxUnbondingChunks` chunks: withdraw unlocked ones, rebond, or
		/// wait until the next block, whose chunk merges with the last.
		TooManyUnbondingChunks,
		/// No unbonding chunk has unlocked yet.
		NothingToWithdraw,
		/// The unbonding period is zero, or the client and watcher shares add up to more than
		/// 100%.
		InvalidParameters,
		/// The provider has jobs assigned: its bond stays until they end, so that their slashes
		/// still find it.
		ActiveJobs,
		/// The treasury account cannot receive its share of a slash (it does not exist and the
		/// share is below the existential deposit). See [`Config::Treasury`].
		TreasuryCannotReceive,
		/// The provider has no ledger, or less bonded and free of other jobs' collateral than
		/// the collateral to reserve ([`Collateral::reserve`]).
		InsufficientFreeStake,
		/// [`Collateral::slash_collateral`] was asked to slash for fraud. Fraud takes a fraction
		/// of the whole stake through [`tessera_primitives::market::Slashing::slash`] (after the
		/// jobs pallet has released the provider's collateral), not one job's collateral.
		FraudTakesTheStake,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxUnbondingChunks::get() > 0, "a provider must be able to unbond");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bonds `value` of the signer's free balance as its stake, creating its ledger.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::ZeroAmount`], [`Error::AlreadyBonded`], [`Error::InsufficientFunds`].
		///
		/// Events: [`Event::Bonded`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::bond())]
		pub fn bond(
			origin: OriginFor<T>,
			#[pallet::compact] value: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
			ensure!(!Ledgers::<T>::contains_key(&who), Error::<T>::AlreadyBonded);
			Self::hold(&who, value)?;
			Ledgers::<T>::insert(&who, Ledger::new(value));
			Self::bonded_more(who, value);
			Ok(())
		}

		/// Bonds `value` more of the signer's free balance.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::ZeroAmount`], [`Error::NotBonded`], [`Error::InsufficientFunds`].
		///
		/// Events: [`Event::Bonded`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] value: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
			let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			Self::hold(&who, value)?;
			ledger.bonded = ledger.bonded.saturating_add(value);
			Ledgers::<T>::insert(&who, ledger);
			Self::bonded_more(who, value);
			Ok(())
		}

		/// Starts unbonding `value` of the signer's bond. It can be withdrawn
		/// `unbonding_period` blocks from now; until then it stays held and slashable but no
		/// longer counts towards the minimum bond.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::ZeroAmount`], [`Error::NotBonded`], [`Error::ActiveJobs`],
		/// [`Error::InsufficientBond`], [`Error::TooManyUnbondingChunks`].
		///
		/// Events: [`Event::Unbonded`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(
			origin: OriginFor<T>,
			#[pallet::compact] value: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
			let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			ensure!(!T::Observer::has_active_jobs(&who), Error::<T>::ActiveJobs);
			let unlock_at = frame_system::Pallet::<T>::block_number()
				.saturating_add(Parameters::<T>::get().unbonding_period);
			ledger.unbond(value, unlock_at)?;
			Ledgers::<T>::insert(&who, ledger);
			Self::deposit_event(Event::Unbonded { who: who.clone(), amount: value, unlock_at });
			T::Observer::stake_changed(&who);
			Ok(())
		}

		/// Bonds again exactly `value` of the signer's unbonding funds, taking it from the chunk
		/// that unlocks last first.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::ZeroAmount`], [`Error::NotBonded`],
		/// [`Error::InsufficientUnbonding`].
		///
		/// Events: [`Event::Rebonded`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::rebond(T::MaxUnbondingChunks::get()))]
		pub fn rebond(
			origin: OriginFor<T>,
			#[pallet::compact] value: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
			let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			let touched = ledger.rebond(value)?;
			Ledgers::<T>::insert(&who, ledger);
			Self::deposit_event(Event::Rebonded { who: who.clone(), amount: value });
			T::Observer::stake_changed(&who);
			Ok(Some(T::WeightInfo::rebond(touched)).into())
		}

		/// Releases every unbonding chunk of the signer that has unlocked to its free balance.
		/// The ledger is removed once nothing is bonded or unbonding.
		///
		/// Dispatch origin: signed, by the provider's account.
		///
		/// Errors: [`Error::NotBonded`], [`Error::NothingToWithdraw`].
		///
		/// Events: [`Event::Withdrawn`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded(T::MaxUnbondingChunks::get()))]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			let (amount, chunks) =
				ledger.withdraw_unlocked(frame_system::Pallet::<T>::block_number());
			ensure!(chunks > 0, Error::<T>::NothingToWithdraw);
			T::Currency::release(&HoldReason::Staked.into(), &who, amount, Precision::Exact)?;
			if ledger.is_empty() {
				Ledgers::<T>::remove(&who);
			} else {
				Ledgers::<T>::insert(&who, ledger);
			}
			TotalStaked::<T>::mutate(|total| *total = total.saturating_sub(amount));
			Self::deposit_event(Event::Withdrawn { who: who.clone(), amount });
			T::Observer::stake_changed(&who);
			Ok(Some(T::WeightInfo::withdraw_unbonded(chunks)).into())
		}

		/// Replaces the staking policy. Providers whose bond no longer covers their GPUs under a
		/// higher minimum stay in the registry's price index until their next change (of stake,
		/// profile, price or job slots), but matching checks every candidate's bond against the
		/// current minimum, so they are not matched meanwhile.
		///
		/// Dispatch origin: [`Config::AdminOrigin`].
		///
		/// Errors: [`Error::InvalidParameters`].
		///
		/// Events: [`Event::ParametersSet`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_parameters())]
		pub fn set_parameters(
			origin: OriginFor<T>,
			params: StakeParametersOf<T>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(params.is_valid(), Error::<T>::InvalidParameters);
			Parameters::<T>::put(params);
			Self::deposit_event(Event::ParametersSet { params });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The weight of one [`tessera_primitives::market::Slashing::slash`], for the pallets and
	/// hooks that slash and must account for it.
	pub fn slash_weight() -> Weight {
		T::WeightInfo::slash()
	}

	/// The weight of one [`Collateral::reserve`], for the pallets and hooks that reserve
	/// collateral and must account for it.
	pub fn reserve_weight() -> Weight {
		T::WeightInfo::reserve_collateral()
	}

	/// The weight of one [`Collateral::release`], for the pallets and hooks that release
	/// collateral and must account for it.
	pub fn release_weight() -> Weight {
		T::WeightInfo::release_collateral()
	}

	/// The weight of one [`Collateral::slash_collateral`], for the pallets and hooks that slash
	/// collateral and must account for it.
	pub fn slash_collateral_weight() -> Weight {
		T::WeightInfo::slash_collateral()
	}

	/// Holds `value` of `who`'s free balance as stake.
	fn hold(who: &T::AccountId, value: BalanceOf<T>) -> DispatchResult {
		let reason = HoldReason::Staked.into();
		// `can_hold` also keeps the existential deposit free, so the account survives.
		ensure!(T::Currency::can_hold(&reason, who, value), Error::<T>::InsufficientFunds);
		T::Currency::hold(&reason, who, value)
	}

	/// Bookkeeping after `value` was newly held for `who`'s ledger.
	fn bonded_more(who: T::AccountId, value: BalanceOf<T>) {
		TotalStaked::<T>::mutate(|total| *total = total.saturating_add(value));
		Self::deposit_event(Event::Bonded { who: who.clone(), amount: value });
		T::Observer::stake_changed(&who);
	}

	/// Checks the pallet's invariants; see the crate documentation.
	// Compiled with `std` too, so that the runtime's tests check every pallet's invariants
	// after every block without building the dependency tree a second time with `try-runtime`.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use sp_runtime::traits::CheckedAdd;

		let mut total = BalanceOf::<T>::zero();
		for (who, ledger) in Ledgers::<T>::iter() {
			// Summed without saturating, unlike `Ledger::total`: a saturated sum could hide
			// committed or unbonding funds that are not really held.
			let staked = ledger
				.unbonding
				.iter()
				.try_fold(ledger.bonded, |sum, chunk| sum.checked_add(&chunk.value))
				.and_then(|sum| sum.checked_add(&ledger.committed))
				.ok_or("a ledger's total overflows")?;
			ensure!(!staked.is_zero(), "an empty ledger is stored");
			ensure!(
				staked == T::Currency::balance_on_hold(&HoldReason::Staked.into(), &who),
				"a ledger differs from its hold",
			);
			ensure!(
				ledger.unbonding.iter().all(|chunk| !chunk.value.is_zero()),
				"an unbonding chunk is empty",
			);
			ensure!(
				ledger.unbonding.windows(2).all(|pair| match pair {
					[earlier, later] => earlier.unlock_at < later.unlock_at,
					_ => true,
				}),
				"unbonding chunks are not in increasing unlock order",
			);
			total = total.checked_add(&staked).ok_or("the total stake overflows")?;
		}
		ensure!(
			total == TotalStaked::<T>::get(),
			"TotalStaked differs from the sum of the ledgers"
		);
		ensure!(Parameters::<T>::get().is_valid(), "the stake parameters are invalid");
		Ok(())
	}
}

impl<T: Config> StakeInfo<T::AccountId, BalanceOf<T>> for Pallet<T> {
	/// Bonded plus committed: collateral still backs the provider's GPUs, so reserving it does
	/// not make a provider fall below its minimum bond.
	fn bonded(who: &T::AccountId) -> BalanceOf<T> {
		Ledgers::<T>::get(who)
			.map_or_else(Zero::zero, |ledger| ledger.bonded.saturating_add(ledger.committed))
	}

	/// Bonded and not committed: what [`Collateral::reserve`] can set aside.
	fn free_stake(who: &T::AccountId) -> BalanceOf<T> {
		Ledgers::<T>::get(who).map_or_else(Zero::zero, |ledger| ledger.bonded)
	}

	fn minimum_bond(gpus: u32) -> BalanceOf<T> {
		Parameters::<T>::get().min_bond_per_gpu.saturating_mul(gpus.into())
	}
}

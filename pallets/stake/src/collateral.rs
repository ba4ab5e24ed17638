//! Per-job collateral: the part of a provider's bond that one job can cost it.
//!
//! When a worker acknowledges a job, the jobs pallet calls [`Collateral::reserve`], which moves
//! the job's collateral from [`Ledger::bonded`] to [`Ledger::committed`]. Nothing moves in the
//! currency: both are parts of the same [`crate::HoldReason::Staked`] hold, and
//! [`crate::TotalStaked`] does not change. Committed funds
//!
//! - still count towards the provider's minimum bond ([`StakeInfo::bonded`] includes them), so
//!   acknowledging a job never makes a provider unmatchable;
//! - no longer count towards what other jobs can reserve ([`StakeInfo::free_stake`]);
//! - cannot be unbonded ([`Ledger::unbond`] works on `bonded` only);
//! - are never taken by a fraction slash ([`Ledger::slash`]).
//!
//! A job that ends without the provider's fault gives its collateral back
//! ([`Collateral::release`]). A missed deadline or an outvoted result takes it, and nothing
//! else ([`Collateral::slash_collateral`]): split like any slash between the harmed client
//! (capped), the watcher and the treasury; see [`crate::slashing`].
//!
//! The pallet keeps one committed sum per provider; which job each part belongs to is the jobs
//! pallet's record, and its `try_state` checks that the parts add up to
//! [`Collateral::committed`].

use crate::{BalanceOf, Config, Error, Event, Ledgers, Pallet};
use sp_runtime::{traits::Zero, DispatchError, DispatchResult};
use tessera_primitives::market::{Collateral, SlashOutcome, SlashReason};

// Only named in the documentation.
#[cfg(doc)]
use {crate::Ledger, tessera_primitives::market::StakeInfo};

impl<T: Config> Collateral<T::AccountId, BalanceOf<T>> for Pallet<T> {
	/// Moves `amount` of `who`'s bond to its committed collateral. A zero `amount` changes
	/// nothing and emits nothing.
	///
	/// Fails with [`Error::InsufficientFreeStake`], changing nothing, when `who` has no ledger
	/// or less than `amount` bonded ([`StakeInfo::free_stake`]).
	///
	/// Emits [`Event::CollateralReserved`]. The registry is not told: [`StakeInfo::bonded`]
	/// does not change.
	///
	/// Weight: [`Pallet::reserve_weight`], which callers must account for.
	fn reserve(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		Ledgers::<T>::try_mutate(who, |ledger| -> DispatchResult {
			let ledger = ledger.as_mut().ok_or(Error::<T>::InsufficientFreeStake)?;
			ledger.reserve(amount)?;
			Ok(())
		})?;
		Self::deposit_event(Event::CollateralReserved { who: who.clone(), amount });
		Ok(())
	}

	/// Moves `amount` of `who`'s committed collateral back to its bond, or all of it if less is
	/// committed. Does nothing when `who` has no ledger.
	///
	/// Emits [`Event::CollateralReleased`] with the amount moved, when it is not zero. The
	/// registry is not told: [`StakeInfo::bonded`] does not change.
	///
	/// Weight: [`Pallet::release_weight`], which callers must account for.
	fn release(who: &T::AccountId, amount: BalanceOf<T>) {
		if amount.is_zero() {
			return;
		}
		let released = Ledgers::<T>::mutate(who, |ledger| {
			ledger.as_mut().map_or_else(Zero::zero, |ledger| ledger.release(amount))
		});
		if !released.is_zero() {
			Self::deposit_event(Event::CollateralReleased { who: who.clone(), amount: released });
		}
	}

	/// Takes `amount` of `who`'s committed collateral, or all of it if less is committed, and
	/// pays it out like any slash ([`crate::slashing`]): the client its share, but at most the
	/// cap given with it, the watcher its share, and the treasury the rest, including the
	/// client's excess over its cap and any share its destination cannot receive. Bonded and
	/// unbonding funds are never touched.
	///
	/// Emits [`Event::Slashed`], even with a zero amount when nothing is committed. Calls
	/// [`tessera_primitives::market::StakeObserver::stake_changed`] when something was taken
	/// (the provider's bond is smaller).
	///
	/// Fails, changing nothing, with [`Error::FraudTakesTheStake`] for [`SlashReason::Fraud`],
	/// which is a fraction slash of the whole stake
	/// ([`tessera_primitives::market::Slashing::slash`]), and with
	/// [`Error::TreasuryCannotReceive`] when the treasury cannot receive its share.
	///
	/// Weight: [`Pallet::slash_collateral_weight`], which callers must account for.
	fn slash_collateral(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		reason: SlashReason,
		harmed: Option<(&T::AccountId, BalanceOf<T>)>,
		watcher: Option<&T::AccountId>,
	) -> Result<SlashOutcome<BalanceOf<T>>, DispatchError> {
		if reason == SlashReason::Fraud {
			return Err(Error::<T>::FraudTakesTheStake.into());
		}
		Self::slash_ledger(who, reason, harmed, watcher, |ledger, _| ledger.slash_committed(amount))
	}

	/// [`Ledger::committed`] of `who`, zero without a ledger.
	fn committed(who: &T::AccountId) -> BalanceOf<T> {
		Ledgers::<T>::get(who).map_or_else(Zero::zero, |ledger| ledger.committed)
	}
}

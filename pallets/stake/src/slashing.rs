//! Slashing: how much a fault costs a provider and who receives it.
//!
//! A slash takes a fraction of everything the provider has held as stake, bonded and unbonding
//! alike, the fraction depending on the [`SlashReason`]. The amount is not burnt: it moves from
//! the provider's hold to the harmed client ([`StakeParameters::client_share`]), to the watcher
//! who proved the fault ([`StakeParameters::watcher_share`]) and the rest to
//! [`Config::Treasury`]. Rounding always favours the treasury, so the three shares add up to the
//! slashed amount exactly and nothing is created or destroyed.
//!
//! A share whose destination cannot receive it (a new account and a share below the existential
//! deposit) goes to the treasury too, so a slash never fails because of a client or watcher. The
//! treasury itself must exist (the chain's genesis funds it with at least the existential
//! deposit); if it cannot receive its share the slash fails and changes nothing.

use crate::{
	BalanceOf, Config, Error, Event, HoldReason, Ledgers, Pallet, Parameters, StakeParameters,
	TotalStaked,
};
use frame_support::traits::{
	fungible::{Inspect, MutateHold},
	tokens::{DepositConsequence, Fortitude, Precision, Provenance, Restriction},
	Get,
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, Perbill,
};
use tessera_primitives::market::{SlashOutcome, SlashReason, Slashing, StakeObserver};

/// The fraction of the stake slashed for `reason`.
pub fn fraction<Balance, BlockNumber>(
	params: &StakeParameters<Balance, BlockNumber>,
	reason: SlashReason,
) -> Perbill {
	match reason {
		SlashReason::Fraud => params.fraud_slash,
		SlashReason::Dissent => params.dissent_slash,
		SlashReason::MissedDeadline => params.missed_deadline_slash,
		SlashReason::MissedHeartbeats => params.missed_heartbeats_slash,
	}
}

/// Splits a slashed `amount` into its client, watcher and treasury shares. The client and
/// watcher get their share only if there is one (`has_client`, `has_watcher`); both are rounded
/// down and the treasury gets the remainder, so the shares always add up to `amount`.
pub fn split<Balance: sp_runtime::traits::AtLeast32BitUnsigned + Copy, BlockNumber>(
	params: &StakeParameters<Balance, BlockNumber>,
	amount: Balance,
	has_client: bool,
	has_watcher: bool,
) -> SlashOutcome<Balance> {
	let to_client = if has_client { params.client_share.mul_floor(amount) } else { Zero::zero() };
	let to_watcher =
		if has_watcher { params.watcher_share.mul_floor(amount) } else { Zero::zero() };
	// Valid parameters keep `client_share + watcher_share <= 100%`, and each share is rounded
	// down, so the subtractions never saturate; saturating keeps even invalid parameters from
	// creating funds.
	let to_treasury = amount.saturating_sub(to_client).saturating_sub(to_watcher);
	SlashOutcome { slashed: amount, to_client, to_watcher, to_treasury }
}

impl<T: Config> Pallet<T> {
	/// Whether `dest` is a destination that can take `share` of a slash of `who`: it is not
	/// the slashed provider itself (which must not get part of its own slash back by naming
	/// itself client or watcher) and the deposit would succeed (an account that does not exist
	/// cannot be created with less than the existential deposit).
	fn can_receive(who: &T::AccountId, dest: &T::AccountId, share: BalanceOf<T>) -> bool {
		dest != who
			&& T::Currency::can_deposit(dest, share, Provenance::Extant)
				== DepositConsequence::Success
	}

	/// Moves `share` of `who`'s stake hold to `dest`'s free balance. Zero shares are skipped.
	fn pay(
		who: &T::AccountId,
		dest: &T::AccountId,
		share: BalanceOf<T>,
	) -> Result<(), DispatchError> {
		if share.is_zero() {
			return Ok(());
		}
		T::Currency::transfer_on_hold(
			&HoldReason::Staked.into(),
			who,
			dest,
			share,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Force,
		)?;
		Ok(())
	}

	/// See [`Slashing::slash`]. Everything that can fail runs in its own storage layer, so an
	/// error leaves no trace even when the caller (a hook) is not transactional.
	pub(crate) fn do_slash(
		who: &T::AccountId,
		reason: SlashReason,
		harmed: Option<&T::AccountId>,
		watcher: Option<&T::AccountId>,
	) -> Result<SlashOutcome<BalanceOf<T>>, DispatchError> {
		let treasury = T::Treasury::get();
		let ledger = Ledgers::<T>::get(who);
		let outcome = frame_support::storage::with_storage_layer(
			move || -> Result<SlashOutcome<BalanceOf<T>>, DispatchError> {
				let Some(mut ledger) = ledger else { return Ok(SlashOutcome::default()) };
				let params = Parameters::<T>::get();
				let amount = ledger.slash(fraction(&params, reason).mul_floor(ledger.total()));
				if amount.is_zero() {
					return Ok(SlashOutcome::default());
				}
				let mut outcome = split(&params, amount, harmed.is_some(), watcher.is_some());

				// A share its destination cannot take goes to the treasury instead.
				let client =
					harmed.filter(|client| Self::can_receive(who, client, outcome.to_client));
				if client.is_none() {
					outcome.to_treasury = outcome.to_treasury.saturating_add(outcome.to_client);
					outcome.to_client = Zero::zero();
				}
				let watcher =
					watcher.filter(|watcher| Self::can_receive(who, watcher, outcome.to_watcher));
				if watcher.is_none() {
					outcome.to_treasury = outcome.to_treasury.saturating_add(outcome.to_watcher);
					outcome.to_watcher = Zero::zero();
				}
				ensure_treasury_can_receive::<T>(&treasury, outcome.to_treasury)?;

				if let Some(client) = client {
					Self::pay(who, client, outcome.to_client)?;
				}
				if let Some(watcher) = watcher {
					Self::pay(who, watcher, outcome.to_watcher)?;
				}
				Self::pay(who, &treasury, outcome.to_treasury)?;

				if ledger.is_empty() {
					Ledgers::<T>::remove(who);
				} else {
					Ledgers::<T>::insert(who, &ledger);
				}
				TotalStaked::<T>::mutate(|total| *total = total.saturating_sub(amount));
				Ok(outcome)
			},
		)?;

		// Reported even when nothing was at stake, so that every slash the market asked for
		// leaves one event behind, whatever the provider had bonded.
		Self::deposit_event(Event::Slashed {
			who: who.clone(),
			reason,
			amount: outcome.slashed,
			client: harmed.cloned(),
			to_client: outcome.to_client,
			watcher: watcher.cloned(),
			to_watcher: outcome.to_watcher,
			to_treasury: outcome.to_treasury,
		});
		if !outcome.slashed.is_zero() {
			T::Observer::stake_changed(who);
		}
		// Last, so the ban is the registry's final word on this provider.
		if reason == SlashReason::Fraud {
			T::Observer::fraud_proven(who);
		}
		Ok(outcome)
	}
}

/// The treasury takes the remainder of every slash, so it must be able to; see
/// [`Config::Treasury`].
fn ensure_treasury_can_receive<T: Config>(
	treasury: &T::AccountId,
	share: BalanceOf<T>,
) -> Result<(), DispatchError> {
	match T::Currency::can_deposit(treasury, share, Provenance::Extant) {
		DepositConsequence::Success => Ok(()),
		_ => Err(Error::<T>::TreasuryCannotReceive.into()),
	}
}

impl<T: Config> Slashing<T::AccountId, BalanceOf<T>> for Pallet<T> {
	/// Slashes `who` for `reason`: see the [module documentation](self).
	///
	/// Takes `fraction(reason) * (bonded + unbonding)`, rounded down, from bonded first and then
	/// from the unbonding chunk that unlocks last. Emits [`Event::Slashed`], even with zero
	/// amounts when `who` has no stake. Calls [`StakeObserver::stake_changed`] when the stake
	/// changed and, for [`SlashReason::Fraud`], [`StakeObserver::fraud_proven`], whether or not
	/// anything was at stake.
	///
	/// Fails with [`Error::TreasuryCannotReceive`] if the treasury account cannot receive its
	/// share; nothing changes then, not even the ban.
	///
	/// Weight: [`Pallet::slash_weight`], which callers must account for.
	fn slash(
		who: &T::AccountId,
		reason: SlashReason,
		harmed: Option<&T::AccountId>,
		watcher: Option<&T::AccountId>,
	) -> Result<SlashOutcome<BalanceOf<T>>, DispatchError> {
		Self::do_slash(who, reason, harmed, watcher)
	}
}

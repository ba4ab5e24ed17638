//! Slashing: how much a fault costs a provider and who receives it.
//!
//! There are two kinds of slash.
//!
//! - **Fraction slashes** ([`Slashing::slash`]) take a fraction of everything the provider has
//!   held as stake, the fraction depending on the [`SlashReason`]. The fraction is computed over
//!   the whole stake (bonded, committed and unbonding: [`Ledger::total`]) but taken from bonded
//!   first and then unbonding, never from committed collateral ([`Ledger::slash`]):
//!   collateral belongs to specific jobs, whose pallet checks that their collaterals add up to
//!   what is committed. Fraud reaches the collateral anyway, because the jobs pallet releases
//!   the provider's collateral before it slashes for fraud.
//! - **Collateral slashes** ([`Collateral::slash_collateral`]) take one job's collateral, at
//!   most what is committed, for a missed deadline or an outvoted result, and nothing else: a
//!   job never costs a provider more than it put at risk for it. The client's share is capped
//!   by the caller (the jobs pallet caps it at a fraction of the client's own escrow, so that a
//!   client cannot profit from a failure); the excess goes to the treasury. Fraud is refused
//!   ([`Error::FraudTakesTheStake`]).
//!
//! Either way the amount is not burnt: it moves from the provider's hold to the harmed client
//! ([`StakeParameters::client_share`]), to the watcher who proved the fault
//! ([`StakeParameters::watcher_share`]) and the rest to [`Config::Treasury`]. Rounding always
//! favours the treasury, so the three shares add up to the slashed amount exactly and nothing
//! is created or destroyed.
//!
//! A share whose destination cannot receive it (a new account and a share below the existential
//! deposit) goes to the treasury too, so a slash never fails because of a client or watcher. The
//! treasury itself must exist (the chain's genesis funds it with at least the existential
//! deposit); if it cannot receive its share the slash fails and changes nothing.

use crate::{
	BalanceOf, Config, Error, Event, HoldReason, Ledger, Ledgers, Pallet, Parameters,
	StakeParameters, StakeParametersOf, TotalStaked,
};
use frame_support::traits::{
	fungible::{Inspect, MutateHold},
	tokens::{DepositConsequence, Fortitude, Precision, Provenance, Restriction},
	Get,
};
use sp_runtime::{
	traits::{Bounded, Saturating, Zero},
	DispatchError, Perbill,
};
use tessera_primitives::market::{SlashOutcome, SlashReason, Slashing, StakeObserver};

// Only named in the documentation.
#[cfg(doc)]
use tessera_primitives::market::Collateral;

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

	/// Splits `amount`, already taken out of `who`'s ledger but still in its hold, into its
	/// shares and pays them: the client's share (at most `cap` of `harmed`), the watcher's, and
	/// the rest, with any share its destination cannot take, to `treasury`. Fails, having paid
	/// nothing, when the treasury cannot receive its share; the caller runs it in a storage
	/// layer so that a failing transfer leaves no trace either.
	fn pay_out(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		params: &StakeParametersOf<T>,
		harmed: Option<(&T::AccountId, BalanceOf<T>)>,
		watcher: Option<&T::AccountId>,
		treasury: &T::AccountId,
	) -> Result<SlashOutcome<BalanceOf<T>>, DispatchError> {
		let mut outcome = split(params, amount, harmed.is_some(), watcher.is_some());

		// The client never gets more than its cap; the excess goes to the treasury.
		if let Some((_, cap)) = harmed {
			let excess = outcome.to_client.saturating_sub(cap);
			outcome.to_client = outcome.to_client.saturating_sub(excess);
			outcome.to_treasury = outcome.to_treasury.saturating_add(excess);
		}

		// A share its destination cannot take goes to the treasury instead.
		let client = harmed
			.map(|(client, _)| client)
			.filter(|client| Self::can_receive(who, client, outcome.to_client));
		if client.is_none() {
			outcome.to_treasury = outcome.to_treasury.saturating_add(outcome.to_client);
			outcome.to_client = Zero::zero();
		}
		let watcher = watcher.filter(|watcher| Self::can_receive(who, watcher, outcome.to_watcher));
		if watcher.is_none() {
			outcome.to_treasury = outcome.to_treasury.saturating_add(outcome.to_watcher);
			outcome.to_watcher = Zero::zero();
		}
		ensure_treasury_can_receive::<T>(treasury, outcome.to_treasury)?;

		if let Some(client) = client {
			Self::pay(who, client, outcome.to_client)?;
		}
		if let Some(watcher) = watcher {
			Self::pay(who, watcher, outcome.to_watcher)?;
		}
		Self::pay(who, treasury, outcome.to_treasury)?;
		Ok(outcome)
	}

	/// The common part of every slash: `take` takes the slashed amount out of `who`'s ledger
	/// (given the parameters) and returns it; it is then paid out ([`Self::pay_out`]), the
	/// ledger and [`TotalStaked`] are updated, [`Event::Slashed`] is emitted and, when
	/// something was taken, [`StakeObserver::stake_changed`] is called.
	///
	/// Everything that can fail runs in its own storage layer, so an error leaves no trace
	/// even when the caller (a hook) is not transactional: no event, no notice.
	pub(crate) fn slash_ledger(
		who: &T::AccountId,
		reason: SlashReason,
		harmed: Option<(&T::AccountId, BalanceOf<T>)>,
		watcher: Option<&T::AccountId>,
		take: impl FnOnce(&mut Ledger<T>, &StakeParametersOf<T>) -> BalanceOf<T>,
	) -> Result<SlashOutcome<BalanceOf<T>>, DispatchError> {
		let treasury = T::Treasury::get();
		let outcome = frame_support::storage::with_storage_layer(
			|| -> Result<SlashOutcome<BalanceOf<T>>, DispatchError> {
				let Some(mut ledger) = Ledgers::<T>::get(who) else {
					return Ok(SlashOutcome::default());
				};
				let params = Parameters::<T>::get();
				let amount = take(&mut ledger, &params);
				if amount.is_zero() {
					return Ok(SlashOutcome::default());
				}
				let outcome = Self::pay_out(who, amount, &params, harmed, watcher, &treasury)?;
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
			client: harmed.map(|(client, _)| client.clone()),
			to_client: outcome.to_client,
			watcher: watcher.cloned(),
			to_watcher: outcome.to_watcher,
			to_treasury: outcome.to_treasury,
		});
		if !outcome.slashed.is_zero() {
			T::Observer::stake_changed(who);
		}
		Ok(outcome)
	}

	/// See [`Slashing::slash`]: a fraction of the whole stake, taken from bonded and unbonding
	/// but never from committed collateral ([`Ledger::slash`] says why).
	pub(crate) fn do_slash(
		who: &T::AccountId,
		reason: SlashReason,
		harmed: Option<&T::AccountId>,
		watcher: Option<&T::AccountId>,
	) -> Result<SlashOutcome<BalanceOf<T>>, DispatchError> {
		// A fraction slash pays the client its whole share: no cap.
		let harmed = harmed.map(|client| (client, BalanceOf::<T>::max_value()));
		let outcome = Self::slash_ledger(who, reason, harmed, watcher, |ledger, params| {
			ledger.slash(fraction(params, reason).mul_floor(ledger.total()))
		})?;
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
	/// Takes `fraction(reason) * (bonded + committed + unbonding)`, rounded down, from bonded
	/// first and then from the unbonding chunk that unlocks last, at most bonded plus
	/// unbonding: committed collateral is never taken ([`Ledger::slash`]). Emits
	/// [`Event::Slashed`], even with zero amounts when `who` has no stake. Calls
	/// [`StakeObserver::stake_changed`] when the stake changed and, for [`SlashReason::Fraud`],
	/// [`StakeObserver::fraud_proven`], whether or not anything was at stake.
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

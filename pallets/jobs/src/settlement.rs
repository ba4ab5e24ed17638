//! Every movement of escrowed funds: paying a provider and the protocol fee, failing a replica
//! (with its provider's penalty), and refunding what is left when a job ends.
//!
//! Funds move straight from the client's hold to the provider and the treasury
//! (`transfer_on_hold`), so escrow never sits in a pallet account: each client's hold is
//! exactly the escrow of its open jobs.

use crate::{
	pallet::{Config, Event, Pallet, ProviderJobs, Stats},
	BalanceOf, FailureReason, HoldReason, JobOf, JobState, ReplicaState,
};
use frame_support::traits::{
	fungible::MutateHold,
	tokens::{Fortitude, Precision, Restriction},
	Get,
};
use sp_runtime::traits::{Saturating, Zero};
use tessera_primitives::{
	jobs::JobId,
	market::{Outcome, ProviderRegistry, ReputationRecorder, SlashReason, Slashing},
};

/// Pays replica `replica` of `record`: `price_per_unit x used_units` to its provider and the
/// protocol fee on it to the treasury, from the client's hold. Frees the provider's job slot
/// and credits its reputation.
pub fn pay<T: Config>(job: JobId, record: &mut JobOf<T>, replica: u32) {
	let Some(slot) = record.replicas.get_mut(replica as usize) else { return };
	let used = slot.receipt.as_ref().map_or(0, |receipt| receipt.used_units);
	let used: BalanceOf<T> = used.try_into().unwrap_or_else(|_| Zero::zero());
	// `price <= max_price` and `used <= units`, so the payment fits the replica's budget and the
	// fee (rounded down) fits the fee held for it; `min` only guards the books.
	let payment = slot.price_per_unit.saturating_mul(used).min(record.escrow);
	let fee = T::ProtocolFee::get().mul_floor(payment).min(record.escrow.saturating_sub(payment));
	let reason = HoldReason::Escrow.into();
	let moved = frame_support::storage::with_storage_layer(|| {
		for (dest, amount) in [(&slot.provider, payment), (&T::Treasury::get(), fee)] {
			if !amount.is_zero() {
				T::Currency::transfer_on_hold(
					&reason,
					&record.client,
					dest,
					amount,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Force,
				)?;
			}
		}
		Ok::<_, sp_runtime::DispatchError>(())
	});
	let provider = slot.provider.clone();
	if let Err(error) = moved {
		// The provider's account cannot receive (it was reaped): it is not paid, and the
		// client gets the replica's budget back when the job closes.
		log::warn!(target: crate::LOG_TARGET, "job {job} replica {replica}: payment failed: {error:?}");
		fail::<T>(job, record, replica, FailureReason::PaymentFailed, None);
		return;
	}
	slot.state = ReplicaState::Paid { payment, fee };
	let spent = payment.saturating_add(fee);
	record.escrow = record.escrow.saturating_sub(spent);
	Stats::<T>::mutate(|stats| stats.escrowed = stats.escrowed.saturating_sub(spent));
	T::Registry::record(&provider, Outcome::Completed);
	release_slot::<T>(job, &provider);
	Pallet::<T>::deposit_event(Event::Paid { job, replica, provider, payment, fee });
}

/// Fails replica `replica` of `record` for `reason`: the provider is slashed (for a missed
/// acknowledgement or deadline, for fraud or for dissent; the client is the harmed party except
/// for a missed acknowledgement, and `watcher`, who proved the fault, gets the watcher's share),
/// its reputation moved and its job slot freed.
pub fn fail<T: Config>(
	job: JobId,
	record: &mut JobOf<T>,
	replica: u32,
	reason: FailureReason,
	watcher: Option<&T::AccountId>,
) {
	let Some(slot) = record.replicas.get_mut(replica as usize) else { return };
	slot.state = ReplicaState::Failed;
	let provider = slot.provider.clone();
	let penalty = match reason {
		FailureReason::MissedAcknowledgement | FailureReason::MissedDeadline => {
			Some((SlashReason::MissedDeadline, Outcome::Failed))
		},
		FailureReason::Rejected => Some((SlashReason::Fraud, Outcome::Slashed)),
		FailureReason::Outvoted => Some((SlashReason::Dissent, Outcome::Failed)),
		// Not the provider's fault.
		FailureReason::PaymentFailed => None,
	};
	// A client is compensated for a replica that was run and not delivered, or delivered
	// wrong; not for one that was never acknowledged, which is re-matched, since otherwise a
	// client could post jobs nobody can take just to collect slashes.
	let harmed = (reason != FailureReason::MissedAcknowledgement).then_some(&record.client);
	if let Some((slash, outcome)) = penalty {
		let slashed = frame_support::storage::with_storage_layer(|| {
			T::Slasher::slash(&provider, slash, harmed, watcher)
		});
		if let Err(error) = slashed {
			log::warn!(target: crate::LOG_TARGET, "job {job}: slash of {provider:?} failed: {error:?}");
		}
		T::Registry::record(&provider, outcome);
	}
	release_slot::<T>(job, &provider);
	Pallet::<T>::deposit_event(Event::ReplicaFailed { job, replica, provider, reason });
}

fn release_slot<T: Config>(job: JobId, provider: &T::AccountId) {
	ProviderJobs::<T>::remove(provider, job);
	if let Err(error) = T::Registry::job_released(provider) {
		// The provider deregistered meanwhile: there is no slot left to free.
		log::debug!(target: crate::LOG_TARGET, "job {job}: slot of {provider:?}: {error:?}");
	}
}

/// Closes `record` as `state` if none of its replicas is still running: refunds the rest of its
/// escrow to the client.
pub fn close_if_done<T: Config>(job: JobId, record: &mut JobOf<T>) {
	if record.state != JobState::Active || !record.replicas.iter().all(|r| r.state.is_final()) {
		return;
	}
	let paid = record.replicas.iter().any(|r| matches!(r.state, ReplicaState::Paid { .. }));
	Stats::<T>::mutate(|stats| stats.active = stats.active.saturating_sub(1));
	close::<T>(job, record, if paid { JobState::Completed } else { JobState::Failed });
}

/// Ends `record` as `state`: releases what is left of its escrow to the client and counts it.
/// The caller has taken it out of the active or queued count.
pub fn close<T: Config>(job: JobId, record: &mut JobOf<T>, state: JobState) {
	let refund = record.escrow;
	if !refund.is_zero() {
		let released = T::Currency::release(
			&HoldReason::Escrow.into(),
			&record.client,
			refund,
			Precision::BestEffort,
		);
		if let Err(error) = released {
			log::error!(target: crate::LOG_TARGET, "job {job}: refund failed: {error:?}");
		}
	}
	record.escrow = Zero::zero();
	record.state = state;
	Stats::<T>::mutate(|stats| {
		stats.escrowed = stats.escrowed.saturating_sub(refund);
		match state {
			JobState::Completed => stats.completed = stats.completed.saturating_add(1),
			JobState::Failed => stats.failed = stats.failed.saturating_add(1),
			JobState::Cancelled => stats.cancelled = stats.cancelled.saturating_add(1),
			JobState::Expired => stats.expired = stats.expired.saturating_add(1),
			JobState::Queued | JobState::Active => {},
		}
	});
	Pallet::<T>::deposit_event(Event::Closed { job, state, refund });
}

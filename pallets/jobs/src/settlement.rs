//! Every movement of escrowed funds and of stake: paying a provider and the protocol fee,
//! failing a replica (with its provider's penalty, if the failure is its fault), releasing or
//! taking per-job collateral, and refunding what is left when a job ends.
//!
//! | failure | provider's stake | reputation |
//! |---|---|---|
//! | declined | nothing | nothing |
//! | not acknowledged in time | nothing | `Ignored` (1%) |
//! | missed deadline | the replica's collateral | `Failed` |
//! | outvoted | the replica's collateral | `Failed` |
//! | proven fraud | the fraud fraction of everything, and banned | `Slashed` |
//! | banned on another job | nothing more | nothing more |
//! | payment failed | nothing | nothing |
//!
//! Funds move straight from the client's hold to the provider and the treasury
//! (`transfer_on_hold`), so escrow never sits in a pallet account: each client's hold is
//! exactly the escrow of its open jobs.

use crate::{
	matching,
	pallet::{Config, Event, Jobs, OpenJobs, Pallet, ProviderJobs, Prunes, Stats, Timeouts},
	timeouts, BalanceOf, FailureReason, HoldReason, JobOf, JobState, ReplicaState, WeightInfo,
};
use alloc::vec::Vec;
use frame_support::{
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
		Get,
	},
	weights::Weight,
};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};
use tessera_primitives::{
	jobs::{JobId, Verifier},
	market::{Collateral, Outcome, ProviderRegistry, ReputationRecorder, SlashReason, Slashing},
};

/// Pays replica `replica` of `record`: `price_per_unit x used_units` to its provider and the
/// protocol fee on it to the treasury, from the client's hold. Releases its collateral, frees
/// the provider's job slot and credits its reputation by the payment. A banned provider is
/// never paid: its replica fails instead. Returns what [`fail`] returns (0 when paid).
pub fn pay<T: Config>(job: JobId, record: &mut JobOf<T>, replica: u32) -> u32 {
	let Some(slot) = record.replicas.get_mut(replica as usize) else { return 0 };
	if T::Registry::is_banned(&slot.provider) {
		return fail::<T>(job, record, replica, FailureReason::ProviderBanned, None);
	}
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
		return fail::<T>(job, record, replica, FailureReason::PaymentFailed, None);
	}
	slot.state = ReplicaState::Paid { payment, fee };
	T::Collateral::release(&provider, core::mem::take(&mut slot.collateral));
	let spent = payment.saturating_add(fee);
	record.escrow = record.escrow.saturating_sub(spent);
	Stats::<T>::mutate(|stats| stats.escrowed = stats.escrowed.saturating_sub(spent));
	T::Registry::record(&provider, Outcome::Completed, payment.unique_saturated_into());
	release_slot::<T>(job, &provider);
	Pallet::<T>::deposit_event(Event::Paid { job, replica, provider, payment, fee });
	0
}

/// Fails replica `replica` of `record` for `reason`, with the penalty of the table above. The
/// client is the harmed party of a missed deadline, an outvoted result or a fraud, and gets
/// the stake pallet's client share, capped for collateral at [`Config::MaxCompensation`] of the
/// replica's budget; `watcher`, who proved the fault, gets the watcher's share. Frees the
/// provider's job slot. A proven fraud first fails every other open replica of the provider
/// ([`fail_banned`]); returns how many.
pub fn fail<T: Config>(
	job: JobId,
	record: &mut JobOf<T>,
	replica: u32,
	reason: FailureReason,
	watcher: Option<&T::AccountId>,
) -> u32 {
	let budget = replica_budget::<T>(record);
	let client = record.client.clone();
	let Some(slot) = record.replicas.get_mut(replica as usize) else { return 0 };
	slot.state = ReplicaState::Failed;
	let provider = slot.provider.clone();
	let collateral = core::mem::take(&mut slot.collateral);
	let cap = T::MaxCompensation::get().mul_floor(budget);
	let mut banned = 0;
	let slashed = match reason {
		FailureReason::MissedDeadline | FailureReason::Outvoted => {
			let offence = match reason {
				FailureReason::Outvoted => SlashReason::Dissent,
				_ => SlashReason::MissedDeadline,
			};
			T::Registry::record(&provider, Outcome::Failed, 0);
			let taken = frame_support::storage::with_storage_layer(|| {
				T::Collateral::slash_collateral(
					&provider,
					collateral,
					offence,
					Some((&client, cap)),
					watcher,
				)
				.map(|_| ())
			});
			if taken.is_err() {
				// Not taken: it goes back to the free bond, so no collateral is left set aside
				// for a replica that no longer exists.
				T::Collateral::release(&provider, collateral);
			}
			taken
		},
		FailureReason::Rejected => {
			T::Collateral::release(&provider, collateral);
			banned = fail_banned::<T>(job, &provider);
			T::Registry::record(&provider, Outcome::Slashed, 0);
			// Last: the fraud slash bans the provider, and takes its fraction of a stake whose
			// collateral is all released.
			frame_support::storage::with_storage_layer(|| {
				T::Slasher::slash(&provider, SlashReason::Fraud, Some(&client), watcher).map(|_| ())
			})
		},
		FailureReason::MissedAcknowledgement => {
			T::Registry::record(&provider, Outcome::Ignored, 0);
			Ok(())
		},
		FailureReason::Declined | FailureReason::ProviderBanned | FailureReason::PaymentFailed => {
			T::Collateral::release(&provider, collateral);
			Ok(())
		},
	};
	if let Err(error) = slashed {
		log::warn!(target: crate::LOG_TARGET, "job {job}: slash of {provider:?} failed: {error:?}");
	}
	release_slot::<T>(job, &provider);
	Pallet::<T>::deposit_event(Event::ReplicaFailed { job, replica, provider, reason });
	banned
}

/// The budget of one replica of `record`: `max_price_per_unit x units`, what the client's
/// compensation for it is capped against.
fn replica_budget<T: Config>(record: &JobOf<T>) -> BalanceOf<T> {
	let units: BalanceOf<T> = record.units.unique_saturated_into();
	record.spec.max_price_per_unit.saturating_mul(units)
}

/// Fails every open replica `provider` has on jobs other than `except` (it was just proven to
/// have cheated there): each is taken out of its timeout if it has one, the verifier's check of
/// a submitted one is abandoned, its collateral released, and it goes to another provider if
/// time allows or else its job closes with a refund. At most `MaxProviderJobs` replicas.
/// Returns how many.
fn fail_banned<T: Config>(except: JobId, provider: &T::AccountId) -> u32 {
	let open: Vec<(JobId, u32)> = ProviderJobs::<T>::iter_prefix(provider)
		.filter(|(job, _)| *job != except)
		.take(T::MaxProviderJobs::get() as usize)
		.collect();
	let mut count = 0u32;
	for (job, replica) in open {
		let Some(mut record) = Jobs::<T>::get(job) else { continue };
		let Some(slot) = record.replicas.get(replica as usize) else { continue };
		if let Some((at, timeout)) =
			timeouts::timeout_of(&slot.state, record.spec.deadline, replica)
		{
			Timeouts::<T>::remove(at, (job, timeout));
		}
		if matches!(slot.state, ReplicaState::Submitted { .. }) {
			T::Verifier::abandoned(job, replica);
		}
		fail::<T>(job, &mut record, replica, FailureReason::ProviderBanned, None);
		matching::replace::<T>(job, &mut record, replica);
		close_if_done::<T>(job, &mut record);
		Jobs::<T>::insert(job, record);
		count = count.saturating_add(1);
	}
	count
}

/// The weight of failing `count` replicas of a banned provider: each is handled like a missed
/// acknowledgement (a failure and a re-match, as the hook's benchmark measures it), plus its
/// check abandoned.
pub fn banned_weight<T: Config>(count: u32) -> Weight {
	T::WeightInfo::on_initialize_timeouts(1)
		.saturating_add(T::Registry::cheapest_weight())
		.saturating_add(T::Verifier::abandoned_weight())
		.saturating_mul(count.into())
}

/// Why a replica whose receipt the verifier rejected for `offence` failed, which decides its
/// penalty in [`fail`]: outvoted or never revealed costs the replica's collateral, anything
/// else (a proven fraud) the fraud slash and a ban.
pub fn rejection_reason(offence: SlashReason) -> FailureReason {
	match offence {
		SlashReason::Dissent => FailureReason::Outvoted,
		// A sealed replica that never revealed: late, as a missed deadline is.
		SlashReason::MissedDeadline => FailureReason::MissedDeadline,
		_ => FailureReason::Rejected,
	}
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

/// Ends `record` as `state`: releases what is left of its escrow and its storage deposit to the
/// client, takes it out of the client's open jobs, counts it and schedules its pruning
/// `JobRetention` blocks from now. The caller has taken it out of the active or queued count.
pub fn close<T: Config>(job: JobId, record: &mut JobOf<T>, state: JobState) {
	let refund = record.escrow;
	let deposit = record.deposit;
	for (reason, amount) in [(HoldReason::Escrow, refund), (HoldReason::JobDeposit, deposit)] {
		if amount.is_zero() {
			continue;
		}
		let released =
			T::Currency::release(&reason.into(), &record.client, amount, Precision::BestEffort);
		if let Err(error) = released {
			log::error!(target: crate::LOG_TARGET, "job {job}: release of {amount:?} failed: {error:?}");
		}
	}
	record.escrow = Zero::zero();
	record.deposit = Zero::zero();
	record.state = state;
	OpenJobs::<T>::mutate_exists(&record.client, |open| {
		*open = open.map(|count| count.saturating_sub(1)).filter(|count| *count > 0);
	});
	let now = frame_system::Pallet::<T>::block_number();
	record.closed_at = Some(now);
	Prunes::<T>::insert(now.saturating_add(T::JobRetention::get()), job, ());
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
	Pallet::<T>::deposit_event(Event::Closed { job, state, refund, deposit });
}

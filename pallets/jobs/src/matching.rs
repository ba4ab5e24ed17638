//! Matching: finding providers for a job's replicas, when it is posted, when a queued job is
//! retried, and when a replica is given up (declined, not acknowledged, or its provider banned).
//! [`book`] is the one place a provider is booked for a replica.
//!
//! A job is offered only to providers that can run it as declared ([`needs`]): what the
//! client requires, enough host memory for the job's data, enough int8 throughput over all
//! their GPUs to finish between the acknowledgement window and the deadline, the capability
//! its workload needs, an attestation valid through the deadline when it asks for one, and
//! free stake for the largest collateral the replica can carry. So a worker is never assigned
//! a job it cannot run, and a failure after it acknowledged is its own.

use crate::{
	pallet::{Config, Error, Event, Jobs, Pallet, ProviderJobs, Queue, Stats, Timeouts},
	timeouts, BalanceOf, JobOf, JobSpecOf, JobState, Replica, ReplicaOf, ReplicaState, Timeout,
};
use alloc::vec::Vec;
use frame_support::{ensure, traits::Get, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto},
	DispatchError, DispatchResult,
};
use tessera_primitives::{
	jobs::JobId,
	market::{Candidate, Needs, ProviderRegistry},
};

/// The collateral of a replica run at `price_per_unit` for `units`:
/// `max(MinCollateral, CollateralRatio x price x units)`.
pub fn collateral<T: Config>(price_per_unit: BalanceOf<T>, units: u64) -> BalanceOf<T> {
	let units: BalanceOf<T> = units.unique_saturated_into();
	let value = price_per_unit.saturating_mul(units);
	T::CollateralRatio::get().mul_floor(value).max(T::MinCollateral::get())
}

/// What a provider must offer to take a replica of a job with `spec` and `units` whose
/// acknowledgement window ends at `until`: the job's needs over the time from `until` to the
/// deadline, with the collateral at the job's maximum price (the most any provider it matches
/// sets aside).
pub fn needs<T: Config>(
	spec: &JobSpecOf<T>,
	units: u64,
	until: BlockNumberFor<T>,
) -> Needs<BalanceOf<T>, BlockNumberFor<T>> {
	let blocks: u64 = spec.deadline.saturating_sub(until).unique_saturated_into();
	let window_ms = blocks.saturating_mul(T::MillisecsPerBlock::get());
	spec.needs(window_ms, collateral::<T>(spec.max_price_per_unit, units))
}

/// The end of an acknowledgement window opened now, if the window ends before `record`'s
/// deadline (otherwise nobody could acknowledge and still deliver).
fn ack_window<T: Config>(record: &JobOf<T>) -> Option<BlockNumberFor<T>> {
	let now = frame_system::Pallet::<T>::block_number();
	let until = now.saturating_add(T::AckTimeout::get());
	(until < record.spec.deadline).then_some(until)
}

/// Books `candidate` for replica `replica` of `job` with an acknowledgement window up to
/// `until`: takes one of its job slots, lists the job for it, schedules the acknowledgement
/// check. Returns the replica, waiting for its acknowledgement.
fn book<T: Config>(
	job: JobId,
	replica: u32,
	candidate: Candidate<T::AccountId, BalanceOf<T>>,
	until: BlockNumberFor<T>,
) -> Result<crate::ReplicaOf<T>, sp_runtime::DispatchError> {
	T::Registry::job_assigned(&candidate.provider)?;
	ProviderJobs::<T>::insert(&candidate.provider, job, replica);
	Timeouts::<T>::insert(until, (job, Timeout::Acknowledgement(replica)), ());
	Pallet::<T>::deposit_event(Event::Assigned {
		job,
		replica,
		provider: candidate.provider.clone(),
		worker: candidate.worker.clone(),
		price_per_unit: candidate.price_per_unit,
	});
	Ok(Replica {
		provider: candidate.provider,
		worker: candidate.worker,
		price_per_unit: candidate.price_per_unit,
		collateral: Default::default(),
		state: ReplicaState::AwaitingAck { until },
		receipt: None,
	})
}

/// Assigns every replica of a queued job to the cheapest providers that fit, all or none.
/// Returns whether it did.
pub fn assign_all<T: Config>(job: JobId, record: &mut JobOf<T>) -> bool {
	let Some(until) = ack_window::<T>(record) else { return false };
	let candidates = T::Registry::cheapest(
		&needs::<T>(&record.spec, record.units, until),
		record.spec.max_price_per_unit,
		record.spec.replicas,
		&record.dropped,
	);
	if (candidates.len() as u32) < record.spec.replicas {
		return false;
	}
	let assigned = frame_support::storage::with_storage_layer(|| -> DispatchResult {
		let mut replicas = BoundedVec::new();
		let wanted = record.spec.replicas as usize;
		for (index, candidate) in candidates.into_iter().take(wanted).enumerate() {
			let slot = book::<T>(job, index as u32, candidate, until)?;
			replicas.try_push(slot).map_err(|_| Error::<T>::TooManyReplicas)?;
		}
		record.replicas = replicas;
		Ok(())
	});
	if assigned.is_ok() {
		record.state = JobState::Active;
	}
	assigned.is_ok()
}

/// Gives up replica `replica` of `record`, which has just failed without being delivered, to
/// the next cheapest provider that fits and is not already on the job; its provider is never
/// matched to this job again. Nothing happens if no provider fits, the acknowledgement no
/// longer fits before the deadline, or the job has dropped `MaxReplicas` providers already
/// (so a job cannot be bounced around forever). Returns whether a provider was found.
pub fn replace<T: Config>(job: JobId, record: &mut JobOf<T>, replica: u32) -> bool {
	let Some(provider) = record.replicas.get(replica as usize).map(|r| r.provider.clone()) else {
		return false;
	};
	if !record.dropped.contains(&provider) && record.dropped.try_push(provider).is_err() {
		return false;
	}
	let Some(until) = ack_window::<T>(record) else { return false };
	let mut exclude: Vec<T::AccountId> = record.dropped.to_vec();
	exclude.extend(record.replicas.iter().map(|r| r.provider.clone()));
	let Some(candidate) = T::Registry::cheapest(
		&needs::<T>(&record.spec, record.units, until),
		record.spec.max_price_per_unit,
		1,
		&exclude,
	)
	.into_iter()
	.next() else {
		return false;
	};
	let Ok(slot) = book::<T>(job, replica, candidate, until) else { return false };
	match record.replicas.get_mut(replica as usize) {
		Some(old) => *old = slot,
		None => return false,
	}
	true
}

/// Tries to assign up to `MaxQueueMatchesPerBlock` jobs from the head of the queue; those that
/// still find no providers go to the back, so one job that fits nobody cannot block the rest.
/// Returns how many were tried.
pub fn match_queue<T: Config>() -> u32 {
	let mut queue = Queue::<T>::get();
	if queue.is_empty() {
		return 0;
	}
	let tries = T::MaxQueueMatchesPerBlock::get().min(queue.len() as u32);
	for _ in 0..tries {
		if queue.is_empty() {
			break;
		}
		let job = queue.remove(0);
		let Some(mut record) = Jobs::<T>::get(job) else { continue };
		if assign_all::<T>(job, &mut record) {
			Timeouts::<T>::remove(
				timeouts::after(record.spec.deadline),
				(job, Timeout::QueueExpiry),
			);
			Stats::<T>::mutate(|stats| {
				stats.queued = stats.queued.saturating_sub(1);
				stats.active = stats.active.saturating_add(1);
			});
			Jobs::<T>::insert(job, record);
		} else {
			// Cannot fail: one was just removed.
			let _ = queue.try_push(job);
		}
	}
	Queue::<T>::put(queue);
	tries
}

impl<T: Config> Pallet<T> {
	/// The replica `replica` of `record`, if `worker` is the worker key of its provider now.
	pub(crate) fn worker_replica<'a>(
		record: &'a mut JobOf<T>,
		replica: u32,
		worker: &T::AccountId,
	) -> Result<&'a mut ReplicaOf<T>, DispatchError> {
		let slot = record.replicas.get_mut(replica as usize).ok_or(Error::<T>::NoSuchReplica)?;
		ensure!(
			T::Registry::provider_of_worker(worker).as_ref() == Some(&slot.provider),
			Error::<T>::NotAssignedWorker
		);
		Ok(slot)
	}
}

//! The hook's work: due timeouts, then a few queued jobs.
//!
//! Every unfinished replica has exactly one entry in `Timeouts` (its acknowledgement window,
//! its delivery deadline, or its verdict), and every queued job one (its expiry). The hook walks
//! the blocks from `TimeoutCursor` to the current one and handles at most
//! `MaxTimeoutsPerBlock` entries; a backlog carries over to the next block, so a timeout may be
//! handled late but never early and never skipped. It never scans the jobs.

use crate::{
	pallet::{Config, Event, Jobs, Pallet, ProviderJobs, Queue, Stats, TimeoutCursor, Timeouts},
	settlement, FailureReason, JobState, Replica, ReplicaState, Timeout,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating, Zero};
use tessera_primitives::{
	jobs::{JobId, Verdict, Verifier},
	market::{ProviderRegistry, SlashReason},
};

/// The block at which a job with `deadline` is checked: receipts are accepted up to and
/// including the deadline block.
pub fn after<N: Saturating + One>(deadline: N) -> N {
	deadline.saturating_add(One::one())
}

/// `at`, or the next block if `at` is not in the future (the hook of the current block has run).
pub fn not_before_next_block<T: Config>(at: BlockNumberFor<T>) -> BlockNumberFor<T> {
	at.max(after(frame_system::Pallet::<T>::block_number()))
}

/// Handles the timeouts due by `now`; returns how many.
pub fn run<T: Config>(now: BlockNumberFor<T>) -> u32 {
	let limit = T::MaxTimeoutsPerBlock::get();
	let mut cursor = TimeoutCursor::<T>::get();
	if cursor.is_zero() {
		cursor = now;
	}
	let mut handled = 0u32;
	let mut blocks = 0u32;
	while cursor <= now && handled < limit && blocks < limit {
		blocks = blocks.saturating_add(1);
		let due: Vec<(JobId, Timeout)> = Timeouts::<T>::iter_key_prefix(cursor)
			.take(limit.saturating_sub(handled) as usize)
			.collect();
		for (job, timeout) in due {
			Timeouts::<T>::remove(cursor, (job, timeout));
			handle::<T>(cursor, job, timeout);
			handled = handled.saturating_add(1);
		}
		if Timeouts::<T>::iter_key_prefix(cursor).next().is_some() {
			break;
		}
		cursor = cursor.saturating_add(One::one());
	}
	TimeoutCursor::<T>::put(cursor);
	handled
}

fn handle<T: Config>(at: BlockNumberFor<T>, job: JobId, timeout: Timeout) {
	let Some(mut record) = Jobs::<T>::get(job) else { return };
	match timeout {
		Timeout::QueueExpiry => {
			if record.state != JobState::Queued {
				return;
			}
			Queue::<T>::mutate(|queue| queue.retain(|queued| *queued != job));
			Stats::<T>::mutate(|stats| stats.queued = stats.queued.saturating_sub(1));
			settlement::close::<T>(job, &mut record, JobState::Expired);
		},
		Timeout::Acknowledgement(replica) => {
			let Some(slot) = record.replicas.get(replica as usize) else { return };
			if slot.state != (ReplicaState::AwaitingAck { until: at }) {
				return;
			}
			let provider = slot.provider.clone();
			settlement::fail::<T>(
				job,
				&mut record,
				replica,
				FailureReason::MissedAcknowledgement,
				None,
			);
			// Never match this job to that provider again. (`dropped` holds `MaxReplicas`
			// entries; past that, re-matching stops and the replica stays failed.)
			if record.dropped.try_push(provider).is_ok() {
				rematch::<T>(job, &mut record, replica);
			}
		},
		Timeout::Delivery(replica) => {
			let running = record
				.replicas
				.get(replica as usize)
				.is_some_and(|slot| slot.state == ReplicaState::Running);
			if running {
				settlement::fail::<T>(
					job,
					&mut record,
					replica,
					FailureReason::MissedDeadline,
					None,
				);
			}
		},
		Timeout::Verdict(replica) => {
			let submitted = record
				.replicas
				.get(replica as usize)
				.is_some_and(|slot| slot.state == ReplicaState::Submitted { verdict_at: at });
			if !submitted {
				return;
			}
			match T::Verifier::verdict(job, replica) {
				Verdict::Pending(next) => {
					let next = next.max(after(at));
					Timeouts::<T>::insert(next, (job, Timeout::Verdict(replica)), ());
					if let Some(slot) = record.replicas.get_mut(replica as usize) {
						slot.state = ReplicaState::Submitted { verdict_at: next };
					}
				},
				Verdict::Accepted => {
					T::Verifier::closed(job, replica);
					settlement::pay::<T>(job, &mut record, replica);
				},
				Verdict::Rejected { offence, watcher } => {
					T::Verifier::closed(job, replica);
					let reason = match offence {
						SlashReason::Dissent => FailureReason::Outvoted,
						_ => FailureReason::Rejected,
					};
					settlement::fail::<T>(job, &mut record, replica, reason, watcher.as_ref());
				},
			}
		},
	}
	settlement::close_if_done::<T>(job, &mut record);
	Jobs::<T>::insert(job, record);
}

/// Gives failed replica `replica` of `record` to the next cheapest provider that fits and is
/// not already on the job, if the acknowledgement still fits before the deadline.
fn rematch<T: Config>(job: JobId, record: &mut crate::JobOf<T>, replica: u32) {
	let now = frame_system::Pallet::<T>::block_number();
	let until = now.saturating_add(T::AckTimeout::get());
	if until >= record.spec.deadline {
		return;
	}
	let mut exclude: Vec<T::AccountId> = record.dropped.to_vec();
	exclude.extend(record.replicas.iter().map(|r| r.provider.clone()));
	let Some(candidate) = T::Registry::cheapest(
		&record.spec.requirements,
		record.spec.max_price_per_unit,
		1,
		&exclude,
	)
	.into_iter()
	.next() else {
		return;
	};
	if T::Registry::job_assigned(&candidate.provider).is_err() {
		return;
	}
	ProviderJobs::<T>::insert(&candidate.provider, job, replica);
	Timeouts::<T>::insert(until, (job, Timeout::Acknowledgement(replica)), ());
	Pallet::<T>::deposit_event(Event::Assigned {
		job,
		replica,
		provider: candidate.provider.clone(),
		worker: candidate.worker.clone(),
		price_per_unit: candidate.price_per_unit,
	});
	if let Some(slot) = record.replicas.get_mut(replica as usize) {
		*slot = Replica {
			provider: candidate.provider,
			worker: candidate.worker,
			price_per_unit: candidate.price_per_unit,
			state: ReplicaState::AwaitingAck { until },
			receipt: None,
		};
	}
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
		if Pallet::<T>::try_assign(job, &mut record) {
			crate::pallet::Timeouts::<T>::remove(
				after(record.spec.deadline),
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

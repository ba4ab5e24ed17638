//! The hook's work: due timeouts (acknowledgement windows, deadlines, verdicts, queue expiries).
//!
//! Every unfinished replica has exactly one entry in `Timeouts` (its acknowledgement window,
//! its delivery deadline, or its verdict), and every queued job one (its expiry). The hook walks
//! the blocks from `TimeoutCursor` to the current one and handles at most
//! `MaxTimeoutsPerBlock` entries; a backlog carries over to the next block, so a timeout may be
//! handled late but never early and never skipped. It never scans the jobs.

use crate::{
	matching,
	pallet::{Config, Jobs, Queue, Stats, TimeoutCursor, Timeouts},
	settlement, FailureReason, JobOf, JobState, ReplicaState, Timeout,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating, Zero};
use tessera_primitives::{
	jobs::{JobId, Verdict, Verifier},
	market::SlashReason,
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

/// The one timeout an unfinished replica in `state` has (replica `index` of a job with
/// `deadline`): where it is due and what it is. `None` for a finished replica.
pub fn timeout_of<Balance, BlockNumber: Copy + Saturating + One>(
	state: &ReplicaState<Balance, BlockNumber>,
	deadline: BlockNumber,
	index: u32,
) -> Option<(BlockNumber, Timeout)> {
	match *state {
		ReplicaState::AwaitingAck { until } => Some((until, Timeout::Acknowledgement(index))),
		ReplicaState::Running => Some((after(deadline), Timeout::Delivery(index))),
		ReplicaState::Submitted { verdict_at } => Some((verdict_at, Timeout::Verdict(index))),
		ReplicaState::Paid { .. } | ReplicaState::Failed => None,
	}
}

/// What one run of the hook did, for its weight.
#[derive(Default)]
pub struct Done {
	/// Timeouts handled.
	pub handled: u32,
	/// Replicas of other jobs failed because a verdict banned their provider.
	pub banned: u32,
}

/// Handles the timeouts due by `now`.
pub fn run<T: Config>(now: BlockNumberFor<T>) -> Done {
	let limit = T::MaxTimeoutsPerBlock::get();
	let mut cursor = TimeoutCursor::<T>::get();
	if cursor.is_zero() {
		cursor = now;
	}
	let mut handled = 0u32;
	let mut banned = 0u32;
	let mut blocks = 0u32;
	while cursor <= now && handled < limit && blocks < limit {
		blocks = blocks.saturating_add(1);
		let due: Vec<(JobId, Timeout)> = Timeouts::<T>::iter_key_prefix(cursor)
			.take(limit.saturating_sub(handled) as usize)
			.collect();
		for (job, timeout) in due {
			Timeouts::<T>::remove(cursor, (job, timeout));
			banned = banned.saturating_add(handle::<T>(cursor, job, timeout));
			handled = handled.saturating_add(1);
		}
		if Timeouts::<T>::iter_key_prefix(cursor).next().is_some() {
			break;
		}
		cursor = cursor.saturating_add(One::one());
	}
	TimeoutCursor::<T>::put(cursor);
	Done { handled, banned }
}

/// Handles one due timeout; returns how many replicas of other jobs a verdict of fraud failed.
fn handle<T: Config>(at: BlockNumberFor<T>, job: JobId, timeout: Timeout) -> u32 {
	let Some(mut record) = Jobs::<T>::get(job) else { return 0 };
	let mut banned = 0;
	match timeout {
		Timeout::QueueExpiry => {
			if record.state != JobState::Queued {
				return 0;
			}
			Queue::<T>::mutate(|queue| queue.retain(|queued| *queued != job));
			Stats::<T>::mutate(|stats| stats.queued = stats.queued.saturating_sub(1));
			settlement::close::<T>(job, &mut record, JobState::Expired);
		},
		Timeout::Acknowledgement(replica) => {
			let Some(slot) = record.replicas.get(replica as usize) else { return 0 };
			if slot.state != (ReplicaState::AwaitingAck { until: at }) {
				return 0;
			}
			settlement::fail::<T>(
				job,
				&mut record,
				replica,
				FailureReason::MissedAcknowledgement,
				None,
			);
			matching::replace::<T>(job, &mut record, replica);
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
				return 0;
			}
			banned = decide::<T>(job, &mut record, replica, at);
		},
	}
	settlement::close_if_done::<T>(job, &mut record);
	Jobs::<T>::insert(job, record);
	banned
}

/// Asks the verifier for the verdict on submitted replica `replica` of `record`, whose verdict
/// timeout (due at `at`) has been taken out, and acts on it: schedules the next look, pays, or
/// fails the replica. Returns how many replicas of other jobs a verdict of fraud failed.
pub fn decide<T: Config>(
	job: JobId,
	record: &mut JobOf<T>,
	replica: u32,
	at: BlockNumberFor<T>,
) -> u32 {
	match T::Verifier::verdict(job, replica) {
		Verdict::Pending(next) => {
			let next = next.max(after(at));
			Timeouts::<T>::insert(next, (job, Timeout::Verdict(replica)), ());
			if let Some(slot) = record.replicas.get_mut(replica as usize) {
				slot.state = ReplicaState::Submitted { verdict_at: next };
			}
			0
		},
		Verdict::Accepted => {
			T::Verifier::closed(job, replica);
			settlement::pay::<T>(job, record, replica)
		},
		Verdict::Rejected { offence, watcher } => {
			T::Verifier::closed(job, replica);
			let reason = match offence {
				SlashReason::Dissent => FailureReason::Outvoted,
				// A sealed replica that never revealed: late, as a missed deadline is.
				SlashReason::MissedDeadline => FailureReason::MissedDeadline,
				_ => FailureReason::Rejected,
			};
			settlement::fail::<T>(job, record, replica, reason, watcher.as_ref())
		},
	}
}

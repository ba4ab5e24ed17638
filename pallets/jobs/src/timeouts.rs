//! The hook's work: due timeouts (acknowledgement windows, deadlines, queue expiries).
//!
//! Every replica waiting for its acknowledgement or its receipt has exactly one entry in
//! `Timeouts` (its acknowledgement window or its delivery deadline), and every queued job one
//! (its expiry). A submitted replica has none here: the verifier owns its timing, runs its
//! checks in its own hook and pushes the verdict ([`tessera_primitives::jobs::VerdictSink`]).
//! The hook walks the blocks from `TimeoutCursor` to the current one and handles at most
//! `MaxTimeoutsPerBlock` entries; a backlog carries over to the next block, so a timeout may be
//! handled late but never early and never skipped. It never scans the jobs.

use crate::{
	matching,
	pallet::{Config, Jobs, Queue, Stats, TimeoutCursor, Timeouts},
	settlement, FailureReason, JobState, ReplicaState, Timeout,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating, Zero};
use tessera_primitives::jobs::JobId;

/// The block at which a job with `deadline` is checked: receipts are accepted up to and
/// including the deadline block.
pub fn after<N: Saturating + One>(deadline: N) -> N {
	deadline.saturating_add(One::one())
}

/// The one timeout a replica in `state` has (replica `index` of a job with `deadline`): where
/// it is due and what it is. `None` for a finished replica, and for a submitted one, whose
/// verdict the verifier pushes when it has one.
pub fn timeout_of<Balance, BlockNumber: Copy + Saturating + One>(
	state: &ReplicaState<Balance, BlockNumber>,
	deadline: BlockNumber,
	index: u32,
) -> Option<(BlockNumber, Timeout)> {
	match *state {
		ReplicaState::AwaitingAck { until } => Some((until, Timeout::Acknowledgement(index))),
		ReplicaState::Running => Some((after(deadline), Timeout::Delivery(index))),
		ReplicaState::Submitted { .. } | ReplicaState::Paid { .. } | ReplicaState::Failed => None,
	}
}

/// What one run of the hook did, for its weight.
#[derive(Default)]
pub struct Done {
	/// Timeouts handled.
	pub handled: u32,
}

/// Handles the timeouts due by `now`.
pub fn run<T: Config>(now: BlockNumberFor<T>) -> Done {
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
	Done { handled }
}

/// Handles one due timeout. None of them bans anyone (only a verdict of fraud does, and the
/// verifier pushes those), so none fails another job's replicas.
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
	}
	settlement::close_if_done::<T>(job, &mut record);
	Jobs::<T>::insert(job, record);
}

//! The hook's pruning of closed jobs: each job that closes (completed, failed, cancelled or
//! expired) is entered in `Prunes` at the block `JobRetention` blocks later; from then on the
//! hook removes its record and its `ClientJobs` entry (a closed job has no `ProviderJobs`
//! entry, timeout or queue place left: `try_state` checks it), so that state does not grow with
//! every job ever posted. Its storage deposit was already released when it closed.
//!
//! As for timeouts, the hook walks the blocks from `PruneCursor` to the current one and prunes
//! at most `MaxPrunesPerBlock` jobs; a backlog carries over to the next block, so a job may be
//! pruned late but never early and never skipped. It never scans the jobs.

use crate::pallet::{ClientJobs, Config, Event, Jobs, Pallet, PruneCursor, Prunes, Stats};
use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating, Zero};
use tessera_primitives::jobs::JobId;

/// Prunes the closed jobs due by `now`; returns how many were pruned.
pub fn run<T: Config>(now: BlockNumberFor<T>) -> u32 {
	let limit = T::MaxPrunesPerBlock::get();
	let mut cursor = PruneCursor::<T>::get();
	if cursor.is_zero() {
		cursor = now;
	}
	let mut pruned = 0u32;
	let mut blocks = 0u32;
	while cursor <= now && pruned < limit && blocks < limit {
		blocks = blocks.saturating_add(1);
		let due: Vec<JobId> = Prunes::<T>::iter_key_prefix(cursor)
			.take(limit.saturating_sub(pruned) as usize)
			.collect();
		for job in due {
			Prunes::<T>::remove(cursor, job);
			prune::<T>(job);
			pruned = pruned.saturating_add(1);
		}
		if Prunes::<T>::iter_key_prefix(cursor).next().is_some() {
			break;
		}
		cursor = cursor.saturating_add(One::one());
	}
	PruneCursor::<T>::put(cursor);
	pruned
}

/// Removes closed job `job` and its client's index entry.
fn prune<T: Config>(job: JobId) {
	let Some(record) = Jobs::<T>::take(job) else { return };
	if record.state.is_open() {
		// Never scheduled while open; put back rather than lose an open job's escrow.
		log::error!(target: crate::LOG_TARGET, "job {job}: open job due for pruning");
		Jobs::<T>::insert(job, record);
		return;
	}
	ClientJobs::<T>::remove(&record.client, job);
	Stats::<T>::mutate(|stats| stats.pruned = stats.pruned.saturating_add(1));
	Pallet::<T>::deposit_event(Event::JobPruned { job });
}

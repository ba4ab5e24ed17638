//! The pallet's own schedule: when each open check is looked at next, and the hook that looks.
//!
//! Every check has exactly one look scheduled: its block in [`NextLook`], and the same
//! `(block, (job, replica))` entry in [`Agenda`]. A look ([`verifier::look`]) moves the check on
//! and either schedules the next one or tells the jobs pallet the verdict
//! ([`VerdictSink::decided`]), which closes the check. The calls that answer a check (the last
//! sample, the last reveal) look at it at once, so an honest receipt is paid in the block its
//! last check passed; the hook looks at the checks that wait for time to pass (a window to
//! close, a block hash to draw from, a deadline).
//!
//! The hook walks the blocks from [`AgendaCursor`] to the current one and makes at most
//! [`Config::MaxLooksPerBlock`] looks; a backlog carries over to the next block, so a look may
//! come late but never early and is never skipped. It never scans the checks.

use crate::{
	pallet::{Agenda, AgendaCursor, Config, NextLook},
	verifier::{self, Look},
	WeightInfo,
};
use alloc::vec::Vec;
use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating, Zero};
use tessera_primitives::jobs::{JobId, VerdictSink};

/// Schedules the next look at replica `replica` of `job` at `at`, or at the next block if `at`
/// is not in the future (this block's hook has run), in place of the one scheduled. Returns
/// the block it is scheduled at.
pub fn schedule<T: Config>(job: JobId, replica: u32, at: BlockNumberFor<T>) -> BlockNumberFor<T> {
	let next_block = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
	let at = at.max(next_block);
	if let Some(old) = NextLook::<T>::get(job, replica) {
		Agenda::<T>::remove(old, (job, replica));
	}
	Agenda::<T>::insert(at, (job, replica), ());
	NextLook::<T>::insert(job, replica, at);
	at
}

/// Takes the look scheduled at replica `replica` of `job` out, if any.
pub fn unschedule<T: Config>(job: JobId, replica: u32) {
	if let Some(at) = NextLook::<T>::take(job, replica) {
		Agenda::<T>::remove(at, (job, replica));
	}
}

/// Looks at replica `replica` of `job` now: schedules the next look, or tells the jobs pallet
/// the verdict. Returns the weight used, at most [`settle_weight`].
pub fn settle<T: Config>(job: JobId, replica: u32) -> Weight {
	match verifier::look::<T>(job, replica) {
		// Closed meanwhile (accepted early, or its provider banned): nothing is left to do.
		None => T::DbWeight::get().reads(1),
		Some(Look::Pending(next)) => {
			schedule::<T>(job, replica, next);
			verifier::look_weight::<T>()
		},
		Some(Look::Decided(verdict)) => {
			verifier::look_weight::<T>().saturating_add(T::Verdicts::decided(job, replica, verdict))
		},
	}
}

/// The most one [`settle`] weighs: the look and the settlement of its verdict.
pub fn settle_weight<T: Config>() -> Weight {
	verifier::look_weight::<T>().saturating_add(T::Verdicts::decided_weight())
}

/// What one run of the hook did, for its weight.
#[derive(Default)]
pub struct Looked {
	/// Looks made.
	pub count: u32,
	/// What they used beyond the look the hook's benchmark measures: the stage's own work and
	/// the settlement of the verdicts (a ban included, when there was one).
	pub settled: Weight,
}

/// Makes the looks due by `now`.
pub fn run<T: Config>(now: BlockNumberFor<T>) -> Looked {
	let limit = T::MaxLooksPerBlock::get();
	let mut cursor = AgendaCursor::<T>::get();
	if cursor.is_zero() {
		cursor = now;
	}
	let mut looked = 0u32;
	let mut settled = Weight::zero();
	let mut blocks = 0u32;
	while cursor <= now && looked < limit && blocks < limit {
		blocks = blocks.saturating_add(1);
		let due: Vec<(JobId, u32)> = Agenda::<T>::iter_key_prefix(cursor)
			.take(limit.saturating_sub(looked) as usize)
			.collect();
		for (job, replica) in due {
			Agenda::<T>::remove(cursor, (job, replica));
			NextLook::<T>::remove(job, replica);
			settled = settled.saturating_add(settle::<T>(job, replica));
			looked = looked.saturating_add(1);
		}
		if Agenda::<T>::iter_key_prefix(cursor).next().is_some() {
			break;
		}
		cursor = cursor.saturating_add(One::one());
	}
	AgendaCursor::<T>::put(cursor);
	Looked { count: looked, settled }
}

/// The weight of a hook run: its walk of the agenda as benchmarked, and what its looks used.
/// Like the jobs pallet's hook, it charges what a ban actually cost rather than the worst case
/// of every look (a ban fails up to `MaxProviderJobs` replicas, and happens once per cheater).
pub fn hook_weight<T: Config>(looked: &Looked) -> Weight {
	T::WeightInfo::on_initialize_agenda(looked.count).saturating_add(looked.settled)
}

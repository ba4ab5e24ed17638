//! What this pallet offers the others: the [`VerdictSink`] the verifier reports decided
//! verdicts to.

use crate::*;
use frame_support::pallet_prelude::*;
use tessera_primitives::jobs::{JobId, VerdictSink, Verifier};

impl<T: Config> VerdictSink for Pallet<T> {
	/// Settles replica `replica` of `job` at once if it is waiting for a verdict: takes its
	/// verdict timeout out and does what the hook would have done at it.
	fn verdict_ready(job: JobId, replica: u32) -> Weight {
		let read = T::DbWeight::get().reads(1);
		let Some(mut record) = Jobs::<T>::get(job) else { return read };
		let Some(ReplicaState::Submitted { verdict_at }) =
			record.replicas.get(replica as usize).map(|slot| slot.state.clone())
		else {
			return read;
		};
		Timeouts::<T>::remove(verdict_at, (job, Timeout::Verdict(replica)));
		let now = frame_system::Pallet::<T>::block_number();
		let banned = timeouts::decide::<T>(job, &mut record, replica, now);
		settlement::close_if_done::<T>(job, &mut record);
		Jobs::<T>::insert(job, record);
		T::WeightInfo::on_initialize_timeouts(1)
			.saturating_add(T::Verifier::verdict_weight())
			.saturating_add(settlement::banned_weight::<T>(banned))
	}

	fn verdict_ready_weight() -> Weight {
		T::WeightInfo::on_initialize_timeouts(1)
			.saturating_add(T::Verifier::verdict_weight())
			.saturating_add(settlement::banned_weight::<T>(T::MaxProviderJobs::get()))
	}
}

//! What this pallet offers the others: the [`VerdictSink`] the verifier pushes its verdicts to.

use crate::*;
use frame_support::pallet_prelude::*;
use tessera_primitives::jobs::{JobId, Verdict, VerdictSink, Verifier};

impl<T: Config> VerdictSink<T::AccountId> for Pallet<T> {
	/// Settles replica `replica` of `job` on `verdict` at once if it is waiting for one: pays
	/// it, or fails it with the penalty of the offence. A verdict on anything else (an unknown
	/// job or replica, one already paid, accepted early or failed) changes nothing, so a late
	/// or repeated verdict can neither pay twice nor slash a replica that is over.
	fn decided(job: JobId, replica: u32, verdict: Verdict<T::AccountId>) -> Weight {
		let read = T::DbWeight::get().reads(1);
		let Some(mut record) = Jobs::<T>::get(job) else { return read };
		let submitted = record
			.replicas
			.get(replica as usize)
			.is_some_and(|slot| matches!(slot.state, ReplicaState::Submitted { .. }));
		if !submitted {
			return read;
		}
		T::Verifier::closed(job, replica);
		let banned = match verdict {
			Verdict::Accepted => settlement::pay::<T>(job, &mut record, replica),
			Verdict::Rejected { offence, watcher } => {
				let reason = settlement::rejection_reason(offence);
				settlement::fail::<T>(job, &mut record, replica, reason, watcher.as_ref())
			},
		};
		settlement::close_if_done::<T>(job, &mut record);
		Jobs::<T>::insert(job, record);
		settled_weight::<T>(banned)
	}

	fn decided_weight() -> Weight {
		settled_weight::<T>(T::MaxProviderJobs::get())
	}
}

/// The weight of settling one replica on a verdict, failing `banned` replicas of other jobs
/// with it: a payment (measured by [`Call::accept`]) or a failure (measured as the hook's
/// timeout), whichever is heavier, and the ban.
fn settled_weight<T: Config>(banned: u32) -> Weight {
	T::WeightInfo::on_initialize_timeouts(1)
		.max(T::WeightInfo::accept())
		.saturating_add(settlement::banned_weight::<T>(banned))
}

//! Replicated jobs: each replica's output commitment is tallied, and the commitment a strict
//! majority of the job's replicas reports is the result. Replicas that reported another one are
//! outvoted (slashed for dissent); when no commitment can reach the majority any more, or the
//! deadline passes without one, the receipts go to the dispute origin.
//!
//! Replication is as honest as the majority: a colluding majority wins the tally. Random audits
//! ([`crate::sampling`]) still spot-check the winners of deterministic jobs, which is what makes
//! a colluding majority pay for it.

use crate::{
	pallet::{Config, Event, Pallet, Tallies},
	CheckOf, Decision, Stage, StageOf, Tally,
};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::traits::{One, Saturating};
use tessera_primitives::{jobs::JobId, market::SlashReason};

/// Counts replica `replica`'s `output` in `job`'s tally (created for `replicas` replicas).
pub fn record<T: Config>(job: JobId, replica: u32, replicas: u32, output: H256) {
	Tallies::<T>::mutate(job, |tally| {
		let tally = tally.get_or_insert_with(|| Tally {
			replicas,
			receipts: Default::default(),
			agreed: None,
		});
		tally.receipts.retain(|(r, _)| *r != replica);
		// Cannot fail: one entry per replica, and the jobs pallet has at most `MaxReplicas`.
		let _ = tally.receipts.try_push((replica, output));
	});
}

/// What the tally says about `check` (replica `replica` of `job`) now: the next stage, and the
/// block to look again at if it is not decided. `None` for the stage means "accepted by the
/// quorum", which the caller passes on to the audit draw.
pub fn decide<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
) -> (Option<StageOf<T>>, BlockNumberFor<T>) {
	let now = frame_system::Pallet::<T>::block_number();
	let Some(mut tally) = Tallies::<T>::get(job) else {
		// Unreachable: every replicated check records its receipt first.
		return (Some(Stage::Disputed), now.saturating_add(T::DisputePoll::get()));
	};
	let agreed = match tally.agreed {
		Some(agreed) => Some(agreed),
		None => {
			let winner = tally.winner();
			if let Some(output) = winner {
				tally.agreed = Some(output);
				Tallies::<T>::insert(job, &tally);
				Pallet::<T>::deposit_event(Event::QuorumReached { job, output });
			}
			winner
		},
	};
	match agreed {
		Some(output) if output == check.output => (None, now),
		Some(_) => {
			Pallet::<T>::deposit_event(Event::Outvoted { job, replica });
			let decision = Decision::Rejected { offence: SlashReason::Dissent, watcher: None };
			(Some(Stage::Decided(decision)), now)
		},
		None if tally.deadlocked() || now > check.deadline => {
			Pallet::<T>::deposit_event(Event::Disputed { job, replica });
			(Some(Stage::Disputed), now.saturating_add(T::DisputePoll::get()))
		},
		None => {
			let next = now
				.saturating_add(T::ReplicationPoll::get())
				.min(check.deadline.saturating_add(One::one()));
			(Some(Stage::Quorum), next)
		},
	}
}

/// Forgets `job`'s tally once no check of it is left and no receipt can come any more: every
/// replica has reported, or the job's `deadline` has passed. (A replica whose provider misses
/// the deadline never reports; its tally goes with the last check closed after the deadline.)
pub fn forget_if_done<T: Config>(job: JobId, deadline: BlockNumberFor<T>) {
	let now = frame_system::Pallet::<T>::block_number();
	let done = Tallies::<T>::get(job)
		.is_some_and(|tally| tally.receipts.len() as u32 >= tally.replicas || now > deadline);
	if done && crate::pallet::Checks::<T>::iter_prefix(job).next().is_none() {
		Tallies::<T>::remove(job);
	}
}

//! Replicated jobs: sealed receipts, their reveals, and the tally.
//!
//! 1. **Seal.** Each replica's receipt carries a seal of its output commitment
//!    ([`tessera_primitives::jobs::sealed_output`]), not the commitment itself, so no replica
//!    can copy another's result from the chain.
//! 2. **Reveal.** Once every replica has sealed (or the job's deadline has passed), the reveals
//!    open for [`Config::RevealWindow`] blocks: each provider's worker reveals the output
//!    commitment and salt under its seal ([`crate::Call::reveal`]). A replica that does not
//!    reveal in time is failed as a missed deadline (its collateral, never its bond).
//! 3. **Tally.** Once every sealed replica has revealed (or the window is over), the commitment
//!    a strict majority of the job's replicas revealed is the result. No majority goes to the
//!    dispute origin.
//! 4. **Winners and the outvoted.** When every reveal agrees, the winners are accepted (and
//!    may be drawn for a random audit). When some replica dissents from a deterministic
//!    result, every winner is spot-checked, and the outvoted replicas wait for those verdicts:
//!    they are slashed for dissent only if every winner passes. If a winner is proven wrong,
//!    the majority was, and each outvoted replica is spot-checked on its own output instead,
//!    so an honest minority is paid. Outputs that cannot be recomputed (opaque programs)
//!    have only the tally: the outvoted are slashed for dissent at once.
//!
//! Replication is as honest as the majority only where nothing can be recomputed; for a
//! `MatMulI8` job a colluding majority is caught by the spot-checks a single dissent triggers.

use crate::{
	pallet::{Checks, Config, Error, Event, Pallet, Tallies},
	CheckOf, Decision, Stage, StageOf, Tally,
};
use frame_support::{ensure, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::traits::{One, Saturating};
use tessera_primitives::{
	jobs::{sealed_output, JobId},
	market::{ProviderRegistry, SlashReason},
};

/// What the tally says about one revealed (or outvoted) receipt.
pub enum Tallied<T: Config> {
	/// Not decided yet: stay in `stage` and look again at the block.
	Wait(StageOf<T>, BlockNumberFor<T>),
	/// Accepted by a unanimous tally: the policy accepts it (it may still be drawn for a random
	/// audit).
	Accepted,
	/// Its result must pass a spot-check first: a replica dissented from it, or it was
	/// outvoted by a majority proven wrong.
	SpotCheck,
	/// Decided, or gone to another stage (the dispute origin).
	Moved(StageOf<T>, BlockNumberFor<T>),
}

/// Records replica `replica`'s sealed receipt in `job`'s tally (created for `replicas`
/// replicas); opens the reveals if it is the last one. Returns this replica's stage and the
/// block to ask for its verdict at. Its check must already be stored.
pub fn sealed<T: Config>(
	job: JobId,
	replica: u32,
	replicas: u32,
	seal: H256,
	deadline: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	let now = frame_system::Pallet::<T>::block_number();
	let mut tally = Tallies::<T>::get(job).unwrap_or(Tally {
		replicas,
		sealed: Default::default(),
		reveal_until: None,
		receipts: Default::default(),
		agreed: None,
		verdicts: Default::default(),
	});
	if !tally.sealed.contains(&replica) {
		// Cannot fail: one entry per replica, and the jobs pallet has at most `MaxReplicas`.
		let _ = tally.sealed.try_push(replica);
	}
	let all_in = tally.sealed.len() as u32 >= tally.replicas;
	Tallies::<T>::insert(job, &tally);
	if all_in {
		let until = open_reveals::<T>(job, now);
		(Stage::Revealing { seal, until }, until)
	} else {
		(Stage::Sealed { seal }, next_look::<T>(now, deadline.saturating_add(One::one())))
	}
}

/// Opens the reveals of `job` at `now`, for every replica that has sealed: their checks move
/// to [`Stage::Revealing`]. Returns the last block of the reveals.
pub fn open_reveals<T: Config>(job: JobId, now: BlockNumberFor<T>) -> BlockNumberFor<T> {
	let until = now.saturating_add(T::RevealWindow::get());
	Tallies::<T>::mutate(job, |tally| {
		if let Some(tally) = tally {
			tally.reveal_until = Some(until);
		}
	});
	for (replica, mut check) in Checks::<T>::iter_prefix(job) {
		if let Stage::Sealed { seal } = check.stage {
			check.stage = Stage::Revealing { seal, until };
			Checks::<T>::insert(job, replica, check);
		}
	}
	Pallet::<T>::deposit_event(Event::RevealsOpened { job, until });
	until
}

/// The stage of a sealed receipt at `now`: the reveals open once the job's deadline has passed
/// even if some replica never sealed.
pub fn look_at_seal<T: Config>(
	job: JobId,
	check: &CheckOf<T>,
	seal: H256,
	now: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	if now > check.deadline {
		let until = open_reveals::<T>(job, now);
		(Stage::Revealing { seal, until }, until.saturating_add(One::one()))
	} else {
		(Stage::Sealed { seal }, next_look::<T>(now, check.deadline.saturating_add(One::one())))
	}
}

/// `worker` reveals the output commitment and salt under the seal of replica `replica` of
/// `job`. Returns the replicas to settle now, if this was the last reveal (every sealed one):
/// the tally can decide at once.
pub fn reveal<T: Config>(
	worker: &T::AccountId,
	job: JobId,
	replica: u32,
	output: H256,
	salt: H256,
) -> Result<alloc::vec::Vec<u32>, sp_runtime::DispatchError> {
	let mut check = Checks::<T>::get(job, replica).ok_or(Error::<T>::UnknownCheck)?;
	ensure!(
		T::Registry::worker_of(&check.provider).as_ref() == Some(worker),
		Error::<T>::NotProvidersWorker
	);
	let (seal, until) = match check.stage {
		Stage::Revealing { seal, until } => (seal, until),
		Stage::Sealed { .. } => return Err(Error::<T>::RevealsNotOpen.into()),
		_ => return Err(Error::<T>::NotSealed.into()),
	};
	let now = frame_system::Pallet::<T>::block_number();
	ensure!(now <= until, Error::<T>::RevealClosed);
	ensure!(
		sealed_output(job, replica, &check.provider, &output, &salt) == seal,
		Error::<T>::SealMismatch
	);
	check.output = output;
	check.stage = Stage::Quorum;
	Checks::<T>::insert(job, replica, check);
	let settle = Tallies::<T>::mutate(job, |tally| {
		let Some(tally) = tally else { return alloc::vec::Vec::new() };
		tally.receipts.retain(|(r, _)| *r != replica);
		// Cannot fail: one entry per replica, and at most `MaxReplicas` replicas.
		let _ = tally.receipts.try_push((replica, output));
		if tally.all_revealed() {
			tally.sealed.to_vec()
		} else {
			alloc::vec::Vec::new()
		}
	});
	Pallet::<T>::deposit_event(Event::Revealed { job, replica, output });
	Ok(settle)
}

/// The stage of a receipt whose reveal is due by `until`, at `now`: failed as a missed
/// deadline once the window is over.
pub fn look_at_reveal<T: Config>(
	job: JobId,
	replica: u32,
	seal: H256,
	until: BlockNumberFor<T>,
	now: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	if now > until {
		Pallet::<T>::deposit_event(Event::RevealWithheld { job, replica });
		let decision = Decision::Rejected { offence: SlashReason::MissedDeadline, watcher: None };
		(Stage::Decided(decision), now)
	} else {
		(Stage::Revealing { seal, until }, next_look::<T>(now, until.saturating_add(One::one())))
	}
}

/// What the tally says about `check` (replica `replica` of `job`, revealed) now.
pub fn decide<T: Config>(job: JobId, replica: u32, check: &CheckOf<T>) -> Tallied<T> {
	let now = frame_system::Pallet::<T>::block_number();
	let Some(mut tally) = Tallies::<T>::get(job) else {
		// Unreachable: every replicated check records its seal first.
		return Tallied::Moved(Stage::Disputed, now.saturating_add(T::DisputePoll::get()));
	};
	let Some(until) = tally.reveal_until else {
		// Unreachable: a check is revealed only once the reveals are open.
		return Tallied::Wait(Stage::Quorum, now.saturating_add(T::ReplicationPoll::get()));
	};
	if !tally.all_revealed() && now <= until {
		return Tallied::Wait(Stage::Quorum, next_look::<T>(now, until.saturating_add(One::one())));
	}
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
	let checkable = check.matrix.is_some();
	match agreed {
		Some(output) if output == check.output => {
			if checkable && tally.dissent(&output) {
				Tallied::SpotCheck
			} else {
				Tallied::Accepted
			}
		},
		Some(_) => {
			Pallet::<T>::deposit_event(Event::Outvoted { job, replica });
			if checkable {
				Tallied::Moved(Stage::Outvoted, now.saturating_add(T::ReplicationPoll::get()))
			} else {
				let decision = Decision::Rejected { offence: SlashReason::Dissent, watcher: None };
				Tallied::Moved(Stage::Decided(decision), now)
			}
		},
		None => {
			Pallet::<T>::deposit_event(Event::Disputed { job, replica });
			Tallied::Moved(Stage::Disputed, now.saturating_add(T::DisputePoll::get()))
		},
	}
}

/// What becomes of an outvoted deterministic receipt of `job` now: slashed for dissent once
/// every winner passed its spot-check, spot-checked itself once one failed, waiting otherwise.
pub fn outvoted<T: Config>(job: JobId, replica: u32) -> Tallied<T> {
	let now = frame_system::Pallet::<T>::block_number();
	let Some(tally) = Tallies::<T>::get(job) else {
		// Unreachable: the tally outlives every check of its job.
		return Tallied::SpotCheck;
	};
	let Some(agreed) = tally.agreed else { return Tallied::SpotCheck };
	let verdicts: alloc::vec::Vec<Option<bool>> = tally
		.receipts
		.iter()
		.filter(|(_, c)| *c == agreed)
		.map(|(winner, _)| tally.verdict_of(*winner))
		.collect();
	if verdicts.contains(&Some(false)) {
		Pallet::<T>::deposit_event(Event::MajorityDisproven { job, replica });
		Tallied::SpotCheck
	} else if verdicts.iter().all(|v| *v == Some(true)) {
		let decision = Decision::Rejected { offence: SlashReason::Dissent, watcher: None };
		Tallied::Moved(Stage::Decided(decision), now)
	} else {
		Tallied::Wait(Stage::Outvoted, now.saturating_add(T::ReplicationPoll::get()))
	}
}

/// Records that replica `replica` of `job` was decided (`accepted` or not), for the outvoted
/// replicas waiting on it. Only the first verdict counts.
pub fn record_verdict<T: Config>(job: JobId, replica: u32, accepted: bool) {
	Tallies::<T>::mutate(job, |tally| {
		if let Some(tally) = tally {
			if tally.verdict_of(replica).is_none() {
				// Cannot fail: one entry per replica, and at most `MaxReplicas` replicas.
				let _ = tally.verdicts.try_push((replica, accepted));
			}
		}
	});
}

/// Whether the client may accept `check` early: only a revealed receipt that every reveal so
/// far agrees with (otherwise the early acceptance would decide what the spot-checks must).
pub fn may_accept<T: Config>(job: JobId, check: &CheckOf<T>) -> bool {
	match check.stage {
		Stage::Quorum => Tallies::<T>::get(job).is_some_and(|tally| {
			tally.reveal_until.is_some() && tally.all_revealed() && !tally.dissent(&check.output)
		}),
		_ => false,
	}
}

/// The next poll after `now`, and no later than `limit`.
fn next_look<T: Config>(now: BlockNumberFor<T>, limit: BlockNumberFor<T>) -> BlockNumberFor<T> {
	now.saturating_add(T::ReplicationPoll::get()).min(limit)
}

/// Forgets `job`'s tally once no check of it is left and no receipt can come any more: every
/// replica has sealed, or the job's `deadline` has passed. (A replica whose provider misses
/// the deadline never reports; its tally goes with the last check closed after the deadline.)
pub fn forget_if_done<T: Config>(job: JobId, deadline: BlockNumberFor<T>) {
	let now = frame_system::Pallet::<T>::block_number();
	let done = Tallies::<T>::get(job)
		.is_some_and(|tally| tally.sealed.len() as u32 >= tally.replicas || now > deadline);
	if done && Checks::<T>::iter_prefix(job).next().is_none() {
		Tallies::<T>::remove(job);
	}
}

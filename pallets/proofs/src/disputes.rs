//! Challenges of optimistic and attested receipts, their re-execution by fresh providers, the
//! dispute origin's decisions, and where a challenger's bond goes.
//!
//! A challenge holds [`Config::ChallengeBond`] from the challenger. For a deterministic
//! workload, [`Config::Executors`] fresh providers (not the challenged one, not the challenger)
//! recompute the job within [`Config::ReexecutionWindow`] blocks, and the output a strict
//! majority of them reports decides:
//!
//! - the receipt's output: the receipt stands; the executors of the majority share
//!   [`Config::ExecutorShare`] of the bond and the provider gets the rest;
//! - another output: the provider is slashed for fraud with the challenger as watcher; the
//!   executors of the majority share [`Config::ExecutorShare`] of the bond, and the challenger
//!   gets the rest back (and the watcher's share of the slash, which is larger).
//!
//! Without a majority (or without any executor to be found), and for workloads that cannot be
//! recomputed, the dispute origin decides with [`crate::Call::resolve_dispute`]; then the bond
//! goes whole to the winner.

use crate::{
	pallet::{Checks, Config, Error, Event, Pallet, Tallies},
	BalanceOf, Challenge, CheckOf, Decision, Executor, HoldReason, Stage, StageOf,
};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
		Get,
	},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, DispatchResult,
};
use tessera_primitives::{
	jobs::{JobId, Verification},
	market::{Capabilities, Needs, Outcome, ProviderRegistry, ReputationRecorder, SlashReason},
};

/// Opens `challenger`'s challenge of replica `replica` of `job`; returns the block to ask for
/// the verdict at.
pub fn challenge<T: Config>(
	job: JobId,
	replica: u32,
	challenger: &T::AccountId,
) -> Result<BlockNumberFor<T>, DispatchError> {
	let mut check = Checks::<T>::get(job, replica).ok_or(Error::<T>::UnknownCheck)?;
	ensure!(
		matches!(check.policy, Verification::Optimistic | Verification::Attested),
		Error::<T>::NotChallengeable
	);
	ensure!(check.challenge.is_none(), Error::<T>::AlreadyChallenged);
	let now = frame_system::Pallet::<T>::block_number();
	// The window is over at `until` even when the jobs pallet's hook, behind on its timeouts,
	// has not asked for the verdict yet.
	ensure!(
		matches!(check.stage, Stage::Window { until } if now < until),
		Error::<T>::ChallengeClosed
	);
	ensure!(*challenger != check.provider, Error::<T>::OwnReceipt);
	let bond = T::ChallengeBond::get();
	let reason = HoldReason::ChallengeBond.into();
	ensure!(T::Currency::can_hold(&reason, challenger, bond), Error::<T>::InsufficientBond);
	T::Currency::hold(&reason, challenger, bond)?;
	check.challenge = Some(Challenge { challenger: challenger.clone(), bond });
	Pallet::<T>::deposit_event(Event::Challenged {
		job,
		replica,
		challenger: challenger.clone(),
		bond,
	});

	let executors =
		if check.matrix.is_some() { assign_executors::<T>(&check, challenger) } else { Vec::new() };
	// Fewer executors than configured would let one or two decide alone: the dispute origin
	// decides instead, and the booked ones are let go.
	let executors = if executors.len() < T::Executors::get() as usize {
		release_executors::<T>(&executors);
		Vec::new()
	} else {
		executors
	};
	let (stage, verdict_at) = if executors.is_empty() {
		Pallet::<T>::deposit_event(Event::Disputed { job, replica });
		(Stage::Disputed, now.saturating_add(T::DisputePoll::get()))
	} else {
		let until = now.saturating_add(T::ReexecutionWindow::get());
		for executor in &executors {
			Pallet::<T>::deposit_event(Event::ExecutorAssigned {
				job,
				replica,
				provider: executor.provider.clone(),
				worker: executor.worker.clone(),
				until,
			});
		}
		let executors = BoundedVec::truncate_from(executors);
		(Stage::Reexecution { executors, until }, until)
	};
	check.stage = stage;
	Checks::<T>::insert(job, replica, check);
	Ok(verdict_at)
}

/// Picks and books up to [`Config::Executors`] providers that fit the job, other than its
/// provider and the challenger.
fn assign_executors<T: Config>(
	check: &CheckOf<T>,
	challenger: &T::AccountId,
) -> Vec<Executor<T::AccountId>> {
	let exclude = [check.provider.clone(), challenger.clone()];
	let needs = Needs {
		requirements: check.requirements.clone(),
		memory_mib: check.matrix.map_or(0, |m| m.workload().memory_mib()),
		capabilities: Capabilities { matmul_i8: true, ..Default::default() },
		attested_through: check.deadline,
		..Default::default()
	};
	T::Registry::cheapest(&needs, check.max_price_per_unit, T::Executors::get(), &exclude)
		.into_iter()
		.filter(|candidate| T::Registry::job_assigned(&candidate.provider).is_ok())
		.map(|candidate| Executor {
			provider: candidate.provider,
			worker: candidate.worker,
			result: None,
		})
		.collect()
}

/// Frees the job slots of `executors`.
pub fn release_executors<T: Config>(executors: &[Executor<T::AccountId>]) {
	for executor in executors {
		if let Err(error) = T::Registry::job_released(&executor.provider) {
			// The provider deregistered meanwhile: there is no slot left to free.
			log::debug!(target: crate::LOG_TARGET, "executor slot of {:?}: {error:?}", executor.provider);
		}
	}
}

/// A dispute nobody decided in time: the receipt stands, so the challenge failed and its bond
/// goes to the provider, who was kept waiting for its pay (otherwise challenging would be a
/// free way to delay any provider by the dispute period). The caller still draws the receipt's
/// random audit.
pub fn expire<T: Config>(job: JobId, replica: u32, check: &CheckOf<T>) {
	if let Some(challenge) = &check.challenge {
		settle_bond::<T>(job, replica, check, challenge, true, &[]);
	}
	Pallet::<T>::deposit_event(Event::DisputeExpired { job, replica });
}

/// The receipt was abandoned (its provider was banned for fraud elsewhere, and the replica
/// failed): executors still booked are let go, and a challenger, who was right to doubt it,
/// gets its bond back whole.
pub fn abandon<T: Config>(job: JobId, replica: u32, check: &CheckOf<T>) {
	if let Stage::Reexecution { executors, .. } = &check.stage {
		release_executors::<T>(executors);
	}
	let settled = matches!(check.stage, Stage::Decided(_));
	if let (Some(challenge), false) = (&check.challenge, settled) {
		refund_bond::<T>(job, replica, challenge);
	}
}

/// Gives `challenge`'s bond back whole and reports it.
fn refund_bond<T: Config>(
	job: JobId,
	replica: u32,
	challenge: &Challenge<T::AccountId, BalanceOf<T>>,
) {
	let refunded = T::Currency::release(
		&HoldReason::ChallengeBond.into(),
		&challenge.challenger,
		challenge.bond,
		Precision::BestEffort,
	)
	.unwrap_or_else(|_| Zero::zero());
	Pallet::<T>::deposit_event(Event::ChallengeSettled {
		job,
		replica,
		upheld: true,
		to_executors: Zero::zero(),
		to_provider: Zero::zero(),
		refunded,
	});
}

/// Records the output `worker`'s provider computed as an executor of replica `replica` of `job`.
pub fn report<T: Config>(
	worker: &T::AccountId,
	job: JobId,
	replica: u32,
	output: H256,
) -> DispatchResult {
	let mut check = Checks::<T>::get(job, replica).ok_or(Error::<T>::UnknownCheck)?;
	let Stage::Reexecution { executors, until } = &mut check.stage else {
		return Err(Error::<T>::NotReexecuting.into());
	};
	ensure!(frame_system::Pallet::<T>::block_number() < *until, Error::<T>::ReexecutionClosed);
	let provider = T::Registry::provider_of_worker(worker).ok_or(Error::<T>::NotExecutor)?;
	let executor =
		executors.iter_mut().find(|e| e.provider == provider).ok_or(Error::<T>::NotExecutor)?;
	ensure!(executor.result.is_none(), Error::<T>::AlreadyReported);
	executor.result = Some(output);
	Checks::<T>::insert(job, replica, check);
	Pallet::<T>::deposit_event(Event::Reexecuted { job, replica, provider, output });
	Ok(())
}

/// The end of a re-execution: frees the executors' slots, and decides by their majority or
/// sends the receipt to the dispute origin. Returns the next stage and when to look again.
pub fn settle_reexecution<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	executors: &[Executor<T::AccountId>],
) -> (StageOf<T>, BlockNumberFor<T>) {
	let now = frame_system::Pallet::<T>::block_number();
	release_executors::<T>(executors);
	let majority = executors.iter().filter_map(|e| e.result).find(|candidate| {
		let votes = executors.iter().filter(|e| e.result == Some(*candidate)).count();
		votes * 2 > executors.len()
	});
	let Some(majority) = majority else {
		for executor in executors {
			T::Registry::record(&executor.provider, Outcome::Failed, 0);
		}
		Pallet::<T>::deposit_event(Event::Disputed { job, replica });
		return (Stage::Disputed, now.saturating_add(T::DisputePoll::get()));
	};
	let winners: Vec<&T::AccountId> =
		executors.iter().filter(|e| e.result == Some(majority)).map(|e| &e.provider).collect();
	for executor in executors {
		let outcome =
			if executor.result == Some(majority) { Outcome::Completed } else { Outcome::Failed };
		// Executors are paid from the bond, not by a client: their work moves no reputation
		// up (value 0), so re-execution cannot be used to farm it; dissent still costs.
		T::Registry::record(&executor.provider, outcome, 0);
	}
	let upheld = majority == check.output;
	if let Some(challenge) = &check.challenge {
		settle_bond::<T>(job, replica, check, challenge, upheld, &winners);
	}
	let decision = if upheld {
		Decision::Accepted
	} else {
		let watcher = check.challenge.as_ref().map(|c| c.challenger.clone());
		Decision::Rejected { offence: SlashReason::Fraud, watcher }
	};
	(Stage::Decided(decision), now)
}

/// Pays `challenge`'s bond out: [`Config::ExecutorShare`] of it split among `executors`, and the
/// rest to the provider if the receipt was `upheld`, back to the challenger if not.
fn settle_bond<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	challenge: &Challenge<T::AccountId, BalanceOf<T>>,
	upheld: bool,
	executors: &[&T::AccountId],
) {
	let reason = HoldReason::ChallengeBond.into();
	let mut left = challenge.bond;
	let mut to_executors: BalanceOf<T> = Zero::zero();
	if let Ok(count) = BalanceOf::<T>::try_from(executors.len()) {
		let share = T::ExecutorShare::get().mul_floor(challenge.bond);
		let each = if count.is_zero() { Zero::zero() } else { share / count };
		for executor in executors {
			if pay_from_bond::<T>(&challenge.challenger, executor, each) {
				to_executors = to_executors.saturating_add(each);
				left = left.saturating_sub(each);
			}
		}
	}
	let mut to_provider: BalanceOf<T> = Zero::zero();
	if upheld && pay_from_bond::<T>(&challenge.challenger, &check.provider, left) {
		to_provider = left;
		left = Zero::zero();
	}
	let refunded = left;
	if !refunded.is_zero() {
		if let Err(error) =
			T::Currency::release(&reason, &challenge.challenger, refunded, Precision::BestEffort)
		{
			log::error!(target: crate::LOG_TARGET, "job {job}: bond refund failed: {error:?}");
		}
	}
	Pallet::<T>::deposit_event(Event::ChallengeSettled {
		job,
		replica,
		upheld,
		to_executors,
		to_provider,
		refunded,
	});
}

/// Moves `amount` of `challenger`'s bond to `dest`; whether it moved. A destination that cannot
/// receive it (an account below the existential deposit) leaves it with the challenger.
fn pay_from_bond<T: Config>(
	challenger: &T::AccountId,
	dest: &T::AccountId,
	amount: BalanceOf<T>,
) -> bool {
	if amount.is_zero() {
		return true;
	}
	T::Currency::transfer_on_hold(
		&HoldReason::ChallengeBond.into(),
		challenger,
		dest,
		amount,
		Precision::Exact,
		Restriction::Free,
		Fortitude::Force,
	)
	.is_ok()
}

/// The dispute origin's decision on `job` (or only on its `replica`): every disputed receipt
/// whose output is `accepted` stands, every other one falls.
pub fn resolve<T: Config>(
	job: JobId,
	replica: Option<u32>,
	accepted: Option<H256>,
) -> DispatchResult {
	let disputed: Vec<(u32, CheckOf<T>)> = Checks::<T>::iter_prefix(job)
		.filter(|(r, check)| check.stage == Stage::Disputed && replica.is_none_or(|one| one == *r))
		.collect();
	ensure!(!disputed.is_empty(), Error::<T>::NotDisputed);
	Pallet::<T>::deposit_event(Event::DisputeResolved { job, replica, accepted });
	for (replica, mut check) in disputed {
		let upheld = accepted == Some(check.output);
		if let Some(challenge) = &check.challenge {
			settle_bond::<T>(job, replica, &check, challenge, upheld, &[]);
		}
		check.stage = Stage::Decided(if upheld {
			Decision::Accepted
		} else if check.policy == Verification::Replicated {
			Decision::Rejected { offence: SlashReason::Dissent, watcher: None }
		} else {
			let watcher = check.challenge.as_ref().map(|c| c.challenger.clone());
			Decision::Rejected { offence: SlashReason::Fraud, watcher }
		});
		Checks::<T>::insert(job, replica, check);
	}
	if let (Some(output), None) = (accepted, replica) {
		Tallies::<T>::mutate(job, |tally| {
			if let Some(tally) = tally {
				tally.agreed = Some(output);
			}
		});
	}
	Ok(())
}

//! Challenges of optimistic and attested receipts, their re-execution by providers drawn at
//! random, the dispute origin's decisions, and where a challenger's bond goes.
//!
//! A challenge holds [`Config::ChallengeBond`] from the challenger. For a deterministic
//! workload:
//!
//! 1. **Draw.** [`Config::RandomnessDelay`] blocks later, [`Config::Executors`] providers are
//!    drawn from the hashes of the blocks since the challenge, uniformly among the providers that
//!    fit the job at its price cap and registered before its receipt (looking at up to
//!    [`Config::ExecutorDrawTries`] of them): never the provider, the client or the challenger. Nobody can pick them, and
//!    nobody can join the pool after seeing the receipt. Each drawn provider takes a job slot
//!    and sets [`Config::ExecutorCollateral`] aside from its bond; one that cannot is skipped.
//! 2. **Seal.** Within [`Config::ReexecutionWindow`] blocks each executor recomputes the job
//!    and reports a seal of its output commitment ([`crate::Call::report_reexecution`]), so
//!    none can copy another.
//! 3. **Reveal.** Once all have sealed (or the window is over), each reveals its output and
//!    salt within [`Config::RevealWindow`] blocks ([`crate::Call::reveal_reexecution`]); the
//!    last reveal settles the challenge in its block.
//! 4. **Decide.** The output a strict majority of the executors revealed decides:
//!    - the receipt's output: the receipt stands; the executors of the majority share
//!      [`Config::ExecutorShare`] of the bond and the provider gets the rest;
//!    - another output: the provider is slashed for fraud with the challenger as watcher; the
//!      executors of the majority share [`Config::ExecutorShare`] of the bond, and the
//!      challenger gets the rest back (and the watcher's share of the slash, which is larger).
//!
//!    The majority's executors get their collateral back; an executor that revealed nothing,
//!    or another output, loses its collateral (to the treasury, through the stake pallet).
//!
//! Without a majority (or without enough executors), and for workloads that cannot be
//! recomputed, the dispute origin decides with [`crate::Call::resolve_dispute`]; then the bond
//! goes whole to the winner.

use crate::{
	pallet::{Checks, Config, Duties, Error, Event, Pallet, Tallies},
	BalanceOf, Challenge, CheckOf, Decision, Executor, ExecutorOf, HoldReason, Stage, StageOf,
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
	traits::{One, Saturating, Zero},
	DispatchError, DispatchResult,
};
use tessera_primitives::{
	jobs::{sealed_output, JobId, Verification},
	market::{
		Capabilities, Collateral, Needs, Outcome, ProviderRegistry, ReputationRecorder, SlashReason,
	},
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
	let (stage, verdict_at) = if check.matrix.is_some() {
		// Drawn from the hashes of the blocks after this one, which nobody knows yet.
		let at = now.saturating_add(T::RandomnessDelay::get()).saturating_add(One::one());
		(Stage::Drawing { at }, at)
	} else {
		Pallet::<T>::deposit_event(Event::Disputed { job, replica });
		(Stage::Disputed, now.saturating_add(T::DisputePoll::get()))
	};
	check.stage = stage;
	Checks::<T>::insert(job, replica, check);
	Ok(verdict_at)
}

/// Draws and books the executors of challenged `check` (replica `replica` of `job`) at `now`;
/// with fewer than [`Config::Executors`], lets them go and sends the receipt to the dispute
/// origin.
pub fn draw<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	now: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	let seed = executor_seed::<T>(now, job, replica, &check.output);
	let executors = book_executors::<T>(check, &seed);
	let wanted = T::Executors::get();
	if (executors.len() as u32) < wanted {
		// Fewer executors than configured would let one or two decide alone.
		let found = executors.len() as u32;
		release_executors::<T>(&executors, None);
		Pallet::<T>::deposit_event(Event::ExecutorsShort { job, replica, found });
		Pallet::<T>::deposit_event(Event::Disputed { job, replica });
		return (Stage::Disputed, now.saturating_add(T::DisputePoll::get()));
	}
	let until = now.saturating_add(T::ReexecutionWindow::get());
	for executor in &executors {
		Duties::<T>::insert(&executor.provider, (job, replica), ());
		Pallet::<T>::deposit_event(Event::ExecutorAssigned {
			job,
			replica,
			provider: executor.provider.clone(),
			worker: executor.worker.clone(),
			until,
		});
	}
	let executors = BoundedVec::truncate_from(executors);
	(Stage::Reexecution { executors, until, revealing: false }, until)
}

/// The seed of the executor draw at `now`: the randomness of the blocks just before it (all
/// after the challenge), bound to the receipt and kept apart from its sample draws.
fn executor_seed<T: Config>(
	now: BlockNumberFor<T>,
	job: JobId,
	replica: u32,
	output: &H256,
) -> [u8; 32] {
	let seed = crate::sampling::draw_seed::<T>(now, job, replica, output);
	let mut preimage = b"tessera/executors/v1:".to_vec();
	preimage.extend_from_slice(seed.as_ref());
	sp_io::hashing::blake2_256(&preimage)
}

/// Draws up to [`Config::Executors`] providers for `check` by `seed` and books each: a job slot
/// and its collateral. One that cannot take either is skipped.
fn book_executors<T: Config>(check: &CheckOf<T>, seed: &[u8; 32]) -> Vec<ExecutorOf<T>> {
	let challenger = check.challenge.as_ref().map(|c| c.challenger.clone());
	let mut exclude = alloc::vec![check.provider.clone(), check.client.clone()];
	exclude.extend(challenger);
	let collateral = T::ExecutorCollateral::get();
	let needs = Needs {
		requirements: check.requirements.clone(),
		memory_mib: check.matrix.map_or(0, |m| m.workload().memory_mib()),
		capabilities: Capabilities { matmul_i8: true, ..Default::default() },
		attested_through: check.deadline,
		collateral,
		..Default::default()
	};
	T::Registry::draw(
		&needs,
		check.max_price_per_unit,
		T::Executors::get(),
		T::ExecutorDrawTries::get(),
		&exclude,
		check.submitted_at,
		seed,
	)
	.into_iter()
	.filter(|candidate| {
		if T::Registry::job_assigned(&candidate.provider).is_err() {
			return false;
		}
		if T::Collateral::reserve(&candidate.provider, collateral).is_err() {
			let _ = T::Registry::job_released(&candidate.provider);
			return false;
		}
		true
	})
	.map(|candidate| Executor {
		provider: candidate.provider,
		worker: candidate.worker,
		collateral,
		sealed: None,
		result: None,
	})
	.collect()
}

/// Frees the job slots of `executors` and their duties of `duty`, and gives their collateral
/// back.
pub fn release_executors<T: Config>(executors: &[ExecutorOf<T>], duty: Option<(JobId, u32)>) {
	for executor in executors {
		T::Collateral::release(&executor.provider, executor.collateral);
		if let Some(duty) = duty {
			Duties::<T>::remove(&executor.provider, duty);
		}
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
/// failed): executors still booked are let go with their collateral, and a challenger, who was
/// right to doubt it, gets its bond back whole.
pub fn abandon<T: Config>(job: JobId, replica: u32, check: &CheckOf<T>) {
	if let Stage::Reexecution { executors, .. } = &check.stage {
		release_executors::<T>(executors, Some((job, replica)));
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

/// Records the seal `worker`'s provider reported as an executor of replica `replica` of
/// `job`; the last one opens the reveals.
pub fn report<T: Config>(
	worker: &T::AccountId,
	job: JobId,
	replica: u32,
	seal: H256,
) -> DispatchResult {
	let mut check = Checks::<T>::get(job, replica).ok_or(Error::<T>::UnknownCheck)?;
	let Stage::Reexecution { executors, until, revealing } = &mut check.stage else {
		return Err(Error::<T>::NotReexecuting.into());
	};
	ensure!(!*revealing, Error::<T>::WrongReexecutionPhase);
	let now = frame_system::Pallet::<T>::block_number();
	ensure!(now < *until, Error::<T>::ReexecutionClosed);
	let provider = T::Registry::provider_of_worker(worker).ok_or(Error::<T>::NotExecutor)?;
	let executor =
		executors.iter_mut().find(|e| e.provider == provider).ok_or(Error::<T>::NotExecutor)?;
	ensure!(executor.sealed.is_none(), Error::<T>::AlreadyReported);
	executor.sealed = Some(seal);
	Pallet::<T>::deposit_event(Event::Reexecuted { job, replica, provider, seal });
	if executors.iter().all(|e| e.sealed.is_some()) {
		*revealing = true;
		*until = now.saturating_add(T::RevealWindow::get());
		Pallet::<T>::deposit_event(Event::ExecutorRevealsOpened { job, replica, until: *until });
	}
	Checks::<T>::insert(job, replica, check);
	Ok(())
}

/// Records the output `worker`'s provider revealed under its seal as an executor of replica
/// `replica` of `job`. Returns whether every executor that sealed has now revealed: the
/// challenge can be settled at once.
pub fn reveal<T: Config>(
	worker: &T::AccountId,
	job: JobId,
	replica: u32,
	output: H256,
	salt: H256,
) -> Result<bool, DispatchError> {
	let mut check = Checks::<T>::get(job, replica).ok_or(Error::<T>::UnknownCheck)?;
	let Stage::Reexecution { executors, until, revealing } = &mut check.stage else {
		return Err(Error::<T>::NotReexecuting.into());
	};
	ensure!(*revealing, Error::<T>::WrongReexecutionPhase);
	ensure!(frame_system::Pallet::<T>::block_number() <= *until, Error::<T>::RevealClosed);
	let provider = T::Registry::provider_of_worker(worker).ok_or(Error::<T>::NotExecutor)?;
	let executor =
		executors.iter_mut().find(|e| e.provider == provider).ok_or(Error::<T>::NotExecutor)?;
	let seal = executor.sealed.ok_or(Error::<T>::NotSealed)?;
	ensure!(executor.result.is_none(), Error::<T>::AlreadyReported);
	ensure!(
		sealed_output(job, replica, &provider, &output, &salt) == seal,
		Error::<T>::SealMismatch
	);
	executor.result = Some(output);
	let last = all_revealed(executors);
	Checks::<T>::insert(job, replica, check);
	Pallet::<T>::deposit_event(Event::ExecutorRevealed { job, replica, provider, output });
	Ok(last)
}

/// Whether every executor that sealed has revealed.
fn all_revealed<AccountId, Balance>(executors: &[Executor<AccountId, Balance>]) -> bool {
	executors.iter().all(|e| e.sealed.is_none() || e.result.is_some())
}

/// Where a re-execution stands at `now`: waiting for seals until `until`, then for reveals;
/// settled once every sealed result is revealed or the reveals are over.
pub fn advance<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	now: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	let Stage::Reexecution { executors, until, revealing } = &check.stage else {
		return (check.stage.clone(), now);
	};
	match revealing {
		false if now < *until => (check.stage.clone(), *until),
		false if executors.iter().any(|e| e.sealed.is_some()) => {
			// The window is over with some seals missing: those who sealed may still reveal.
			let until = now.saturating_add(T::RevealWindow::get());
			Pallet::<T>::deposit_event(Event::ExecutorRevealsOpened { job, replica, until });
			let stage = Stage::Reexecution { executors: executors.clone(), until, revealing: true };
			(stage, until.saturating_add(One::one()))
		},
		true if now <= *until && !all_revealed(executors) => {
			(check.stage.clone(), until.saturating_add(One::one()))
		},
		_ => settle_reexecution::<T>(job, replica, check, executors),
	}
}

/// The end of a re-execution: frees the executors' slots and duties, gives the majority's
/// collateral back and takes the others', and decides by the majority or sends the receipt to
/// the dispute origin. Returns the next stage and when to look again.
pub fn settle_reexecution<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	executors: &[ExecutorOf<T>],
) -> (StageOf<T>, BlockNumberFor<T>) {
	let now = frame_system::Pallet::<T>::block_number();
	let majority = executors.iter().filter_map(|e| e.result).find(|candidate| {
		let votes = executors.iter().filter(|e| e.result == Some(*candidate)).count();
		votes * 2 > executors.len()
	});
	for executor in executors {
		Duties::<T>::remove(&executor.provider, (job, replica));
		if let Err(error) = T::Registry::job_released(&executor.provider) {
			log::debug!(target: crate::LOG_TARGET, "executor slot of {:?}: {error:?}", executor.provider);
		}
		// Without a majority nobody can tell who was right: only silence costs.
		let faulty = match (executor.result, majority) {
			(None, _) => Some(SlashReason::MissedDeadline),
			(Some(result), Some(majority)) if result != majority => Some(SlashReason::Dissent),
			_ => None,
		};
		match faulty {
			Some(offence) => {
				let taken = frame_support::storage::with_storage_layer(|| {
					T::Collateral::slash_collateral(
						&executor.provider,
						executor.collateral,
						offence,
						None,
						None,
					)
					.map(|_| ())
				});
				if taken.is_err() {
					T::Collateral::release(&executor.provider, executor.collateral);
				}
				T::Registry::record(&executor.provider, Outcome::Failed, 0);
			},
			None => {
				T::Collateral::release(&executor.provider, executor.collateral);
				// Executors are paid from the bond, not by a client: their work moves no
				// reputation up (value 0), so re-execution cannot be used to farm it.
				let outcome = if majority.is_some() { Outcome::Completed } else { Outcome::Failed };
				T::Registry::record(&executor.provider, outcome, 0);
			},
		}
	}
	let Some(majority) = majority else {
		Pallet::<T>::deposit_event(Event::Disputed { job, replica });
		return (Stage::Disputed, now.saturating_add(T::DisputePoll::get()));
	};
	let winners: Vec<&T::AccountId> =
		executors.iter().filter(|e| e.result == Some(majority)).map(|e| &e.provider).collect();
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
/// whose output is `accepted` stands, every other one falls. Returns the replicas decided, for
/// the caller to settle.
pub fn resolve<T: Config>(
	job: JobId,
	replica: Option<u32>,
	accepted: Option<H256>,
) -> Result<Vec<u32>, DispatchError> {
	let disputed: Vec<(u32, CheckOf<T>)> = Checks::<T>::iter_prefix(job)
		.filter(|(r, check)| check.stage == Stage::Disputed && replica.is_none_or(|one| one == *r))
		.collect();
	ensure!(!disputed.is_empty(), Error::<T>::NotDisputed);
	Pallet::<T>::deposit_event(Event::DisputeResolved { job, replica, accepted });
	let decided = disputed.iter().map(|(replica, _)| *replica).collect();
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
	Ok(decided)
}

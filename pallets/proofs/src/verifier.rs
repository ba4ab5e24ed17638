//! The [`Verifier`](tessera_primitives::jobs::Verifier) the jobs pallet calls: a receipt opens a
//! [`Check`](crate::Check) whose stage depends on the job's policy, and each [`look`] at it
//! (the pallet's hook at the block [`agenda`](crate::agenda) schedules, or a call that answers
//! it) moves the stage on, until it is decided and the verdict told to the jobs pallet.
//!
//! | policy | stages |
//! |---|---|
//! | SpotCheck | Draw -> Sampling -> Decided |
//! | Optimistic, Attested | Window -> (audit: Draw -> Sampling ->) Decided; challenged: Window -> Drawing -> Reexecution (seals, then reveals) -> Decided, or -> Disputed -> Decided |
//! | Replicated | Sealed -> Revealing -> Quorum -> (audit: Draw -> Sampling ->) Decided; a dissent: winners Quorum -> Draw -> Sampling -> Decided, the outvoted Quorum -> Outvoted -> Decided (or -> Draw -> Sampling -> Decided if a winner fails); no majority: Quorum -> Disputed -> Decided |

use crate::{
	agenda, attestation, disputes,
	pallet::{Checks, Config, Pallet},
	quorum, sampling, Check, CheckOf, Decision, Matrix, Stage, StageOf, WeightInfo,
};
use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{One, Saturating},
	DispatchError,
};
use tessera_primitives::{
	jobs::{JobId, JobSpec, Receipt, Verdict, Verification},
	market::ProviderRegistry,
};

/// Opens the check of a receipt; returns the block to look at it first.
pub fn receipt_submitted<T: Config>(
	job: JobId,
	replica: u32,
	provider: &T::AccountId,
	client: &T::AccountId,
	spec: &JobSpec<crate::BalanceOf<T>, BlockNumberFor<T>>,
	receipt: &Receipt,
) -> Result<BlockNumberFor<T>, DispatchError> {
	let now = frame_system::Pallet::<T>::block_number();
	let matrix = Matrix::of(&spec.workload, &spec.inputs);
	let (stage, look_at) = match spec.verification {
		// The jobs pallet only takes spot-checked jobs with a deterministic workload.
		Verification::SpotCheck if matrix.is_some() => {
			let at = draw_block::<T>(now);
			(Stage::Draw { at, audit: false }, at)
		},
		// Sealed until every replica has sealed: see `quorum`.
		Verification::Replicated => (Stage::Sealed { seal: receipt.output_commitment }, now),
		Verification::Attested => {
			attestation::check_receipt::<T>(job, provider, receipt)?;
			let until = now.saturating_add(T::ChallengeWindow::get());
			(Stage::Window { until }, until)
		},
		Verification::SpotCheck | Verification::Optimistic => {
			let until = now.saturating_add(T::ChallengeWindow::get());
			(Stage::Window { until }, until)
		},
	};
	let check = Check {
		provider: provider.clone(),
		client: client.clone(),
		policy: spec.verification,
		output: receipt.output_commitment,
		matrix,
		requirements: spec.requirements.clone(),
		max_price_per_unit: spec.max_price_per_unit,
		deadline: spec.deadline,
		submitted_at: now,
		stage,
		challenge: None,
	};
	Checks::<T>::insert(job, replica, &check);
	if let Stage::Sealed { seal } = check.stage {
		let (stage, look_at) =
			quorum::sealed::<T>(job, replica, spec.replicas, seal, spec.deadline);
		Checks::<T>::mutate(job, replica, |stored| {
			if let Some(stored) = stored {
				stored.stage = stage;
			}
		});
		return Ok(look_at);
	}
	Ok(look_at)
}

/// The block a draw for a receipt submitted at `submitted` happens in: after the
/// [`Config::RandomnessDelay`] blocks whose hashes it uses.
fn draw_block<T: Config>(submitted: BlockNumberFor<T>) -> BlockNumberFor<T> {
	submitted.saturating_add(T::RandomnessDelay::get()).saturating_add(One::one())
}

/// Where a check stands after a [`look`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Look<AccountId, BlockNumber> {
	/// Not decided: look again at this block.
	Pending(BlockNumber),
	/// Decided: the jobs pallet is told.
	Decided(Verdict<AccountId>),
}

/// Moves the check of replica `replica` of `job` on and says where it stands; `None` if there
/// is no such check (the jobs pallet closed it meanwhile).
pub fn look<T: Config>(job: JobId, replica: u32) -> Option<Look<T::AccountId, BlockNumberFor<T>>> {
	let mut check = Checks::<T>::get(job, replica)?;
	let now = frame_system::Pallet::<T>::block_number();
	let (stage, next) = advance::<T>(job, replica, &check, now);
	let look = match &stage {
		Stage::Decided(Decision::Accepted) => Look::Decided(Verdict::Accepted),
		Stage::Decided(Decision::Rejected { offence, watcher }) => {
			Look::Decided(Verdict::Rejected { offence: *offence, watcher: watcher.clone() })
		},
		_ => Look::Pending(next),
	};
	if let (Verification::Replicated, Stage::Decided(decision)) = (check.policy, &stage) {
		quorum::record_verdict::<T>(job, replica, *decision == Decision::Accepted);
	}
	// The stage of the stored check, which `advance` may have moved (opening the reveals
	// moves every sealed check of the job), is this one's.
	check.stage = stage;
	Checks::<T>::insert(job, replica, check);
	Some(look)
}

/// The stage after `check`'s current one at block `now`, and the block to look again at.
fn advance<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	now: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	match &check.stage {
		Stage::Window { until } if now < *until => (check.stage.clone(), *until),
		Stage::Window { .. } => accept_or_audit::<T>(job, replica, check, now),
		Stage::Draw { at, .. } if now < *at => (check.stage.clone(), *at),
		Stage::Draw { audit, .. } => {
			let Some(matrix) = check.matrix else {
				return (Stage::Decided(Decision::Accepted), now);
			};
			// The blocks just before `now` all came after the receipt (`now >= at`); they are also
			// the newest, whose hashes are kept even when the hook is far behind.
			let seed = sampling::draw_seed::<T>(now, job, replica, &check.output);
			match audit {
				false => sampling::start::<T>(
					job,
					replica,
					&matrix,
					&seed,
					T::SpotCheckSamples::get(),
					false,
				),
				true if sampling::audit_hits::<T>(&seed) => {
					sampling::start::<T>(job, replica, &matrix, &seed, T::AuditSamples::get(), true)
				},
				true => (Stage::Decided(Decision::Accepted), now),
			}
		},
		Stage::Sampling { respond_by, .. } if now <= *respond_by => {
			(check.stage.clone(), respond_by.saturating_add(One::one()))
		},
		Stage::Sampling { .. } => {
			// Not every sample was answered in time (a full answer decides at once).
			Pallet::<T>::deposit_event(crate::Event::SpotCheckFailed {
				job,
				replica,
				fault: crate::Fault::Withheld,
			});
			let decision = Decision::Rejected {
				offence: tessera_primitives::market::SlashReason::Fraud,
				watcher: None,
			};
			(Stage::Decided(decision), now)
		},
		Stage::Sealed { seal } => quorum::look_at_seal::<T>(job, check, *seal, now),
		Stage::Revealing { seal, until } => {
			quorum::look_at_reveal::<T>(job, replica, *seal, *until, now)
		},
		Stage::Quorum => {
			tallied::<T>(job, replica, check, quorum::decide::<T>(job, replica, check), now)
		},
		Stage::Outvoted => {
			tallied::<T>(job, replica, check, quorum::outvoted::<T>(job, replica), now)
		},
		Stage::Drawing { at } if now < *at => (check.stage.clone(), *at),
		Stage::Drawing { .. } => disputes::draw::<T>(job, replica, check, now),
		Stage::Reexecution { .. } => disputes::advance::<T>(job, replica, check, now),
		Stage::Disputed => {
			let expiry = check.deadline.saturating_add(T::DisputePeriod::get());
			if now > expiry {
				disputes::expire::<T>(job, replica, check);
				accept_or_audit::<T>(job, replica, check, now)
			} else {
				let next = now
					.saturating_add(T::DisputePoll::get())
					.min(expiry.saturating_add(One::one()));
				(Stage::Disputed, next)
			}
		},
		Stage::Decided(decision) => (Stage::Decided(decision.clone()), now),
	}
}

/// The stage a replicated receipt moves to on what the tally says.
fn tallied<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	tallied: quorum::Tallied<T>,
	now: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	match tallied {
		quorum::Tallied::Wait(stage, next) | quorum::Tallied::Moved(stage, next) => (stage, next),
		quorum::Tallied::Accepted => accept_or_audit::<T>(job, replica, check, now),
		quorum::Tallied::SpotCheck => spot_check::<T>(job, replica, check, now),
	}
}

/// A deterministic receipt that must pass a spot-check ([`Config::SpotCheckSamples`]
/// samples) before it is accepted.
fn spot_check<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	now: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	draw_samples::<T>(job, replica, check, now, false)
}

/// A receipt its policy accepts: a deterministic one may still be drawn for a random audit.
fn accept_or_audit<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	now: BlockNumberFor<T>,
) -> (StageOf<T>, BlockNumberFor<T>) {
	draw_samples::<T>(job, replica, check, now, true)
}

/// Draws the samples of a deterministic receipt (an `audit`, or its own spot-check) from the
/// blocks just before now if they all came after the receipt, or at the first block where they
/// do. A receipt that cannot be recomputed is accepted.
fn draw_samples<T: Config>(
	job: JobId,
	replica: u32,
	check: &CheckOf<T>,
	now: BlockNumberFor<T>,
	audit: bool,
) -> (StageOf<T>, BlockNumberFor<T>) {
	if check.matrix.is_none() {
		return (Stage::Decided(Decision::Accepted), now);
	}
	let earliest = draw_block::<T>(check.submitted_at);
	let draw = Stage::Draw { at: now.max(earliest), audit };
	if now < earliest {
		return (draw, earliest);
	}
	let drawn = Check { stage: draw, ..(*check).clone() };
	advance::<T>(job, replica, &drawn, now)
}

/// Whether the client may accept replica `replica` of `job` early: not while its samples are
/// out or a challenge of it is open, and not once it was proven wrong.
pub fn may_accept<T: Config>(job: JobId, replica: u32) -> sp_runtime::DispatchResult {
	let Some(check) = Checks::<T>::get(job, replica) else { return Ok(()) };
	let under_proof = match check.stage {
		Stage::Sampling { .. }
		| Stage::Drawing { .. }
		| Stage::Reexecution { .. }
		| Stage::Disputed
		| Stage::Decided(Decision::Rejected { .. }) => true,
		// A replicated winner waiting for the spot-check a dissent ordered: accepting it
		// early would decide what the spot-check must (whether the outvoted are slashed).
		Stage::Draw { audit: false, .. } if check.policy == Verification::Replicated => true,
		// A replica is accepted early only once its reveal agrees with every other.
		Stage::Sealed { .. } | Stage::Revealing { .. } | Stage::Quorum | Stage::Outvoted => {
			!quorum::may_accept::<T>(job, &check)
		},
		_ => false,
	};
	frame_support::ensure!(!under_proof, crate::Error::<T>::UnderProof);
	Ok(())
}

/// The jobs pallet is done with replica `replica` of `job`. It calls this when told a verdict,
/// when the check is decided (a challenge's bond already paid out), or after the client
/// accepted early, which [`may_accept`] allows only while nothing is under proof (no executors
/// booked, no bond held): only the check, its next look and the tally are left to forget.
pub fn closed<T: Config>(job: JobId, replica: u32) {
	agenda::unschedule::<T>(job, replica);
	let Some(check) = Checks::<T>::take(job, replica) else { return };
	if check.policy == Verification::Replicated {
		quorum::forget_if_done::<T>(job, check.deadline);
	}
}

/// The jobs pallet failed replica `replica` of `job` because its provider was banned: ends
/// what the check holds ([`disputes::abandon`]) and forgets it.
pub fn abandoned<T: Config>(job: JobId, replica: u32) {
	let Some(check) = Checks::<T>::get(job, replica) else { return };
	disputes::abandon::<T>(job, replica, &check);
	if check.policy == Verification::Replicated {
		// A banned provider's result is no evidence against the replicas it outvoted.
		quorum::record_verdict::<T>(job, replica, false);
	}
	closed::<T>(job, replica);
}

/// The most one [`look`] (with the `closed` of a decided check) weighs: the worst of its
/// stages.
pub fn look_weight<T: Config>() -> Weight {
	T::WeightInfo::verdict_draw(T::SpotCheckSamples::get().max(T::AuditSamples::get()))
		.max(T::WeightInfo::verdict_quorum(T::MaxReplicas::get()))
		.max(T::WeightInfo::verdict_reexecution(T::Executors::get()))
		.max(
			T::WeightInfo::verdict_executors(T::Executors::get())
				.saturating_add(T::Registry::draw_weight(T::ExecutorDrawTries::get())),
		)
		.max(T::WeightInfo::verdict_withheld())
		// A sealed receipt past the job's deadline opens the reveals of every replica.
		.max(T::WeightInfo::receipt_replicated())
		// A receipt its policy (or a tally with a dissent) accepts may have its audit (or
		// spot-check) drawn in the same call.
		.saturating_add(T::WeightInfo::verdict_draw(
			T::SpotCheckSamples::get().max(T::AuditSamples::get()),
		))
}

impl<T: Config> Pallet<T> {
	/// The check of replica `replica` of `job`, if its receipt is being checked.
	pub fn check_of(job: JobId, replica: u32) -> Option<CheckOf<T>> {
		Checks::<T>::get(job, replica)
	}
}

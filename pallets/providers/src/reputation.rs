//! Reputation: a score in `0..=REPUTATION_MAX` that each job outcome moves and that time pulls
//! back towards `REPUTATION_NEUTRAL`.
//!
//! Decay halves the distance to neutral every `half_life` blocks, so a provider cannot live on
//! an old record forever, and a bad record is forgiven, slowly. Between two halvings the distance
//! shrinks linearly, which is exact at each halving and monotone in between; everything is
//! integer arithmetic so that every node computes the same score.
//!
//! Outcomes move the decayed score:
//!
//! | outcome     | effect                                                                |
//! |-------------|-----------------------------------------------------------------------|
//! | `Completed` | up to +1/20 of the distance to `REPUTATION_MAX`, by the job's value   |
//! | `Late`      | -1/20 of the score                                                    |
//! | `Failed`    | -1/5 of the score                                                     |
//! | `Ignored`   | -1/100 of the score                                                   |
//! | `Slashed`   | -1/2 of the score                                                     |
//!
//! # Value of a completed job
//!
//! A completed job moves the score in proportion to its value (what the provider is paid for
//! it), so that reputation cannot be farmed with tiny or zero-usage jobs ([`ValueRule`], the
//! pallet's `MinReputationValue` and `ReputationValueUnit`):
//!
//! - worth less than `min_value`: nothing moves (the record is left as it is);
//! - worth at least `unit`: the full step, +1/20 of the distance to `REPUTATION_MAX`;
//! - in between: `step * value / unit` of it, rounded down (integer arithmetic).
//!
//! `Late`, `Failed` and `Slashed` are the provider's own faults and cost the same whatever the
//! job was worth. `Ignored` (a job assigned and neither acknowledged nor declined in time) costs
//! 1%: the worker may simply have been down, and the client lost nothing but its wait.
//!
//! So about 14 full-value completed jobs take a new provider from 500,000 to 750,000, and a
//! single slash takes it back below 400,000.

use crate::types::Reputation;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Saturating, UniqueSaturatedInto},
	Rounding,
};
use tessera_primitives::market::{Outcome, REPUTATION_MAX, REPUTATION_NEUTRAL};

/// How a completed job's value scales its effect (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ValueRule {
	/// Jobs worth less than this move nothing.
	pub min_value: u128,
	/// Jobs worth at least this make the full step; smaller ones a proportional part of it.
	pub unit: u128,
}

/// The reputation of a provider that has just registered.
pub fn initial<BlockNumber>(now: BlockNumber) -> Reputation<BlockNumber> {
	Reputation { score: REPUTATION_NEUTRAL, updated_at: now }
}

/// The score of `reputation` at block `now`, after decay.
pub fn current<BlockNumber>(
	reputation: &Reputation<BlockNumber>,
	now: BlockNumber,
	half_life: BlockNumber,
) -> u32
where
	BlockNumber: Copy + Saturating + UniqueSaturatedInto<u64>,
{
	let elapsed: u64 = now.saturating_sub(reputation.updated_at).unique_saturated_into();
	let half_life: u64 = half_life.unique_saturated_into();
	let score = reputation.score.min(REPUTATION_MAX);
	if half_life == 0 {
		return score;
	}
	let (above, distance) = if score >= REPUTATION_NEUTRAL {
		(true, u64::from(score - REPUTATION_NEUTRAL))
	} else {
		(false, u64::from(REPUTATION_NEUTRAL - score))
	};
	let halvings = elapsed / half_life;
	let distance = if halvings >= 32 { 0 } else { distance >> halvings };
	// Linear between halvings: after a fraction r of a half-life, keep (1 - r/2) of it.
	let remainder = elapsed % half_life;
	let distance = distance
		.saturating_sub(distance.saturating_mul(remainder) / half_life.saturating_mul(2).max(1));
	// `distance` never exceeds its starting value, which came from a u32 difference.
	let distance = u32::try_from(distance).unwrap_or(0);
	if above {
		REPUTATION_NEUTRAL.saturating_add(distance)
	} else {
		REPUTATION_NEUTRAL.saturating_sub(distance)
	}
}

/// The step of a completed job worth `value` from `score`: the full step (1/20 of the distance
/// to `REPUTATION_MAX`) scaled by `value / rule.unit`, at most 1.
fn completed_step(score: u32, value: u128, rule: &ValueRule) -> u32 {
	let full = REPUTATION_MAX.saturating_sub(score) / 20;
	if value >= rule.unit {
		return full;
	}
	// `value < unit`, so `unit > 0` and the result is below `full`.
	let part =
		multiply_by_rational_with_rounding(u128::from(full), value, rule.unit, Rounding::Down)
			.unwrap_or(0);
	u32::try_from(part).unwrap_or(full).min(full)
}

/// `reputation` after `outcome` of a job worth `value` at block `now`: decay up to `now`, then
/// the outcome's effect, stamped with `now`. `None` when the outcome moves nothing (a completed
/// job worth less than `rule.min_value`): the record is to be left as it is.
pub fn apply<BlockNumber>(
	reputation: &Reputation<BlockNumber>,
	outcome: Outcome,
	value: u128,
	rule: &ValueRule,
	now: BlockNumber,
	half_life: BlockNumber,
) -> Option<Reputation<BlockNumber>>
where
	BlockNumber: Copy + Saturating + UniqueSaturatedInto<u64>,
{
	if outcome == Outcome::Completed && value < rule.min_value {
		return None;
	}
	let score = current(reputation, now, half_life);
	let score = match outcome {
		Outcome::Completed => score.saturating_add(completed_step(score, value, rule)),
		Outcome::Late => score.saturating_sub(score / 20),
		Outcome::Failed => score.saturating_sub(score / 5),
		Outcome::Ignored => score.saturating_sub(score / 100),
		Outcome::Slashed => score.saturating_sub(score / 2),
	};
	Some(Reputation { score: score.min(REPUTATION_MAX), updated_at: now })
}

#[cfg(test)]
mod tests {
	use super::*;

	fn rep(score: u32, at: u64) -> Reputation<u64> {
		Reputation { score, updated_at: at }
	}

	#[test]
	fn decay_halves_distance_each_half_life() {
		assert_eq!(current(&rep(900_000, 0), 0, 100), 900_000);
		assert_eq!(current(&rep(900_000, 0), 100, 100), 700_000);
		assert_eq!(current(&rep(900_000, 0), 200, 100), 600_000);
		assert_eq!(current(&rep(100_000, 0), 100, 100), 300_000);
		// Halfway through a half-life three quarters of the distance remain.
		assert_eq!(current(&rep(900_000, 0), 50, 100), 800_000);
		assert_eq!(current(&rep(900_000, 0), 10_000, 100), REPUTATION_NEUTRAL);
	}

	#[test]
	fn decay_is_monotone() {
		let mut last = u32::MAX;
		for t in 0..500 {
			let now = current(&rep(REPUTATION_MAX, 0), t, 100);
			assert!(now <= last);
			assert!(now >= REPUTATION_NEUTRAL);
			last = now;
		}
	}

	/// The mock's rule: nothing below 100, the full step from 1,000.
	const RULE: ValueRule = ValueRule { min_value: 100, unit: 1_000 };

	fn score(r: &Reputation<u64>, outcome: Outcome, value: u128, now: u64) -> u32 {
		apply(r, outcome, value, &RULE, now, 100).expect("moves").score
	}

	#[test]
	fn outcomes_move_the_score() {
		let r = rep(REPUTATION_NEUTRAL, 0);
		assert_eq!(score(&r, Outcome::Completed, 1_000, 0), 525_000);
		assert_eq!(score(&r, Outcome::Late, 1_000, 0), 475_000);
		assert_eq!(score(&r, Outcome::Failed, 1_000, 0), 400_000);
		assert_eq!(score(&r, Outcome::Ignored, 1_000, 0), 495_000);
		assert_eq!(score(&r, Outcome::Slashed, 1_000, 0), 250_000);
		assert_eq!(score(&rep(REPUTATION_MAX, 0), Outcome::Completed, 1_000, 0), REPUTATION_MAX);
		assert_eq!(score(&rep(0, 0), Outcome::Slashed, 1_000, 0), 0);
		// Decay is applied before the outcome, and the new score is stamped with `now`.
		let moved = apply(&rep(900_000, 0), Outcome::Late, 1_000, &RULE, 100, 100);
		assert_eq!(moved, Some(Reputation { score: 665_000, updated_at: 100 }));
	}

	#[test]
	fn completed_jobs_move_the_score_by_their_value() {
		let r = rep(REPUTATION_NEUTRAL, 0);
		// Below the minimum: nothing moves, not even the decay stamp.
		assert_eq!(apply(&r, Outcome::Completed, 0, &RULE, 50, 100), None);
		assert_eq!(apply(&r, Outcome::Completed, 99, &RULE, 50, 100), None);
		// From the minimum on, a proportional part of the step of 25,000.
		assert_eq!(score(&r, Outcome::Completed, 100, 0), 502_500);
		assert_eq!(score(&r, Outcome::Completed, 500, 0), 512_500);
		assert_eq!(score(&r, Outcome::Completed, 999, 0), 524_975);
		// The full step at a unit and above, never more.
		assert_eq!(score(&r, Outcome::Completed, 1_000, 0), 525_000);
		assert_eq!(score(&r, Outcome::Completed, u128::MAX, 0), 525_000);
		// Huge units do not overflow.
		let huge = ValueRule { min_value: 0, unit: u128::MAX };
		let half = apply(&r, Outcome::Completed, u128::MAX / 2, &huge, 0, 100);
		assert_eq!(half.map(|r| r.score), Some(512_499));
		// A unit of zero makes every job a full one.
		let zero = ValueRule { min_value: 0, unit: 0 };
		assert_eq!(apply(&r, Outcome::Completed, 0, &zero, 0, 100).map(|r| r.score), Some(525_000));
	}

	#[test]
	fn faults_cost_the_same_whatever_the_value() {
		let r = rep(REPUTATION_NEUTRAL, 0);
		for outcome in [Outcome::Late, Outcome::Failed, Outcome::Ignored, Outcome::Slashed] {
			let full = score(&r, outcome, 1_000, 0);
			assert_eq!(score(&r, outcome, 0, 0), full);
			assert_eq!(score(&r, outcome, 1, 0), full);
			assert_eq!(score(&r, outcome, u128::MAX, 0), full);
		}
	}

	#[test]
	fn fourteen_completions_lift_a_newcomer_to_three_quarters() {
		let mut r = initial(0u64);
		for _ in 0..14 {
			r = apply(&r, Outcome::Completed, RULE.unit, &RULE, 0, 100).expect("moves");
		}
		assert!(r.score >= 750_000, "{}", r.score);
	}
}

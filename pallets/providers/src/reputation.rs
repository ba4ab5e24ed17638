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
//! | outcome     | effect                                   |
//! |-------------|------------------------------------------|
//! | `Completed` | +1/20 of the distance to `REPUTATION_MAX` |
//! | `Late`      | -1/20 of the score                       |
//! | `Failed`    | -1/5 of the score                        |
//! | `Slashed`   | -1/2 of the score                        |
//!
//! So about 14 completed jobs take a new provider from 500,000 to 750,000, and a single slash
//! takes it back below 400,000.

use crate::types::Reputation;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto};
use tessera_primitives::market::{Outcome, REPUTATION_MAX, REPUTATION_NEUTRAL};

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

/// `reputation` after `outcome` at block `now`: decay up to `now`, then the outcome's effect.
pub fn apply<BlockNumber>(
	reputation: &Reputation<BlockNumber>,
	outcome: Outcome,
	now: BlockNumber,
	half_life: BlockNumber,
) -> Reputation<BlockNumber>
where
	BlockNumber: Copy + Saturating + UniqueSaturatedInto<u64>,
{
	let score = current(reputation, now, half_life);
	let score = match outcome {
		Outcome::Completed => score.saturating_add((REPUTATION_MAX.saturating_sub(score)) / 20),
		Outcome::Late => score.saturating_sub(score / 20),
		Outcome::Failed => score.saturating_sub(score / 5),
		Outcome::Slashed => score.saturating_sub(score / 2),
	};
	Reputation { score: score.min(REPUTATION_MAX), updated_at: now }
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

	#[test]
	fn outcomes_move_the_score() {
		let r = rep(REPUTATION_NEUTRAL, 0);
		assert_eq!(apply(&r, Outcome::Completed, 0, 100).score, 525_000);
		assert_eq!(apply(&r, Outcome::Late, 0, 100).score, 475_000);
		assert_eq!(apply(&r, Outcome::Failed, 0, 100).score, 400_000);
		assert_eq!(apply(&r, Outcome::Slashed, 0, 100).score, 250_000);
		assert_eq!(
			apply(&rep(REPUTATION_MAX, 0), Outcome::Completed, 0, 100).score,
			REPUTATION_MAX
		);
		assert_eq!(apply(&rep(0, 0), Outcome::Slashed, 0, 100).score, 0);
		// Decay is applied before the outcome, and the new score is stamped with `now`.
		let moved = apply(&rep(900_000, 0), Outcome::Late, 100, 100);
		assert_eq!(moved, Reputation { score: 665_000, updated_at: 100 });
	}

	#[test]
	fn fourteen_completions_lift_a_newcomer_to_three_quarters() {
		let mut r = initial(0u64);
		for _ in 0..14 {
			r = apply(&r, Outcome::Completed, 0, 100);
		}
		assert!(r.score >= 750_000, "{}", r.score);
	}
}

//! `try_state`: the invariants of the crate documentation, checked after every block in tests
//! and by `try-runtime`.

// Only `do_try_state` is here, compiled with `std` too (see below).
#![cfg(any(feature = "try-runtime", feature = "std", test))]

use crate::*;
use frame_support::pallet_prelude::*;

impl<T: Config> Pallet<T> {
	/// Checks the invariants listed in the crate documentation.
	// Compiled with `std` too, so that the runtime's tests check every pallet's invariants
	// after every block without building the dependency tree a second time with `try-runtime`.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use sp_runtime::traits::{Saturating, Zero};
		let mut bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut duties = 0u32;
		let mut checks = 0u32;
		let cursor = AgendaCursor::<T>::get();
		for (job, replica, check) in Checks::<T>::iter() {
			checks = checks.saturating_add(1);
			// Every check waits for a look; a decided one has been told to the jobs pallet,
			// which closed it, so none is left.
			let at = NextLook::<T>::get(job, replica).ok_or("a check with no look scheduled")?;
			ensure!(Agenda::<T>::contains_key(at, (job, replica)), "a look not in the agenda");
			ensure!(at >= cursor, "a look scheduled before the hook's cursor");
			ensure!(!matches!(check.stage, Stage::Decided(_)), "a decided check left open");
			// A decided check's bond has been paid out already.
			let open_challenge =
				check.challenge.as_ref().filter(|_| !matches!(check.stage, Stage::Decided(_)));
			if let Some(challenge) = open_challenge {
				let entry = bonds.entry(challenge.challenger.clone()).or_insert_with(Zero::zero);
				*entry = entry.saturating_add(challenge.bond);
			}
			match &check.stage {
				Stage::Sampling { positions, answered, .. } => {
					ensure!(positions.len() <= 32, "more samples than the answer mask holds");
					ensure!(
						u64::from(*answered) < (1u64 << positions.len()),
						"an answer to a sample that was not drawn"
					);
					ensure!(check.matrix.is_some(), "sampling a workload that has no matrix");
				},
				Stage::Reexecution { executors, revealing, .. } => {
					for (at, executor) in executors.iter().enumerate() {
						ensure!(
							executors.iter().skip(at + 1).all(|e| e.provider != executor.provider),
							"an executor listed twice"
						);
						ensure!(
							Duties::<T>::contains_key(&executor.provider, (job, replica)),
							"an executor without its duty"
						);
						ensure!(
							executor.result.is_none() || (*revealing && executor.sealed.is_some()),
							"a result revealed without a seal or before the reveals"
						);
						duties = duties.saturating_add(1);
					}
				},
				Stage::Drawing { .. } => ensure!(
					check.challenge.is_some() && check.matrix.is_some(),
					"executors drawn for a receipt nobody challenged, or that cannot be recomputed"
				),
				_ => {},
			}
			let replicated = check.policy == tessera_primitives::jobs::Verification::Replicated;
			if replicated {
				let tally = Tallies::<T>::get(job).ok_or("a replicated check without a tally")?;
				ensure!(tally.sealed.contains(&replica), "a replicated check that never sealed");
				let revealed = tally.receipts.iter().any(|(r, _)| *r == replica);
				match &check.stage {
					Stage::Sealed { .. } => ensure!(
						tally.reveal_until.is_none() && !revealed,
						"a sealed check after the reveals opened"
					),
					Stage::Revealing { until, .. } => ensure!(
						tally.reveal_until == Some(*until) && !revealed,
						"a revealing check out of step with its tally"
					),
					Stage::Quorum | Stage::Outvoted => {
						ensure!(revealed, "a tallied check that never revealed")
					},
					_ => {},
				}
			} else {
				ensure!(
					!matches!(
						check.stage,
						Stage::Sealed { .. }
							| Stage::Revealing { .. }
							| Stage::Quorum | Stage::Outvoted
					),
					"a tally stage for a job that is not replicated"
				);
			}
		}
		ensure!(Duties::<T>::iter().count() as u32 == duties, "a duty without its re-execution");
		ensure!(NextLook::<T>::iter().count() as u32 == checks, "a look for no check");
		ensure!(Agenda::<T>::iter().count() as u32 == checks, "an agenda entry for no look");
		for (who, bond) in bonds {
			ensure!(Self::bond_held(&who) == bond, "challenge bonds on hold differ from records");
		}
		Ok(())
	}
}

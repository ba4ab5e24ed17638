//! The verifier's bookkeeping: unknown receipts, closed checks, and `try_state`.

use super::*;
use tessera_primitives::jobs::Verifier;

#[test]
fn a_look_at_a_receipt_the_pallet_never_saw_tells_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(crate::verifier::look::<Test>(7, 0), None);
		crate::agenda::settle::<Test>(7, 0);
		assert!(MockJobs::told().is_empty());
		// Closing it is harmless.
		<Proofs as Verifier<_, _, _>>::closed(7, 0);
	});
}

#[test]
fn a_look_left_behind_by_a_closed_check_is_skipped() {
	ExtBuilder::default().build_and_execute(|| {
		let at = submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		assert_eq!(MockJobs::due(0, 0), Some(at));
		assert_ok!(MockJobs::accept(0, 0));
		// Accepting early took the look out with the check.
		assert_eq!(MockJobs::due(0, 0), None);
		assert_eq!(crate::Agenda::<Test>::iter().count(), 0);
		run_to_block(at + 1);
		assert!(MockJobs::told().is_empty());
	});
}

#[test]
fn a_backlog_of_looks_carries_over_and_none_is_skipped() {
	ExtBuilder::default().build_and_execute(|| {
		// 70 receipts whose windows all end in one block: more than the 64 looks a block makes.
		let spec = opaque_spec(Verification::Optimistic);
		let mut at = 0;
		for job in 0..70 {
			at = submit(job, 0, ALICE, &spec, &receipt(out(1), 100));
		}
		run_to_block(at - 1);
		assert!(MockJobs::told().is_empty());
		// The hook makes 64 looks in `at` and stays on that block for the rest.
		run_to_block(at);
		assert_eq!(MockJobs::told().len(), 64);
		assert_eq!(crate::AgendaCursor::<Test>::get(), at);
		assert_eq!(crate::Agenda::<Test>::iter_key_prefix(at).count(), 6);
		// The next block's hook finishes `at` first, then walks on past its own block.
		run_to_block(at + 1);
		assert_eq!(crate::AgendaCursor::<Test>::get(), at + 2);
		assert_eq!(crate::Agenda::<Test>::iter().count(), 0);
		// Every receipt is told once: the hook takes a block's looks in its agenda's storage
		// order, not by job, so which 6 come late is not by job either; the first 64 told came
		// in `at`, the last 6 one block late, none early.
		let told = MockJobs::told();
		let mut jobs: Vec<JobId> = told.iter().map(|(job, _)| *job).collect();
		jobs.sort();
		assert_eq!(jobs, (0..70).collect::<Vec<_>>());
		for (n, (job, replica)) in told.into_iter().enumerate() {
			let block = if n < 64 { at } else { at + 1 };
			assert_eq!(MockJobs::verdict(job, replica), accepted_at(block), "job {job}");
		}
	});
}

#[test]
fn closing_a_check_forgets_it() {
	ExtBuilder::default().build_and_execute(|| {
		submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		assert_ok!(MockJobs::accept(0, 0));
		assert_eq!(Checks::<Test>::iter().count(), 0);
		// A replicated job keeps its tally until every replica is closed. (A deterministic
		// one, which waits for its audit draw after the reveals agree: an opaque one would be
		// decided and closed by the last reveal.)
		let job = MatMul::seeded(SMALL, 1);
		let output = job.honest().output_commitment();
		let spec = with_replicas(job.spec(Verification::Replicated), 2);
		submit(1, 0, ALICE, &spec, &sealed_receipt(1, 0, ALICE, output));
		submit(1, 1, BOB, &spec, &sealed_receipt(1, 1, BOB, output));
		assert_ok!(reveal(1, 0, ALICE, output));
		assert_ok!(reveal(1, 1, BOB, output));
		assert_eq!(stage(1, 0), Stage::Draw { at: DRAW, audit: true });
		assert_ok!(MockJobs::accept(1, 0));
		assert_eq!(MockJobs::due(1, 0), None);
		assert!(Tallies::<Test>::get(1).is_some());
		assert_ok!(MockJobs::accept(1, 1));
		assert!(Tallies::<Test>::get(1).is_none());
		assert_eq!(crate::Agenda::<Test>::iter().count(), 0);
		assert!(MockJobs::told().is_empty());
	});
}

#[test]
fn try_state_catches_broken_invariants() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &job.receipt(&job.honest()));
		let original = Checks::<Test>::get(0, 0).unwrap();
		let broken = |change: &dyn Fn(&mut crate::CheckOf<Test>)| {
			let mut check = original.clone();
			change(&mut check);
			Checks::<Test>::insert(0, 0, check);
			let result = Proofs::do_try_state();
			Checks::<Test>::insert(0, 0, original.clone());
			result
		};
		assert_ok!(Proofs::do_try_state());
		// A challenge whose bond is not on hold.
		assert!(broken(
			&|c| c.challenge = Some(Challenge { challenger: CLIENT, bond: CHALLENGE_BOND })
		)
		.is_err());
		// An answer to a sample that was not drawn.
		assert!(broken(&|c| {
			c.stage = Stage::Sampling {
				positions: bounded(vec![(0, 0), (1, 1)]),
				answered: 0b100,
				respond_by: 10,
				audit: false,
			}
		})
		.is_err());
		assert!(broken(&|c| {
			c.stage = Stage::Sampling {
				positions: bounded(vec![(0, 0), (1, 1)]),
				answered: 0b11,
				respond_by: 10,
				audit: false,
			}
		})
		.is_ok());
		// An executor listed twice.
		let executor = Executor {
			provider: BOB,
			worker: worker_of(BOB),
			collateral: EXECUTOR_COLLATERAL,
			sealed: None,
			result: None,
		};
		assert!(broken(&|c| {
			c.stage = Stage::Reexecution {
				executors: BoundedVec::try_from(vec![executor.clone(), executor.clone()]).unwrap(),
				until: 10,
				revealing: false,
			}
		})
		.is_err());
		// A replicated check without a tally.
		assert!(broken(&|c| c.policy = Verification::Replicated).is_err());
		assert_ok!(Proofs::do_try_state());
	});
}

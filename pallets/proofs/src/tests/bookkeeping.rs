//! The verifier's bookkeeping: unknown receipts, closed checks, and `try_state`.

use super::*;
use tessera_primitives::jobs::Verifier;

#[test]
fn a_receipt_the_pallet_never_saw_is_accepted() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(<Proofs as Verifier<_, _, _>>::verdict(7, 0), Verdict::Accepted);
		// Closing it is harmless.
		<Proofs as Verifier<_, _, _>>::closed(7, 0);
	});
}

#[test]
fn closing_a_check_forgets_it() {
	ExtBuilder::default().build_and_execute(|| {
		submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		assert_ok!(MockJobs::accept(0, 0));
		assert_eq!(Checks::<Test>::iter().count(), 0);
		// A replicated job keeps its tally until every replica is closed.
		submit(1, 0, ALICE, &replicated(2), &sealed_receipt(1, 0, ALICE, out(1)));
		submit(1, 1, BOB, &replicated(2), &sealed_receipt(1, 1, BOB, out(1)));
		assert_ok!(reveal(1, 0, ALICE, out(1)));
		assert_ok!(reveal(1, 1, BOB, out(1)));
		assert_ok!(MockJobs::accept(1, 0));
		assert!(Tallies::<Test>::get(1).is_some());
		assert_ok!(MockJobs::accept(1, 1));
		assert!(Tallies::<Test>::get(1).is_none());
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

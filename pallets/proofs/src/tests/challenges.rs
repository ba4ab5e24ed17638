//! Optimistic receipts and their challenges: executors drawn at random after the challenge,
//! their sealed results and reveals, their collateral, the bond, and the dispute origin.

use super::*;
use crate::{mock::Draw, ExecutorOf};
use frame_support::dispatch::{DispatchClass, GetDispatchInfo, Pays};

/// Alice's optimistic receipt of a seeded 16^3 job as job 0 at [`START`], with her made-up
/// output if `cheat`; returns the right output commitment and the receipt's.
fn optimistic(cheat: bool) -> (H256, H256) {
	let job = MatMul::seeded(SMALL, 1);
	let honest = job.honest().output_commitment();
	let claimed = if cheat { job.prover(&job.wrong_c()).output_commitment() } else { honest };
	submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &receipt(claimed, job.units()));
	(honest, claimed)
}

fn assigned(provider: AccountId, until: BlockNumber) -> Event<Test> {
	Event::ExecutorAssigned { job: 0, replica: 0, provider, worker: worker_of(provider), until }
}

/// The seed the executors of job 0's replica 0, whose receipt is `output`, are drawn with at
/// block `at`: the randomness of the blocks just before `at`, domain-separated from samples.
fn executor_seed(at: BlockNumber, output: &H256) -> [u8; 32] {
	let mut preimage = b"tessera/executors/v1:".to_vec();
	preimage.extend_from_slice(sample_seed(&randomness(at), 0, 0, output).as_bytes());
	sp_io::hashing::blake2_256(&preimage)
}

/// The booked executors Bob, Charlie and Dave, with `sealed` and `result` each.
fn executors(
	entries: [(AccountId, Option<H256>, Option<H256>); 3],
) -> BoundedVec<ExecutorOf<Test>, ConstU32<{ crate::MAX_EXECUTORS }>> {
	BoundedVec::truncate_from(
		entries
			.into_iter()
			.map(|(provider, sealed, result)| Executor {
				provider,
				worker: worker_of(provider),
				collateral: EXECUTOR_COLLATERAL,
				sealed,
				result,
			})
			.collect::<Vec<_>>(),
	)
}

/// Challenges job 0 (`claimed` its receipt's output) as `challenger` now: nobody is booked
/// until the draw, [`RANDOMNESS_DELAY`] + 1 blocks later; runs to it and checks that Bob,
/// Charlie and Dave were drawn from that block's randomness, never Alice, the client or the
/// challenger, each with a slot and its collateral. Returns when their seals are due.
fn challenge_and_draw(challenger: AccountId, claimed: H256) -> BlockNumber {
	let at = System::block_number() + RANDOMNESS_DELAY + 1;
	take_events();
	assert_eq!(MockJobs::challenge(0, 0, challenger), Ok(at));
	assert_eq!(stage(0, 0), Stage::Drawing { at });
	assert_eq!(
		take_events(),
		vec![Event::Challenged { job: 0, replica: 0, challenger, bond: CHALLENGE_BOND }]
	);
	assert_eq!(MockRegistry::all_busy().values().sum::<u32>(), 0, "nobody booked yet");
	assert!(MockRegistry::draws().is_empty());
	run_to_block(at);
	let until = at + REEXECUTION_WINDOW;
	assert_eq!(
		take_events(),
		vec![assigned(BOB, until), assigned(CHARLIE, until), assigned(DAVE, until)]
	);
	assert_eq!(
		MockRegistry::draws(),
		vec![Draw {
			count: EXECUTORS,
			tries: EXECUTOR_TRIES,
			exclude: vec![ALICE, CLIENT, challenger],
			registered_before: START,
			seed: executor_seed(at, &claimed),
		}]
	);
	assert_eq!(
		stage(0, 0),
		Stage::Reexecution {
			executors: executors([(BOB, None, None), (CHARLIE, None, None), (DAVE, None, None)]),
			until,
			revealing: false,
		}
	);
	assert_eq!(MockJobs::due(0, 0), Some(until));
	for provider in [BOB, CHARLIE, DAVE] {
		assert_eq!(MockRegistry::busy(provider), 1);
		assert_eq!(
			<MockCollateral as tessera_primitives::market::Collateral<_, _>>::committed(&provider),
			EXECUTOR_COLLATERAL
		);
		assert!(crate::pallet::Duties::<Test>::contains_key(provider, (0, 0)));
	}
	assert_eq!(MockRegistry::busy(EVE), 0);
	assert_eq!(held(challenger), CHALLENGE_BOND);
	until
}

/// No collateral left set aside, and no slot taken.
fn all_released() {
	assert!(MockCollateral::all_committed().is_empty(), "{:?}", MockCollateral::all_committed());
	assert_eq!(MockRegistry::all_busy().values().sum::<u32>(), 0);
	assert_eq!(crate::pallet::Duties::<Test>::iter().count(), 0);
}

#[test]
fn a_frivolous_challenge_costs_the_challenger_its_bond() {
	ExtBuilder::default().build_and_execute(|| {
		let before = total(&EVERYONE);
		let (honest, claimed) = optimistic(false);
		run_to_block(2);
		let until = challenge_and_draw(CLIENT, claimed);
		assert_eq!(free(CLIENT), INITIAL - CHALLENGE_BOND);
		let outputs = [(BOB, honest), (CHARLIE, honest), (DAVE, honest)];
		for (provider, output) in outputs {
			assert_ok!(seal_result(provider, 0, output));
		}
		let opened = System::block_number() + REVEAL_WINDOW;
		assert_eq!(
			take_events(),
			vec![
				Event::Reexecuted {
					job: 0,
					replica: 0,
					provider: BOB,
					seal: executor_seal(BOB, honest)
				},
				Event::Reexecuted {
					job: 0,
					replica: 0,
					provider: CHARLIE,
					seal: executor_seal(CHARLIE, honest)
				},
				Event::Reexecuted {
					job: 0,
					replica: 0,
					provider: DAVE,
					seal: executor_seal(DAVE, honest)
				},
				Event::ExecutorRevealsOpened { job: 0, replica: 0, until: opened },
			]
		);
		for (provider, output) in outputs {
			assert_ok!(reveal_result(provider, 0, output));
		}
		// The last reveal settles it in its block, long before the re-execution window ends.
		assert_eq!(MockJobs::told(), vec![(0, 0)]);
		assert!(System::block_number() < until);
		assert_eq!(verdict(0, 0), accepted_at(System::block_number()));

		// Half the bond split among the three executors (16 each), the rest to Alice.
		let each = EXECUTOR_POT / 3;
		let to_provider = CHALLENGE_BOND - 3 * each;
		assert!(take_events().contains(&Event::ChallengeSettled {
			job: 0,
			replica: 0,
			upheld: true,
			to_executors: 3 * each,
			to_provider,
			refunded: 0,
		}));
		assert_eq!((free(CLIENT), held(CLIENT)), (INITIAL - CHALLENGE_BOND, 0));
		assert_eq!(free(ALICE), STAKE + to_provider);
		for provider in [BOB, CHARLIE, DAVE] {
			assert_eq!(free(provider), STAKE + each);
		}
		assert_eq!(free(EVE), STAKE);
		assert!(MockCollateral::slashes().is_empty());
		all_released();
		assert_eq!(
			MockRegistry::outcomes(),
			vec![
				(BOB, Outcome::Completed),
				(CHARLIE, Outcome::Completed),
				(DAVE, Outcome::Completed)
			]
		);
		assert_eq!(total(&EVERYONE), before);
	});
}

#[test]
fn a_justified_challenge_proves_fraud_and_refunds_the_challenger() {
	ExtBuilder::default().build_and_execute(|| {
		let before = total(&EVERYONE);
		let (honest, claimed) = optimistic(true);
		run_to_block(2);
		challenge_and_draw(WATCHER, claimed);
		seal_and_reveal(&[(BOB, honest), (CHARLIE, honest), (DAVE, honest)]);
		let each = EXECUTOR_POT / 3;
		assert!(take_events().contains(&Event::ChallengeSettled {
			job: 0,
			replica: 0,
			upheld: false,
			to_executors: 3 * each,
			to_provider: 0,
			refunded: CHALLENGE_BOND - 3 * each,
		}));
		// Rejected in the block of the last reveal.
		assert_eq!(
			verdict(0, 0),
			Some((
				Verdict::Rejected { offence: SlashReason::Fraud, watcher: Some(WATCHER) },
				System::block_number()
			))
		);
		assert_eq!((free(WATCHER), held(WATCHER)), (INITIAL - 3 * each, 0));
		all_released();
		assert_eq!(total(&EVERYONE), before);
	});
}

/// Attack 3: an executor that reveals against the majority, or reveals nothing, loses its
/// collateral; the majority keeps its own and shares the pot.
#[test]
fn executors_against_the_majority_or_silent_lose_their_collateral() {
	ExtBuilder::default().build_and_execute(|| {
		let before = total(&EVERYONE);
		let (honest, claimed) = optimistic(false);
		run_to_block(2);
		challenge_and_draw(CLIENT, claimed);
		assert_ok!(seal_result(BOB, 0, honest));
		assert_ok!(seal_result(CHARLIE, 0, honest));
		assert_ok!(seal_result(DAVE, 0, out(9)));
		assert_ok!(reveal_result(DAVE, 0, out(9)));
		assert_ok!(reveal_result(BOB, 0, honest));
		assert_ok!(reveal_result(CHARLIE, 0, honest));
		assert_eq!(
			MockCollateral::slashes(),
			vec![(DAVE, EXECUTOR_COLLATERAL, SlashReason::Dissent)]
		);
		assert_eq!(verdict(0, 0), accepted_at(System::block_number()));
		let each = EXECUTOR_POT / 2;
		assert_eq!((free(BOB), free(CHARLIE), free(DAVE)), (STAKE + each, STAKE + each, STAKE));
		all_released();
		assert_eq!(total(&EVERYONE), before);
	});
	ExtBuilder::default().build_and_execute(|| {
		let (honest, claimed) = optimistic(false);
		run_to_block(2);
		let until = challenge_and_draw(CLIENT, claimed);
		// Dave never even seals: the others reveal once the window is over.
		assert_ok!(seal_result(BOB, 0, honest));
		assert_ok!(seal_result(CHARLIE, 0, honest));
		run_to_block(until);
		assert!(matches!(stage(0, 0), Stage::Reexecution { revealing: true, .. }));
		assert_ok!(reveal_result(BOB, 0, honest));
		assert_ok!(reveal_result(CHARLIE, 0, honest));
		assert_eq!(MockJobs::told(), vec![(0, 0)]);
		assert_eq!(
			MockCollateral::slashes(),
			vec![(DAVE, EXECUTOR_COLLATERAL, SlashReason::MissedDeadline)]
		);
		assert_eq!(verdict(0, 0), accepted_at(until));
		let each = EXECUTOR_POT / 2;
		assert_eq!((free(BOB), free(CHARLIE), free(DAVE)), (STAKE + each, STAKE + each, STAKE));
		all_released();
	});
}

#[test]
fn executors_without_a_majority_leave_it_to_the_dispute_origin() {
	ExtBuilder::default().build_and_execute(|| {
		let (honest, claimed) = optimistic(false);
		run_to_block(2);
		challenge_and_draw(CLIENT, claimed);
		// The last reveal finds no majority: disputed in its block.
		seal_and_reveal(&[(BOB, honest), (CHARLIE, out(8)), (DAVE, out(9))]);
		assert_eq!(stage(0, 0), Stage::Disputed);
		assert!(take_events().contains(&Event::Disputed { job: 0, replica: 0 }));
		assert_eq!(verdict(0, 0), None);
		// Nobody can tell who was right: those who revealed keep their collateral.
		assert!(MockCollateral::slashes().is_empty());
		all_released();
		assert_ok!(Proofs::resolve_dispute(root(), 0, None, Some(honest)));
		assert_eq!(held(CLIENT), 0);
		assert_eq!(verdict(0, 0), accepted_at(System::block_number()));
	});
}

/// Attack 3: executors are drawn only from providers that registered before the receipt, so
/// nobody can register accounts to judge a receipt it has seen.
#[test]
fn providers_that_registered_after_the_receipt_are_not_drawn() {
	ExtBuilder::default().build_and_execute(|| {
		let (honest, _) = optimistic(false);
		let mut late = MockRegistry::get(BOB).expect("Bob");
		late.registered_at = START;
		MockRegistry::insert(BOB, late);
		run_to_block(2);
		let at = 2 + RANDOMNESS_DELAY + 1;
		assert_ok!(MockJobs::challenge(0, 0, CLIENT));
		run_to_block(at);
		let booked: Vec<AccountId> = match stage(0, 0) {
			Stage::Reexecution { executors, .. } => executors.iter().map(|e| e.provider).collect(),
			other => panic!("not re-executing: {other:?}"),
		};
		assert_eq!(booked, vec![CHARLIE, DAVE, EVE]);
		seal_and_reveal(&[(CHARLIE, honest), (DAVE, honest), (EVE, honest)]);
		assert_eq!(verdict(0, 0), accepted_at(at));
	});
}

#[test]
fn too_few_executors_with_a_slot_and_free_stake_leave_it_to_the_dispute_origin() {
	ExtBuilder::default().build_and_execute(|| {
		// Eve has no free slot and Dave too little free stake for the collateral: two would
		// decide alone with one vote to spare, so the dispute origin decides.
		MockRegistry::set_free_slots(EVE, 0);
		MockCollateral::set_free_stake(DAVE, EXECUTOR_COLLATERAL - 1);
		optimistic(false);
		run_to_block(2);
		let at = 2 + RANDOMNESS_DELAY + 1;
		assert_eq!(MockJobs::challenge(0, 0, CLIENT), Ok(at));
		take_events();
		run_to_block(at);
		assert_eq!(
			take_events(),
			vec![
				Event::ExecutorsShort { job: 0, replica: 0, found: 2 },
				Event::Disputed { job: 0, replica: 0 }
			]
		);
		assert_eq!(stage(0, 0), Stage::Disputed);
		// The two that were booked are let go, with their collateral.
		all_released();
		assert_eq!(held(CLIENT), CHALLENGE_BOND);
		// The client cannot accept it early and so call the challenge off.
		assert_noop!(MockJobs::accept(0, 0), Error::<Test>::UnderProof);
	});
}

/// Attack 3: executors commit before anyone reveals, so none can copy another's result; a
/// copied seal cannot be revealed by the copier.
#[test]
fn a_copied_executor_seal_cannot_be_revealed() {
	ExtBuilder::default().build_and_execute(|| {
		let (honest, claimed) = optimistic(false);
		run_to_block(2);
		challenge_and_draw(CLIENT, claimed);
		assert_ok!(seal_result(BOB, 0, honest));
		assert_ok!(seal_result(CHARLIE, 0, honest));
		// Dave copies Bob's seal from Bob's event.
		assert_ok!(Proofs::report_reexecution(
			signed(worker_of(DAVE)),
			0,
			0,
			executor_seal(BOB, honest)
		));
		assert_ok!(reveal_result(BOB, 0, honest));
		// Bob's output and salt are public now; they do not open Dave's copy.
		assert_noop!(
			Proofs::reveal_reexecution(signed(worker_of(DAVE)), 0, 0, honest, executor_salt(BOB)),
			Error::<Test>::SealMismatch
		);
		assert_noop!(reveal_result(DAVE, 0, honest), Error::<Test>::SealMismatch);
		assert_ok!(reveal_result(CHARLIE, 0, honest));
		// Dave never reveals: settled at this pallet's next look, once the reveals close.
		let due = MockJobs::due(0, 0).expect("a look due");
		run_to_block(due - 1);
		assert_eq!(verdict(0, 0), None);
		run_to_block(due);
		assert_eq!(
			MockCollateral::slashes(),
			vec![(DAVE, EXECUTOR_COLLATERAL, SlashReason::MissedDeadline)]
		);
		assert_eq!(verdict(0, 0), accepted_at(due));
	});
}

#[test]
fn seals_and_reveals_that_are_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let (honest, claimed) = optimistic(false);
		submit(1, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		run_to_block(2);
		assert_noop!(seal_result(BOB, 9, honest), Error::<Test>::UnknownCheck);
		// Not challenged: nothing to re-execute.
		assert_noop!(seal_result(BOB, 0, honest), Error::<Test>::NotReexecuting);
		let until = challenge_and_draw(CLIENT, claimed);
		// Challenged but opaque: disputed, not re-executed.
		assert_ok!(MockJobs::challenge(1, 0, WATCHER));
		assert_noop!(seal_result(BOB, 1, out(1)), Error::<Test>::NotReexecuting);
		// Not an executor's worker: another provider's, the challenged provider's, an
		// executor's cold account, nobody.
		assert_noop!(seal_result(EVE, 0, honest), Error::<Test>::NotExecutor);
		assert_noop!(seal_result(ALICE, 0, honest), Error::<Test>::NotExecutor);
		assert_noop!(
			Proofs::report_reexecution(signed(BOB), 0, 0, honest),
			Error::<Test>::NotExecutor
		);
		assert_noop!(
			Proofs::report_reexecution(RuntimeOrigin::none(), 0, 0, honest),
			DispatchError::BadOrigin
		);
		// Reveals open only once every executor has sealed.
		assert_noop!(reveal_result(BOB, 0, honest), Error::<Test>::WrongReexecutionPhase);
		let call = crate::Call::<Test>::report_reexecution { job: 0, replica: 0, seal: honest };
		assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
		assert_eq!(seal_result(BOB, 0, honest).map(|info| info.pays_fee), Ok(Pays::No));
		assert_noop!(seal_result(BOB, 0, honest), Error::<Test>::AlreadyReported);
		assert_ok!(seal_result(CHARLIE, 0, honest));
		// The hook is behind: seals still close at `until`.
		MockJobs::postpone(0, 0, until + 2);
		run_to_block(until);
		assert_noop!(seal_result(DAVE, 0, honest), Error::<Test>::ReexecutionClosed);
		run_to_block(until + 2);
		// Dave did not seal: only Bob and Charlie may reveal.
		assert_noop!(seal_result(DAVE, 0, honest), Error::<Test>::WrongReexecutionPhase);
		assert_noop!(reveal_result(DAVE, 0, honest), Error::<Test>::NotSealed);
		assert_noop!(reveal_result(EVE, 0, honest), Error::<Test>::NotExecutor);
		assert_noop!(reveal_result(BOB, 0, out(3)), Error::<Test>::SealMismatch);
		let call = crate::Call::<Test>::reveal_reexecution {
			job: 0,
			replica: 0,
			output: honest,
			salt: executor_salt(BOB),
		};
		assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
		assert_eq!(reveal_result(BOB, 0, honest).map(|info| info.pays_fee), Ok(Pays::No));
		assert_noop!(reveal_result(BOB, 0, honest), Error::<Test>::AlreadyReported);
		let closes = match stage(0, 0) {
			Stage::Reexecution { until, revealing: true, .. } => until,
			other => panic!("not revealing: {other:?}"),
		};
		MockJobs::postpone(0, 0, closes + 2);
		run_to_block(closes + 1);
		assert_noop!(reveal_result(CHARLIE, 0, honest), Error::<Test>::RevealClosed);
		run_to_block(closes + 2);
		// Bob alone of three is no majority; Charlie and Dave lose their collateral.
		assert_eq!(stage(0, 0), Stage::Disputed);
		assert_eq!(MockCollateral::slashes().len(), 2);
	});
}

#[test]
fn a_client_cannot_accept_a_receipt_under_proof() {
	ExtBuilder::default().build_and_execute(|| {
		let before = total(&EVERYONE);
		let (honest, claimed) = optimistic(false);
		run_to_block(2);
		// While the executors are drawn, and during the re-execution: accepting would call the
		// challenge off for free.
		assert_ok!(MockJobs::challenge(0, 0, CLIENT));
		assert_noop!(MockJobs::accept(0, 0), Error::<Test>::UnderProof);
		let _ = (honest, claimed);
		assert_eq!(held(CLIENT), CHALLENGE_BOND);
		// A receipt being spot-checked, and one proven wrong, cannot be accepted either.
		let job = MatMul::seeded(SMALL, 2);
		let wrong = job.prover(&job.wrong_c());
		submit(1, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&wrong));
		run_to_block(2 + RANDOMNESS_DELAY + 1);
		assert!(matches!(stage(0, 0), Stage::Reexecution { .. }));
		assert_noop!(MockJobs::accept(0, 0), Error::<Test>::UnderProof);
		assert!(matches!(stage(1, 0), Stage::Sampling { .. }));
		assert_noop!(MockJobs::accept(1, 0), Error::<Test>::UnderProof);
		// A wrong answer is told as fraud in its block: no moment is left in which it could
		// be accepted.
		assert_ok!(answer(ALICE, 1, 0, &wrong, &all(8)));
		assert_eq!(verdict(1, 0), fraud_at(System::block_number()));
		assert!(Checks::<Test>::get(1, 0).is_none());
		assert_eq!(total(&EVERYONE), before);
	});
}

#[test]
fn a_challenge_of_an_opaque_job_goes_to_the_dispute_origin_at_once() {
	// The bond is paid out at the resolution (see above).
	ExtBuilder::default().build_and_execute(|| {
		let before = total(&EVERYONE);
		submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		run_to_block(2);
		assert_eq!(MockJobs::challenge(0, 0, CLIENT), Ok(2 + DISPUTE_POLL));
		assert_eq!(
			take_events(),
			vec![
				Event::Challenged { job: 0, replica: 0, challenger: CLIENT, bond: CHALLENGE_BOND },
				Event::Disputed { job: 0, replica: 0 },
			]
		);
		assert_eq!(stage(0, 0), Stage::Disputed);
		assert_eq!(MockRegistry::all_busy().values().sum::<u32>(), 0);
		// Nothing decides it but the dispute origin.
		run_to_block(2 + DISPUTE_POLL);
		assert_eq!(MockJobs::due(0, 0), Some(2 + 2 * DISPUTE_POLL));

		assert_ok!(Proofs::resolve_dispute(root(), 0, None, None));
		assert_eq!(
			take_events(),
			vec![
				Event::DisputeResolved { job: 0, replica: None, accepted: None },
				Event::ChallengeSettled {
					job: 0,
					replica: 0,
					upheld: false,
					to_executors: 0,
					to_provider: 0,
					refunded: CHALLENGE_BOND,
				},
			]
		);
		// Rejected in the block of the resolution, not at the next look.
		assert_eq!(
			verdict(0, 0),
			Some((
				Verdict::Rejected { offence: SlashReason::Fraud, watcher: Some(CLIENT) },
				2 + DISPUTE_POLL
			))
		);
		assert_eq!(MockJobs::due(0, 0), None);
		run_to_block(2 + 2 * DISPUTE_POLL);
		assert_eq!(MockJobs::told(), vec![(0, 0)]);
		assert_eq!((free(CLIENT), held(CLIENT)), (INITIAL, 0));
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(total(&EVERYONE), before);
	});
}

#[test]
fn the_dispute_origin_can_uphold_an_opaque_receipt() {
	// The bond is paid out at the resolution (see above).
	ExtBuilder::default().build_and_execute(|| {
		let before = total(&EVERYONE);
		submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		run_to_block(2);
		assert_ok!(MockJobs::challenge(0, 0, CLIENT));
		take_events();
		assert_ok!(Proofs::resolve_dispute(root(), 0, None, Some(out(1))));
		assert_eq!(
			take_events(),
			vec![
				Event::DisputeResolved { job: 0, replica: None, accepted: Some(out(1)) },
				Event::ChallengeSettled {
					job: 0,
					replica: 0,
					upheld: true,
					to_executors: 0,
					to_provider: CHALLENGE_BOND,
					refunded: 0,
				},
			]
		);
		assert_eq!(verdict(0, 0), accepted_at(2));
		run_to_block(2 + DISPUTE_POLL);
		assert_eq!(MockJobs::told(), vec![(0, 0)]);
		assert_eq!((free(CLIENT), held(CLIENT)), (INITIAL - CHALLENGE_BOND, 0));
		assert_eq!(free(ALICE), STAKE + CHALLENGE_BOND);
		assert_eq!(total(&EVERYONE), before);
	});
}

/// Attack 3: a challenge nobody decides must not be a free way to hold up an honest
/// provider's pay for the dispute period: the receipt stands and the bond goes to the
/// provider.
#[test]
fn a_dispute_nobody_decides_expires_and_the_receipt_stands() {
	ExtBuilder::default().build_and_execute(|| {
		let before = total(&EVERYONE);
		submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		run_to_block(2);
		assert_ok!(MockJobs::challenge(0, 0, CLIENT));
		let expiry = DEADLINE + DISPUTE_PERIOD;
		run_to_block(expiry);
		assert_eq!(stage(0, 0), Stage::Disputed);
		assert_eq!(MockJobs::due(0, 0), Some(expiry + 1));
		take_events();
		run_to_block(expiry + 1);
		assert_eq!(verdict(0, 0), accepted_at(expiry + 1));
		assert_eq!(
			take_events(),
			vec![
				Event::ChallengeSettled {
					job: 0,
					replica: 0,
					upheld: true,
					to_executors: 0,
					to_provider: CHALLENGE_BOND,
					refunded: 0,
				},
				Event::DisputeExpired { job: 0, replica: 0 },
			]
		);
		assert_eq!((free(CLIENT), held(CLIENT)), (INITIAL - CHALLENGE_BOND, 0));
		assert_eq!(free(ALICE), STAKE + CHALLENGE_BOND);
		assert_eq!(total(&EVERYONE), before);
	});
}

#[test]
fn disputes_of_replicas_that_may_differ_are_decided_one_at_a_time() {
	ExtBuilder::default().build_and_execute(|| {
		// Two replicas of an opaque program rightly report different outputs.
		let spec = with_replicas(opaque_spec(Verification::Optimistic), 2);
		submit(0, 0, ALICE, &spec, &receipt(out(1), 100));
		submit(0, 1, BOB, &spec, &receipt(out(2), 100));
		run_to_block(2);
		assert_ok!(MockJobs::challenge(0, 0, CLIENT));
		assert_ok!(MockJobs::challenge(0, 1, WATCHER));
		take_events();
		assert_noop!(
			Proofs::resolve_dispute(root(), 0, Some(2), Some(out(1))),
			Error::<Test>::NotDisputed
		);
		assert_ok!(Proofs::resolve_dispute(root(), 0, Some(0), Some(out(1))));
		assert_eq!(verdict(0, 0), accepted_at(2));
		assert_eq!(stage(0, 1), Stage::Disputed);
		assert_eq!(verdict(0, 1), None);
		assert_ok!(Proofs::resolve_dispute(root(), 0, Some(1), Some(out(2))));
		assert_eq!(verdict(0, 1), accepted_at(2));
		assert_eq!(
			take_events(),
			vec![
				Event::DisputeResolved { job: 0, replica: Some(0), accepted: Some(out(1)) },
				Event::ChallengeSettled {
					job: 0,
					replica: 0,
					upheld: true,
					to_executors: 0,
					to_provider: CHALLENGE_BOND,
					refunded: 0,
				},
				Event::DisputeResolved { job: 0, replica: Some(1), accepted: Some(out(2)) },
				Event::ChallengeSettled {
					job: 0,
					replica: 1,
					upheld: true,
					to_executors: 0,
					to_provider: CHALLENGE_BOND,
					refunded: 0,
				},
			]
		);
	});
}

#[test]
fn challenges_that_are_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &job.receipt(&prover));
		submit(1, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
		submit(2, 0, ALICE, &replicated(3), &receipt(out(1), 100));
		assert_noop!(MockJobs::challenge(9, 0, CLIENT), Error::<Test>::UnknownCheck);
		assert_noop!(MockJobs::challenge(0, 1, CLIENT), Error::<Test>::UnknownCheck);
		// Spot-checked and replicated receipts have their own checks.
		assert_noop!(MockJobs::challenge(1, 0, CLIENT), Error::<Test>::NotChallengeable);
		assert_noop!(MockJobs::challenge(2, 0, CLIENT), Error::<Test>::NotChallengeable);
		assert_noop!(MockJobs::challenge(0, 0, ALICE), Error::<Test>::OwnReceipt);
		// Less than the bond, and nothing at all.
		assert_noop!(MockJobs::challenge(0, 0, POOR), Error::<Test>::InsufficientBond);
		assert_noop!(MockJobs::challenge(0, 0, NOBODY), Error::<Test>::InsufficientBond);
		assert_ok!(MockJobs::challenge(0, 0, CLIENT));
		assert_noop!(MockJobs::challenge(0, 0, WATCHER), Error::<Test>::AlreadyChallenged);
		assert_noop!(MockJobs::challenge(0, 0, CLIENT), Error::<Test>::AlreadyChallenged);
		assert_eq!(held(CLIENT), CHALLENGE_BOND);
		assert_eq!(free(POOR), POOR_BALANCE);
	});
}

#[test]
fn a_receipt_being_audited_can_no_longer_be_challenged() {
	ExtBuilder::default().audit_chance(Perbill::one()).build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &job.receipt(&prover));
		run_to_block(START + CHALLENGE_WINDOW);
		assert!(matches!(stage(0, 0), Stage::Sampling { audit: true, .. }));
		assert_noop!(MockJobs::challenge(0, 0, CLIENT), Error::<Test>::ChallengeClosed);
		// Passed, told and closed at once: nothing is left to challenge.
		assert_ok!(answer(ALICE, 0, 0, &prover, &all(4)));
		assert_eq!(verdict(0, 0), accepted_at(START + CHALLENGE_WINDOW));
		assert_noop!(MockJobs::challenge(0, 0, CLIENT), Error::<Test>::UnknownCheck);
	});
}

#[test]
fn a_challenge_after_the_window_is_refused_even_if_the_verdict_is_late() {
	// The window closes at `until` even when this pallet's hook is behind and looks at the
	// receipt late.
	ExtBuilder::default().build_and_execute(|| {
		optimistic(false);
		let end = START + CHALLENGE_WINDOW;
		MockJobs::postpone(0, 0, end + 3);
		run_to_block(end + 1);
		assert_noop!(MockJobs::challenge(0, 0, CLIENT), Error::<Test>::ChallengeClosed);
		run_to_block(end + 3);
		assert_eq!(verdict(0, 0), accepted_at(end + 3));
	});
}

#[test]
fn an_unchallenged_optimistic_receipt_is_accepted_after_the_window() {
	ExtBuilder::default().build_and_execute(|| {
		let end = START + CHALLENGE_WINDOW;
		let (_, claimed) = optimistic(false);
		assert_eq!(MockJobs::due(0, 0), Some(end));
		assert_eq!(stage(0, 0), Stage::Window { until: end });
		let check = Checks::<Test>::get(0, 0).unwrap();
		assert_eq!((check.provider, check.output, check.challenge), (ALICE, claimed, None));
		run_to_block(end - 1);
		assert_eq!(verdict(0, 0), None);
		run_to_block(end);
		assert_eq!(verdict(0, 0), accepted_at(end));
		assert!(take_events().is_empty());
		assert_eq!(free(ALICE), STAKE);
	});
}

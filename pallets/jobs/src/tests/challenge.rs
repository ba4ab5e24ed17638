//! `challenge`: a dispute forwarded to the verifier.

use super::*;

#[test]
fn is_forwarded_and_the_verifier_moves_its_look() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		run_to_block(2);
		submit(ALICE, id, 0, 60);
		run_to_block(3);
		take_events();
		// A watcher challenges.
		assert_ok!(Jobs::challenge(signed(NOBODY), id, 0));
		let verdict_at = 3 + 10;
		assert_eq!(
			take_events(),
			vec![Event::Challenged { job: id, replica: 0, challenger: NOBODY, verdict_at }]
		);
		assert_eq!(
			MockVerifier::calls().last(),
			Some(&VerifierCall::Challenged { job: id, replica: 0, challenger: NOBODY })
		);
		// The record does not change and the jobs pallet schedules nothing: the verifier moved
		// its own look.
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { since: 2 });
		assert!(timeouts_of(id).is_empty());
		assert_eq!(MockVerifier::next_look(id, 0), Some(verdict_at));
		// The first look's block passes without a look.
		run_to_block(verdict_at - 1);
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 0);
		assert_eq!(held(CLIENT), ESCROW);
		// The client challenges too: the look moves again.
		assert_ok!(Jobs::challenge(signed(CLIENT), id, 0));
		let verdict_at = verdict_at - 1 + 10;
		assert_eq!(MockVerifier::next_look(id, 0), Some(verdict_at));
		run_to_block(verdict_at);
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
		assert_eq!(replica_state(id, 0), paid(300));
		assert_eq!(free(ALICE), STAKE + 300);
	});
}

#[test]
fn a_look_due_now_comes_next_block() {
	ExtBuilder::market().build_and_execute(|| {
		MockVerifier::set_challenge_delay(Some(0));
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 1);
		take_events();
		assert_ok!(Jobs::challenge(signed(CLIENT), id, 0));
		// The event says what the verifier said, as it said it.
		assert_eq!(
			take_events(),
			vec![Event::Challenged { job: id, replica: 0, challenger: CLIENT, verdict_at: 1 }]
		);
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { since: 1 });
		// The verifier's hook of this block has run: it looks in the next one.
		run_to_block(2);
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
		assert_eq!(replica_state(id, 0), paid(ALICE_PRICE));
	});
}

#[test]
fn the_verifier_may_refuse_it() {
	ExtBuilder::market().build_and_execute(|| {
		MockVerifier::set_challenge_delay(None);
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 1);
		assert_noop!(Jobs::challenge(signed(CLIENT), id, 0), CHALLENGE_REFUSED);
	});
}

#[test]
fn refusals() {
	ExtBuilder::market().build_and_execute(|| {
		assert_noop!(Jobs::challenge(signed(CLIENT), 0, 0), Error::<Test>::UnknownJob);
		let id = post(CLIENT, spec());
		assert_noop!(Jobs::challenge(signed(CLIENT), id, 1), Error::<Test>::NoSuchReplica);
		assert_noop!(Jobs::challenge(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
		ack(ALICE, id, 0);
		assert_noop!(Jobs::challenge(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
		submit(ALICE, id, 0, 1);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_noop!(Jobs::challenge(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
		// Nothing reached the verifier but the receipt.
		assert!(!MockVerifier::calls()
			.iter()
			.any(|c| matches!(c, VerifierCall::Challenged { .. })));
	});
}

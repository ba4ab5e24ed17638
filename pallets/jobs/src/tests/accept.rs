//! `accept`: the client pays a receipt at once.

use super::*;

#[test]
fn pays_at_once_and_tells_the_verifier() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		run_to_block(2);
		submit(ALICE, id, 0, 60);
		let first_look = 2 + MockVerifier::config().window;
		take_events();
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		let (payment, fee) = (300, 6);
		assert_eq!(
			take_events(),
			vec![
				Event::AcceptedEarly { job: id, replica: 0 },
				Event::Paid { job: id, replica: 0, provider: ALICE, payment, fee },
				Event::Closed {
					job: id,
					state: JobState::Completed,
					refund: ESCROW - payment - fee,
					deposit: 0,
				},
			]
		);
		assert_eq!(replica_state(id, 0), ReplicaState::Paid { payment, fee });
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL - payment - fee);
		assert_eq!(free(ALICE), STAKE + payment);
		assert_eq!(free(TREASURY), ED + fee);
		assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
		assert_eq!(
			MockVerifier::calls().last(),
			Some(&VerifierCall::Closed { job: id, replica: 0 })
		);
		assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Completed)]);
		assert_eq!(MockRegistry::busy(ALICE), 0);
		assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
		// The verifier forgot it: it never looks at it, and nothing is left scheduled.
		assert_eq!(MockVerifier::next_look(id, 0), None);
		assert!(timeouts_of(id).is_empty());
		run_to_block(first_look + 5);
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 0);
		assert!(take_events().is_empty());
	});
}

#[test]
fn one_replica_of_several_leaves_the_job_open() {
	ExtBuilder::market().build_and_execute(|| {
		let escrow = escrow_of(MAX_PRICE, UNITS, 2);
		let id = post(CLIENT, replicated(2));
		ack(ALICE, id, 0);
		ack(BOB, id, 1);
		submit(BOB, id, 1, 50);
		take_events();
		assert_ok!(Jobs::accept(signed(CLIENT), id, 1));
		assert_eq!(
			take_events(),
			vec![
				Event::AcceptedEarly { job: id, replica: 1 },
				Event::Paid { job: id, replica: 1, provider: BOB, payment: 300, fee: 6 },
			]
		);
		assert_eq!(job(id).state, JobState::Active);
		assert_eq!(job(id).escrow, escrow - 306);
		assert_eq!(held(CLIENT), escrow - 306);
		assert_eq!(stats(), JobStats { active: 1, escrowed: escrow - 306, ..Default::default() });
		assert_eq!(replica_state(id, 0), ReplicaState::Running);
	});
}

#[test]
fn refusals() {
	ExtBuilder::market().build_and_execute(|| {
		assert_noop!(Jobs::accept(signed(CLIENT), 0, 0), Error::<Test>::UnknownJob);
		let id = post(CLIENT, spec());
		assert_noop!(Jobs::accept(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
		ack(ALICE, id, 0);
		assert_noop!(Jobs::accept(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
		submit(ALICE, id, 0, 1);
		assert_noop!(Jobs::accept(signed(CLIENT2), id, 0), Error::<Test>::NotClient);
		assert_noop!(Jobs::accept(signed(worker_of(ALICE)), id, 0), Error::<Test>::NotClient);
		assert_noop!(Jobs::accept(signed(CLIENT), id, 1), Error::<Test>::NoSuchReplica);
		// The verifier refuses while the receipt is being proven: nothing changes.
		MockVerifier::configure(VerifierConfig { refuse_accept: true, ..Default::default() });
		assert_noop!(Jobs::accept(signed(CLIENT), id, 0), ACCEPT_REFUSED);
		assert!(!MockVerifier::calls().contains(&VerifierCall::Closed { job: id, replica: 0 }));
		MockVerifier::configure(VerifierConfig::default());
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_noop!(Jobs::accept(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
	});
}

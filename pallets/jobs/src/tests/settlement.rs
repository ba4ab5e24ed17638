//! Verdicts and payment: who is paid what, and what a rejected or outvoted receipt costs.

use super::*;

#[test]
fn a_full_lifecycle_conserves_money_to_the_unit() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		assert_eq!(held(CLIENT), ESCROW);
		assert_eq!(free(CLIENT), INITIAL - ESCROW);
		assert_eq!(stats(), JobStats { active: 1, escrowed: ESCROW, ..Default::default() });
		ack(ALICE, id, 0);
		run_to_block(2);
		// Alice asks 5 of the 10 allowed and uses 60 of the 100 units.
		submit(ALICE, id, 0, 60);
		run_to_block(4);
		assert_eq!(held(CLIENT), ESCROW);
		take_events();
		run_to_block(5);
		let (payment, fee) = (300, 6);
		let refund = ESCROW - payment - fee;
		assert_eq!(refund, 714);
		assert_eq!(
			take_events(),
			vec![
				Event::Paid { job: id, replica: 0, provider: ALICE, payment, fee },
				Event::Closed { job: id, state: JobState::Completed, refund, deposit: 0 },
			]
		);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL - payment - fee);
		assert_eq!(free(ALICE), STAKE + payment);
		assert_eq!(free(TREASURY), ED + fee);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
		let record = job(id);
		assert_eq!(record.state, JobState::Completed);
		assert_eq!(record.escrow, 0);
		assert_eq!(record.replicas[0].state, ReplicaState::Paid { payment, fee });
		assert_eq!(
			MockVerifier::calls(),
			vec![
				VerifierCall::Submitted {
					job: id,
					replica: 0,
					provider: ALICE,
					receipt: receipt(60)
				},
				VerifierCall::Verdict { job: id, replica: 0 },
				VerifierCall::Closed { job: id, replica: 0 },
			]
		);
		// Reputation by the payment; the collateral is back in the free stake.
		assert_eq!(MockRegistry::valued_outcomes(), vec![(ALICE, Outcome::Completed, 300)]);
		assert_eq!(MockRegistry::busy(ALICE), 0);
		assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(record.replicas[0].collateral, 0);
		assert!(MockStake::slashes().is_empty());
	});
}

#[test]
fn two_replicas_conserve_money_to_the_unit() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let escrow = escrow_of(MAX_PRICE, UNITS, 2);
		let id = post(CLIENT, replicated(2));
		ack(ALICE, id, 0);
		ack(BOB, id, 1);
		run_to_block(2);
		submit(ALICE, id, 0, 60);
		run_to_block(3);
		submit(BOB, id, 1, 80);
		take_events();

		// Alice's verdict at 5: 300 and a fee of 6; the job stays open.
		run_to_block(5);
		assert_eq!(
			take_events(),
			vec![Event::Paid { job: id, replica: 0, provider: ALICE, payment: 300, fee: 6 }]
		);
		assert_eq!(held(CLIENT), escrow - 306);
		assert_eq!(free(CLIENT), INITIAL - escrow);
		assert_eq!(free(ALICE), STAKE + 300);
		assert_eq!(free(TREASURY), ED + 6);
		assert_eq!(stats(), JobStats { active: 1, escrowed: escrow - 306, ..Default::default() });

		// Bob's at 6: 480 and 2% of it rounded down, 9; then the refund.
		run_to_block(6);
		let refund = escrow - 306 - 489;
		assert_eq!(refund, 1_245);
		assert_eq!(
			take_events(),
			vec![
				Event::Paid { job: id, replica: 1, provider: BOB, payment: 480, fee: 9 },
				Event::Closed { job: id, state: JobState::Completed, refund, deposit: 0 },
			]
		);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL - 795);
		assert_eq!(free(BOB), STAKE + 480);
		assert_eq!(free(TREASURY), ED + 15);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
		assert_eq!(
			MockRegistry::outcomes(),
			vec![(ALICE, Outcome::Completed), (BOB, Outcome::Completed)]
		);
	});
}

#[test]
fn three_replicas_with_one_rejected_conserve_money() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let escrow = escrow_of(MAX_PRICE, UNITS, 3);
		let id = post(CLIENT, replicated(3));
		MockVerifier::script(
			id,
			1,
			vec![Look::Decided(Verdict::Rejected { offence: SlashReason::Fraud, watcher: None })],
		);
		for (replica, provider) in [ALICE, BOB, CHARLIE].into_iter().enumerate() {
			ack(provider, id, replica as u32);
		}
		submit(ALICE, id, 0, 60);
		submit(BOB, id, 1, 70);
		submit(CHARLIE, id, 2, UNITS);
		take_events();
		run_to_block(1 + MockVerifier::config().window);
		let charlie_pay = CHARLIE_PRICE * Balance::from(UNITS);
		let refund = escrow - 306 - charlie_pay - fee_on(charlie_pay);
		// The three looks are due in the same block, taken in the verifier's order; the job
		// closes after the last verdict.
		let mut events = take_events();
		assert_eq!(
			events.pop(),
			Some(Event::Closed { job: id, state: JobState::Completed, refund, deposit: 0 })
		);
		assert_eq!(events.len(), 3);
		for event in [
			Event::Paid { job: id, replica: 0, provider: ALICE, payment: 300, fee: 6 },
			Event::ReplicaFailed {
				job: id,
				replica: 1,
				provider: BOB,
				reason: FailureReason::Rejected,
			},
			Event::Paid { job: id, replica: 2, provider: CHARLIE, payment: charlie_pay, fee: 14 },
		] {
			assert!(events.contains(&event), "missing {event:?}");
		}
		assert_eq!(MockStake::slashes(), vec![fraud_slash(BOB, CLIENT)]);
		let to_client = FRAUD_SLASH / 2;
		assert_eq!(free(CLIENT), INITIAL - 306 - 714 + to_client);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(ALICE), STAKE + 300);
		assert_eq!(free(BOB), STAKE - FRAUD_SLASH);
		assert_eq!(free(CHARLIE), STAKE + 700);
		assert_eq!(free(TREASURY), ED + 6 + 14 + (FRAUD_SLASH - to_client));
		assert_eq!(total(&EVERYONE), before);
		let outcomes = MockRegistry::outcomes();
		assert_eq!(outcomes.len(), 3);
		for outcome in
			[(ALICE, Outcome::Completed), (BOB, Outcome::Slashed), (CHARLIE, Outcome::Completed)]
		{
			assert!(outcomes.contains(&outcome));
		}
	});
}

#[test]
fn a_rejected_receipt_slashes_for_fraud_and_refunds_the_client() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		MockVerifier::set_verdict(Verdict::Rejected { offence: SlashReason::Fraud, watcher: None });
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, UNITS);
		take_events();
		run_to_block(1 + MockVerifier::config().window);
		assert_eq!(
			take_events(),
			vec![
				Event::ReplicaFailed {
					job: id,
					replica: 0,
					provider: ALICE,
					reason: FailureReason::Rejected
				},
				Event::Closed { job: id, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		assert_eq!(MockStake::slashes(), vec![fraud_slash(ALICE, CLIENT)]);
		assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Slashed)]);
		assert_eq!(
			MockVerifier::calls().last(),
			Some(&VerifierCall::Closed { job: id, replica: 0 })
		);
		// The client gets its escrow back and the client share of the slash.
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL + FRAUD_SLASH / 2);
		assert_eq!(free(ALICE), STAKE - FRAUD_SLASH);
		assert_eq!(free(TREASURY), ED + FRAUD_SLASH / 2);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(replica_state(id, 0), ReplicaState::Failed);
		assert_eq!(job(id).state, JobState::Failed);
		assert_eq!(stats(), JobStats { failed: 1, ..Default::default() });
		assert_eq!(MockRegistry::busy(ALICE), 0);
		assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
		// The collateral was released before the fraud slash took its fraction of the stake,
		// and the provider is banned.
		assert_eq!(committed(ALICE), 0);
		assert!(MockRegistry::get(ALICE).unwrap().banned);
	});
}

#[test]
fn an_outvoted_receipt_loses_its_collateral_and_pays_the_watcher() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		MockVerifier::set_verdict(Verdict::Rejected {
			offence: SlashReason::Dissent,
			watcher: Some(CLIENT2),
		});
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, UNITS);
		take_events();
		run_to_block(1 + MockVerifier::config().window);
		assert_eq!(
			take_events(),
			vec![
				Event::ReplicaFailed {
					job: id,
					replica: 0,
					provider: ALICE,
					reason: FailureReason::Outvoted
				},
				Event::Closed { job: id, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		let slashed = ALICE_COLLATERAL;
		let (to_client, to_watcher) = (slashed / 2, slashed / 5);
		assert_eq!(
			MockStake::slashes(),
			vec![SlashRecord {
				who: ALICE,
				reason: SlashReason::Dissent,
				harmed: Some(CLIENT),
				watcher: Some(CLIENT2),
				outcome: SlashOutcome {
					slashed,
					to_client,
					to_watcher,
					to_treasury: slashed - to_client - to_watcher,
				},
			}]
		);
		assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Failed)]);
		assert_eq!(free(CLIENT), INITIAL + to_client);
		assert_eq!(free(CLIENT2), INITIAL + to_watcher);
		assert_eq!(free(ALICE), STAKE - slashed);
		assert_eq!(free(TREASURY), ED + slashed - to_client - to_watcher);
		assert_eq!(total(&EVERYONE), before);
		// Only the collateral is taken: no ban.
		assert_eq!(committed(ALICE), 0);
		assert!(!MockRegistry::get(ALICE).unwrap().banned);
	});
}

#[test]
fn verifier_weights_are_charged() {
	ExtBuilder::market().build_and_execute(|| {
		let receipt_call =
			crate::Call::<Test>::submit_receipt { job: 0, replica: 0, receipt: receipt(UNITS) };
		assert_eq!(
			receipt_call.get_dispatch_info().call_weight,
			<() as crate::WeightInfo>::submit_receipt() + MOCK_VERIFIER_WEIGHT
		);
		let challenge_call = crate::Call::<Test>::challenge { job: 0, replica: 0 };
		assert_eq!(
			challenge_call.get_dispatch_info().call_weight,
			<() as crate::WeightInfo>::challenge() + MOCK_VERIFIER_WEIGHT
		);
	});
}

#[test]
fn a_pending_verdict_is_asked_again_when_the_verifier_says() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		MockVerifier::script(id, 0, vec![Look::Pending(20)]);
		ack(ALICE, id, 0);
		run_to_block(2);
		submit(ALICE, id, 0, 60);
		run_to_block(5);
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
		// The verifier looks again at 20; the jobs pallet keeps nothing for it.
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { since: 2 });
		assert_eq!(MockVerifier::next_look(id, 0), Some(20));
		assert!(timeouts_of(id).is_empty());
		assert_eq!(held(CLIENT), ESCROW);
		run_to_block(19);
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
		run_to_block(20);
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 2);
		assert_eq!(replica_state(id, 0), paid(300));
		assert_eq!(job(id).state, JobState::Completed);
	});
}

#[test]
fn a_pending_verdict_in_the_past_is_asked_again_next_block() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		MockVerifier::script(
			id,
			0,
			vec![
				Look::Pending(0),
				Look::Pending(7),
				Look::Decided(Verdict::Rejected { offence: SlashReason::Fraud, watcher: None }),
			],
		);
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 60);
		run_to_block(4);
		assert_eq!(MockVerifier::next_look(id, 0), Some(5));
		run_to_block(5);
		assert_eq!(MockVerifier::next_look(id, 0), Some(7));
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { since: 1 });
		run_to_block(7);
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 3);
		assert_eq!(replica_state(id, 0), ReplicaState::Failed);
	});
}

#[test]
fn a_pending_verdict_can_still_be_challenged_or_accepted() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, replicated(2));
		MockVerifier::script(id, 0, vec![Look::Pending(100)]);
		MockVerifier::script(id, 1, vec![Look::Pending(100)]);
		ack(ALICE, id, 0);
		ack(BOB, id, 1);
		submit(ALICE, id, 0, 1);
		submit(BOB, id, 1, 1);
		run_to_block(4);
		assert_ok!(Jobs::challenge(signed(CLIENT), id, 0));
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { since: 1 });
		assert_eq!(MockVerifier::next_look(id, 0), Some(14));
		assert_ok!(Jobs::accept(signed(CLIENT), id, 1));
		assert_eq!(MockVerifier::next_look(id, 1), None);
		run_to_block(14);
		assert_eq!(job(id).state, JobState::Completed);
		assert!(timeouts_of(id).is_empty());
		// Each replica was looked at once before the challenge and the acceptance, and the
		// challenged one once more.
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 2);
		assert_eq!(MockVerifier::verdicts_asked(id, 1), 1);
	});
}

#[test]
fn the_verdict_may_come_after_the_deadline() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		run_to_block(DEADLINE - 1);
		submit(ALICE, id, 0, 60);
		run_to_block(DEADLINE + 1);
		assert!(MockStake::slashes().is_empty());
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { since: DEADLINE - 1 });
		assert_eq!(MockVerifier::next_look(id, 0), Some(DEADLINE + 2));
		run_to_block(DEADLINE + 2);
		assert_eq!(replica_state(id, 0), paid(300));
	});
}

#[test]
fn a_provider_that_leaves_after_its_receipt_is_still_paid() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 10);
		MockRegistry::remove(ALICE);
		run_to_block(1 + MockVerifier::config().window);
		assert_eq!(replica_state(id, 0), paid(50));
		assert_eq!(free(ALICE), STAKE + 50);
		assert_eq!(job(id).state, JobState::Completed);
	});
}

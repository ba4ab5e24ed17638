//! The hook's timeouts: missed acknowledgements (re-matched, no stake lost), missed deadlines
//! (the collateral taken), re-matching, and a backlog carried over.

use super::*;

#[test]
fn a_provider_that_never_acknowledges_loses_no_stake_and_is_dropped_and_replaced() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		take_events();
		run_to_block(ACK_TIMEOUT);
		assert_eq!(replica_state(id, 0), ReplicaState::AwaitingAck { until: 1 + ACK_TIMEOUT });
		assert!(take_events().is_empty());

		run_to_block(1 + ACK_TIMEOUT);
		let now = 1 + ACK_TIMEOUT;
		assert_eq!(
			take_events(),
			vec![
				Event::ReplicaFailed {
					job: id,
					replica: 0,
					provider: ALICE,
					reason: FailureReason::MissedAcknowledgement,
				},
				Event::Assigned {
					job: id,
					replica: 0,
					provider: BOB,
					worker: worker_of(BOB),
					price_per_unit: BOB_PRICE,
				},
			]
		);
		assert!(MockStake::slashes().is_empty(), "silence costs no stake");
		assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Ignored)]);
		let record = job(id);
		assert_eq!(record.dropped.to_vec(), vec![ALICE]);
		assert_eq!(record.replicas[0].provider, BOB);
		assert_eq!(record.replicas[0].price_per_unit, BOB_PRICE);
		assert_eq!(
			record.replicas[0].state,
			ReplicaState::AwaitingAck { until: now + ACK_TIMEOUT }
		);
		// The re-match asked for one provider, without Alice.
		let (count, exclude) = MockRegistry::cheapest_calls().pop().unwrap();
		assert_eq!(count, 1);
		assert!(exclude.contains(&ALICE));
		assert_eq!(MockRegistry::busy(ALICE), 0);
		assert_eq!(MockRegistry::busy(BOB), 1);
		assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
		assert_eq!(ProviderJobs::<Test>::get(BOB, id), Some(0));
		// Money: nothing moved but the escrow.
		assert_eq!(held(CLIENT), ESCROW);
		assert_eq!(free(CLIENT), INITIAL - ESCROW);
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(stats(), JobStats { active: 1, escrowed: ESCROW, ..Default::default() });
		// Alice's worker is too late; Bob's completes.
		assert_noop!(
			Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::NotAssignedWorker
		);
		run_to_block(now + 1);
		ack(BOB, id, 0);
		run_to_block(now + 2);
		submit(BOB, id, 0, 50);
		run_to_block(now + 2 + MockVerifier::config().window);
		assert_eq!(
			take_events(),
			vec![
				Event::Acknowledged { job: id, replica: 0 },
				Event::ReceiptSubmitted {
					job: id,
					replica: 0,
					output_commitment: H256::repeat_byte(0xaa),
					used_units: 50,
					verdict_at: now + 2 + MockVerifier::config().window,
				},
				Event::Paid { job: id, replica: 0, provider: BOB, payment: 300, fee: 6 },
				Event::Closed {
					job: id,
					state: JobState::Completed,
					refund: ESCROW - 306,
					deposit: 0
				},
			]
		);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL - 306);
		assert_eq!(free(BOB), STAKE + 300);
		assert_eq!(free(TREASURY), ED + 6);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(
			MockRegistry::outcomes(),
			vec![(ALICE, Outcome::Ignored), (BOB, Outcome::Completed)]
		);
		assert_eq!(MockRegistry::valued_outcomes()[1].2, 300, "reputation by the payment");
		assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
	});
}

#[test]
fn silence_costs_no_stake_and_records_ignored() {
	ExtBuilder::market().build_and_execute(|| {
		let free_stake = MockStake::free_stake(ALICE);
		let id = post(CLIENT, spec());
		run_to_block(1 + ACK_TIMEOUT);
		// Nothing was set aside, nothing was taken, and the outcome carries no value.
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(MockStake::free_stake(ALICE), free_stake);
		assert!(MockStake::slashes().is_empty());
		assert_eq!(MockRegistry::valued_outcomes(), vec![(ALICE, Outcome::Ignored, 0)]);
		System::assert_has_event(failed(id, 0, ALICE, FailureReason::MissedAcknowledgement).into());
		// The client lost nothing either: the escrow still waits for Bob.
		assert_eq!(held(CLIENT), ESCROW);
		assert_eq!(free(CLIENT), INITIAL - ESCROW);
		assert_eq!(free(TREASURY), ED);
		// Bob is silent too: the same again.
		run_to_block(1 + 2 * ACK_TIMEOUT);
		assert_eq!(free(BOB), STAKE);
		assert_eq!(
			MockRegistry::valued_outcomes(),
			vec![(ALICE, Outcome::Ignored, 0), (BOB, Outcome::Ignored, 0)]
		);
		assert_eq!(job(id).replicas[0].provider, CHARLIE);
		assert_eq!(job(id).dropped.to_vec(), vec![ALICE, BOB]);
	});
}

#[test]
fn with_no_provider_left_the_replica_and_the_job_fail() {
	ExtBuilder::default().providers(vec![(ALICE, ALICE_PRICE)]).build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		take_events();
		run_to_block(1 + ACK_TIMEOUT);
		assert_eq!(
			take_events(),
			vec![
				Event::ReplicaFailed {
					job: id,
					replica: 0,
					provider: ALICE,
					reason: FailureReason::MissedAcknowledgement,
				},
				Event::Closed { job: id, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		// The whole escrow comes back; the provider loses nothing.
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { failed: 1, ..Default::default() });
		assert_eq!(job(id).state, JobState::Failed);
		assert_eq!(replica_state(id, 0), ReplicaState::Failed);
		assert_eq!(MockRegistry::busy(ALICE), 0);
	});
}

#[test]
fn no_rematch_when_the_acknowledgement_would_not_fit_before_the_deadline() {
	ExtBuilder::market().build_and_execute(|| {
		// Due at 11: Alice must acknowledge by 6, a new provider would have until 11.
		let id = post(CLIENT, spec_with(|s| s.deadline = 1 + MIN_DEADLINE));
		run_to_block(1 + ACK_TIMEOUT);
		assert_eq!(job(id).state, JobState::Failed);
		assert_eq!(MockRegistry::busy(BOB), 0);
		// With one more block it would.
		let id = post(CLIENT, spec_with(|s| s.deadline = 7 + MIN_DEADLINE));
		run_to_block(7 + ACK_TIMEOUT);
		assert_eq!(job(id).replicas[0].provider, BOB);
	});
}

#[test]
fn every_dropped_provider_is_excluded_until_the_list_is_full() {
	ExtBuilder::market()
		.providers(vec![(ALICE, 5), (BOB, 6), (CHARLIE, 7), (NOBODY, 8), (CLIENT2, 9)])
		.balances(vec![(CLIENT, INITIAL)])
		.build_and_execute(|| {
			let id = post(CLIENT, spec());
			// Nobody ever acknowledges.
			for (round, provider) in [ALICE, BOB, CHARLIE].into_iter().enumerate() {
				let at = 1 + ACK_TIMEOUT * (round as u64 + 1);
				assert_eq!(job(id).replicas[0].provider, provider);
				run_to_block(at);
			}
			// Three dropped (the most it holds): the fourth is matched, but once it fails too
			// re-matching stops.
			assert_eq!(job(id).dropped.to_vec(), vec![ALICE, BOB, CHARLIE]);
			assert_eq!(job(id).replicas[0].provider, NOBODY);
			run_to_block(1 + ACK_TIMEOUT * 4);
			assert_eq!(job(id).state, JobState::Failed);
			assert_eq!(MockRegistry::busy(CLIENT2), 0);
			assert!(MockStake::slashes().is_empty());
		});
}

#[test]
fn a_provider_that_acknowledges_but_never_delivers_loses_its_collateral_after_the_deadline() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		take_events();
		run_to_block(DEADLINE);
		assert_eq!(replica_state(id, 0), ReplicaState::Running);
		assert!(MockStake::slashes().is_empty());
		run_to_block(DEADLINE + 1);
		assert_eq!(
			take_events(),
			vec![
				Event::ReplicaFailed {
					job: id,
					replica: 0,
					provider: ALICE,
					reason: FailureReason::MissedDeadline,
				},
				Event::Closed { job: id, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		assert_eq!(
			MockStake::slashes(),
			vec![collateral_slash(
				ALICE,
				SlashReason::MissedDeadline,
				ALICE_COLLATERAL,
				CLIENT,
				compensation_cap(MAX_PRICE, UNITS),
				None
			)]
		);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Failed)]);
		// Not dropped, not re-matched: the deadline has passed.
		assert!(job(id).dropped.is_empty());
		assert_eq!(MockRegistry::busy(BOB), 0);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL + ALICE_COLLATERAL / 2);
		assert_eq!(free(ALICE), STAKE - ALICE_COLLATERAL);
		assert_eq!(free(TREASURY), ED + ALICE_COLLATERAL / 2);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { failed: 1, ..Default::default() });
		assert_noop!(
			Jobs::submit_receipt(signed(worker_of(ALICE)), id, 0, receipt(1)),
			Error::<Test>::NotRunning
		);
	});
}

#[test]
fn one_late_replica_does_not_fail_the_others() {
	ExtBuilder::market().build_and_execute(|| {
		let escrow = escrow_of(MAX_PRICE, UNITS, 2);
		let id = post(CLIENT, replicated(2));
		ack(ALICE, id, 0);
		ack(BOB, id, 1);
		submit(BOB, id, 1, UNITS);
		run_to_block(DEADLINE + 1);
		// Bob was paid 600 + 12 at block 4, Alice failed at the deadline.
		assert_eq!(replica_state(id, 1), paid(600));
		assert_eq!(replica_state(id, 0), ReplicaState::Failed);
		assert_eq!(job(id).state, JobState::Completed);
		assert_eq!(free(CLIENT), INITIAL - 612 + ALICE_COLLATERAL / 2);
		assert_eq!(held(CLIENT), 0);
		// Alice loses her collateral and nothing else; Bob keeps his pay and his stake.
		assert_eq!(free(ALICE), STAKE - ALICE_COLLATERAL);
		assert_eq!(free(BOB), STAKE + 600);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(committed(BOB), 0);
		System::assert_has_event(
			Event::Closed { job: id, state: JobState::Completed, refund: escrow - 612, deposit: 0 }
				.into(),
		);
	});
}

#[test]
fn a_backlog_of_timeouts_is_handled_late_but_none_is_skipped() {
	ExtBuilder::market().build_and_execute(|| {
		// Two jobs of two replicas at up to 6: Alice and Bob on each, Charlie never fits.
		let pair = spec_with(|s| {
			s.replicas = 2;
			s.max_price_per_unit = 6;
		});
		let first = post(CLIENT, pair.clone());
		let second = post(CLIENT2, pair);
		// A third job a block later goes to Charlie, whose slots are free.
		run_to_block(2);
		let third = post(CLIENT, spec());
		assert_eq!(job(third).replicas[0].provider, CHARLIE);
		// Four acknowledgements are due at 6, one at 7; nobody acknowledges.
		assert_eq!(timeouts_at(1 + ACK_TIMEOUT), 4);
		assert_eq!(timeouts_at(2 + ACK_TIMEOUT), 1);
		take_events();
		run_to_block(1 + ACK_TIMEOUT);
		let failed = |events: &[Event<Test>]| {
			events.iter().filter(|e| matches!(e, Event::ReplicaFailed { .. })).count()
		};
		assert_eq!(failed(&take_events()), MAX_TIMEOUTS_PER_BLOCK as usize);
		assert_eq!(TimeoutCursor::<Test>::get(), 1 + ACK_TIMEOUT);
		assert_eq!(timeouts_at(1 + ACK_TIMEOUT), 1);
		// The last one of block 6 and the one of block 7 are both handled at 7.
		run_to_block(2 + ACK_TIMEOUT);
		let events = take_events();
		assert_eq!(failed(&events), 2);
		assert_eq!(timeouts_at(1 + ACK_TIMEOUT), 0);
		assert_eq!(TimeoutCursor::<Test>::get(), 3 + ACK_TIMEOUT);
		assert_eq!(job(first).state, JobState::Failed);
		assert_eq!(job(second).state, JobState::Failed);
		// Charlie's replica was re-matched to Alice, whose slots are free again.
		assert_eq!(job(third).state, JobState::Active);
		assert_eq!(job(third).replicas[0].provider, ALICE);
		// Five missed acknowledgements: no stake moves, five `Ignored`.
		assert!(MockStake::slashes().is_empty());
		assert_eq!(MockRegistry::outcomes().len(), 5);
		assert!(MockRegistry::outcomes().iter().all(|(_, o)| *o == Outcome::Ignored));
		for p in [ALICE, BOB, CHARLIE] {
			assert_eq!(free(p), STAKE);
		}
		// Missed acknowledgements compensate nobody: the client gets its escrow back only.
		assert_eq!(held(CLIENT2), 0);
		assert_eq!(free(CLIENT2), INITIAL);
	});
}

#[test]
fn the_hook_reports_its_weight() {
	ExtBuilder::default().build_and_execute(|| {
		use crate::WeightInfo;
		post(CLIENT, spec());
		System::set_block_number(2);
		let weight = Jobs::on_initialize(2);
		assert_eq!(
			weight,
			<() as WeightInfo>::on_initialize_timeouts(0)
				.saturating_add(<() as WeightInfo>::on_initialize_queue(1))
				.saturating_add(CHEAPEST_WEIGHT)
				.saturating_add(<() as WeightInfo>::on_initialize_prune(0))
		);
	});
}

#[test]
fn skips_the_providers_already_on_the_job() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, replicated(2));
		// Bob acknowledges; Alice does not.
		ack(BOB, id, 1);
		run_to_block(1 + ACK_TIMEOUT);
		// Bob is cheaper than Charlie but already runs replica 1.
		let record = job(id);
		assert_eq!(record.replicas[0].provider, CHARLIE);
		assert_eq!(record.replicas[1].provider, BOB);
		assert_eq!(record.replicas[1].state, ReplicaState::Running);
		assert_eq!(MockRegistry::cheapest_calls().last(), Some(&(1, vec![ALICE, ALICE, BOB])));
		assert_eq!(ProviderJobs::<Test>::get(CHARLIE, id), Some(0));
		assert_eq!(ProviderJobs::<Test>::get(BOB, id), Some(1));
		assert_eq!(MockRegistry::busy(BOB), 1);
		// Both complete.
		ack(CHARLIE, id, 0);
		submit(CHARLIE, id, 0, 10);
		submit(BOB, id, 1, 10);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_ok!(Jobs::accept(signed(CLIENT), id, 1));
		assert_eq!(job(id).state, JobState::Completed);
		assert_eq!(free(CHARLIE), STAKE + 70);
		assert_eq!(free(BOB), STAKE + 60);
	});
}

#[test]
fn two_missed_acknowledgements_in_one_block_get_different_providers() {
	ExtBuilder::market()
		.providers(vec![(ALICE, 5), (BOB, 6), (CHARLIE, 7), (NOBODY, 8)])
		.build_and_execute(|| {
			let id = post(CLIENT, replicated(2));
			run_to_block(1 + ACK_TIMEOUT);
			let record = job(id);
			assert_eq!(record.dropped.len(), 2);
			let mut providers: Vec<_> = record.replicas.iter().map(|r| r.provider).collect();
			providers.sort();
			assert_eq!(providers, vec![CHARLIE, NOBODY]);
			assert!(MockStake::slashes().is_empty());
			// Handled in storage order: one `Ignored` each.
			let mut outcomes = MockRegistry::outcomes();
			outcomes.sort_by_key(|(who, _)| *who);
			assert_eq!(outcomes, vec![(ALICE, Outcome::Ignored), (BOB, Outcome::Ignored)]);
		});
}

#[test]
fn a_provider_that_leaves_mid_job_is_replaced_at_no_cost() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		MockRegistry::remove(ALICE);
		// Its worker key signs for nobody any more.
		assert_noop!(
			Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::NotAssignedWorker
		);
		run_to_block(1 + ACK_TIMEOUT);
		assert!(MockStake::slashes().is_empty());
		assert_eq!(job(id).replicas[0].provider, BOB);
		assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
	});
}

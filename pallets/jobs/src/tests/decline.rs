//! `decline`: a worker turns an assigned job down at no cost, and the job moves on.

use super::*;

#[test]
fn costs_nothing_and_goes_to_the_next_cheapest() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let free_stake = MockStake::free_stake(ALICE);
		let id = post(CLIENT, spec());
		run_to_block(2);
		take_events();
		decline(ALICE, id, 0);
		assert_eq!(
			take_events(),
			vec![failed(id, 0, ALICE, FailureReason::Declined), assigned(id, 0, BOB, BOB_PRICE)]
		);
		// Alice lost nothing: no stake, no collateral, no reputation.
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(MockStake::free_stake(ALICE), free_stake);
		assert!(MockStake::slashes().is_empty());
		assert!(MockRegistry::outcomes().is_empty());
		// Her slot and listing are free; Bob has a window of his own from now.
		assert_eq!(MockRegistry::busy(ALICE), 0);
		assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
		assert_eq!(ProviderJobs::<Test>::get(BOB, id), Some(0));
		assert_eq!(timeouts_of(id), vec![(2 + ACK_TIMEOUT, Timeout::Acknowledgement(0))]);
		let record = job(id);
		assert_eq!(record.dropped.to_vec(), vec![ALICE]);
		let replica = &record.replicas[0];
		assert_eq!(replica.provider, BOB);
		assert_eq!(replica.worker, worker_of(BOB));
		assert_eq!(replica.price_per_unit, BOB_PRICE);
		assert_eq!(replica.collateral, 0);
		assert_eq!(replica.state, ReplicaState::AwaitingAck { until: 2 + ACK_TIMEOUT });
		// The re-match asked for one provider, without Alice (dropped, and the replica's own).
		assert_eq!(MockRegistry::cheapest_calls().last(), Some(&(1, vec![ALICE, ALICE])));
		// The client's escrow is untouched.
		assert_eq!(held(CLIENT), ESCROW);
		assert_eq!(free(CLIENT), INITIAL - ESCROW);
		assert_eq!(stats(), JobStats { active: 1, escrowed: ESCROW, ..Default::default() });
		// Bob runs it and is paid at his price.
		ack(BOB, id, 0);
		assert_eq!(committed(BOB), BOB_COLLATERAL);
		submit(BOB, id, 0, UNITS);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_eq!(replica_state(id, 0), paid(600));
		assert_eq!(free(BOB), STAKE + 600);
		assert_eq!(committed(BOB), 0);
		assert_eq!(free(CLIENT), INITIAL - 612);
		assert_eq!(free(TREASURY), ED + 12);
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(MockRegistry::outcomes(), vec![(BOB, Outcome::Completed)]);
	});
}

#[test]
fn the_decliner_is_never_offered_the_job_again() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		decline(ALICE, id, 0);
		assert_eq!(job(id).replicas[0].provider, BOB);
		// Alice becomes the cheapest by far and has free slots; Bob stays silent.
		MockRegistry::set_price(ALICE, 1);
		run_to_block(1 + ACK_TIMEOUT);
		assert_eq!(job(id).replicas[0].provider, CHARLIE);
		assert_eq!(job(id).dropped.to_vec(), vec![ALICE, BOB]);
		// Charlie declines too: nobody is left who was not dropped.
		take_events();
		decline(CHARLIE, id, 0);
		assert_eq!(
			take_events(),
			vec![
				failed(id, 0, CHARLIE, FailureReason::Declined),
				Event::Closed { job: id, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		// Every query after the decline excluded Alice, and she was never assigned again.
		let calls = MockRegistry::cheapest_calls();
		assert_eq!(calls.len(), 4);
		for (count, exclude) in &calls[1..] {
			assert_eq!(*count, 1);
			assert!(exclude.contains(&ALICE));
		}
		assert_eq!(MockRegistry::busy(ALICE), 0);
		// The exclusion is per job: her next job is offered to her.
		let next = post(CLIENT, spec());
		assert_eq!(job(next).replicas[0].provider, ALICE);
		assert_eq!(job(next).replicas[0].price_per_unit, 1);
		// Nobody lost stake; only Bob's silence is recorded.
		assert!(MockStake::slashes().is_empty());
		assert_eq!(MockRegistry::outcomes(), vec![(BOB, Outcome::Ignored)]);
		for p in [ALICE, BOB, CHARLIE] {
			assert_eq!(free(p), STAKE);
			assert_eq!(committed(p), 0);
		}
		assert_eq!(held(CLIENT), ESCROW);
		assert_eq!(free(CLIENT), INITIAL - ESCROW);
	});
}

#[test]
fn when_nobody_else_fits_the_replica_fails_and_the_job_closes_with_a_full_refund() {
	ExtBuilder::default().providers(vec![(ALICE, ALICE_PRICE)]).build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		take_events();
		decline(ALICE, id, 0);
		assert_eq!(
			take_events(),
			vec![
				failed(id, 0, ALICE, FailureReason::Declined),
				Event::Closed { job: id, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { failed: 1, ..Default::default() });
		assert_eq!(job(id).state, JobState::Failed);
		assert_eq!(job(id).escrow, 0);
		assert_eq!(replica_state(id, 0), ReplicaState::Failed);
		assert!(timeouts_of(id).is_empty());
		assert_eq!(MockRegistry::busy(ALICE), 0);
		assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
		assert!(MockStake::slashes().is_empty());
		assert!(MockRegistry::outcomes().is_empty());
		// Nothing more happens at the old window or the deadline.
		run_to_block(DEADLINE + 2);
		assert!(take_events().is_empty());
	});
}

#[test]
fn declining_one_replica_leaves_the_others_alone() {
	ExtBuilder::market().build_and_execute(|| {
		let escrow = escrow_of(MAX_PRICE, UNITS, 2);
		let id = post(CLIENT, replicated(2));
		ack(BOB, id, 1);
		take_events();
		decline(ALICE, id, 0);
		// Bob runs replica 1, so replica 0 goes to Charlie.
		assert_eq!(
			take_events(),
			vec![
				failed(id, 0, ALICE, FailureReason::Declined),
				assigned(id, 0, CHARLIE, CHARLIE_PRICE),
			]
		);
		assert_eq!(MockRegistry::cheapest_calls().last(), Some(&(1, vec![ALICE, ALICE, BOB])));
		assert_eq!(replica_state(id, 1), ReplicaState::Running);
		assert_eq!(committed(BOB), BOB_COLLATERAL);
		assert_eq!(job(id).escrow, escrow);
		// A running replica cannot be declined.
		assert_noop!(Jobs::decline(signed(worker_of(BOB)), id, 1), Error::<Test>::NotAwaitingAck);
		ack(CHARLIE, id, 0);
		submit(CHARLIE, id, 0, 10);
		submit(BOB, id, 1, 10);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_ok!(Jobs::accept(signed(CLIENT), id, 1));
		assert_eq!(job(id).state, JobState::Completed);
		assert_eq!(free(CHARLIE), STAKE + 70);
		assert_eq!(free(BOB), STAKE + 60);
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(free(CLIENT), INITIAL - 70 - fee_on(70) - 60 - fee_on(60));
	});
}

#[test]
fn refusals() {
	ExtBuilder::market().build_and_execute(|| {
		let worker = signed(worker_of(ALICE));
		assert_noop!(Jobs::decline(worker.clone(), 0, 0), Error::<Test>::UnknownJob);
		let id = post(CLIENT, spec());
		assert_noop!(Jobs::decline(worker.clone(), id, 1), Error::<Test>::NoSuchReplica);
		// Another provider's worker, the provider's own cold account, the client, anyone.
		for who in [worker_of(BOB), ALICE, CLIENT, NOBODY] {
			assert_noop!(Jobs::decline(signed(who), id, 0), Error::<Test>::NotAssignedWorker);
		}
		// Once acknowledged, the job is the provider's to deliver.
		ack(ALICE, id, 0);
		assert_noop!(Jobs::decline(worker.clone(), id, 0), Error::<Test>::NotAwaitingAck);
		submit(ALICE, id, 0, 10);
		assert_noop!(Jobs::decline(worker.clone(), id, 0), Error::<Test>::NotAwaitingAck);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_noop!(Jobs::decline(worker.clone(), id, 0), Error::<Test>::NotAwaitingAck);
		// A declined replica is no longer the decliner's.
		let second = post(CLIENT, spec());
		decline(ALICE, second, 0);
		assert_noop!(Jobs::decline(worker.clone(), second, 0), Error::<Test>::NotAssignedWorker);
		// A queued job has no replica.
		let queued = post(
			CLIENT2,
			spec_with(|s| {
				s.replicas = 3;
				s.max_price_per_unit = 6;
			}),
		);
		assert_eq!(job(queued).state, JobState::Queued);
		assert_noop!(Jobs::decline(worker.clone(), queued, 0), Error::<Test>::NoSuchReplica);
		// The window has ended, though the hook has not handled it yet (a backlog).
		let third = post(CLIENT, spec());
		assert_eq!(job(third).replicas[0].provider, ALICE);
		System::set_block_number(1 + ACK_TIMEOUT);
		assert_noop!(Jobs::decline(worker, third, 0), Error::<Test>::AckWindowClosed);
	});
}

#[test]
fn after_the_window_the_replica_has_moved_on() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		run_to_block(1 + ACK_TIMEOUT);
		assert_noop!(
			Jobs::decline(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::NotAssignedWorker
		);
		// Bob, assigned now, may decline within his own window.
		decline(BOB, id, 0);
		assert_eq!(job(id).replicas[0].provider, CHARLIE);
		assert_eq!(job(id).dropped.to_vec(), vec![ALICE, BOB]);
	});
}

#[test]
fn follows_the_providers_current_worker_key() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		MockRegistry::set_worker(ALICE, 777);
		assert_noop!(
			Jobs::decline(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::NotAssignedWorker
		);
		assert_ok!(Jobs::decline(signed(777), id, 0));
		assert_eq!(job(id).replicas[0].provider, BOB);
	});
}

#[test]
fn weighs_a_rematch() {
	ExtBuilder::market().build_and_execute(|| {
		let call = crate::Call::<Test>::decline { job: 0, replica: 0 };
		assert_eq!(
			call.get_dispatch_info().call_weight,
			<() as crate::WeightInfo>::decline() + CHEAPEST_WEIGHT
		);
	});
}

//! The queue: jobs waiting for providers, matched by the hook or expired and refunded.

use super::*;

#[test]
fn a_queued_job_is_matched_when_capacity_appears() {
	ExtBuilder::market().build_and_execute(|| {
		for p in [ALICE, BOB, CHARLIE] {
			MockRegistry::set_eligible(p, false);
		}
		let id = post(CLIENT, spec());
		assert_eq!(job(id).state, JobState::Queued);
		run_to_block(3);
		assert_eq!(job(id).state, JobState::Queued);
		take_events();
		MockRegistry::set_eligible(BOB, true);
		run_to_block(4);
		assert_eq!(
			take_events(),
			vec![Event::Assigned {
				job: id,
				replica: 0,
				provider: BOB,
				worker: worker_of(BOB),
				price_per_unit: BOB_PRICE,
			}]
		);
		assert_eq!(job(id).state, JobState::Active);
		assert_eq!(replica_state(id, 0), ReplicaState::AwaitingAck { until: 4 + ACK_TIMEOUT });
		assert!(Queue::<Test>::get().is_empty());
		assert!(!has_timeout(DEADLINE + 1, id, Timeout::QueueExpiry));
		assert_eq!(stats(), JobStats { active: 1, escrowed: ESCROW, ..Default::default() });
		assert_eq!(held(CLIENT), ESCROW);
		ack(BOB, id, 0);
		submit(BOB, id, 0, 10);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_eq!(free(CLIENT), INITIAL - 60 - 1);
		assert_eq!(free(BOB), STAKE + 60);
		assert_eq!(free(TREASURY), ED + 1);
		// Nothing happens at the old expiry.
		run_to_block(DEADLINE + 1);
		assert_eq!(job(id).state, JobState::Completed);
	});
}

#[test]
fn a_queued_job_is_not_matched_too_late_to_acknowledge() {
	ExtBuilder::default().build_and_execute(|| {
		let id = post(CLIENT, spec());
		run_to_block(DEADLINE - ACK_TIMEOUT - 1);
		MockRegistry::add(ALICE, ALICE_PRICE);
		run_to_block(DEADLINE);
		assert_eq!(job(id).state, JobState::Queued);
		assert_eq!(MockRegistry::busy(ALICE), 0);
		run_to_block(DEADLINE + 1);
		assert_eq!(job(id).state, JobState::Expired);
	});
}

#[test]
fn a_queued_job_expires_after_its_deadline_and_is_refunded() {
	ExtBuilder::default().build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		take_events();
		run_to_block(DEADLINE);
		assert_eq!(job(id).state, JobState::Queued);
		assert!(take_events().is_empty());
		run_to_block(DEADLINE + 1);
		assert_eq!(
			take_events(),
			vec![Event::Closed { job: id, state: JobState::Expired, refund: ESCROW, deposit: 0 }]
		);
		assert_eq!(job(id).state, JobState::Expired);
		assert_eq!(job(id).escrow, 0);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(total(&EVERYONE), before);
		assert!(Queue::<Test>::get().is_empty());
		assert_eq!(stats(), JobStats { expired: 1, ..Default::default() });
	});
}

#[test]
fn the_queue_is_round_robin() {
	ExtBuilder::default().build_and_execute(|| {
		// Two jobs nobody will take at 1 per unit, then one that Alice will take.
		let cheap = spec_with(|s| s.max_price_per_unit = 1);
		let a = post(CLIENT, cheap.clone());
		let b = post(CLIENT, cheap);
		let c = post(CLIENT2, spec());
		assert_eq!(Queue::<Test>::get().to_vec(), vec![a, b, c]);
		MockRegistry::add(ALICE, ALICE_PRICE);
		// Block 2 tries a and b, which go to the back.
		run_to_block(2);
		assert_eq!(Queue::<Test>::get().to_vec(), vec![c, a, b]);
		assert_eq!(job(c).state, JobState::Queued);
		// Block 3 tries c (matched) and a.
		run_to_block(3);
		assert_eq!(job(c).state, JobState::Active);
		assert_eq!(job(c).replicas[0].provider, ALICE);
		assert_eq!(Queue::<Test>::get().to_vec(), vec![b, a]);
		assert_eq!(stats().queued, 2);
		assert_eq!(stats().active, 1);
	});
}

#[test]
fn more_expiries_than_the_hook_handles_carry_over_to_the_next_block() {
	ExtBuilder::default().build_and_execute(|| {
		let ids: Vec<JobId> = (0..MAX_QUEUED).map(|_| post(CLIENT, spec())).collect();
		assert_eq!(timeouts_at(DEADLINE + 1), MAX_QUEUED as usize);
		run_to_block(DEADLINE);
		take_events();
		run_to_block(DEADLINE + 1);
		let closed = |events: Vec<Event<Test>>| {
			events.into_iter().filter(|e| matches!(e, Event::Closed { .. })).count()
		};
		assert_eq!(closed(take_events()), MAX_TIMEOUTS_PER_BLOCK as usize);
		assert_eq!(stats().expired, MAX_TIMEOUTS_PER_BLOCK);
		assert_eq!(stats().queued, MAX_QUEUED - MAX_TIMEOUTS_PER_BLOCK);
		assert_eq!(TimeoutCursor::<Test>::get(), DEADLINE + 1);
		run_to_block(DEADLINE + 2);
		assert_eq!(closed(take_events()), 1);
		assert_eq!(TimeoutCursor::<Test>::get(), DEADLINE + 3);
		for id in ids {
			assert_eq!(job(id).state, JobState::Expired);
		}
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(stats(), JobStats { expired: MAX_QUEUED, ..Default::default() });
	});
}

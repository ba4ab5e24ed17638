//! `acknowledge`: the worker takes the job and its collateral is set aside.

use super::*;

#[test]
fn starts_the_replica_and_sets_its_deadline() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		take_events();
		run_to_block(3);
		ack(ALICE, id, 0);
		assert_eq!(take_events(), vec![Event::Acknowledged { job: id, replica: 0 }]);
		assert_eq!(replica_state(id, 0), ReplicaState::Running);
		assert!(!has_timeout(1 + ACK_TIMEOUT, id, Timeout::Acknowledgement(0)));
		assert!(has_timeout(DEADLINE + 1, id, Timeout::Delivery(0)));
		// No money moves; the collateral is set aside from Alice's stake.
		assert_eq!(held(CLIENT), ESCROW);
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(committed(ALICE), ALICE_COLLATERAL);
		assert_eq!(job(id).replicas[0].collateral, ALICE_COLLATERAL);
		// The acknowledgement window passes without effect.
		run_to_block(1 + ACK_TIMEOUT + 1);
		assert_eq!(replica_state(id, 0), ReplicaState::Running);
		assert!(take_events().is_empty());
		assert!(MockStake::slashes().is_empty());
	});
}

#[test]
fn refusals() {
	ExtBuilder::market().build_and_execute(|| {
		let worker = signed(worker_of(ALICE));
		assert_noop!(Jobs::acknowledge(worker.clone(), 0, 0), Error::<Test>::UnknownJob);
		let id = post(CLIENT, spec());
		assert_noop!(Jobs::acknowledge(worker.clone(), id, 1), Error::<Test>::NoSuchReplica);
		// Another provider's worker, the provider's own cold account, anyone.
		for who in [worker_of(BOB), ALICE, CLIENT, NOBODY] {
			assert_noop!(Jobs::acknowledge(signed(who), id, 0), Error::<Test>::NotAssignedWorker);
		}
		ack(ALICE, id, 0);
		assert_noop!(Jobs::acknowledge(worker.clone(), id, 0), Error::<Test>::NotAwaitingAck);
		submit(ALICE, id, 0, 10);
		assert_noop!(Jobs::acknowledge(worker, id, 0), Error::<Test>::NotAwaitingAck);
	});
}

#[test]
fn late_acknowledgements_and_receipts_are_refused_even_with_a_backlog() {
	ExtBuilder::market().build_and_execute(|| {
		// The hook has not run (as when more timeouts are due than it handles per block):
		// the calls themselves refuse what is late.
		let id = post(CLIENT, spec());
		System::set_block_number(1 + ACK_TIMEOUT);
		assert_noop!(
			Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::AckWindowClosed
		);
		let id = post(CLIENT, spec_with(|s| s.deadline = 1 + ACK_TIMEOUT + 20));
		ack(ALICE, id, 0);
		System::set_block_number(1 + ACK_TIMEOUT + 21);
		assert_noop!(
			Jobs::submit_receipt(signed(worker_of(ALICE)), id, 0, receipt(10)),
			Error::<Test>::DeadlinePassed
		);
		// Up to and including the deadline block it is on time.
		System::set_block_number(1 + ACK_TIMEOUT + 20);
		submit(ALICE, id, 0, 10);
	});
}

#[test]
fn a_queued_job_has_no_replica() {
	ExtBuilder::default().build_and_execute(|| {
		let id = post(CLIENT, spec());
		assert_noop!(
			Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::NoSuchReplica
		);
	});
}

#[test]
fn follows_the_providers_current_worker_key() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		MockRegistry::set_worker(ALICE, 777);
		assert_noop!(
			Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::NotAssignedWorker
		);
		assert_ok!(Jobs::acknowledge(signed(777), id, 0));
		assert_ok!(Jobs::submit_receipt(signed(777), id, 0, receipt(1)));
	});
}

#[test]
fn after_the_window_the_replica_has_moved_on() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		run_to_block(1 + ACK_TIMEOUT);
		// Alice was dropped and Bob took the replica.
		assert_noop!(
			Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::NotAssignedWorker
		);
		ack(BOB, id, 0);
	});
}

#[test]
fn the_workers_calls_are_operational() {
	ExtBuilder::market().build_and_execute(|| {
		let calls = [
			crate::Call::<Test>::acknowledge { job: 0, replica: 0 },
			crate::Call::<Test>::decline { job: 0, replica: 0 },
			crate::Call::<Test>::submit_receipt { job: 0, replica: 0, receipt: receipt(1) },
		];
		for call in calls {
			assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational, "{call:?}");
		}
		// The client's calls are normal.
		for call in [
			crate::Call::<Test>::post { spec: spec() },
			crate::Call::<Test>::cancel { job: 0 },
			crate::Call::<Test>::accept { job: 0, replica: 0 },
			crate::Call::<Test>::challenge { job: 0, replica: 0 },
		] {
			assert_eq!(call.get_dispatch_info().class, DispatchClass::Normal, "{call:?}");
		}
	});
}

//! `submit_receipt`: the receipt goes to the verifier.

use super::*;

#[test]
fn hands_the_receipt_to_the_verifier() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		run_to_block(4);
		take_events();
		submit(ALICE, id, 0, 60);
		let verdict_at = 4 + MockVerifier::config().window;
		assert_eq!(
			take_events(),
			vec![Event::ReceiptSubmitted {
				job: id,
				replica: 0,
				output_commitment: H256::repeat_byte(0xaa),
				used_units: 60,
				verdict_at,
			}]
		);
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { since: 4 });
		assert_eq!(job(id).replicas[0].receipt, Some(receipt(60)));
		// The deadline's timeout is gone and none replaces it: the verifier owns the receipt
		// now, and looks at it first when it said.
		assert!(timeouts_of(id).is_empty());
		assert_eq!(MockVerifier::next_look(id, 0), Some(verdict_at));
		assert_eq!(
			MockVerifier::calls(),
			vec![VerifierCall::Submitted {
				job: id,
				replica: 0,
				provider: ALICE,
				receipt: receipt(60)
			}]
		);
		// Nothing is paid before the verdict.
		assert_eq!(held(CLIENT), ESCROW);
		assert_eq!(free(ALICE), STAKE);
	});
}

#[test]
fn a_look_due_now_comes_next_block() {
	ExtBuilder::market()
		.verifier(VerifierConfig { window: 0, ..Default::default() })
		.build_and_execute(|| {
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, 60);
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { since: 1 });
			assert_eq!(MockVerifier::next_look(id, 0), Some(1));
			run_to_block(2);
			assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
			assert_eq!(replica_state(id, 0), paid(300));
		});
}

#[test]
fn is_accepted_up_to_the_deadline_block() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		run_to_block(DEADLINE);
		submit(ALICE, id, 0, UNITS);
		run_to_block(DEADLINE + 1);
		assert!(MockStake::slashes().is_empty());
		run_to_block(DEADLINE + MockVerifier::config().window);
		assert_eq!(replica_state(id, 0), paid(ALICE_PRICE * 100));
		assert_eq!(job(id).state, JobState::Completed);
	});
}

#[test]
fn refusals() {
	ExtBuilder::market().build_and_execute(|| {
		let worker = signed(worker_of(ALICE));
		assert_noop!(
			Jobs::submit_receipt(worker.clone(), 0, 0, receipt(1)),
			Error::<Test>::UnknownJob
		);
		let id = post(CLIENT, spec());
		// Before the acknowledgement.
		assert_noop!(
			Jobs::submit_receipt(worker.clone(), id, 0, receipt(1)),
			Error::<Test>::NotRunning
		);
		ack(ALICE, id, 0);
		assert_noop!(
			Jobs::submit_receipt(worker.clone(), id, 1, receipt(1)),
			Error::<Test>::NoSuchReplica
		);
		// Another provider's worker, the provider's own cold account, anyone.
		for who in [worker_of(BOB), ALICE, CLIENT, NOBODY] {
			assert_noop!(
				Jobs::submit_receipt(signed(who), id, 0, receipt(1)),
				Error::<Test>::NotAssignedWorker
			);
		}
		assert_noop!(
			Jobs::submit_receipt(worker.clone(), id, 0, receipt(UNITS + 1)),
			Error::<Test>::UsageAboveBudget
		);
		assert_noop!(
			Jobs::submit_receipt(worker.clone(), id, 0, receipt(u64::MAX)),
			Error::<Test>::UsageAboveBudget
		);
		for bad in ["", "ftp://x.example/out", "https://", "file:///out", "https://a\nb"] {
			let mut r = receipt(1);
			r.output_uri = uri(bad);
			assert_noop!(
				Jobs::submit_receipt(worker.clone(), id, 0, r),
				Error::<Test>::InvalidOutputUri
			);
		}
		// Exactly the job's units is fine; a second receipt is not.
		submit(ALICE, id, 0, UNITS);
		assert_noop!(Jobs::submit_receipt(worker, id, 0, receipt(1)), Error::<Test>::NotRunning);
		assert_eq!(MockVerifier::calls().len(), 1);
	});
}

#[test]
fn the_verifier_may_refuse_it() {
	ExtBuilder::market()
		.verifier(VerifierConfig { refuse_receipts: true, ..Default::default() })
		.build_and_execute(|| {
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			assert_noop!(
				Jobs::submit_receipt(signed(worker_of(ALICE)), id, 0, receipt(1)),
				RECEIPT_REFUSED
			);
			assert_eq!(replica_state(id, 0), ReplicaState::Running);
		});
}

#[test]
fn a_worker_cannot_submit_for_someone_elses_job_or_replica() {
	ExtBuilder::market().build_and_execute(|| {
		// Job 0: Alice. Job 1: Alice and Bob.
		let solo = post(CLIENT, spec());
		let pair = post(CLIENT2, replicated(2));
		ack(ALICE, solo, 0);
		ack(ALICE, pair, 0);
		ack(BOB, pair, 1);
		// Bob's worker on Alice's job, Alice's worker on Bob's replica, and the other way.
		for (provider, job, replica) in [(BOB, solo, 0), (ALICE, pair, 1), (BOB, pair, 0)] {
			assert_noop!(
				Jobs::submit_receipt(signed(worker_of(provider)), job, replica, receipt(1)),
				Error::<Test>::NotAssignedWorker
			);
		}
		// Each on its own replica is fine.
		submit(ALICE, pair, 0, 1);
		submit(BOB, pair, 1, 1);
		submit(ALICE, solo, 0, 1);
	});
}

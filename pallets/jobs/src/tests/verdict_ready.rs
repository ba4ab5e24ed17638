//! [`VerdictSink::verdict_ready`]: the verifier says a verdict is decided, and the replica is
//! settled in the same block instead of at its verdict timeout.

use super::*;
use crate::WeightInfo;

/// What `verdict_ready` weighs when it finds nothing to do.
fn one_read() -> frame_support::weights::Weight {
	<<Test as frame_system::Config>::DbWeight as frame_support::traits::Get<
		frame_support::weights::RuntimeDbWeight,
	>>::get()
	.reads(1)
}

#[test]
fn settles_at_once_in_the_same_block() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		run_to_block(2);
		submit(ALICE, id, 0, 60);
		let verdict_at = 2 + MockVerifier::config().window;
		assert!(has_timeout(verdict_at, id, Timeout::Verdict(0)));
		take_events();
		let weight = verdict_ready(id, 0);
		assert_eq!(System::block_number(), 2);
		let (payment, fee) = (300, 6);
		assert_eq!(
			take_events(),
			vec![
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
		assert!(timeouts_of(id).is_empty());
		assert_eq!(
			MockVerifier::calls()[1..],
			[
				VerifierCall::Verdict { job: id, replica: 0 },
				VerifierCall::Closed { job: id, replica: 0 }
			]
		);
		assert_eq!(free(ALICE), STAKE + payment);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(CLIENT), INITIAL - payment - fee);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(TREASURY), ED + fee);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
		// It weighs one settled timeout and the verdict, within what the verifier is told.
		assert_eq!(weight, <() as WeightInfo>::on_initialize_timeouts(1) + MOCK_VERIFIER_WEIGHT);
		assert!(weight.all_lte(<Jobs as VerdictSink>::verdict_ready_weight()));
		// Nothing more at the old verdict block.
		run_to_block(verdict_at + 1);
		assert!(take_events().is_empty());
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
	});
}

#[test]
fn does_nothing_for_a_replica_not_submitted() {
	ExtBuilder::market().build_and_execute(|| {
		let waiting = post(CLIENT, spec());
		let running = post(CLIENT, spec());
		ack(ALICE, running, 0);
		let paid_job = post(CLIENT2, spec());
		ack(BOB, paid_job, 0);
		submit(BOB, paid_job, 0, 10);
		assert_ok!(Jobs::accept(signed(CLIENT2), paid_job, 0));
		let queued = post(
			CLIENT2,
			spec_with(|s| {
				s.replicas = 3;
				s.max_price_per_unit = 6;
			}),
		);
		take_events();
		let calls = MockVerifier::calls();
		let records: Vec<_> = [waiting, running, paid_job, queued].map(job).to_vec();
		let timeouts: Vec<_> = [waiting, running, paid_job, queued].map(timeouts_of).to_vec();
		// Waiting for its acknowledgement, running, paid, no such replica, no such job.
		for (id, replica) in
			[(waiting, 0), (running, 0), (paid_job, 0), (running, 1), (queued, 0), (99, 0)]
		{
			assert_eq!(verdict_ready(id, replica), one_read(), "job {id} replica {replica}");
		}
		assert!(take_events().is_empty());
		assert_eq!(MockVerifier::calls(), calls);
		assert_eq!([waiting, running, paid_job, queued].map(job).to_vec(), records);
		assert_eq!([waiting, running, paid_job, queued].map(timeouts_of).to_vec(), timeouts);
	});
}

#[test]
fn does_nothing_for_a_replica_already_settled_by_the_client() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 10);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		take_events();
		assert_eq!(verdict_ready(id, 0), one_read());
		assert!(take_events().is_empty());
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 0);
		assert_eq!(free(ALICE), STAKE + 50);
	});
}

#[test]
fn a_pending_verdict_is_asked_again_when_the_verifier_says() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		MockVerifier::script(id, 0, vec![Verdict::Pending(20), Verdict::Pending(0)]);
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 60);
		take_events();
		verdict_ready(id, 0);
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: 20 });
		assert_eq!(timeouts_of(id), vec![(20, Timeout::Verdict(0))]);
		// A verdict due in the past is asked for in the next block, not this one.
		verdict_ready(id, 0);
		assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: 2 });
		assert_eq!(timeouts_of(id), vec![(2, Timeout::Verdict(0))]);
		assert!(take_events().is_empty());
		assert_eq!(held(CLIENT), ESCROW);
		run_to_block(2);
		assert_eq!(replica_state(id, 0), paid(300));
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 3);
	});
}

#[test]
fn a_rejection_settles_at_once_and_charges_the_ban() {
	ExtBuilder::market().build_and_execute(|| {
		let cheat = post(CLIENT, spec());
		let other = post(CLIENT2, spec());
		MockVerifier::script(cheat, 0, vec![fraud()]);
		ack(ALICE, cheat, 0);
		ack(ALICE, other, 0);
		submit(ALICE, cheat, 0, UNITS);
		take_events();
		let weight = verdict_ready(cheat, 0);
		assert_eq!(
			take_events(),
			vec![
				failed(other, 0, ALICE, FailureReason::ProviderBanned),
				assigned(other, 0, BOB, BOB_PRICE),
				failed(cheat, 0, ALICE, FailureReason::Rejected),
				Event::Closed { job: cheat, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		assert_eq!(
			weight,
			<() as WeightInfo>::on_initialize_timeouts(1)
				+ MOCK_VERIFIER_WEIGHT
				+ crate::settlement::banned_weight::<Test>(1)
		);
		assert!(weight.all_lte(<Jobs as VerdictSink>::verdict_ready_weight()));
		assert_eq!(free(ALICE), STAKE - FRAUD_SLASH);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(CLIENT), INITIAL + FRAUD_SLASH / 2);
		assert!(timeouts_of(cheat).is_empty());
	});
}

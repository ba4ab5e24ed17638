//! Bans: a proven fraud fails every other open replica of its provider at once, and a banned
//! provider is never paid or matched again.

use super::*;

/// Where Alice's other replica is when her fraud is proven.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Other {
	AwaitingAck,
	Running,
	Submitted,
}

/// Alice cheats on job 0 (of [`CLIENT`]; the verifier's first look at it, at 4, proves it)
/// while she holds job 1 (of [`CLIENT2`]) in `other` (a receipt submitted at 2, which the
/// verifier would first look at at 5). Returns both ids.
fn fraud_with(other: Other) -> (JobId, JobId) {
	let cheat = post(CLIENT, spec());
	let honest = post(CLIENT2, spec());
	assert_eq!(job(honest).replicas[0].provider, ALICE);
	MockVerifier::script(cheat, 0, vec![Look::Decided(fraud())]);
	ack(ALICE, cheat, 0);
	submit(ALICE, cheat, 0, UNITS);
	if other != Other::AwaitingAck {
		ack(ALICE, honest, 0);
	}
	if other == Other::Submitted {
		run_to_block(2);
		submit(ALICE, honest, 0, UNITS);
	}
	(cheat, honest)
}

#[test]
fn a_fraud_fails_the_providers_other_replica_in_any_state() {
	for other in [Other::AwaitingAck, Other::Running, Other::Submitted] {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			let (cheat, honest) = fraud_with(other);
			let collateral = if other == Other::AwaitingAck { 0 } else { ALICE_COLLATERAL };
			assert_eq!(committed(ALICE), ALICE_COLLATERAL + collateral);
			run_to_block(3);
			take_events();
			run_to_block(4);
			// The other replica fails first and goes to Bob; then the fraud itself.
			assert_eq!(
				take_events(),
				vec![
					failed(honest, 0, ALICE, FailureReason::ProviderBanned),
					assigned(honest, 0, BOB, BOB_PRICE),
					failed(cheat, 0, ALICE, FailureReason::Rejected),
					Event::Closed {
						job: cheat,
						state: JobState::Failed,
						refund: ESCROW,
						deposit: 0
					},
				],
				"{other:?}"
			);
			// The honest job has a fresh window and no trace of Alice.
			assert_eq!(
				replica_state(honest, 0),
				ReplicaState::AwaitingAck { until: 4 + ACK_TIMEOUT }
			);
			assert_eq!(timeouts_of(honest), vec![(4 + ACK_TIMEOUT, Timeout::Acknowledgement(0))]);
			assert_eq!(job(honest).dropped.to_vec(), vec![ALICE]);
			assert_eq!(job(honest).replicas[0].collateral, 0);
			// The verifier drops the receipt it was checking, and only that.
			let abandoned = MockVerifier::calls()
				.into_iter()
				.filter(|c| matches!(c, VerifierCall::Abandoned { .. }))
				.collect::<Vec<_>>();
			let expected = if other == Other::Submitted {
				vec![VerifierCall::Abandoned { job: honest, replica: 0 }]
			} else {
				vec![]
			};
			assert_eq!(abandoned, expected);
			// Alice: every collateral released, the fraud slash taken, banned, nothing left.
			assert_eq!(committed(ALICE), 0);
			assert_eq!(free(ALICE), STAKE - FRAUD_SLASH);
			assert_eq!(MockStake::slashes(), vec![fraud_slash(ALICE, CLIENT)]);
			assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Slashed)]);
			assert!(MockRegistry::get(ALICE).unwrap().banned);
			assert_eq!(MockRegistry::busy(ALICE), 0);
			assert_eq!(ProviderJobs::<Test>::iter_prefix(ALICE).count(), 0);
			// The cheated client is refunded with half the slash; the other loses nothing.
			assert_eq!(free(CLIENT), INITIAL + FRAUD_SLASH / 2);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(held(CLIENT2), ESCROW);
			assert_eq!(free(CLIENT2), INITIAL - ESCROW);
			assert_eq!(free(TREASURY), ED + FRAUD_SLASH / 2);
			assert_eq!(total(&EVERYONE), before);
			// Alice's worker has nothing to do with the job any more.
			let worker = signed(worker_of(ALICE));
			assert_noop!(
				Jobs::acknowledge(worker.clone(), honest, 0),
				Error::<Test>::NotAssignedWorker
			);
			assert_noop!(
				Jobs::submit_receipt(worker, honest, 0, receipt(1)),
				Error::<Test>::NotAssignedWorker
			);
			// The old timeouts and the verifier's look are gone: nothing happens at 5 or at the
			// deadline.
			assert_eq!(MockVerifier::next_look(honest, 0), None);
			run_to_block(6);
			assert_eq!(MockVerifier::verdicts_asked(honest, 0), 0);
			ack(BOB, honest, 0);
			submit(BOB, honest, 0, UNITS);
			assert_ok!(Jobs::accept(signed(CLIENT2), honest, 0));
			assert_eq!(free(BOB), STAKE + 600);
			assert_eq!(free(CLIENT2), INITIAL - 612);
		});
	}
}

#[test]
fn with_no_time_left_the_other_job_is_refunded() {
	ExtBuilder::market().build_and_execute(|| {
		// Alice's other job is due at 11; the fraud is proven at 6, when a new provider's
		// window would end at 11 too: too late.
		let cheat = post(CLIENT, spec());
		let honest = post(CLIENT2, spec_with(|s| s.deadline = 1 + MIN_DEADLINE));
		MockVerifier::script(cheat, 0, vec![Look::Pending(6), Look::Decided(fraud())]);
		ack(ALICE, cheat, 0);
		ack(ALICE, honest, 0);
		submit(ALICE, cheat, 0, UNITS);
		run_to_block(5);
		take_events();
		run_to_block(6);
		assert_eq!(
			take_events(),
			vec![
				failed(honest, 0, ALICE, FailureReason::ProviderBanned),
				Event::Closed { job: honest, state: JobState::Failed, refund: ESCROW, deposit: 0 },
				failed(cheat, 0, ALICE, FailureReason::Rejected),
				Event::Closed { job: cheat, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		assert!(timeouts_of(honest).is_empty());
		assert_eq!(free(CLIENT2), INITIAL);
		assert_eq!(held(CLIENT2), 0);
		assert_eq!(free(ALICE), STAKE - FRAUD_SLASH);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(stats(), JobStats { failed: 2, ..Default::default() });
	});
}

#[test]
fn a_banned_providers_receipt_is_not_paid_when_the_client_accepts_it() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, UNITS);
		// Banned for a fraud proven elsewhere.
		MockRegistry::ban(ALICE);
		take_events();
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_eq!(
			take_events(),
			vec![
				Event::AcceptedEarly { job: id, replica: 0 },
				failed(id, 0, ALICE, FailureReason::ProviderBanned),
				Event::Closed { job: id, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(total(&EVERYONE), before);
		assert!(MockStake::slashes().is_empty());
		assert!(MockRegistry::outcomes().is_empty());
		assert_eq!(MockRegistry::busy(ALICE), 0);
	});
}

#[test]
fn a_banned_providers_receipt_is_not_paid_at_its_verdict() {
	ExtBuilder::market().build_and_execute(|| {
		// Two receipts accepted by the verifier: one at its look in its hook, one pushed from
		// the call that decided it.
		let by_look = post(CLIENT, spec());
		let by_push = post(CLIENT2, spec());
		for id in [by_look, by_push] {
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, UNITS);
		}
		MockRegistry::ban(ALICE);
		take_events();
		MockVerifier::decide(by_push, 0, Verdict::Accepted);
		run_to_block(1 + MockVerifier::config().window);
		assert_eq!(
			take_events(),
			vec![
				failed(by_push, 0, ALICE, FailureReason::ProviderBanned),
				Event::Closed { job: by_push, state: JobState::Failed, refund: ESCROW, deposit: 0 },
				failed(by_look, 0, ALICE, FailureReason::ProviderBanned),
				Event::Closed { job: by_look, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(free(CLIENT2), INITIAL);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(MockVerifier::verdicts_asked(by_look, 0), 1);
		// Pushed before its look, which closing it dropped.
		assert_eq!(MockVerifier::verdicts_asked(by_push, 0), 0);
		for id in [by_look, by_push] {
			assert!(MockVerifier::calls().contains(&VerifierCall::Closed { job: id, replica: 0 }));
		}
	});
}

#[test]
fn a_banned_provider_is_not_matched_again() {
	ExtBuilder::market().build_and_execute(|| {
		let (cheat, _) = fraud_with(Other::Running);
		run_to_block(4);
		assert_eq!(job(cheat).state, JobState::Failed);
		// Alice is the cheapest and has free slots, but is banned.
		assert_eq!(MockRegistry::busy(ALICE), 0);
		for provider in [BOB, CHARLIE, CHARLIE] {
			let id = post(CLIENT, spec());
			assert_eq!(job(id).replicas[0].provider, provider);
		}
		// Bob's and Charlie's slots are taken: the next job waits rather than go to Alice.
		let id = post(CLIENT, spec());
		assert_eq!(job(id).state, JobState::Queued);
	});
}

#[test]
fn a_pushed_fraud_charges_the_replicas_it_fails() {
	ExtBuilder::market().build_and_execute(|| {
		use crate::WeightInfo;
		let (cheat, _) = fraud_with(Other::Running);
		System::set_block_number(4);
		// The jobs pallet's hook decides no verdict, so it charges none and no ban: nothing of
		// its own is due.
		assert_eq!(
			Jobs::on_initialize(4),
			<() as WeightInfo>::on_initialize_timeouts(0)
				+ <() as WeightInfo>::on_initialize_queue(0)
				+ <() as WeightInfo>::on_initialize_prune(0)
		);
		// The verifier pushes the fraud: one settlement and one banned replica (handled like a
		// missed acknowledgement, with its check abandoned).
		let banned =
			<() as WeightInfo>::on_initialize_timeouts(1) + CHEAPEST_WEIGHT + MOCK_VERIFIER_WEIGHT;
		assert_eq!(crate::settlement::banned_weight::<Test>(1), banned);
		let weight = MockVerifier::decide(cheat, 0, fraud());
		assert_eq!(
			weight,
			<() as WeightInfo>::on_initialize_timeouts(1).max(<() as WeightInfo>::accept())
				+ banned
		);
		assert!(weight.all_lte(<Jobs as VerdictSink<AccountId>>::decided_weight()));
		assert!(MockRegistry::get(ALICE).unwrap().banned);
		assert_eq!(job(cheat).state, JobState::Failed);
	});
}

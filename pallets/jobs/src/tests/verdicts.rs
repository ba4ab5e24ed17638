//! [`VerdictSink::decided`]: the verifier pushes its verdict, and the replica is settled in the
//! same block; a verdict on a replica that is not waiting for one changes nothing.

use super::*;
use crate::WeightInfo;

/// What `decided` weighs when it finds nothing to do.
fn one_read() -> frame_support::weights::Weight {
	<<Test as frame_system::Config>::DbWeight as frame_support::traits::Get<
		frame_support::weights::RuntimeDbWeight,
	>>::get()
	.reads(1)
}

/// What `decided` weighs when it settles a replica and fails `banned` of other jobs with it.
fn settled(banned: u32) -> frame_support::weights::Weight {
	<() as WeightInfo>::on_initialize_timeouts(1).max(<() as WeightInfo>::accept())
		+ crate::settlement::banned_weight::<Test>(banned)
}

fn decided_weight() -> frame_support::weights::Weight {
	<Jobs as VerdictSink<AccountId>>::decided_weight()
}

/// Everything a verdict could move: every account's free, escrowed, deposited and set-aside
/// balance, the counters, the slashes and the reputation outcomes.
type Books = (
	Vec<(Balance, Balance, Balance, Balance)>,
	JobStats<Balance>,
	Vec<SlashRecord>,
	Vec<(AccountId, Outcome)>,
);

fn books() -> Books {
	let accounts =
		EVERYONE.iter().map(|who| (free(*who), held(*who), deposit_held(*who), committed(*who)));
	(accounts.collect(), stats(), MockStake::slashes(), MockRegistry::outcomes())
}

#[test]
fn a_pushed_acceptance_pays_in_the_same_block() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		run_to_block(2);
		submit(ALICE, id, 0, 60);
		let first_look = 2 + MockVerifier::config().window;
		take_events();
		let weight = MockVerifier::decide(id, 0, Verdict::Accepted);
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
		// The jobs pallet tells the verifier it is done with the receipt, and asks it nothing.
		assert_eq!(MockVerifier::calls()[1..], [VerifierCall::Closed { job: id, replica: 0 }]);
		assert_eq!(MockVerifier::next_look(id, 0), None);
		assert_eq!(free(ALICE), STAKE + payment);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(CLIENT), INITIAL - payment - fee);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(TREASURY), ED + fee);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
		// It weighs one settlement, within what the verifier is told.
		assert_eq!(weight, settled(0));
		assert!(weight.all_lte(decided_weight()));
		// Nothing more at the block of the verifier's first look.
		run_to_block(first_look + 1);
		assert!(take_events().is_empty());
		assert_eq!(MockVerifier::verdicts_asked(id, 0), 0);
	});
}

#[test]
fn a_pushed_fraud_settles_at_once_and_charges_the_ban() {
	ExtBuilder::market().build_and_execute(|| {
		let cheat = post(CLIENT, spec());
		let other = post(CLIENT2, spec());
		ack(ALICE, cheat, 0);
		ack(ALICE, other, 0);
		submit(ALICE, cheat, 0, UNITS);
		take_events();
		let weight = MockVerifier::decide(cheat, 0, fraud());
		assert_eq!(
			take_events(),
			vec![
				failed(other, 0, ALICE, FailureReason::ProviderBanned),
				assigned(other, 0, BOB, BOB_PRICE),
				failed(cheat, 0, ALICE, FailureReason::Rejected),
				Event::Closed { job: cheat, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		assert_eq!(weight, settled(1));
		assert!(weight.all_lte(decided_weight()));
		assert_eq!(MockStake::slashes(), vec![fraud_slash(ALICE, CLIENT)]);
		assert_eq!(free(ALICE), STAKE - FRAUD_SLASH);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(CLIENT), INITIAL + FRAUD_SLASH / 2);
		assert!(MockRegistry::get(ALICE).unwrap().banned);
		assert!(timeouts_of(cheat).is_empty());
		assert_eq!(MockVerifier::next_look(cheat, 0), None);
	});
}

#[test]
fn each_offence_fails_the_replica_for_its_reason() {
	let cases = [
		(SlashReason::Dissent, FailureReason::Outvoted),
		// A sealed replica that never revealed: late, as a missed deadline is.
		(SlashReason::MissedDeadline, FailureReason::MissedDeadline),
		(SlashReason::Fraud, FailureReason::Rejected),
	];
	for (offence, reason) in cases {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, UNITS);
			take_events();
			let verdict = Verdict::Rejected { offence, watcher: Some(CLIENT2) };
			let weight = MockVerifier::decide(id, 0, verdict);
			assert_eq!(
				take_events(),
				vec![
					failed(id, 0, ALICE, reason),
					Event::Closed { job: id, state: JobState::Failed, refund: ESCROW, deposit: 0 },
				],
				"{offence:?}"
			);
			let slash = if offence == SlashReason::Fraud {
				SlashRecord {
					watcher: Some(CLIENT2),
					outcome: SlashOutcome {
						slashed: FRAUD_SLASH,
						to_client: FRAUD_SLASH / 2,
						to_watcher: FRAUD_SLASH / 5,
						to_treasury: FRAUD_SLASH - FRAUD_SLASH / 2 - FRAUD_SLASH / 5,
					},
					..fraud_slash(ALICE, CLIENT)
				}
			} else {
				// Only the collateral, the client's part capped, the watcher paid.
				let cap = compensation_cap(MAX_PRICE, UNITS);
				collateral_slash(ALICE, offence, ALICE_COLLATERAL, CLIENT, cap, Some(CLIENT2))
			};
			assert_eq!(MockStake::slashes(), vec![slash], "{offence:?}");
			assert_eq!(committed(ALICE), 0);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(total(&EVERYONE), before);
			assert!(weight.all_lte(decided_weight()));
		});
	}
}

#[test]
fn changes_nothing_for_a_replica_not_submitted() {
	ExtBuilder::market().build_and_execute(|| {
		// Waiting for its acknowledgement, running, paid at the verifier's look, accepted
		// early by the client, failed on a fraud, queued (no replica yet).
		let waiting = post(CLIENT, spec());
		let running = post(CLIENT, spec());
		ack(ALICE, running, 0);
		// Alice's slots are taken: Bob, Bob, Charlie.
		let looked = post(CLIENT2, spec());
		let early = post(CLIENT2, spec());
		let rejected = post(CLIENT2, spec());
		ack(BOB, looked, 0);
		submit(BOB, looked, 0, 10);
		ack(BOB, early, 0);
		submit(BOB, early, 0, 20);
		assert_ok!(Jobs::accept(signed(CLIENT2), early, 0));
		ack(CHARLIE, rejected, 0);
		submit(CHARLIE, rejected, 0, 30);
		MockVerifier::decide(rejected, 0, fraud());
		run_to_block(1 + MockVerifier::config().window);
		assert_eq!(replica_state(looked, 0), paid(BOB_PRICE * 10));
		assert_eq!(replica_state(early, 0), paid(BOB_PRICE * 20));
		assert_eq!(replica_state(rejected, 0), ReplicaState::Failed);
		let queued = post(CLIENT, spec_with(|s| s.replicas = 3));
		assert_eq!(job(queued).state, JobState::Queued);
		take_events();

		let ids = [waiting, running, looked, early, rejected, queued];
		let calls = MockVerifier::calls();
		let records = ids.map(job);
		let timeouts = ids.map(timeouts_of);
		let before = books();
		let targets = [
			(waiting, 0),
			(running, 0),
			(looked, 0),
			(early, 0),
			(rejected, 0),
			(running, 1),
			(queued, 0),
			(99, 0),
		];
		for (id, replica) in targets {
			for verdict in [Verdict::Accepted, fraud()] {
				let weight = MockVerifier::decide(id, replica, verdict.clone());
				assert_eq!(weight, one_read(), "job {id} replica {replica} {verdict:?}");
			}
		}
		// No event, no money moved, no slash or ban, nothing told to the verifier.
		assert!(take_events().is_empty());
		assert_eq!(books(), before);
		assert!(!MockRegistry::get(ALICE).unwrap().banned);
		assert!(!MockRegistry::get(BOB).unwrap().banned);
		assert_eq!(MockVerifier::calls(), calls);
		assert_eq!(ids.map(job), records);
		assert_eq!(ids.map(timeouts_of), timeouts);
	});
}

#[test]
fn the_most_it_weighs_counts_a_whole_ban() {
	ExtBuilder::market().build_and_execute(|| {
		assert_eq!(decided_weight(), settled(MaxProviderJobs::get()));
		assert!(settled(0).all_lte(decided_weight()));
	});
}

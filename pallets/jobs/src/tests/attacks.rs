//! Attacks on the market, each showing that the honest party keeps its balance and what the
//! attacker loses.

use super::*;

/// The job an event is about.
fn job_of(event: &Event<Test>) -> JobId {
	match event {
		Event::Posted { job, .. }
		| Event::Queued { job }
		| Event::Assigned { job, .. }
		| Event::Acknowledged { job, .. }
		| Event::ReceiptSubmitted { job, .. }
		| Event::Challenged { job, .. }
		| Event::AcceptedEarly { job, .. }
		| Event::Paid { job, .. }
		| Event::ReplicaFailed { job, .. }
		| Event::Closed { job, .. } => *job,
		_ => panic!("not an event about a job"),
	}
}

/// (a) A client posts a job no provider can run (the report: a seed `MatMulI8` of
/// 2^20 x 2^20 x 1, whose 4 TiB output fits no worker). The registry is told what it needs;
/// a worker assigned it anyway declines it, at no cost. The client gets its escrow back.
#[test]
fn attack_a_job_no_provider_can_run_costs_the_providers_nothing() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let impossible = spec_with(|s| {
			s.workload = Workload::MatMulI8 { m: 1 << 20, n: 1 << 20, k: 1 };
			s.verification = Verification::SpotCheck;
		});
		let id = post(CLIENT, impossible);
		// 2^41 operations: 3 units; 30 of budget and 1 of fee.
		assert_eq!(job(id).units, 3);
		let escrow = escrow_of(MAX_PRICE, 3, 1);
		assert_eq!(escrow, 31);
		// What matching asked the registry for: a real one fits nobody.
		let needs = MockRegistry::last_needs().expect("matching asked the registry");
		assert_eq!(needs.memory_mib, 4 * (1 << 20) + 2);
		assert_eq!(needs.capabilities, Capabilities { matmul_i8: true, ..Default::default() });
		assert_eq!(needs.total_int8_tops, 1);
		assert_eq!(needs.attested_through, DEADLINE);
		assert_eq!(needs.collateral, MIN_COLLATERAL);
		// The mock fits everyone: each worker that is offered it declines.
		take_events();
		for (provider, next) in [(ALICE, Some(BOB)), (BOB, Some(CHARLIE)), (CHARLIE, None)] {
			run_to_block(System::block_number() + 1);
			assert_eq!(job(id).replicas[0].provider, provider);
			decline(provider, id, 0);
			// Every re-match asks for the same needs.
			assert_eq!(MockRegistry::last_needs().unwrap().memory_mib, needs.memory_mib);
			let mut expected = vec![failed(id, 0, provider, FailureReason::Declined)];
			match next {
				Some(next) => {
					expected.push(assigned(id, 0, next, MockRegistry::get(next).unwrap().price))
				},
				None => expected.push(Event::Closed {
					job: id,
					state: JobState::Failed,
					refund: escrow,
					deposit: 0,
				}),
			}
			assert_eq!(take_events(), expected);
		}
		// The providers' stake is untouched; nothing was set aside, nothing recorded.
		for p in [ALICE, BOB, CHARLIE] {
			assert_eq!(free(p), STAKE);
			assert_eq!(committed(p), 0);
			assert_eq!(MockRegistry::busy(p), 0);
		}
		assert!(MockStake::slashes().is_empty());
		assert!(MockRegistry::outcomes().is_empty());
		// The client has its escrow back.
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { failed: 1, ..Default::default() });
	});
}

/// (b) A client floods the providers with tiny jobs that they decline or ignore: the
/// providers keep their whole stake, and the client gets back exactly what it escrowed.
#[test]
fn attack_b_griefing_with_tiny_jobs_costs_the_providers_nothing() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		// Every slot there is: three providers with two each.
		let ids: Vec<JobId> = (0..3 * SLOTS).map(|_| post(CLIENT, tiny())).collect();
		assert!(ids.iter().all(|id| job(*id).state == JobState::Active));
		let escrow = Balance::from(3 * SLOTS) * escrow_of(MAX_PRICE, 1, 1);
		assert_eq!(held(CLIENT), escrow);
		take_events();
		// Whoever is offered a job of an even number declines it; the odd ones are ignored.
		let mut events = Vec::new();
		while ids.iter().any(|id| job(*id).state.is_open()) {
			let now = System::block_number();
			for &id in &ids {
				for (replica, slot) in job(id).replicas.iter().enumerate() {
					let waiting =
						matches!(slot.state, ReplicaState::AwaitingAck { until } if until > now);
					if waiting && id % 2 == 0 {
						decline(slot.provider, id, replica as u32);
					}
				}
			}
			run_to_block(now + 1);
			events.extend(take_events());
			assert!(now < DEADLINE, "the jobs end before their deadline");
		}
		let count = |reason: FailureReason| {
			events
				.iter()
				.filter(|e| matches!(e, Event::ReplicaFailed { reason: r, .. } if *r == reason))
				.count()
		};
		assert!(count(FailureReason::Declined) > 0);
		assert!(count(FailureReason::MissedAcknowledgement) > 0);
		// The refunds add up to the escrow, to the unit.
		let refunded: Balance = events
			.iter()
			.filter_map(|e| match e {
				Event::Closed { state: JobState::Failed, refund, .. } => Some(*refund),
				_ => None,
			})
			.sum();
		assert_eq!(refunded, escrow);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(held(CLIENT), 0);
		// The providers: whole stakes, nothing set aside; silence costs reputation only.
		for p in [ALICE, BOB, CHARLIE] {
			assert_eq!(free(p), STAKE);
			assert_eq!(committed(p), 0);
			assert_eq!(MockRegistry::busy(p), 0);
		}
		assert!(MockStake::slashes().is_empty());
		let outcomes = MockRegistry::outcomes();
		assert_eq!(outcomes.len(), count(FailureReason::MissedAcknowledgement));
		assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Ignored));
		assert_eq!(free(TREASURY), ED);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(stats(), JobStats { failed: 3 * SLOTS, ..Default::default() });
	});
}

/// (c) A client cannot profit from a provider's missed deadline: its share of the collateral
/// is capped at half its replica's budget, even when the collateral is the
/// [`MIN_COLLATERAL`] floor and worth more than the job; the treasury gets the rest.
#[test]
fn attack_c_the_clients_compensation_is_capped_at_half_its_budget() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		// A budget of 10 (1 unit at up to 10), escrow 11; Alice's collateral is the floor, 20.
		let id = post(CLIENT, tiny());
		assert_eq!(job(id).escrow, 11);
		ack(ALICE, id, 0);
		assert_eq!(job(id).replicas[0].collateral, MIN_COLLATERAL);
		assert_eq!(collateral_of(ALICE_PRICE, 1), MIN_COLLATERAL);
		run_to_block(DEADLINE + 1);
		let cap = compensation_cap(MAX_PRICE, 1);
		assert_eq!(cap, 5);
		assert_eq!(
			MockStake::slashes(),
			vec![collateral_slash(
				ALICE,
				SlashReason::MissedDeadline,
				MIN_COLLATERAL,
				CLIENT,
				cap,
				None
			)]
		);
		// The client: escrow back, plus 5 (not the 10 of half the collateral).
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL + cap);
		// Alice loses the collateral and nothing else; the treasury takes the other 15.
		assert_eq!(free(ALICE), STAKE - MIN_COLLATERAL);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(TREASURY), ED + MIN_COLLATERAL - cap);
		assert_eq!(total(&EVERYONE), before);
	});
}

/// (d) A provider proven to cheat on one job loses its other jobs at once, whatever their
/// state: waiting for its acknowledgement, running, or with a receipt under check. Each is
/// re-matched if another provider fits in time, or refunded; their client keeps its balance.
#[test]
fn attack_d_a_fraud_fails_all_of_the_providers_open_replicas_at_once() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		// Alice takes four jobs at once.
		MockRegistry::set_free_slots(ALICE, 4);
		MaxProviderJobs::set(4);
		let cheat = post(CLIENT, spec());
		let waiting = post(CLIENT2, spec());
		// Only Alice asks as little as 5: nobody can take it over.
		let running = post(CLIENT2, spec_with(|s| s.max_price_per_unit = ALICE_PRICE));
		let submitted = post(CLIENT2, spec());
		for id in [cheat, waiting, running, submitted] {
			assert_eq!(job(id).replicas[0].provider, ALICE);
		}
		MockVerifier::script(cheat, 0, vec![Look::Decided(fraud())]);
		ack(ALICE, cheat, 0);
		submit(ALICE, cheat, 0, UNITS);
		ack(ALICE, running, 0);
		ack(ALICE, submitted, 0);
		run_to_block(2);
		submit(ALICE, submitted, 0, UNITS);
		assert_eq!(committed(ALICE), 3 * ALICE_COLLATERAL);
		let running_escrow = escrow_of(ALICE_PRICE, UNITS, 1);
		assert_eq!(Balances::total_balance(&CLIENT2), INITIAL);
		run_to_block(3);
		take_events();

		// The verifier's first look at the fraud proves it.
		run_to_block(4);
		let events = take_events();
		assert_eq!(events.len(), 8);
		assert_eq!(
			events[6..],
			[
				failed(cheat, 0, ALICE, FailureReason::Rejected),
				Event::Closed { job: cheat, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		let of = |id: JobId| events.iter().filter(|e| job_of(e) == id).cloned().collect::<Vec<_>>();
		assert_eq!(
			of(waiting),
			vec![
				failed(waiting, 0, ALICE, FailureReason::ProviderBanned),
				assigned(waiting, 0, BOB, BOB_PRICE),
			]
		);
		assert_eq!(
			of(running),
			vec![
				failed(running, 0, ALICE, FailureReason::ProviderBanned),
				Event::Closed {
					job: running,
					state: JobState::Failed,
					refund: running_escrow,
					deposit: 0
				},
			]
		);
		assert_eq!(
			of(submitted),
			vec![
				failed(submitted, 0, ALICE, FailureReason::ProviderBanned),
				assigned(submitted, 0, BOB, BOB_PRICE),
			]
		);
		// The verifier is told to drop the receipt it was checking, and its look goes with it.
		let abandoned: Vec<_> = MockVerifier::calls()
			.into_iter()
			.filter(|c| matches!(c, VerifierCall::Abandoned { .. }))
			.collect();
		assert_eq!(abandoned, vec![VerifierCall::Abandoned { job: submitted, replica: 0 }]);
		assert_eq!(MockVerifier::next_look(submitted, 0), None);
		// Their old timeouts are gone; the re-matched ones have fresh windows.
		assert!(timeouts_of(running).is_empty());
		for id in [waiting, submitted] {
			assert_eq!(timeouts_of(id), vec![(4 + ACK_TIMEOUT, Timeout::Acknowledgement(0))]);
			assert_eq!(job(id).dropped.to_vec(), vec![ALICE]);
		}
		assert_eq!(ProviderJobs::<Test>::iter_prefix(ALICE).count(), 0);
		assert_eq!(MockRegistry::busy(ALICE), 0);

		// The attacker lost the fraud slash, and only it (every collateral was released).
		assert_eq!(free(ALICE), STAKE - FRAUD_SLASH);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(MockStake::slashes(), vec![fraud_slash(ALICE, CLIENT)]);
		assert!(MockRegistry::get(ALICE).unwrap().banned);
		// The honest client lost nothing: one job refunded, two still in escrow for Bob.
		assert_eq!(Balances::total_balance(&CLIENT2), INITIAL);
		assert_eq!(held(CLIENT2), 2 * ESCROW);
		// The cheated client: its escrow back and half the slash.
		assert_eq!(free(CLIENT), INITIAL + FRAUD_SLASH / 2);
		assert_eq!(free(BOB), STAKE);
		assert_eq!(total(&EVERYONE), before);

		// Bob runs both at his price; the verifier never looks at the old receipt.
		for id in [waiting, submitted] {
			ack(BOB, id, 0);
			submit(BOB, id, 0, UNITS);
			assert_ok!(Jobs::accept(signed(CLIENT2), id, 0));
		}
		run_to_block(6);
		assert_eq!(MockVerifier::verdicts_asked(submitted, 0), 0);
		assert_eq!(free(CLIENT2), INITIAL - 2 * 612);
		assert_eq!(held(CLIENT2), 0);
		assert_eq!(free(BOB), STAKE + 2 * 600);
		assert_eq!(total(&EVERYONE), before);
	});
}

/// (d, continued) A banned provider is never paid again: a receipt of its that is accepted
/// later, by the client or by the verifier, fails instead and its client is refunded.
#[test]
fn attack_d_a_banned_providers_receipt_accepted_later_is_never_paid() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		let early = post(CLIENT, spec());
		let late = post(CLIENT2, spec());
		for id in [early, late] {
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, UNITS);
		}
		// Banned for a fraud proven outside these jobs (the stake pallet tells the registry).
		MockRegistry::ban(ALICE);
		take_events();
		assert_ok!(Jobs::accept(signed(CLIENT), early, 0));
		run_to_block(1 + MockVerifier::config().window);
		assert_eq!(
			take_events(),
			vec![
				Event::AcceptedEarly { job: early, replica: 0 },
				failed(early, 0, ALICE, FailureReason::ProviderBanned),
				Event::Closed { job: early, state: JobState::Failed, refund: ESCROW, deposit: 0 },
				failed(late, 0, ALICE, FailureReason::ProviderBanned),
				Event::Closed { job: late, state: JobState::Failed, refund: ESCROW, deposit: 0 },
			]
		);
		// Not a unit to Alice; her collateral is released, not taken.
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(committed(ALICE), 0);
		assert!(MockStake::slashes().is_empty());
		assert!(!MockRegistry::outcomes().contains(&(ALICE, Outcome::Completed)));
		// Both clients have their escrow back.
		for client in [CLIENT, CLIENT2] {
			assert_eq!(free(client), INITIAL);
			assert_eq!(held(client), 0);
		}
		assert_eq!(free(TREASURY), ED);
		assert_eq!(total(&EVERYONE), before);
	});
}

//! Per-job collateral: set aside at acknowledgement, released at payment, taken (and only it)
//! at a missed deadline or an outvoted result, with the client's share capped.

use super::*;

/// The default balances with Alice's replaced by `alice`.
fn alice_with(alice: Balance) -> ExtBuilder {
	ExtBuilder::market().balances(vec![
		(CLIENT, INITIAL),
		(CLIENT2, INITIAL),
		(ALICE, alice),
		(BOB, STAKE),
		(CHARLIE, STAKE),
	])
}

#[test]
fn is_set_aside_at_acknowledgement_at_the_providers_price() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, replicated(2));
		// Nothing before the acknowledgement.
		assert_eq!(committed(ALICE), 0);
		assert_eq!(job(id).replicas[0].collateral, 0);
		ack(ALICE, id, 0);
		ack(BOB, id, 1);
		assert_eq!(ALICE_COLLATERAL, collateral_of(ALICE_PRICE, UNITS));
		assert_eq!(BOB_COLLATERAL, collateral_of(BOB_PRICE, UNITS));
		assert_eq!(committed(ALICE), ALICE_COLLATERAL);
		assert_eq!(committed(BOB), BOB_COLLATERAL);
		assert_eq!(job(id).replicas[0].collateral, ALICE_COLLATERAL);
		assert_eq!(job(id).replicas[1].collateral, BOB_COLLATERAL);
		// Set aside, not moved: the balance is whole, the free stake is less.
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(MockStake::free_stake(ALICE), STAKE - ED - ALICE_COLLATERAL);
		assert_eq!(MockStake::free_stake(BOB), STAKE - ED - BOB_COLLATERAL);
		// A tiny job's collateral is the floor; a second job adds to the first.
		let small = post(CLIENT, tiny());
		assert_eq!(job(small).replicas[0].provider, ALICE);
		ack(ALICE, small, 0);
		assert_eq!(job(small).replicas[0].collateral, MIN_COLLATERAL);
		assert_eq!(committed(ALICE), ALICE_COLLATERAL + MIN_COLLATERAL);
	});
}

#[test]
fn is_released_at_payment() {
	ExtBuilder::market().build_and_execute(|| {
		let free_stake = MockStake::free_stake(ALICE);
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		assert_eq!(MockStake::free_stake(ALICE), free_stake - ALICE_COLLATERAL);
		submit(ALICE, id, 0, UNITS);
		// Still set aside while the receipt waits for its verdict.
		assert_eq!(committed(ALICE), ALICE_COLLATERAL);
		run_to_block(1 + MockVerifier::config().window);
		assert_eq!(replica_state(id, 0), paid(500));
		assert_eq!(job(id).replicas[0].collateral, 0);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(ALICE), STAKE + 500);
		assert_eq!(MockStake::free_stake(ALICE), free_stake + 500);
		assert!(MockStake::slashes().is_empty());
	});
}

#[test]
fn a_missed_deadline_takes_exactly_the_collateral() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		// Alice runs two jobs, of two clients; she delivers the second only.
		let late = post(CLIENT, spec());
		let delivered = post(CLIENT2, spec_with(|s| s.deadline = DEADLINE + 10));
		ack(ALICE, late, 0);
		ack(ALICE, delivered, 0);
		assert_eq!(committed(ALICE), 2 * ALICE_COLLATERAL);
		run_to_block(DEADLINE + 1);
		// The client gets half the collateral (125, under its cap of 500), the treasury the
		// rest; the other job's collateral stays set aside.
		let cap = compensation_cap(MAX_PRICE, UNITS);
		assert_eq!(cap, REPLICA_BUDGET / 2);
		let to_client = (ALICE_COLLATERAL / 2).min(cap);
		assert_eq!(to_client, 125);
		assert_eq!(
			MockStake::slashes(),
			vec![collateral_slash(
				ALICE,
				SlashReason::MissedDeadline,
				ALICE_COLLATERAL,
				CLIENT,
				cap,
				None
			)]
		);
		assert_eq!(free(ALICE), STAKE - ALICE_COLLATERAL);
		assert_eq!(free(CLIENT), INITIAL + to_client);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(TREASURY), ED + ALICE_COLLATERAL - to_client);
		assert_eq!(committed(ALICE), ALICE_COLLATERAL);
		assert_eq!(replica_state(delivered, 0), ReplicaState::Running);
		// The other client is not touched.
		assert_eq!(free(CLIENT2), INITIAL - ESCROW);
		assert_eq!(held(CLIENT2), ESCROW);
		submit(ALICE, delivered, 0, UNITS);
		assert_ok!(Jobs::accept(signed(CLIENT2), delivered, 0));
		assert_eq!(committed(ALICE), 0);
		assert_eq!(free(ALICE), STAKE - ALICE_COLLATERAL + 500);
		assert_eq!(free(CLIENT2), INITIAL - 510);
		assert_eq!(free(TREASURY), ED + ALICE_COLLATERAL - to_client + 10);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(
			MockRegistry::outcomes(),
			vec![(ALICE, Outcome::Failed), (ALICE, Outcome::Completed)]
		);
	});
}

#[test]
fn an_outvoted_result_takes_the_collateral_with_the_clients_share_capped() {
	ExtBuilder::market().build_and_execute(|| {
		let before = total(&EVERYONE);
		MockVerifier::set_verdict(Verdict::Rejected {
			offence: SlashReason::Dissent,
			watcher: Some(CLIENT2),
		});
		// One unit at up to 10: a budget of 10, a collateral of 20 (the floor).
		let id = post(CLIENT, tiny());
		assert_eq!(job(id).escrow, 11);
		ack(ALICE, id, 0);
		assert_eq!(committed(ALICE), MIN_COLLATERAL);
		submit(ALICE, id, 0, 1);
		run_to_block(1 + MockVerifier::config().window);
		// The client's half (10) is capped at half its budget (5); the watcher gets a fifth (4)
		// and the treasury the rest (11).
		let cap = compensation_cap(MAX_PRICE, 1);
		assert_eq!(cap, 5);
		assert_eq!(
			MockStake::slashes(),
			vec![collateral_slash(
				ALICE,
				SlashReason::Dissent,
				MIN_COLLATERAL,
				CLIENT,
				cap,
				Some(CLIENT2)
			)]
		);
		assert_eq!(free(CLIENT), INITIAL + 5);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT2), INITIAL + 4);
		assert_eq!(free(TREASURY), ED + 11);
		assert_eq!(free(ALICE), STAKE - MIN_COLLATERAL);
		assert_eq!(committed(ALICE), 0);
		assert_eq!(total(&EVERYONE), before);
	});
}

#[test]
fn acknowledge_is_refused_when_the_free_stake_does_not_cover_the_collateral() {
	// Alice can keep the existential deposit and set aside 249: one short.
	alice_with(ED + ALICE_COLLATERAL - 1).build_and_execute(|| {
		let id = post(CLIENT, spec());
		assert_noop!(
			Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
			Error::<Test>::InsufficientCollateral
		);
		assert_eq!(replica_state(id, 0), ReplicaState::AwaitingAck { until: 1 + ACK_TIMEOUT });
		assert_eq!(committed(ALICE), 0);
		// She may still decline, at no cost.
		decline(ALICE, id, 0);
		assert_eq!(job(id).replicas[0].provider, BOB);
		assert_eq!(free(ALICE), ED + ALICE_COLLATERAL - 1);
	});
}

#[test]
fn collateral_already_set_aside_is_not_free_for_another_job() {
	// Enough for one collateral and 100 more.
	alice_with(ED + ALICE_COLLATERAL + 100).build_and_execute(|| {
		let first = post(CLIENT, spec());
		let second = post(CLIENT2, spec());
		assert_eq!(job(second).replicas[0].provider, ALICE);
		ack(ALICE, first, 0);
		assert_eq!(MockStake::free_stake(ALICE), 100);
		assert_noop!(
			Jobs::acknowledge(signed(worker_of(ALICE)), second, 0),
			Error::<Test>::InsufficientCollateral
		);
		// She declines what she cannot cover, at no cost, and takes a job she can.
		decline(ALICE, second, 0);
		assert_eq!(job(second).replicas[0].provider, BOB);
		let small = post(CLIENT, tiny());
		assert_eq!(job(small).replicas[0].provider, ALICE);
		ack(ALICE, small, 0);
		assert_eq!(committed(ALICE), ALICE_COLLATERAL + MIN_COLLATERAL);
		assert_eq!(MockStake::free_stake(ALICE), 100 - MIN_COLLATERAL);
		// Paying the first gives its collateral back.
		submit(ALICE, first, 0, UNITS);
		assert_ok!(Jobs::accept(signed(CLIENT), first, 0));
		assert_eq!(committed(ALICE), MIN_COLLATERAL);
		assert_eq!(free(ALICE), ED + ALICE_COLLATERAL + 100 + 500);
		assert!(MockStake::slashes().is_empty());
	});
}

#[test]
fn exactly_the_collateral_is_enough() {
	alice_with(ED + ALICE_COLLATERAL).build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		assert_eq!(MockStake::free_stake(ALICE), 0);
		assert_eq!(committed(ALICE), ALICE_COLLATERAL);
	});
}

#[test]
fn a_failed_slash_is_rolled_back_and_the_replica_still_fails() {
	ExtBuilder::market().providers(vec![(ALICE, ALICE_PRICE)]).build_and_execute(|| {
		let before = total(&EVERYONE);
		MockStake::set_failing(true);
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		run_to_block(DEADLINE + 1);
		// The slash moved money, then failed: none of it stays moved.
		assert_eq!(free(ALICE), STAKE);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(job(id).state, JobState::Failed);
		assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Failed)]);
		assert_eq!(MockRegistry::busy(ALICE), 0);
		// What the failed slash did not take is released, not left set aside.
		assert_eq!(committed(ALICE), 0);
	});
}

//! Per-job collateral: reserving, releasing and slashing it, and how it stays out of the
//! fraction slashes and unbonding.

use super::*;
use crate::WeightInfo;
use tessera_primitives::market::Collateral;

/// Events of this pallet so far, oldest first.
fn stake_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Stake(e) = r.event { Some(e) } else { None })
		.collect()
}

/// Bonds `bond` for ALICE, reserves `collateral` of it and forgets the notices and events.
fn alice_commits(bond: Balance, collateral: Balance) {
	assert_ok!(Stake::bond(signed(ALICE), bond));
	assert_ok!(Stake::reserve(&ALICE, collateral));
	MockObserver::take();
	System::reset_events();
}

mod reserve_and_release {
	use super::*;

	#[test]
	fn round_trip_moves_funds_within_the_hold() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			MockObserver::take();

			assert_ok!(Stake::reserve(&ALICE, 300));

			assert_eq!(ledger(ALICE).bonded, 700);
			assert_eq!(ledger(ALICE).committed, 300);
			assert_eq!(Stake::committed(&ALICE), 300);
			assert_eq!(Stake::free_stake(&ALICE), 700);
			// Collateral still backs the provider's GPUs.
			assert_eq!(Stake::bonded(&ALICE), 1_000);
			// Nothing moved in the currency.
			assert_eq!(held(ALICE), 1_000);
			assert_eq!(free(ALICE), INITIAL - 1_000);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(TotalStaked::<Test>::get(), 1_000);
			System::assert_last_event(Event::CollateralReserved { who: ALICE, amount: 300 }.into());
			// The bond the registry sees did not change, so it is not told.
			assert!(MockObserver::take().is_empty());

			// A second job's collateral adds up.
			assert_ok!(Stake::reserve(&ALICE, 200));
			assert_eq!(Stake::committed(&ALICE), 500);
			assert_eq!(Stake::free_stake(&ALICE), 500);

			Stake::release(&ALICE, 100);
			assert_eq!(ledger(ALICE).bonded, 600);
			assert_eq!(ledger(ALICE).committed, 400);
			System::assert_last_event(Event::CollateralReleased { who: ALICE, amount: 100 }.into());

			// More than is committed releases what is, and says so.
			Stake::release(&ALICE, 1_000);
			assert_eq!(ledger(ALICE).bonded, 1_000);
			assert_eq!(ledger(ALICE).committed, 0);
			System::assert_last_event(Event::CollateralReleased { who: ALICE, amount: 400 }.into());

			assert_eq!(held(ALICE), 1_000);
			assert_eq!(free(ALICE), INITIAL - 1_000);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(TotalStaked::<Test>::get(), 1_000);
			assert!(MockObserver::take().is_empty());
		});
	}

	#[test]
	fn can_reserve_all_of_the_free_bond() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 300));
			assert_ok!(Stake::reserve(&ALICE, 300));
			assert_eq!(Stake::free_stake(&ALICE), 0);
			assert_eq!(ledger(ALICE).bonded, 0);
			// Still matchable for the GPUs the bond covers.
			assert!(Stake::meets_minimum(&ALICE, 3));
			assert!(!Stake::meets_minimum(&ALICE, 4));
		});
	}

	#[test]
	fn refuses_more_than_the_free_stake() {
		ExtBuilder::default().build_and_execute(|| {
			// No ledger, no free stake.
			assert_noop!(Stake::reserve(&ALICE, 1), Error::<Test>::InsufficientFreeStake);

			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::reserve(&ALICE, 600));
			// Other jobs' collateral is not free ...
			assert_noop!(Stake::reserve(&ALICE, 401), Error::<Test>::InsufficientFreeStake);
			// ... and neither are unbonding funds.
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			assert_noop!(Stake::reserve(&ALICE, 301), Error::<Test>::InsufficientFreeStake);
			assert_ok!(Stake::reserve(&ALICE, 300));
			assert_eq!(Stake::free_stake(&ALICE), 0);
			assert_eq!(Stake::committed(&ALICE), 900);
		});
	}

	#[test]
	fn zero_changes_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			// Even without a ledger.
			assert_ok!(Stake::reserve(&ALICE, 0));
			Stake::release(&ALICE, 0);
			assert!(Ledgers::<Test>::get(ALICE).is_none());

			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			System::reset_events();
			assert_ok!(Stake::reserve(&ALICE, 0));
			Stake::release(&ALICE, 0);
			assert_eq!(ledger(ALICE).committed, 0);
			assert!(stake_events().is_empty());
		});
	}

	#[test]
	fn release_without_collateral_does_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			Stake::release(&ALICE, 100);
			assert!(Ledgers::<Test>::get(ALICE).is_none());

			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			System::reset_events();
			MockObserver::take();
			Stake::release(&ALICE, 100);
			assert_eq!(ledger(ALICE).bonded, 1_000);
			assert_eq!(ledger(ALICE).committed, 0);
			assert!(stake_events().is_empty());
			assert!(MockObserver::take().is_empty());
		});
	}

	#[test]
	fn other_providers_are_untouched() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::bond(signed(BOB), 1_000));
			assert_ok!(Stake::reserve(&ALICE, 500));
			Stake::release(&BOB, 500);
			assert_eq!(Stake::committed(&ALICE), 500);
			assert_eq!(Stake::committed(&BOB), 0);
			assert_eq!(ledger(BOB).bonded, 1_000);
		});
	}
}

mod unbonding {
	use super::*;

	#[test]
	fn cannot_touch_committed_funds() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 600);
			assert_noop!(Stake::unbond(signed(ALICE), 401), Error::<Test>::InsufficientBond);
			assert_ok!(Stake::unbond(signed(ALICE), 400));
			assert_eq!(ledger(ALICE).bonded, 0);
			assert_eq!(ledger(ALICE).committed, 600);
			assert_eq!(chunks(ALICE), vec![(400, 1 + UNBONDING_PERIOD)]);
			// Committed funds still count towards the minimum, unbonding ones do not.
			assert_eq!(Stake::bonded(&ALICE), 600);
			assert_eq!(Stake::free_stake(&ALICE), 0);
		});
	}

	#[test]
	fn withdrawing_everything_unbonded_keeps_a_ledger_with_collateral() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			alice_commits(1_000, 600);
			assert_ok!(Stake::unbond(signed(ALICE), 400));
			run_to(1 + UNBONDING_PERIOD);
			assert_ok!(Stake::withdraw_unbonded(signed(ALICE)));

			assert_eq!(ledger(ALICE).bonded, 0);
			assert_eq!(ledger(ALICE).committed, 600);
			assert!(ledger(ALICE).unbonding.is_empty());
			assert_eq!(held(ALICE), 600);
			assert_eq!(free(ALICE), INITIAL - 600);
			assert_eq!(TotalStaked::<Test>::get(), 600);
			assert_eq!(issuance(), issuance_before);

			// Released, it can be unbonded and withdrawn like any bond.
			Stake::release(&ALICE, 600);
			assert_ok!(Stake::unbond(signed(ALICE), 600));
			run_to(2 + 2 * UNBONDING_PERIOD);
			assert_ok!(Stake::withdraw_unbonded(signed(ALICE)));
			assert!(Ledgers::<Test>::get(ALICE).is_none());
			assert_eq!(held(ALICE), 0);
			assert_eq!(free(ALICE), INITIAL);
		});
	}

	#[test]
	fn rebond_adds_to_the_free_bond() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 600);
			assert_ok!(Stake::unbond(signed(ALICE), 400));
			assert_ok!(Stake::rebond(signed(ALICE), 100));
			assert_eq!(ledger(ALICE).bonded, 100);
			assert_eq!(ledger(ALICE).committed, 600);
			assert_eq!(Stake::free_stake(&ALICE), 100);
		});
	}
}

mod fraction_slashes {
	use super::*;

	#[test]
	fn missed_heartbeats_leave_committed_intact() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 400);
			let issuance_before = issuance();

			let outcome = Stake::slash(&ALICE, SlashReason::MissedHeartbeats, None, None)
				.expect("the slash works");

			// 5% of the whole stake, 1_000, taken from the free bond.
			assert_eq!(
				outcome,
				SlashOutcome { slashed: 50, to_client: 0, to_watcher: 0, to_treasury: 50 }
			);
			assert_eq!(ledger(ALICE).bonded, 550);
			assert_eq!(ledger(ALICE).committed, 400);
			assert_eq!(held(ALICE), 950);
			assert_eq!(TotalStaked::<Test>::get(), 950);
			assert_eq!(issuance(), issuance_before);
		});
	}

	#[test]
	fn fraud_takes_at_most_bonded_and_unbonding() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 800);
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			MockObserver::take();
			let issuance_before = issuance();
			let (client, watcher, treasury) = (free(CLIENT), free(WATCHER), free(TREASURY));

			// 50% of 1_000 is 500, but only 100 bonded and 100 unbonding can be taken.
			let outcome = Stake::slash(&ALICE, SlashReason::Fraud, Some(&CLIENT), Some(&WATCHER))
				.expect("the slash works");

			assert_eq!(
				outcome,
				SlashOutcome { slashed: 200, to_client: 100, to_watcher: 40, to_treasury: 60 }
			);
			assert_eq!(free(CLIENT) - client, 100);
			assert_eq!(free(WATCHER) - watcher, 40);
			assert_eq!(free(TREASURY) - treasury, 60);
			assert_eq!(ledger(ALICE).bonded, 0);
			assert!(ledger(ALICE).unbonding.is_empty());
			assert_eq!(ledger(ALICE).committed, 800);
			assert_eq!(Stake::committed(&ALICE), 800);
			assert_eq!(held(ALICE), 800);
			assert_eq!(TotalStaked::<Test>::get(), 800);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(
				MockObserver::take(),
				vec![Notice::StakeChanged(ALICE), Notice::FraudProven(ALICE)]
			);
		});
	}

	#[test]
	fn a_full_fraud_slash_keeps_the_ledger_while_collateral_is_committed() {
		let mut params = test_params();
		params.fraud_slash = Perbill::one();
		ExtBuilder::default().params(params).build_and_execute(|| {
			alice_commits(1_000, 300);
			let outcome =
				Stake::slash(&ALICE, SlashReason::Fraud, None, None).expect("the slash works");
			assert_eq!(outcome.slashed, 700);
			assert_eq!(ledger(ALICE).bonded, 0);
			assert_eq!(ledger(ALICE).committed, 300);
			assert_eq!(held(ALICE), 300);
		});
	}

	#[test]
	fn with_only_collateral_at_stake_take_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 1_000);
			let outcome = Stake::slash(&ALICE, SlashReason::MissedHeartbeats, None, None)
				.expect("the slash works");
			assert_eq!(outcome, SlashOutcome::default());
			assert_eq!(ledger(ALICE).committed, 1_000);
			assert_eq!(held(ALICE), 1_000);
			assert!(MockObserver::take().is_empty());
		});
	}
}

mod slash_collateral {
	use super::*;

	#[test]
	fn takes_at_most_what_is_committed() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 300);
			let issuance_before = issuance();
			let (alice, client, watcher, treasury) =
				(free(ALICE), free(CLIENT), free(WATCHER), free(TREASURY));

			let outcome = Stake::slash_collateral(
				&ALICE,
				500,
				SlashReason::MissedDeadline,
				Some((&CLIENT, 1_000)),
				Some(&WATCHER),
			)
			.expect("the slash works");

			// 300 committed: the client's 50%, the watcher's 20%, the treasury the rest.
			let expected =
				SlashOutcome { slashed: 300, to_client: 150, to_watcher: 60, to_treasury: 90 };
			assert_eq!(outcome, expected);
			assert_eq!(free(CLIENT) - client, 150);
			assert_eq!(free(WATCHER) - watcher, 60);
			assert_eq!(free(TREASURY) - treasury, 90);
			assert_eq!(free(ALICE), alice);
			// The free bond is untouched.
			assert_eq!(ledger(ALICE).bonded, 700);
			assert_eq!(ledger(ALICE).committed, 0);
			assert_eq!(held(ALICE), 700);
			assert_eq!(TotalStaked::<Test>::get(), 700);
			assert_eq!(issuance(), issuance_before);
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					reason: SlashReason::MissedDeadline,
					amount: 300,
					client: Some(CLIENT),
					to_client: 150,
					watcher: Some(WATCHER),
					to_watcher: 60,
					to_treasury: 90,
				}
				.into(),
			);
			assert_eq!(MockObserver::take(), vec![Notice::StakeChanged(ALICE)]);
		});
	}

	#[test]
	fn caps_the_client_and_gives_the_excess_to_the_treasury() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 600);
			let issuance_before = issuance();
			let (client, watcher, treasury) = (free(CLIENT), free(WATCHER), free(TREASURY));

			// One job's 400 of the 600 committed; the client's 50% (200) is capped at 50.
			let outcome = Stake::slash_collateral(
				&ALICE,
				400,
				SlashReason::Dissent,
				Some((&CLIENT, 50)),
				Some(&WATCHER),
			)
			.expect("the slash works");

			// The treasury: 400 - 200 - 80 = 120, plus the client's excess of 150.
			let expected =
				SlashOutcome { slashed: 400, to_client: 50, to_watcher: 80, to_treasury: 270 };
			assert_eq!(outcome, expected);
			assert_eq!(free(CLIENT) - client, 50);
			assert_eq!(free(WATCHER) - watcher, 80);
			assert_eq!(free(TREASURY) - treasury, 270);
			assert_eq!(
				(free(CLIENT) - client) + (free(WATCHER) - watcher) + (free(TREASURY) - treasury),
				400
			);
			assert_eq!(ledger(ALICE).bonded, 400);
			assert_eq!(ledger(ALICE).committed, 200);
			assert_eq!(held(ALICE), 600);
			assert_eq!(TotalStaked::<Test>::get(), 600);
			assert_eq!(issuance(), issuance_before);
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					reason: SlashReason::Dissent,
					amount: 400,
					client: Some(CLIENT),
					to_client: 50,
					watcher: Some(WATCHER),
					to_watcher: 80,
					to_treasury: 270,
				}
				.into(),
			);
		});
	}

	#[test]
	fn a_zero_cap_gives_the_client_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 100);
			let (client, treasury) = (free(CLIENT), free(TREASURY));
			let outcome = Stake::slash_collateral(
				&ALICE,
				100,
				SlashReason::MissedDeadline,
				Some((&CLIENT, 0)),
				None,
			)
			.expect("the slash works");
			assert_eq!(
				outcome,
				SlashOutcome { slashed: 100, to_client: 0, to_watcher: 0, to_treasury: 100 }
			);
			assert_eq!(free(CLIENT), client);
			assert_eq!(free(TREASURY) - treasury, 100);
		});
	}

	#[test]
	fn a_capped_share_that_cannot_be_deposited_goes_to_the_treasury() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 100);
			let (watcher, treasury) = (free(WATCHER), free(TREASURY));
			// The new client's share, capped at 5, is below the existential deposit.
			let outcome = Stake::slash_collateral(
				&ALICE,
				100,
				SlashReason::MissedDeadline,
				Some((&NOBODY, 5)),
				Some(&WATCHER),
			)
			.expect("the slash works");
			assert_eq!(
				outcome,
				SlashOutcome { slashed: 100, to_client: 0, to_watcher: 20, to_treasury: 80 }
			);
			assert_eq!(free(NOBODY), 0);
			assert_eq!(free(WATCHER) - watcher, 20);
			assert_eq!(free(TREASURY) - treasury, 80);
		});
	}

	#[test]
	fn the_slashed_provider_gets_no_share_of_its_own_collateral() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 100);
			let (alice, treasury) = (free(ALICE), free(TREASURY));
			let outcome = Stake::slash_collateral(
				&ALICE,
				100,
				SlashReason::MissedDeadline,
				Some((&ALICE, 100)),
				Some(&ALICE),
			)
			.expect("the slash works");
			assert_eq!(outcome.to_treasury, 100);
			assert_eq!(free(ALICE), alice);
			assert_eq!(free(TREASURY) - treasury, 100);
		});
	}

	#[test]
	fn refuses_fraud() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 500);
			assert_noop!(
				Stake::slash_collateral(
					&ALICE,
					500,
					SlashReason::Fraud,
					Some((&CLIENT, 500)),
					Some(&WATCHER)
				),
				Error::<Test>::FraudTakesTheStake
			);
			assert!(MockObserver::take().is_empty());
			assert_eq!(Stake::committed(&ALICE), 500);
		});
	}

	#[test]
	fn without_collateral_reports_a_zero_slash() {
		ExtBuilder::default().build_and_execute(|| {
			// No ledger at all.
			let outcome = Stake::slash_collateral(
				&ALICE,
				100,
				SlashReason::MissedDeadline,
				Some((&CLIENT, 100)),
				None,
			)
			.expect("the slash works");
			assert_eq!(outcome, SlashOutcome::default());
			assert!(matches!(last_event(), Event::Slashed { amount: 0, .. }));

			// A bond but nothing committed: the bond is not touched.
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			MockObserver::take();
			let outcome =
				Stake::slash_collateral(&ALICE, 100, SlashReason::Dissent, None, Some(&WATCHER))
					.expect("the slash works");
			assert_eq!(outcome, SlashOutcome::default());
			assert_eq!(ledger(ALICE).bonded, 1_000);
			assert_eq!(held(ALICE), 1_000);
			assert!(MockObserver::take().is_empty());
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					reason: SlashReason::Dissent,
					amount: 0,
					client: None,
					to_client: 0,
					watcher: Some(WATCHER),
					to_watcher: 0,
					to_treasury: 0,
				}
				.into(),
			);
		});
	}

	#[test]
	fn taking_all_that_is_left_removes_the_ledger_and_the_hold() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			alice_commits(100, 100);
			let outcome =
				Stake::slash_collateral(&ALICE, 100, SlashReason::MissedDeadline, None, None)
					.expect("the slash works");
			assert_eq!(outcome.slashed, 100);
			assert!(Ledgers::<Test>::get(ALICE).is_none());
			assert_eq!(held(ALICE), 0);
			assert_eq!(System::consumers(&ALICE), 0);
			assert_eq!(free(ALICE), INITIAL - 100);
			assert_eq!(TotalStaked::<Test>::get(), 0);
			assert_eq!(issuance(), issuance_before);
		});
	}

	#[test]
	fn fails_and_changes_nothing_when_the_treasury_cannot_receive() {
		ExtBuilder::default().treasury_unfunded().build_and_execute(|| {
			alice_commits(10, 10);
			// 10: the client's 5 and the watcher's 2 are paid, but not the treasury's 3.
			assert_noop!(
				Stake::slash_collateral(
					&ALICE,
					10,
					SlashReason::MissedDeadline,
					Some((&CLIENT, 10)),
					Some(&WATCHER)
				),
				Error::<Test>::TreasuryCannotReceive
			);
			assert!(MockObserver::take().is_empty());
			assert_eq!(Stake::committed(&ALICE), 10);
			assert_eq!(held(ALICE), 10);
		});
	}
}

mod weights {
	use super::*;

	#[test]
	fn are_the_benchmarked_ones() {
		assert_eq!(Stake::reserve_weight(), <() as WeightInfo>::reserve_collateral());
		assert_eq!(Stake::release_weight(), <() as WeightInfo>::release_collateral());
		assert_eq!(Stake::slash_collateral_weight(), <() as WeightInfo>::slash_collateral());
	}
}

mod try_state {
	use super::*;

	#[test]
	fn detects_committed_funds_that_are_not_held() {
		ExtBuilder::default().build().execute_with(|| {
			alice_commits(1_000, 400);
			assert_ok!(Stake::do_try_state());
			Ledgers::<Test>::mutate(ALICE, |ledger| {
				if let Some(ledger) = ledger {
					ledger.committed += 1;
				}
			});
			assert!(Stake::do_try_state().is_err());
		});
	}

	#[test]
	fn detects_a_total_that_overflows() {
		ExtBuilder::default().build().execute_with(|| {
			alice_commits(1_000, 400);
			Ledgers::<Test>::mutate(ALICE, |ledger| {
				if let Some(ledger) = ledger {
					ledger.committed = Balance::MAX;
				}
			});
			assert!(Stake::do_try_state().is_err());
		});
	}

	#[test]
	fn a_ledger_with_only_collateral_is_not_empty() {
		ExtBuilder::default().build_and_execute(|| {
			alice_commits(1_000, 1_000);
			assert!(!ledger(ALICE).is_empty());
			assert_eq!(ledger(ALICE).total(), 1_000);
			assert_eq!(ledger(ALICE).slashable(), 0);
		});
	}
}

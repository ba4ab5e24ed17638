use crate::{mock::*, Error, Event, HoldReason, Ledgers, Parameters, TotalStaked, UnbondChunk};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Hooks},
};
use sp_runtime::{DispatchError, Perbill};
use tessera_primitives::market::{SlashOutcome, SlashReason, Slashing, StakeInfo};

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn ledger(who: AccountId) -> crate::Ledger<Test> {
	Ledgers::<Test>::get(who).expect("the account has a ledger")
}

/// `(value, unlock_at)` of each unbonding chunk of `who`, in storage order.
fn chunks(who: AccountId) -> Vec<(Balance, BlockNumber)> {
	ledger(who).unbonding.iter().map(|c| (c.value, c.unlock_at)).collect()
}

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|r| if let RuntimeEvent::Stake(e) = r.event { Some(e) } else { None })
		.expect("an event of this pallet")
}

fn run_to(n: BlockNumber) {
	System::set_block_number(n);
}

mod genesis {
	use super::*;

	#[test]
	fn stores_the_parameters() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(Parameters::<Test>::get(), test_params());
			assert_eq!(TotalStaked::<Test>::get(), 0);
			assert_eq!(free(TREASURY), ED);
		});
	}

	#[test]
	#[should_panic(expected = "stake parameters need a non-zero unbonding period")]
	fn refuses_a_zero_unbonding_period() {
		let mut params = test_params();
		params.unbonding_period = 0;
		ExtBuilder::default().params(params).build();
	}

	#[test]
	#[should_panic(expected = "stake parameters need a non-zero unbonding period")]
	fn refuses_shares_above_100_percent() {
		let mut params = test_params();
		params.client_share = Perbill::from_percent(81);
		ExtBuilder::default().params(params).build();
	}

	#[test]
	fn genesis_config_json_uses_camel_case_and_perbill_parts() {
		use frame_support::__private::serde_json::{self, json};
		let config = crate::GenesisConfig::<Test> { params: test_params() };
		let value = serde_json::to_value(&config).expect("serialisable");
		assert_eq!(
			value,
			json!({ "params": {
				"minBondPerGpu": 100,
				"unbondingPeriod": 10,
				"fraudSlash": 500_000_000,
				"dissentSlash": 200_000_000,
				"missedDeadlineSlash": 100_000_000,
				"missedHeartbeatsSlash": 50_000_000,
				"clientShare": 500_000_000,
				"watcherShare": 200_000_000,
			}})
		);
		let back: crate::GenesisConfig<Test> = serde_json::from_value(value).expect("round trip");
		assert_eq!(back.params, test_params());
		// A misspelt field is refused rather than silently defaulted.
		assert!(serde_json::from_value::<crate::GenesisConfig<Test>>(
			json!({ "params": { "minBond": 1 } })
		)
		.is_err());
	}

	#[test]
	fn default_parameters_are_valid() {
		assert!(crate::StakeParameters::<Balance, BlockNumber>::default().is_valid());
	}

	#[test]
	fn integrity_test_passes() {
		ExtBuilder::default().build_and_execute(|| {
			<Stake as Hooks<BlockNumber>>::integrity_test();
		});
	}
}

mod bond {
	use super::*;

	#[test]
	fn holds_the_funds_and_creates_the_ledger() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			assert_ok!(Stake::bond(signed(ALICE), 1_000));

			assert_eq!(free(ALICE), INITIAL - 1_000);
			assert_eq!(held(ALICE), 1_000);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(ledger(ALICE).bonded, 1_000);
			assert!(ledger(ALICE).unbonding.is_empty());
			assert_eq!(TotalStaked::<Test>::get(), 1_000);
			assert_eq!(Stake::bonded(&ALICE), 1_000);
			System::assert_last_event(Event::Bonded { who: ALICE, amount: 1_000 }.into());
			assert_eq!(MockObserver::take(), vec![Notice::StakeChanged(ALICE)]);
		});
	}

	#[test]
	fn can_bond_all_but_the_existential_deposit() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Stake::bond(signed(ALICE), INITIAL - ED + 1),
				Error::<Test>::InsufficientFunds
			);
			assert_ok!(Stake::bond(signed(ALICE), INITIAL - ED));
			assert_eq!(free(ALICE), ED);
			assert_eq!(held(ALICE), INITIAL - ED);
		});
	}

	#[test]
	fn refuses_zero() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(Stake::bond(signed(ALICE), 0), Error::<Test>::ZeroAmount);
		});
	}

	#[test]
	fn refuses_what_a_poor_account_does_not_have() {
		ExtBuilder::default().balances(vec![(ALICE, 50)]).build_and_execute(|| {
			assert_noop!(Stake::bond(signed(ALICE), 41), Error::<Test>::InsufficientFunds);
			assert_ok!(Stake::bond(signed(ALICE), 40));
			assert_eq!(free(ALICE), ED);
		});
	}

	#[test]
	fn refuses_a_second_bond() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_noop!(Stake::bond(signed(ALICE), 1_000), Error::<Test>::AlreadyBonded);
		});
	}

	#[test]
	fn refuses_more_than_the_free_balance() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(Stake::bond(signed(ALICE), INITIAL + 1), Error::<Test>::InsufficientFunds);
			// An account that does not exist has nothing to hold.
			assert_noop!(Stake::bond(signed(NOBODY), 1), Error::<Test>::InsufficientFunds);
			assert!(MockObserver::take().is_empty());
		});
	}

	#[test]
	fn refuses_unsigned_origins() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(Stake::bond(RuntimeOrigin::root(), 1_000), DispatchError::BadOrigin);
			assert_noop!(Stake::bond(RuntimeOrigin::none(), 1_000), DispatchError::BadOrigin);
		});
	}
}

mod bond_extra {
	use super::*;

	#[test]
	fn adds_to_the_bond() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			MockObserver::take();

			assert_ok!(Stake::bond_extra(signed(ALICE), 500));

			assert_eq!(free(ALICE), INITIAL - 1_500);
			assert_eq!(held(ALICE), 1_500);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(ledger(ALICE).bonded, 1_500);
			assert_eq!(TotalStaked::<Test>::get(), 1_500);
			System::assert_last_event(Event::Bonded { who: ALICE, amount: 500 }.into());
			assert_eq!(MockObserver::take(), vec![Notice::StakeChanged(ALICE)]);
		});
	}

	#[test]
	fn keeps_unbonding_chunks() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 1_000));
			assert_ok!(Stake::bond_extra(signed(ALICE), 200));
			assert_eq!(ledger(ALICE).bonded, 200);
			assert_eq!(chunks(ALICE), vec![(1_000, 1 + UNBONDING_PERIOD)]);
			assert_eq!(held(ALICE), 1_200);
		});
	}

	#[test]
	fn refuses_zero() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_noop!(Stake::bond_extra(signed(ALICE), 0), Error::<Test>::ZeroAmount);
		});
	}

	#[test]
	fn refuses_an_account_without_a_ledger() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(Stake::bond_extra(signed(ALICE), 100), Error::<Test>::NotBonded);
		});
	}

	#[test]
	fn refuses_more_than_the_free_balance() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_noop!(
				Stake::bond_extra(signed(ALICE), INITIAL - 1_000 - ED + 1),
				Error::<Test>::InsufficientFunds
			);
			assert_ok!(Stake::bond_extra(signed(ALICE), INITIAL - 1_000 - ED));
			assert_eq!(free(ALICE), ED);
		});
	}
}

mod unbond {
	use super::*;

	#[test]
	fn moves_the_value_into_a_chunk_that_stays_held() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			MockObserver::take();

			assert_ok!(Stake::unbond(signed(ALICE), 400));

			assert_eq!(ledger(ALICE).bonded, 600);
			assert_eq!(chunks(ALICE), vec![(400, 1 + UNBONDING_PERIOD)]);
			// Still held and still part of the total stake; no longer part of the bond.
			assert_eq!(held(ALICE), 1_000);
			assert_eq!(free(ALICE), INITIAL - 1_000);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(TotalStaked::<Test>::get(), 1_000);
			assert_eq!(Stake::bonded(&ALICE), 600);
			System::assert_last_event(
				Event::Unbonded { who: ALICE, amount: 400, unlock_at: 1 + UNBONDING_PERIOD }.into(),
			);
			assert_eq!(MockObserver::take(), vec![Notice::StakeChanged(ALICE)]);
		});
	}

	#[test]
	fn merges_unbonds_of_the_same_block() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			assert_ok!(Stake::unbond(signed(ALICE), 200));
			assert_eq!(chunks(ALICE), vec![(300, 1 + UNBONDING_PERIOD)]);
			run_to(2);
			assert_ok!(Stake::unbond(signed(ALICE), 50));
			assert_eq!(
				chunks(ALICE),
				vec![(300, 1 + UNBONDING_PERIOD), (50, 2 + UNBONDING_PERIOD)]
			);
		});
	}

	#[test]
	fn can_unbond_everything() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 1_000));
			assert_eq!(ledger(ALICE).bonded, 0);
			assert_eq!(Stake::bonded(&ALICE), 0);
			assert_eq!(held(ALICE), 1_000);
		});
	}

	#[test]
	fn keeps_chunks_sorted_when_the_period_is_shortened() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			let mut params = test_params();
			params.unbonding_period = 2;
			assert_ok!(Stake::set_parameters(RuntimeOrigin::root(), params));
			run_to(3);
			assert_ok!(Stake::unbond(signed(ALICE), 200));
			// Unlocks at 5, before the chunk of block 1 (at 11): inserted in front of it.
			assert_eq!(chunks(ALICE), vec![(200, 5), (100, 1 + UNBONDING_PERIOD)]);
			// And one landing on an existing unlock block merges with it.
			run_to(9);
			assert_ok!(Stake::unbond(signed(ALICE), 5));
			assert_eq!(chunks(ALICE), vec![(200, 5), (105, 11)]);
		});
	}

	#[test]
	fn refuses_zero() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_noop!(Stake::unbond(signed(ALICE), 0), Error::<Test>::ZeroAmount);
		});
	}

	#[test]
	fn refuses_an_account_without_a_ledger() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(Stake::unbond(signed(ALICE), 1), Error::<Test>::NotBonded);
		});
	}

	#[test]
	fn refuses_more_than_is_bonded() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 400));
			// What is already unbonding does not count.
			assert_noop!(Stake::unbond(signed(ALICE), 601), Error::<Test>::InsufficientBond);
		});
	}

	#[test]
	fn refuses_while_the_provider_has_jobs() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			crate::mock::set_busy(ALICE, true);
			assert_noop!(Stake::unbond(signed(ALICE), 10), Error::<Test>::ActiveJobs);
			// More may be bonded meanwhile, and what is bonded stays slashable.
			assert_ok!(Stake::bond_extra(signed(ALICE), 10));
			crate::mock::set_busy(ALICE, false);
			assert_ok!(Stake::unbond(signed(ALICE), 10));
		});
	}

	#[test]
	fn refuses_more_than_max_chunks() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			for block in 1..=BlockNumber::from(MAX_CHUNKS) {
				run_to(block);
				assert_ok!(Stake::unbond(signed(ALICE), 10));
			}
			assert_eq!(ledger(ALICE).unbonding.len(), MAX_CHUNKS as usize);
			// Merging with the last chunk needs no new one ...
			assert_ok!(Stake::unbond(signed(ALICE), 10));
			// ... but a new unlock block does.
			run_to(BlockNumber::from(MAX_CHUNKS) + 1);
			assert_noop!(Stake::unbond(signed(ALICE), 10), Error::<Test>::TooManyUnbondingChunks);
			// Withdrawing the first chunk makes room again.
			run_to(1 + UNBONDING_PERIOD);
			assert_ok!(Stake::withdraw_unbonded(signed(ALICE)));
			assert_ok!(Stake::unbond(signed(ALICE), 10));
		});
	}
}

mod rebond {
	use super::*;

	#[test]
	fn takes_from_the_newest_chunk_first() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			run_to(2);
			assert_ok!(Stake::unbond(signed(ALICE), 200));
			run_to(3);
			assert_ok!(Stake::unbond(signed(ALICE), 300));
			MockObserver::take();

			// All of the newest chunk and part of the one before.
			assert_ok!(Stake::rebond(signed(ALICE), 350));

			assert_eq!(ledger(ALICE).bonded, 750);
			assert_eq!(chunks(ALICE), vec![(100, 11), (150, 12)]);
			assert_eq!(held(ALICE), 1_000);
			assert_eq!(free(ALICE), INITIAL - 1_000);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(TotalStaked::<Test>::get(), 1_000);
			System::assert_last_event(Event::Rebonded { who: ALICE, amount: 350 }.into());
			assert_eq!(MockObserver::take(), vec![Notice::StakeChanged(ALICE)]);

			// Everything that is left.
			assert_ok!(Stake::rebond(signed(ALICE), 250));
			assert_eq!(ledger(ALICE).bonded, 1_000);
			assert!(ledger(ALICE).unbonding.is_empty());
		});
	}

	#[test]
	fn refunds_the_weight_of_untouched_chunks() {
		use crate::WeightInfo;
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			run_to(2);
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			let info = Stake::rebond(signed(ALICE), 50).expect("rebond works");
			assert_eq!(info.actual_weight, Some(<() as WeightInfo>::rebond(1)));
		});
	}

	#[test]
	fn refuses_zero() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			assert_noop!(Stake::rebond(signed(ALICE), 0), Error::<Test>::ZeroAmount);
		});
	}

	#[test]
	fn refuses_an_account_without_a_ledger() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(Stake::rebond(signed(ALICE), 1), Error::<Test>::NotBonded);
		});
	}

	#[test]
	fn refuses_more_than_is_unbonding() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_noop!(Stake::rebond(signed(ALICE), 1), Error::<Test>::InsufficientUnbonding);
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			run_to(2);
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			assert_noop!(Stake::rebond(signed(ALICE), 201), Error::<Test>::InsufficientUnbonding);
		});
	}
}

mod withdraw_unbonded {
	use super::*;

	#[test]
	fn refuses_before_the_period_and_releases_after_it() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 400));

			run_to(UNBONDING_PERIOD);
			assert_noop!(Stake::withdraw_unbonded(signed(ALICE)), Error::<Test>::NothingToWithdraw);

			run_to(1 + UNBONDING_PERIOD);
			MockObserver::take();
			assert_ok!(Stake::withdraw_unbonded(signed(ALICE)));

			assert_eq!(free(ALICE), INITIAL - 600);
			assert_eq!(held(ALICE), 600);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(ledger(ALICE).bonded, 600);
			assert!(ledger(ALICE).unbonding.is_empty());
			assert_eq!(TotalStaked::<Test>::get(), 600);
			System::assert_last_event(Event::Withdrawn { who: ALICE, amount: 400 }.into());
			assert_eq!(MockObserver::take(), vec![Notice::StakeChanged(ALICE)]);
		});
	}

	#[test]
	fn releases_only_unlocked_chunks() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			run_to(3);
			assert_ok!(Stake::unbond(signed(ALICE), 200));
			run_to(5);
			assert_ok!(Stake::unbond(signed(ALICE), 300));

			run_to(3 + UNBONDING_PERIOD);
			assert_ok!(Stake::withdraw_unbonded(signed(ALICE)));
			System::assert_last_event(Event::Withdrawn { who: ALICE, amount: 300 }.into());
			assert_eq!(chunks(ALICE), vec![(300, 5 + UNBONDING_PERIOD)]);
			assert_eq!(held(ALICE), 700);
			assert_eq!(free(ALICE), INITIAL - 700);
		});
	}

	#[test]
	fn removes_an_empty_ledger_and_its_hold() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 1_000));
			run_to(1 + UNBONDING_PERIOD);
			assert_ok!(Stake::withdraw_unbonded(signed(ALICE)));

			assert!(Ledgers::<Test>::get(ALICE).is_none());
			assert_eq!(held(ALICE), 0);
			assert_eq!(Balances::total_balance_on_hold(&ALICE), 0);
			assert_eq!(free(ALICE), INITIAL);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(TotalStaked::<Test>::get(), 0);
			// The hold's consumer reference is gone too.
			assert_eq!(System::consumers(&ALICE), 0);
			// And the account can bond afresh.
			assert_ok!(Stake::bond(signed(ALICE), 10));
		});
	}

	#[test]
	fn refuses_an_account_without_a_ledger() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(Stake::withdraw_unbonded(signed(ALICE)), Error::<Test>::NotBonded);
		});
	}

	#[test]
	fn refuses_when_nothing_is_unbonding() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			run_to(100);
			assert_noop!(Stake::withdraw_unbonded(signed(ALICE)), Error::<Test>::NothingToWithdraw);
		});
	}
}

mod set_parameters {
	use super::*;

	#[test]
	fn root_sets_them() {
		ExtBuilder::default().build_and_execute(|| {
			let mut params = test_params();
			params.min_bond_per_gpu = 250;
			params.client_share = Perbill::from_percent(80);
			// Exactly 100% with the watcher: the treasury gets only rounding.
			assert_ok!(Stake::set_parameters(RuntimeOrigin::root(), params));
			assert_eq!(Parameters::<Test>::get(), params);
			System::assert_last_event(Event::ParametersSet { params }.into());
			assert_eq!(Stake::minimum_bond(2), 500);
			// Nobody is notified: the registry re-checks each provider at its next touch.
			assert!(MockObserver::take().is_empty());
		});
	}

	#[test]
	fn refuses_other_origins() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Stake::set_parameters(signed(ALICE), test_params()),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn refuses_a_zero_unbonding_period() {
		ExtBuilder::default().build_and_execute(|| {
			let mut params = test_params();
			params.unbonding_period = 0;
			assert_noop!(
				Stake::set_parameters(RuntimeOrigin::root(), params),
				Error::<Test>::InvalidParameters
			);
		});
	}

	#[test]
	fn refuses_shares_above_100_percent() {
		ExtBuilder::default().build_and_execute(|| {
			let mut params = test_params();
			params.client_share = Perbill::from_percent(60);
			params.watcher_share = Perbill::from_parts(400_000_001);
			assert_noop!(
				Stake::set_parameters(RuntimeOrigin::root(), params),
				Error::<Test>::InvalidParameters
			);
		});
	}
}

mod stake_info {
	use super::*;

	#[test]
	fn minimum_bond_and_meets_minimum() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(Stake::minimum_bond(0), 0);
			assert_eq!(Stake::minimum_bond(3), 300);
			assert_eq!(Stake::minimum_bond(u32::MAX), 100 * Balance::from(u32::MAX));
			assert_eq!(Stake::bonded(&ALICE), 0);
			assert!(Stake::meets_minimum(&ALICE, 0));
			assert!(!Stake::meets_minimum(&ALICE, 1));

			assert_ok!(Stake::bond(signed(ALICE), 300));
			assert!(Stake::meets_minimum(&ALICE, 3));
			assert!(!Stake::meets_minimum(&ALICE, 4));

			// Unbonding funds do not count.
			assert_ok!(Stake::unbond(signed(ALICE), 1));
			assert_eq!(Stake::bonded(&ALICE), 299);
			assert!(!Stake::meets_minimum(&ALICE, 3));
			assert!(Stake::meets_minimum(&ALICE, 2));
		});
	}

	#[test]
	fn minimum_bond_saturates() {
		let mut params = test_params();
		params.min_bond_per_gpu = Balance::MAX / 2;
		ExtBuilder::default().params(params).build_and_execute(|| {
			assert_eq!(Stake::minimum_bond(3), Balance::MAX);
		});
	}
}

mod slash {
	use super::*;

	/// Bonds 1_000 for ALICE and forgets the notices.
	fn alice_bonds_1000() {
		assert_ok!(Stake::bond(signed(ALICE), 1_000));
		MockObserver::take();
	}

	#[test]
	fn conserves_money_for_every_reason() {
		for (reason, percent) in [
			(SlashReason::Fraud, 50),
			(SlashReason::Dissent, 20),
			(SlashReason::MissedDeadline, 10),
			(SlashReason::MissedHeartbeats, 5),
		] {
			ExtBuilder::default().build_and_execute(|| {
				alice_bonds_1000();
				let issuance_before = issuance();
				let (alice_free, client, watcher, treasury) =
					(free(ALICE), free(CLIENT), free(WATCHER), free(TREASURY));

				let outcome = Stake::slash(&ALICE, reason, Some(&CLIENT), Some(&WATCHER))
					.expect("the slash works");

				let amount = 10 * percent;
				let expected = SlashOutcome {
					slashed: amount,
					to_client: amount / 2,
					to_watcher: amount / 5,
					to_treasury: amount - amount / 2 - amount / 5,
				};
				assert_eq!(outcome, expected, "{reason:?}");
				assert_eq!(free(CLIENT) - client, expected.to_client);
				assert_eq!(free(WATCHER) - watcher, expected.to_watcher);
				assert_eq!(free(TREASURY) - treasury, expected.to_treasury);
				assert_eq!(held(ALICE), 1_000 - amount);
				assert_eq!(free(ALICE), alice_free);
				assert_eq!(issuance(), issuance_before);
				assert_eq!(ledger(ALICE).bonded, 1_000 - amount);
				assert_eq!(TotalStaked::<Test>::get(), 1_000 - amount);
				System::assert_last_event(
					Event::Slashed {
						who: ALICE,
						reason,
						amount,
						client: Some(CLIENT),
						to_client: expected.to_client,
						watcher: Some(WATCHER),
						to_watcher: expected.to_watcher,
						to_treasury: expected.to_treasury,
					}
					.into(),
				);
			});
		}
	}

	#[test]
	fn rounding_dust_goes_to_the_treasury() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 999));
			let issuance_before = issuance();
			let treasury = free(TREASURY);
			// 20% of 999 = 199.8 -> 199; client 50% -> 99, watcher 20% -> 39, treasury 61.
			let outcome = Stake::slash(&ALICE, SlashReason::Dissent, Some(&CLIENT), Some(&WATCHER))
				.expect("the slash works");
			assert_eq!(
				outcome,
				SlashOutcome { slashed: 199, to_client: 99, to_watcher: 39, to_treasury: 61 }
			);
			assert_eq!(free(TREASURY) - treasury, 61);
			assert_eq!(held(ALICE), 800);
			assert_eq!(issuance(), issuance_before);
		});
	}

	#[test]
	fn without_client_or_watcher_all_goes_to_the_treasury() {
		ExtBuilder::default().build_and_execute(|| {
			alice_bonds_1000();
			let treasury = free(TREASURY);
			let outcome = Stake::slash(&ALICE, SlashReason::MissedHeartbeats, None, None)
				.expect("the slash works");
			assert_eq!(
				outcome,
				SlashOutcome { slashed: 50, to_client: 0, to_watcher: 0, to_treasury: 50 }
			);
			assert_eq!(free(TREASURY) - treasury, 50);
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					reason: SlashReason::MissedHeartbeats,
					amount: 50,
					client: None,
					to_client: 0,
					watcher: None,
					to_watcher: 0,
					to_treasury: 50,
				}
				.into(),
			);
		});
	}

	#[test]
	fn takes_from_unbonding_chunks_newest_first_when_the_bond_is_short() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			alice_bonds_1000();
			assert_ok!(Stake::unbond(signed(ALICE), 400));
			run_to(2);
			assert_ok!(Stake::unbond(signed(ALICE), 500));
			assert_eq!(ledger(ALICE).bonded, 100);

			// 50% of 1_000: 100 from the bond, 400 from the newest chunk.
			let outcome = Stake::slash(&ALICE, SlashReason::Fraud, Some(&CLIENT), Some(&WATCHER))
				.expect("the slash works");

			assert_eq!(outcome.slashed, 500);
			assert_eq!(ledger(ALICE).bonded, 0);
			assert_eq!(chunks(ALICE), vec![(400, 11), (100, 12)]);
			assert_eq!(held(ALICE), 500);
			assert_eq!(TotalStaked::<Test>::get(), 500);
			assert_eq!(issuance(), issuance_before);
		});
	}

	#[test]
	fn unbonding_funds_stay_slashable() {
		ExtBuilder::default().build_and_execute(|| {
			alice_bonds_1000();
			assert_ok!(Stake::unbond(signed(ALICE), 1_000));
			run_to(UNBONDING_PERIOD);

			let outcome = Stake::slash(&ALICE, SlashReason::Dissent, None, Some(&WATCHER))
				.expect("the slash works");

			assert_eq!(outcome.slashed, 200);
			assert_eq!(chunks(ALICE), vec![(800, 1 + UNBONDING_PERIOD)]);
			run_to(1 + UNBONDING_PERIOD);
			assert_ok!(Stake::withdraw_unbonded(signed(ALICE)));
			assert_eq!(free(ALICE), INITIAL - 200);
			assert!(Ledgers::<Test>::get(ALICE).is_none());
		});
	}

	#[test]
	fn fraud_bans_and_other_reasons_do_not() {
		ExtBuilder::default().build_and_execute(|| {
			alice_bonds_1000();
			for reason in
				[SlashReason::Dissent, SlashReason::MissedDeadline, SlashReason::MissedHeartbeats]
			{
				assert_ok!(Stake::slash(&ALICE, reason, None, None));
				assert_eq!(MockObserver::take(), vec![Notice::StakeChanged(ALICE)], "{reason:?}");
			}
			assert_ok!(Stake::slash(&ALICE, SlashReason::Fraud, None, None));
			assert_eq!(
				MockObserver::take(),
				vec![Notice::StakeChanged(ALICE), Notice::FraudProven(ALICE)]
			);
		});
	}

	#[test]
	fn fraud_without_stake_still_bans() {
		ExtBuilder::default().build_and_execute(|| {
			let issuance_before = issuance();
			let outcome = Stake::slash(&ALICE, SlashReason::Fraud, Some(&CLIENT), Some(&WATCHER))
				.expect("the slash works");
			assert_eq!(outcome, SlashOutcome::default());
			// Nothing changed, so only the ban.
			assert_eq!(MockObserver::take(), vec![Notice::FraudProven(ALICE)]);
			assert!(Ledgers::<Test>::get(ALICE).is_none());
			assert_eq!(free(ALICE), INITIAL);
			assert_eq!(issuance(), issuance_before);
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					reason: SlashReason::Fraud,
					amount: 0,
					client: Some(CLIENT),
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
	fn other_reasons_without_stake_do_nothing_but_report() {
		ExtBuilder::default().build_and_execute(|| {
			let outcome = Stake::slash(&ALICE, SlashReason::MissedDeadline, Some(&CLIENT), None)
				.expect("the slash works");
			assert_eq!(outcome, SlashOutcome::default());
			assert!(MockObserver::take().is_empty());
			assert!(matches!(last_event(), Event::Slashed { amount: 0, .. }));
		});
	}

	#[test]
	fn a_zero_fraction_changes_nothing() {
		let mut params = test_params();
		params.dissent_slash = Perbill::zero();
		ExtBuilder::default().params(params).build_and_execute(|| {
			alice_bonds_1000();
			let outcome = Stake::slash(&ALICE, SlashReason::Dissent, Some(&CLIENT), Some(&WATCHER))
				.expect("the slash works");
			assert_eq!(outcome, SlashOutcome::default());
			assert_eq!(held(ALICE), 1_000);
			assert!(MockObserver::take().is_empty());
		});
	}

	#[test]
	fn a_share_that_cannot_be_deposited_goes_to_the_treasury() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 100));
			let issuance_before = issuance();
			let treasury = free(TREASURY);

			// 10% of 100 = 10: the client's 5 and the watcher's 2 are below the existential
			// deposit of accounts that do not exist.
			let outcome = Stake::slash(
				&ALICE,
				SlashReason::MissedDeadline,
				Some(&NOBODY),
				Some(&NOBODY_ELSE),
			)
			.expect("the slash works");

			assert_eq!(
				outcome,
				SlashOutcome { slashed: 10, to_client: 0, to_watcher: 0, to_treasury: 10 }
			);
			assert_eq!(free(NOBODY), 0);
			assert_eq!(free(NOBODY_ELSE), 0);
			assert_eq!(free(TREASURY) - treasury, 10);
			assert_eq!(held(ALICE), 90);
			assert_eq!(issuance(), issuance_before);
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					reason: SlashReason::MissedDeadline,
					amount: 10,
					client: Some(NOBODY),
					to_client: 0,
					watcher: Some(NOBODY_ELSE),
					to_watcher: 0,
					to_treasury: 10,
				}
				.into(),
			);
		});
	}

	#[test]
	fn only_the_share_that_cannot_be_deposited_is_redirected() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 100));
			let (client, treasury) = (free(CLIENT), free(TREASURY));
			// The existing client takes its 5; the new watcher's 2 goes to the treasury.
			let outcome =
				Stake::slash(&ALICE, SlashReason::MissedDeadline, Some(&CLIENT), Some(&NOBODY))
					.expect("the slash works");
			assert_eq!(
				outcome,
				SlashOutcome { slashed: 10, to_client: 5, to_watcher: 0, to_treasury: 5 }
			);
			assert_eq!(free(CLIENT) - client, 5);
			assert_eq!(free(TREASURY) - treasury, 5);
		});
	}

	#[test]
	fn a_new_account_receives_a_share_of_at_least_the_existential_deposit() {
		ExtBuilder::default().build_and_execute(|| {
			alice_bonds_1000();
			// Fraud: 500, the new client's 250 creates its account.
			let outcome = Stake::slash(&ALICE, SlashReason::Fraud, Some(&NOBODY), None)
				.expect("the slash works");
			assert_eq!(outcome.to_client, 250);
			assert_eq!(free(NOBODY), 250);
		});
	}

	#[test]
	fn the_slashed_provider_gets_no_share_of_its_own_slash() {
		ExtBuilder::default().build_and_execute(|| {
			alice_bonds_1000();
			let alice_free = free(ALICE);
			let treasury = free(TREASURY);
			let outcome = Stake::slash(&ALICE, SlashReason::Fraud, Some(&ALICE), Some(&ALICE))
				.expect("the slash works");
			assert_eq!(
				outcome,
				SlashOutcome { slashed: 500, to_client: 0, to_watcher: 0, to_treasury: 500 }
			);
			assert_eq!(free(ALICE), alice_free);
			assert_eq!(free(TREASURY) - treasury, 500);
		});
	}

	#[test]
	fn a_full_slash_removes_the_ledger_and_the_hold() {
		let mut params = test_params();
		params.fraud_slash = Perbill::one();
		ExtBuilder::default().params(params).build_and_execute(|| {
			let issuance_before = issuance();
			alice_bonds_1000();
			assert_ok!(Stake::unbond(signed(ALICE), 300));
			MockObserver::take();

			let outcome = Stake::slash(&ALICE, SlashReason::Fraud, Some(&CLIENT), Some(&WATCHER))
				.expect("the slash works");

			assert_eq!(outcome.slashed, 1_000);
			assert!(Ledgers::<Test>::get(ALICE).is_none());
			assert_eq!(held(ALICE), 0);
			assert_eq!(System::consumers(&ALICE), 0);
			assert_eq!(free(ALICE), INITIAL - 1_000);
			assert_eq!(TotalStaked::<Test>::get(), 0);
			assert_eq!(issuance(), issuance_before);
			assert_eq!(
				MockObserver::take(),
				vec![Notice::StakeChanged(ALICE), Notice::FraudProven(ALICE)]
			);
			assert_noop!(Stake::withdraw_unbonded(signed(ALICE)), Error::<Test>::NotBonded);
		});
	}

	#[test]
	fn fails_and_changes_nothing_when_the_treasury_cannot_receive() {
		ExtBuilder::default().treasury_unfunded().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 10));
			MockObserver::take();
			// The treasury's share (1 of 1, then 2 of 5) would not create its account.
			assert_noop!(
				Stake::slash(&ALICE, SlashReason::MissedDeadline, Some(&CLIENT), Some(&WATCHER)),
				Error::<Test>::TreasuryCannotReceive
			);
			// Not even the ban.
			assert_noop!(
				Stake::slash(&ALICE, SlashReason::Fraud, None, None),
				Error::<Test>::TreasuryCannotReceive
			);
			assert!(MockObserver::take().is_empty());
			assert_eq!(held(ALICE), 10);
		});
	}

	#[test]
	fn other_providers_are_untouched() {
		ExtBuilder::default().build_and_execute(|| {
			alice_bonds_1000();
			assert_ok!(Stake::bond(signed(BOB), 2_000));
			assert_ok!(Stake::slash(&ALICE, SlashReason::Fraud, None, None));
			assert_eq!(held(BOB), 2_000);
			assert_eq!(ledger(BOB).bonded, 2_000);
			assert_eq!(TotalStaked::<Test>::get(), 500 + 2_000);
		});
	}

	#[test]
	fn slash_weight_is_the_benchmarked_one() {
		use crate::WeightInfo;
		assert_eq!(Stake::slash_weight(), <() as WeightInfo>::slash());
	}
}

mod try_state {
	use super::*;

	#[test]
	fn detects_a_ledger_that_differs_from_its_hold() {
		ExtBuilder::default().build().execute_with(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::do_try_state());
			Ledgers::<Test>::mutate(ALICE, |ledger| {
				if let Some(ledger) = ledger {
					ledger.bonded += 1;
				}
			});
			assert!(Stake::do_try_state().is_err());
		});
	}

	#[test]
	fn detects_a_wrong_total() {
		ExtBuilder::default().build().execute_with(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			TotalStaked::<Test>::put(999);
			assert!(Stake::do_try_state().is_err());
		});
	}

	#[test]
	fn detects_unsorted_chunks() {
		ExtBuilder::default().build().execute_with(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			run_to(2);
			assert_ok!(Stake::unbond(signed(ALICE), 100));
			assert_ok!(Stake::do_try_state());
			Ledgers::<Test>::mutate(ALICE, |ledger| {
				if let Some(ledger) = ledger {
					ledger.unbonding = ledger
						.unbonding
						.iter()
						.rev()
						.copied()
						.collect::<Vec<_>>()
						.try_into()
						.expect("same length");
				}
			});
			assert!(Stake::do_try_state().is_err());
		});
	}

	#[test]
	fn detects_an_empty_chunk() {
		ExtBuilder::default().build().execute_with(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			Ledgers::<Test>::mutate(ALICE, |ledger| {
				if let Some(ledger) = ledger {
					ledger
						.unbonding
						.try_push(UnbondChunk { value: 0, unlock_at: 5 })
						.expect("room for a chunk");
				}
			});
			assert!(Stake::do_try_state().is_err());
		});
	}

	#[test]
	fn detects_invalid_parameters() {
		ExtBuilder::default().build().execute_with(|| {
			Parameters::<Test>::mutate(|params| params.unbonding_period = 0);
			assert!(Stake::do_try_state().is_err());
		});
	}

	#[test]
	fn hold_reason_is_the_stake_pallets() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Stake::bond(signed(ALICE), 1_000));
			assert_eq!(
				Balances::balance_on_hold(&RuntimeHoldReason::Stake(HoldReason::Staked), &ALICE),
				1_000
			);
		});
	}
}

mod collateral;

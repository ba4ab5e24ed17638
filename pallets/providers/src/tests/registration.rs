//! Registering: the record, the index entry and the deposit.

use super::*;

#[test]
fn register_records_the_provider_and_indexes_it_when_bonded() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 7);
		let info = info(ALICE);
		assert_eq!(info.price_per_unit, 7);
		assert_eq!(info.worker, worker_of(ALICE));
		assert_eq!(info.status, Status::Online);
		assert_eq!(info.heartbeat_deadline, 1 + HEARTBEAT_TIMEOUT);
		assert_eq!(info.reputation.score, REPUTATION_NEUTRAL);
		assert!(info.indexed);
		assert_eq!(crate::Workers::<Test>::get(worker_of(ALICE)), Some(ALICE));
		assert_eq!(crate::ProviderCount::<Test>::get(), 1);
		assert_eq!(crate::Online::<Test>::get(), OnlineStats { providers: 1, gpus: 1 });
		System::assert_has_event(
			Event::MatchableChanged { provider: ALICE, matchable: true }.into(),
		);
		System::assert_last_event(
			Event::Registered {
				provider: ALICE,
				worker: worker_of(ALICE),
				price_per_unit: 7,
				deposit: REGISTRATION_DEPOSIT,
			}
			.into(),
		);
		assert_eq!(matched(&any(), 7, 5), vec![ALICE]);
	});
}

fn deposit_held(who: AccountId) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(
		&RuntimeHoldReason::Providers(crate::HoldReason::RegistrationDeposit),
		&who,
	)
}

#[test]
fn register_holds_the_deposit_and_deregister_releases_it_in_full() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 7);
		assert_eq!(info(ALICE).deposit, REGISTRATION_DEPOSIT);
		assert_eq!(deposit_held(ALICE), REGISTRATION_DEPOSIT);
		assert_eq!(Balances::free_balance(ALICE), INITIAL - REGISTRATION_DEPOSIT);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(
			Event::Deregistered { provider: ALICE, deposit: REGISTRATION_DEPOSIT }.into(),
		);
		// The money sums: all of it back, nothing left held.
		assert_eq!(deposit_held(ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), INITIAL);
		assert_eq!(Balances::total_issuance(), INITIAL * Balance::from(FUNDED as u32));
		// Registering again holds it again.
		register(ALICE, 7);
		assert_eq!(deposit_held(ALICE), REGISTRATION_DEPOSIT);
	});
}

#[test]
fn deregister_releases_what_was_held_even_if_the_record_says_less_than_the_constant() {
	ExtBuilder::default().build_and_execute(|| {
		// A record from before a change of the deposit: what it keeps is what is released.
		register(ALICE, 7);
		crate::Providers::<Test>::mutate(ALICE, |info| {
			if let Some(info) = info {
				info.deposit = 4;
			}
		});
		use frame_support::traits::fungible::MutateHold;
		let reason = RuntimeHoldReason::Providers(crate::HoldReason::RegistrationDeposit);
		assert_ok!(Balances::release(
			&reason,
			&ALICE,
			REGISTRATION_DEPOSIT - 4,
			frame_support::traits::tokens::Precision::Exact
		));
		Providers::do_try_state().expect("hold and record agree");
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(Event::Deregistered { provider: ALICE, deposit: 4 }.into());
		assert_eq!(deposit_held(ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), INITIAL);
	});
}

#[test]
fn register_refuses_an_account_that_cannot_cover_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		let poor: AccountId = FUNDED + 1;
		let call = |who| {
			Providers::register(
				RuntimeOrigin::signed(who),
				profile(24, 1, Europe),
				5,
				2,
				endpoint("https://gpu.example.org"),
				worker_of(who),
			)
		};
		assert_noop!(call(poor), Error::<Test>::InsufficientDeposit);
		// The deposit and the existential deposit: just not enough.
		use frame_support::traits::fungible::Mutate;
		assert_ok!(Balances::mint_into(&poor, REGISTRATION_DEPOSIT));
		assert_noop!(call(poor), Error::<Test>::InsufficientDeposit);
		assert_ok!(Balances::mint_into(&poor, 1));
		assert_ok!(call(poor));
		assert_eq!(deposit_held(poor), REGISTRATION_DEPOSIT);
		assert_eq!(crate::ProviderCount::<Test>::get(), 1);
	});
}

#[test]
fn register_without_bond_is_not_matchable() {
	ExtBuilder::default().bond(ALICE, bond_for(4) - 1).build_and_execute(|| {
		register_with(ALICE, profile(24, 4, Europe), 7);
		assert!(!info(ALICE).indexed);
		assert!(matched(&any(), 100, 5).is_empty());
		assert_eq!(crate::PriceIndex::<Test>::iter().count(), 0);
	});
}

#[test]
fn register_refusals() {
	ExtBuilder::default().build_and_execute(|| {
		let hw = profile(24, 1, Europe);
		let url = endpoint("https://gpu.example.org");
		let call = |who, hw: HardwareProfileOf<Test>, price, slots, url: BoundedVec<_, _>, w| {
			Providers::register(RuntimeOrigin::signed(who), hw, price, slots, url, w)
		};
		register(ALICE, 5);
		assert_noop!(
			call(ALICE, hw.clone(), 5, 1, url.clone(), 77),
			Error::<Test>::AlreadyRegistered
		);
		assert_noop!(
			call(BOB, hw.clone(), 5, 1, url.clone(), worker_of(ALICE)),
			Error::<Test>::WorkerInUse
		);
		let mut bad = hw.clone();
		bad.gpu.count = 0;
		assert_noop!(call(BOB, bad, 5, 1, url.clone(), 77), Error::<Test>::NoGpus);
		let mut bad = hw.clone();
		bad.gpu.model = BoundedVec::new();
		assert_noop!(call(BOB, bad, 5, 1, url.clone(), 77), Error::<Test>::InvalidGpuModel);
		let mut bad = hw.clone();
		bad.gpu.model = BoundedVec::truncate_from(vec![0xff, 0xfe]);
		assert_noop!(call(BOB, bad, 5, 1, url.clone(), 77), Error::<Test>::InvalidGpuModel);
		let mut bad = hw.clone();
		bad.gpu.vram_mib = 0;
		assert_noop!(call(BOB, bad, 5, 1, url.clone(), 77), Error::<Test>::NoVram);
		let mut bad = hw.clone();
		bad.gpu.int8_tops = 0;
		assert_noop!(call(BOB, bad, 5, 1, url.clone(), 77), Error::<Test>::NoThroughput);
		let mut bad = hw.clone();
		bad.gpu.fp16_tflops = 0;
		assert_noop!(call(BOB, bad, 5, 1, url.clone(), 77), Error::<Test>::NoThroughput);
		let mut bad = hw.clone();
		bad.capabilities = Capabilities::default();
		assert_noop!(call(BOB, bad, 5, 1, url.clone(), 77), Error::<Test>::NoCapability);
		assert_noop!(call(BOB, hw.clone(), 0, 1, url.clone(), 77), Error::<Test>::ZeroPrice);
		assert_noop!(call(BOB, hw.clone(), 5, 0, url.clone(), 77), Error::<Test>::InvalidJobSlots);
		assert_noop!(call(BOB, hw.clone(), 5, 5, url.clone(), 77), Error::<Test>::InvalidJobSlots);
		for bad_url in ["ftp://x", "https://", "http://a b", "gpu.example.org", ""] {
			assert_noop!(
				call(BOB, hw.clone(), 5, 1, endpoint(bad_url), 77),
				Error::<Test>::InvalidEndpoint
			);
		}
		assert_ok!(call(BOB, hw.clone(), 5, 4, endpoint("http://10.0.0.2:8080"), 77));
	});
}

#[test]
fn banned_accounts_cannot_register() {
	ExtBuilder::default().build_and_execute(|| {
		Providers::fraud_proven(&ALICE);
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(ALICE),
				profile(24, 1, Europe),
				5,
				1,
				endpoint("https://gpu.example.org"),
				worker_of(ALICE),
			),
			Error::<Test>::Banned
		);
	});
}

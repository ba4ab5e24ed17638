//! `update_profile`, `set_price` and `set_worker`.

use super::*;

#[test]
fn update_profile_moves_the_index_entry() {
	ExtBuilder::default().bond(ALICE, bond_for(8)).build_and_execute(|| {
		register(ALICE, 5);
		let need_80 = Requirements { min_vram_mib: 80 * 1024, ..any() };
		assert!(matched(&need_80, 100, 1).is_empty());
		assert_ok!(Providers::update_profile(
			RuntimeOrigin::signed(ALICE),
			profile(80, 8, Asia),
			4,
			endpoint("https://asia.example.org"),
		));
		System::assert_last_event(Event::ProfileUpdated { provider: ALICE }.into());
		let info = info(ALICE);
		assert_eq!(info.max_jobs, 4);
		assert_eq!(info.profile.region, Asia);
		assert_eq!(crate::Online::<Test>::get(), OnlineStats { providers: 1, gpus: 8 });
		assert_eq!(matched(&need_80, 100, 1), vec![ALICE]);
		let in_europe = Requirements { region: Some(Europe), ..any() };
		assert!(matched(&in_europe, 100, 1).is_empty());
		assert_eq!(matched(&Requirements { region: Some(Asia), ..need_80 }, 100, 1), vec![ALICE]);
	});
}

#[test]
fn update_profile_that_outgrows_the_bond_leaves_the_index() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		assert_ok!(Providers::update_profile(
			RuntimeOrigin::signed(ALICE),
			profile(24, 2, Europe),
			1,
			endpoint("https://gpu.example.org"),
		));
		assert!(!info(ALICE).indexed);
		// Nor does the liveness hook track it any more.
		assert!(!info(ALICE).tracked);
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 0);
		System::assert_has_event(
			Event::MatchableChanged { provider: ALICE, matchable: false }.into(),
		);
	});
}

#[test]
fn update_profile_refusals() {
	ExtBuilder::default().build_and_execute(|| {
		let url = endpoint("https://gpu.example.org");
		assert_noop!(
			Providers::update_profile(
				RuntimeOrigin::signed(ALICE),
				profile(24, 1, Europe),
				1,
				url.clone()
			),
			Error::<Test>::NotRegistered
		);
		register(ALICE, 5);
		let origin = || RuntimeOrigin::signed(ALICE);
		assert_noop!(
			Providers::update_profile(origin(), profile(24, 0, Europe), 1, url.clone()),
			Error::<Test>::NoGpus
		);
		assert_noop!(
			Providers::update_profile(origin(), profile(0, 1, Europe), 1, url.clone()),
			Error::<Test>::NoVram
		);
		assert_noop!(
			Providers::update_profile(origin(), profile(24, 1, Europe), 9, url.clone()),
			Error::<Test>::InvalidJobSlots
		);
		assert_noop!(
			Providers::update_profile(origin(), profile(24, 1, Europe), 1, endpoint("x")),
			Error::<Test>::InvalidEndpoint
		);
		let mut none = profile(24, 1, Europe);
		none.capabilities = Capabilities::default();
		assert_noop!(
			Providers::update_profile(origin(), none, 1, url.clone()),
			Error::<Test>::NoCapability
		);
		// Any one capability is enough.
		let mut enclave_only = profile(24, 1, Europe);
		enclave_only.capabilities = Capabilities { enclave: true, ..Default::default() };
		assert_ok!(Providers::update_profile(origin(), enclave_only, 2, url.clone()));
	});
}

#[test]
fn update_profile_cannot_drop_slots_below_active_jobs() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5); // two slots
		assert_ok!(Providers::job_assigned(&ALICE));
		assert_ok!(Providers::job_assigned(&ALICE));
		let url = endpoint("https://gpu.example.org");
		let origin = || RuntimeOrigin::signed(ALICE);
		assert_noop!(
			Providers::update_profile(origin(), profile(24, 1, Europe), 1, url.clone()),
			Error::<Test>::SlotsBelowActiveJobs
		);
		// Exactly as many slots as jobs is fine (and leaves it full), more makes it matchable.
		assert_ok!(Providers::update_profile(origin(), profile(24, 1, Europe), 2, url.clone()));
		assert!(!info(ALICE).indexed);
		assert_ok!(Providers::update_profile(origin(), profile(24, 1, Europe), 3, url.clone()));
		assert!(info(ALICE).indexed);
		assert_eq!(info(ALICE).max_jobs, 3);
	});
}

#[test]
fn set_price_reorders_the_index() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).bond(BOB, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		register(BOB, 6);
		assert_eq!(matched(&any(), 100, 2), vec![ALICE, BOB]);
		assert_ok!(Providers::set_price(RuntimeOrigin::signed(ALICE), 9));
		System::assert_last_event(Event::PriceSet { provider: ALICE, price_per_unit: 9 }.into());
		assert_eq!(matched(&any(), 100, 2), vec![BOB, ALICE]);
		assert_eq!(matched(&any(), 8, 2), vec![BOB]);
		assert_noop!(
			Providers::set_price(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::ZeroPrice
		);
		assert_noop!(
			Providers::set_price(RuntimeOrigin::signed(CHARLIE), 3),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn set_worker_moves_the_key() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		register(BOB, 5);
		assert_noop!(
			Providers::set_worker(RuntimeOrigin::signed(ALICE), worker_of(BOB)),
			Error::<Test>::WorkerInUse
		);
		assert_noop!(
			Providers::set_worker(RuntimeOrigin::signed(CHARLIE), 500),
			Error::<Test>::NotRegistered
		);
		assert_ok!(Providers::set_worker(RuntimeOrigin::signed(ALICE), 500));
		System::assert_last_event(
			Event::WorkerChanged { provider: ALICE, old: worker_of(ALICE), new: 500 }.into(),
		);
		assert_eq!(Providers::provider_of_worker(&500), Some(ALICE));
		assert_eq!(Providers::provider_of_worker(&worker_of(ALICE)), None);
		assert_eq!(Providers::worker_of(&ALICE), Some(500));
		assert_eq!(Providers::cheapest(&needs(&any()), 5, 1, &[])[0].worker, 500);
		run_to_block(1 + HEARTBEAT_INTERVAL);
		assert_noop!(
			Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))),
			Error::<Test>::UnknownWorker
		);
		assert_ok!(Providers::heartbeat(RuntimeOrigin::signed(500)));
	});
}

use crate::{
	mock::*, price_index, Error, Event, HardwareProfileOf, OfflineReason, OnlineStats,
	ProviderInfoOf, Status, WeightInfo,
};
use frame_support::{assert_noop, assert_ok, dispatch::Pays};
use sp_runtime::BoundedVec;
use tessera_primitives::market::{Region::*, *};

const ALICE: AccountId = 1;
const BOB: AccountId = 2;
const CHARLIE: AccountId = 3;
const DAVE: AccountId = 4;

fn bond_for(gpus: u32) -> Balance {
	MIN_BOND_PER_GPU * Balance::from(gpus)
}

/// Registers `who` with one 24 GiB card in Europe at `price`, worker key `worker_of(who)`.
fn register(who: AccountId, price: Balance) {
	register_with(who, profile(24, 1, Europe), price);
}

fn register_with(who: AccountId, hw: HardwareProfileOf<Test>, price: Balance) {
	assert_ok!(Providers::register(
		RuntimeOrigin::signed(who),
		hw,
		price,
		2,
		endpoint("https://gpu.example.org"),
		worker_of(who),
	));
}

fn info(who: AccountId) -> ProviderInfoOf<Test> {
	crate::Providers::<Test>::get(who).expect("registered")
}

fn matched(requirements: &Requirements, max_price: Balance, count: u32) -> Vec<AccountId> {
	Providers::cheapest(requirements, max_price, count, &[])
		.into_iter()
		.map(|c| c.provider)
		.collect()
}

fn any() -> Requirements {
	Requirements::default()
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

// ---- register -------------------------------------------------------------------------------

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
			Event::Registered { provider: ALICE, worker: worker_of(ALICE), price_per_unit: 7 }
				.into(),
		);
		assert_eq!(matched(&any(), 7, 5), vec![ALICE]);
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

// ---- update_profile, set_price, set_worker --------------------------------------------------

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
		assert_eq!(Providers::cheapest(&any(), 5, 1, &[])[0].worker, 500);
		run_to_block(1 + HEARTBEAT_INTERVAL);
		assert_noop!(
			Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))),
			Error::<Test>::UnknownWorker
		);
		assert_ok!(Providers::heartbeat(RuntimeOrigin::signed(500)));
	});
}

// ---- online, offline, heartbeats, liveness --------------------------------------------------

#[test]
fn go_offline_and_online() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		assert_noop!(
			Providers::go_offline(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			Providers::go_online(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NotRegistered
		);
		register(ALICE, 5);
		assert_noop!(
			Providers::go_online(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::AlreadyOnline
		);
		assert_ok!(Providers::go_offline(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(
			Event::WentOffline { provider: ALICE, reason: OfflineReason::Requested }.into(),
		);
		assert_eq!(info(ALICE).status, Status::Offline);
		assert_eq!(crate::Online::<Test>::get(), OnlineStats::default());
		assert!(matched(&any(), 100, 1).is_empty());
		assert_noop!(
			Providers::go_offline(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::AlreadyOffline
		);
		// Offline providers need no heartbeat and are never slashed for its absence.
		run_to_block(100);
		assert!(MockStake::slashes().is_empty());
		assert_ok!(Providers::go_online(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(Event::WentOnline { provider: ALICE }.into());
		assert_eq!(info(ALICE).heartbeat_deadline, 100 + HEARTBEAT_TIMEOUT);
		assert_eq!(matched(&any(), 100, 1), vec![ALICE]);
	});
}

#[test]
fn banned_provider_cannot_go_online() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		Providers::fraud_proven(&ALICE);
		assert_noop!(Providers::go_online(RuntimeOrigin::signed(ALICE)), Error::<Test>::Banned);
	});
}

#[test]
fn heartbeat_on_time_is_free_and_moves_the_deadline() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		run_to_block(1 + HEARTBEAT_INTERVAL);
		let post = Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))).unwrap();
		assert_eq!(post.pays_fee, Pays::No);
		// Without a bond covering its GPUs the same heartbeat is accepted but paid for.
		MockStake::set_bond(ALICE, 0);
		run_to_block(1 + 2 * HEARTBEAT_INTERVAL);
		let post = Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))).unwrap();
		assert_eq!(post.pays_fee, Pays::Yes);
		MockStake::set_bond(ALICE, bond_for(1));
		run_to_block(1 + 3 * HEARTBEAT_INTERVAL);
		assert_ok!(Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))));
		let deadline = 1 + 3 * HEARTBEAT_INTERVAL + HEARTBEAT_TIMEOUT;
		System::assert_last_event(
			Event::Heartbeat { provider: ALICE, next_deadline: deadline }.into(),
		);
		assert_eq!(info(ALICE).last_heartbeat, Some(1 + 3 * HEARTBEAT_INTERVAL));
		assert!(crate::LivenessDeadlines::<Test>::contains_key(deadline, ALICE));
		assert!(!crate::LivenessDeadlines::<Test>::contains_key(1 + HEARTBEAT_TIMEOUT, ALICE));
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 1);
		// Past the first deadline nothing happens: the heartbeat moved it.
		run_to_block(deadline - 1);
		assert_eq!(info(ALICE).status, Status::Online);
		assert!(MockStake::slashes().is_empty());
	});
}

#[test]
fn heartbeat_refusals_pay_their_fee() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))),
			Error::<Test>::UnknownWorker
		);
		register(ALICE, 5);
		// The provider's own account is not its worker key.
		assert_noop!(
			Providers::heartbeat(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::UnknownWorker
		);
		// The first heartbeat may come at once, to show the worker key works; the next one only
		// after the interval.
		assert_ok!(Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))));
		run_to_block(HEARTBEAT_INTERVAL);
		let refused = Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))).unwrap_err();
		assert_eq!(refused.error, Error::<Test>::HeartbeatTooEarly.into());
		// A refused call is charged: its post-dispatch info says nothing about fees, so the
		// fee paid up front is kept.
		assert_eq!(refused.post_info.pays_fee, Pays::Yes);
		run_to_block(1 + HEARTBEAT_INTERVAL);
		assert_ok!(Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))));
		// Another heartbeat in the same block is early.
		assert_noop!(
			Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))),
			Error::<Test>::HeartbeatTooEarly
		);
		assert_ok!(Providers::go_offline(RuntimeOrigin::signed(ALICE)));
		run_to_block(100);
		assert_noop!(
			Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))),
			Error::<Test>::NotOnline
		);
		// Back online, the first heartbeat is free again at once.
		assert_ok!(Providers::go_online(RuntimeOrigin::signed(ALICE)));
		assert_ok!(Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))));
	});
}

#[test]
fn missed_heartbeats_take_the_provider_offline_and_slash_it() {
	ExtBuilder::default().bond(ALICE, 1_000).build_and_execute(|| {
		register(ALICE, 5);
		assert!(info(ALICE).indexed);
		run_to_block(HEARTBEAT_TIMEOUT);
		assert_eq!(info(ALICE).status, Status::Online);
		run_to_block(1 + HEARTBEAT_TIMEOUT);
		let info = info(ALICE);
		assert_eq!(info.status, Status::Offline);
		assert!(!info.indexed);
		assert_eq!(MockStake::slashes(), vec![(ALICE, SlashReason::MissedHeartbeats)]);
		assert_eq!(MockStake::bonded(&ALICE), 900);
		System::assert_has_event(
			Event::WentOffline { provider: ALICE, reason: OfflineReason::MissedHeartbeats }.into(),
		);
		assert!(matched(&any(), 100, 1).is_empty());
		// Once only.
		run_to_block(200);
		assert_eq!(MockStake::slashes().len(), 1);
	});
}

#[test]
fn liveness_work_per_block_is_bounded_and_nothing_is_skipped() {
	ExtBuilder::default().build_and_execute(|| {
		// Seven providers all due at the same block; the hook handles three per block.
		for who in 10..17 {
			register(who, 5);
		}
		let due = 1 + HEARTBEAT_TIMEOUT;
		run_to_block(due);
		let offline = || (10..17).filter(|w| info(*w).status == Status::Offline).count();
		assert_eq!(offline(), MAX_LIVENESS_CHECKS as usize);
		assert_eq!(crate::LivenessCursor::<Test>::get(), due);
		run_to_block(due + 1);
		assert_eq!(offline(), 6);
		run_to_block(due + 2);
		assert_eq!(offline(), 7);
		assert_eq!(MockStake::slashes().len(), 7);
		// The cursor caught up and moves on one block per block.
		assert_eq!(crate::LivenessCursor::<Test>::get(), due + 3);
		run_to_block(due + 10);
		assert_eq!(crate::LivenessCursor::<Test>::get(), due + 11);
	});
}

#[test]
fn liveness_hook_weight_grows_with_work_done() {
	use frame_support::traits::Hooks;
	ExtBuilder::default().build_and_execute(|| {
		register(ALICE, 5);
		let idle = Providers::on_initialize(2);
		System::set_block_number(1 + HEARTBEAT_TIMEOUT);
		crate::LivenessCursor::<Test>::put(1 + HEARTBEAT_TIMEOUT);
		let busy = Providers::on_initialize(1 + HEARTBEAT_TIMEOUT);
		assert_eq!(idle, <() as WeightInfo>::on_initialize(0, 1));
		assert_eq!(busy, <() as WeightInfo>::on_initialize(1, 1));
		assert!(busy.any_gt(idle));
	});
}

// ---- deregister -----------------------------------------------------------------------------

#[test]
fn deregister_removes_everything() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NotRegistered
		);
		register(ALICE, 5);
		assert_ok!(Providers::job_assigned(&ALICE));
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::JobsActive
		);
		assert_ok!(Providers::job_released(&ALICE));
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(Event::Deregistered { provider: ALICE }.into());
		assert!(crate::Providers::<Test>::get(ALICE).is_none());
		assert!(crate::Workers::<Test>::get(worker_of(ALICE)).is_none());
		assert_eq!(crate::PriceIndex::<Test>::iter().count(), 0);
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 0);
		assert_eq!(crate::ProviderCount::<Test>::get(), 0);
		// The worker key and the account are free again.
		register(ALICE, 5);
	});
}

// ---- price index ----------------------------------------------------------------------------

#[test]
fn cheapest_returns_providers_in_price_order_within_the_limit() {
	ExtBuilder::default()
		.bond(ALICE, bond_for(1))
		.bond(BOB, bond_for(1))
		.bond(CHARLIE, bond_for(1))
		.build_and_execute(|| {
			register(ALICE, 30);
			register(BOB, 10);
			register(CHARLIE, 20);
			let found = Providers::cheapest(&any(), 25, 5, &[]);
			assert_eq!(
				found,
				vec![
					Candidate { provider: BOB, worker: worker_of(BOB), price_per_unit: 10 },
					Candidate { provider: CHARLIE, worker: worker_of(CHARLIE), price_per_unit: 20 },
				]
			);
			assert_eq!(matched(&any(), 100, 2), vec![BOB, CHARLIE]);
			assert_eq!(Providers::cheapest(&any(), 100, 5, &[BOB]).len(), 2);
			assert_eq!(matched(&any(), 100, 0), Vec::<AccountId>::new());
		});
}

#[test]
fn cheapest_applies_every_requirement() {
	ExtBuilder::default()
		.bond(ALICE, bond_for(8))
		.bond(BOB, bond_for(8))
		.bond(CHARLIE, bond_for(8))
		.build_and_execute(|| {
			// Alice: 1 x 24 GiB, Europe, cheapest. Bob: 8 x 80 GiB, Asia, fast. Charlie: 2 x 48
			// GiB, Europe, attested.
			register_with(ALICE, profile(24, 1, Europe), 1);
			let mut fast = profile(80, 8, Asia);
			fast.gpu.int8_tops = 2_000;
			fast.gpu.fp16_tflops = 1_000;
			register_with(BOB, fast, 3);
			register_with(CHARLIE, profile(48, 2, Europe), 2);
			assert_ok!(Providers::set_attested(&CHARLIE, Some(50)));

			let all = |r: Requirements| matched(&r, 100, 5);
			assert_eq!(all(any()), vec![ALICE, CHARLIE, BOB]);
			assert_eq!(all(Requirements { min_vram_mib: 30 * 1024, ..any() }), vec![CHARLIE, BOB]);
			assert_eq!(all(Requirements { min_vram_mib: 49 * 1024, ..any() }), vec![BOB]);
			assert_eq!(all(Requirements { min_gpus: 2, ..any() }), vec![CHARLIE, BOB]);
			assert_eq!(all(Requirements { min_int8_tops: 101, ..any() }), vec![BOB]);
			assert_eq!(all(Requirements { min_fp16_tflops: 51, ..any() }), vec![BOB]);
			assert_eq!(all(Requirements { region: Some(Europe), ..any() }), vec![ALICE, CHARLIE]);
			assert_eq!(
				all(Requirements { region: Some(Oceania), ..any() }),
				Vec::<AccountId>::new()
			);
			assert_eq!(all(Requirements { attestation: true, ..any() }), vec![CHARLIE]);
			// Attestations expire.
			System::set_block_number(50);
			assert_eq!(all(Requirements { attestation: true, ..any() }), Vec::<AccountId>::new());
			// Reputation.
			Providers::record(&BOB, Outcome::Completed);
			let picky = Requirements { min_reputation: REPUTATION_NEUTRAL + 1, ..any() };
			assert_eq!(all(picky.clone()), vec![BOB]);
			// ...which decays back to neutral.
			System::set_block_number(50 + 40 * HALF_LIFE);
			assert_eq!(all(picky), Vec::<AccountId>::new());
		});
}

#[test]
fn cheapest_skips_providers_whose_bond_fell_below_the_minimum() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).bond(BOB, bond_for(1)).build_and_execute(|| {
		register(ALICE, 1);
		register(BOB, 2);
		// The stake pallet lowered Alice's bond without telling the registry (as a change of
		// the minimum would): matching still checks it.
		MockStake::set_bond(ALICE, 0);
		assert_eq!(matched(&any(), 100, 2), vec![BOB]);
		// Once told, the registry takes her out of the index.
		Providers::stake_changed(&ALICE);
		assert!(!info(ALICE).indexed);
		System::assert_last_event(
			Event::MatchableChanged { provider: ALICE, matchable: false }.into(),
		);
		MockStake::set_bond(ALICE, bond_for(1));
		Providers::stake_changed(&ALICE);
		assert!(info(ALICE).indexed);
		// Not a provider: nothing happens.
		Providers::stake_changed(&DAVE);
	});
}

#[test]
fn cheapest_reads_a_bounded_number_of_entries() {
	ExtBuilder::default().build_and_execute(|| {
		// Many cheap small cards and one large one, all in the 24-48 GiB tiers' reach.
		for who in 100..130 {
			MockStake::set_bond(who, bond_for(1));
			register_with(who, profile(24, 1, Europe), 1);
		}
		MockStake::set_bond(ALICE, bond_for(2));
		register_with(ALICE, profile(80, 2, Europe), 50);
		// Alice is the only one with two cards, but the thirty cheaper single cards fill the
		// scan budget first: the query gives up rather than read the whole index.
		let needs_two = Requirements { min_gpus: 2, ..any() };
		assert_eq!(matched(&needs_two, 100, 1), Vec::<AccountId>::new());
		// Asking for memory only the large card has skips the small cards' tier entirely.
		let big = Requirements { min_vram_mib: 64 * 1024, ..any() };
		assert_eq!(matched(&big, 100, 1), vec![ALICE]);
		// And the cheapest matching small cards come back in order, at most `count`.
		assert_eq!(matched(&any(), 100, 3), vec![100, 101, 102].into_iter().collect::<Vec<_>>());
	});
}

#[test]
fn index_scopes_and_tiers() {
	assert_eq!(price_index::scopes(Asia, 24 * 1024), [(Some(Asia), 4), (None, 4)]);
}

// ---- jobs, reputation, attestation, bans ----------------------------------------------------

#[test]
fn job_slots_gate_matching() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5); // two slots
		assert_noop!(Providers::job_released(&ALICE), Error::<Test>::NoActiveJobs);
		assert_ok!(Providers::job_assigned(&ALICE));
		System::assert_last_event(Event::JobAssigned { provider: ALICE, active_jobs: 1 }.into());
		assert_eq!(matched(&any(), 100, 1), vec![ALICE]);
		assert_ok!(Providers::job_assigned(&ALICE));
		assert!(!info(ALICE).indexed);
		assert!(matched(&any(), 100, 1).is_empty());
		assert_noop!(Providers::job_assigned(&ALICE), Error::<Test>::NotMatchable);
		assert_ok!(Providers::job_released(&ALICE));
		System::assert_has_event(Event::JobReleased { provider: ALICE, active_jobs: 1 }.into());
		assert_eq!(matched(&any(), 100, 1), vec![ALICE]);
		assert_noop!(Providers::job_assigned(&BOB), Error::<Test>::NotRegistered);
		assert_noop!(Providers::job_released(&BOB), Error::<Test>::NotRegistered);
	});
}

#[test]
fn reputation_moves_with_outcomes_and_updates_the_index() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		Providers::record(&ALICE, Outcome::Completed);
		System::assert_last_event(
			Event::ReputationChanged {
				provider: ALICE,
				outcome: Outcome::Completed,
				score: 525_000,
			}
			.into(),
		);
		Providers::record(&ALICE, Outcome::Slashed);
		assert_eq!(Providers::reputation_of(&ALICE), Some(262_500));
		// The index carries the new score (checked by try_state after the test, too).
		let want = Requirements { min_reputation: 262_500, ..any() };
		assert_eq!(matched(&want, 100, 1), vec![ALICE]);
		let want = Requirements { min_reputation: 262_501, ..any() };
		assert!(matched(&want, 100, 1).is_empty());
		// Outcomes of unknown providers are ignored.
		let events = System::events().len();
		Providers::record(&BOB, Outcome::Failed);
		assert_eq!(System::events().len(), events);
	});
}

#[test]
fn active_jobs_are_reported_to_the_stake_pallet() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		assert!(!Providers::has_active_jobs(&ALICE));
		register(ALICE, 5);
		assert!(!Providers::has_active_jobs(&ALICE));
		assert_ok!(Providers::job_assigned(&ALICE));
		assert!(Providers::has_active_jobs(&ALICE));
		assert_ok!(Providers::job_released(&ALICE));
		assert!(!Providers::has_active_jobs(&ALICE));
	});
}

#[test]
fn attestation_is_recorded() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Providers::set_attested(&ALICE, Some(9)), Error::<Test>::NotRegistered);
		register(ALICE, 5);
		assert_ok!(Providers::set_attested(&ALICE, Some(9)));
		assert_eq!(info(ALICE).attested_until, Some(9));
		System::assert_last_event(Event::AttestationSet { provider: ALICE, until: Some(9) }.into());
		assert_ok!(Providers::set_attested(&ALICE, None));
		assert_eq!(info(ALICE).attested_until, None);
	});
}

#[test]
fn fraud_bans_and_unindexes() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		assert_ok!(Providers::job_assigned(&ALICE));
		Providers::fraud_proven(&ALICE);
		assert!(crate::Banned::<Test>::contains_key(ALICE));
		let info = info(ALICE);
		assert_eq!(info.status, Status::Offline);
		assert!(!info.indexed);
		System::assert_has_event(Event::Banned { provider: ALICE }.into());
		assert_eq!(
			last_event(),
			Event::WentOffline { provider: ALICE, reason: OfflineReason::Banned }.into()
		);
		assert!(matched(&any(), 100, 1).is_empty());
		// Its running job can still end, and then it may leave; it can never come back.
		assert_ok!(Providers::job_released(&ALICE));
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
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

#[test]
fn try_state_catches_a_corrupted_index() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build().execute_with(|| {
		register(ALICE, 5);
		assert_ok!(Providers::do_try_state());
		crate::Providers::<Test>::mutate(ALICE, |info| {
			if let Some(info) = info {
				info.status = Status::Offline;
			}
		});
		assert!(Providers::do_try_state().is_err());
	});
}

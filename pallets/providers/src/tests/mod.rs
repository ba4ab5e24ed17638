//! The registry's tests, by topic; executor draws in [`draw`].

mod draw;

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
	matched_for(&needs(requirements), max_price, count)
}

fn matched_for(needs: &Needs<Balance, u64>, max_price: Balance, count: u32) -> Vec<AccountId> {
	Providers::cheapest(needs, max_price, count, &[]).into_iter().map(|c| c.provider).collect()
}

fn any() -> Requirements {
	Requirements::default()
}

/// The needs of a job that asks for `requirements` and nothing else.
fn needs(requirements: &Requirements) -> Needs<Balance, u64> {
	Needs { requirements: requirements.clone(), ..Default::default() }
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
		// Seven bonded providers all due at the same block; the hook handles three per block.
		for who in 10..17 {
			MockStake::set_bond(who, bond_for(1));
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
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
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

#[test]
fn providers_without_a_bond_are_not_tracked() {
	ExtBuilder::default().build_and_execute(|| {
		// Registering without a bond: online, but neither matched nor tracked, however many.
		for who in 10..20 {
			register(who, 5);
			assert!(!info(who).tracked);
			assert!(!info(who).indexed);
		}
		register(ALICE, 5);
		assert_eq!(info(ALICE).status, Status::Online);
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 0);
		// Their silence costs nothing, and the hook has nothing to do.
		run_to_block(2 * HEARTBEAT_TIMEOUT);
		assert_eq!(info(ALICE).status, Status::Online);
		assert!(MockStake::slashes().is_empty());
		// Going offline and online again does not track it either.
		assert_ok!(Providers::go_offline(RuntimeOrigin::signed(ALICE)));
		assert_ok!(Providers::go_online(RuntimeOrigin::signed(ALICE)));
		assert!(!info(ALICE).tracked);
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 0);

		// Once bonded it is tracked, with a fresh deadline as its old one has passed.
		run_to_block(3 * HEARTBEAT_TIMEOUT);
		MockStake::set_bond(ALICE, bond_for(1));
		Providers::stake_changed(&ALICE);
		let now = System::block_number();
		let info_now = info(ALICE);
		assert!(info_now.tracked && info_now.indexed);
		assert_eq!(info_now.heartbeat_deadline, now + HEARTBEAT_TIMEOUT);
		assert!(crate::LivenessDeadlines::<Test>::contains_key(now + HEARTBEAT_TIMEOUT, ALICE));
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 1);

		// Below the minimum again, it is neither.
		MockStake::set_bond(ALICE, bond_for(1) - 1);
		Providers::stake_changed(&ALICE);
		assert!(!info(ALICE).tracked && !info(ALICE).indexed);
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 0);
		// Its heartbeats are still accepted (and paid for) and move its deadline in the record
		// only.
		run_to_block(now + 5);
		let post = Providers::heartbeat(RuntimeOrigin::signed(worker_of(ALICE))).unwrap();
		assert_eq!(post.pays_fee, Pays::Yes);
		let deadline = now + 5 + HEARTBEAT_TIMEOUT;
		assert_eq!(info(ALICE).heartbeat_deadline, deadline);
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 0);

		// Bonded again before that deadline, it keeps it; then silence takes it offline and
		// slashes it, as any tracked provider.
		run_to_block(now + 8);
		MockStake::set_bond(ALICE, bond_for(1));
		Providers::stake_changed(&ALICE);
		assert_eq!(info(ALICE).heartbeat_deadline, deadline);
		assert!(crate::LivenessDeadlines::<Test>::contains_key(deadline, ALICE));
		run_to_block(deadline - 1);
		assert_eq!(info(ALICE).status, Status::Online);
		run_to_block(deadline);
		assert_eq!(info(ALICE).status, Status::Offline);
		assert!(!info(ALICE).tracked);
		assert_eq!(MockStake::slashes(), vec![(ALICE, SlashReason::MissedHeartbeats)]);
		for who in 10..20 {
			assert_eq!(info(who).status, Status::Online);
		}
	});
}

#[test]
fn a_full_provider_is_still_tracked() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5); // two slots
		assert_ok!(Providers::job_assigned(&ALICE));
		assert_ok!(Providers::job_assigned(&ALICE));
		let info = info(ALICE);
		assert!(!info.indexed);
		assert!(info.tracked);
		assert!(crate::LivenessDeadlines::<Test>::contains_key(info.heartbeat_deadline, ALICE));
		run_to_block(info.heartbeat_deadline);
		assert_eq!(MockStake::slashes(), vec![(ALICE, SlashReason::MissedHeartbeats)]);
	});
}

#[test]
fn try_state_catches_a_liveness_entry_of_an_untracked_provider() {
	ExtBuilder::default().build().execute_with(|| {
		register(ALICE, 5);
		assert_ok!(Providers::do_try_state());
		crate::LivenessDeadlines::<Test>::insert(info(ALICE).heartbeat_deadline, ALICE, ());
		assert!(Providers::do_try_state().is_err());
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
		System::assert_last_event(
			Event::Deregistered { provider: ALICE, deposit: REGISTRATION_DEPOSIT }.into(),
		);
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
			let found = Providers::cheapest(&needs(&any()), 25, 5, &[]);
			assert_eq!(
				found,
				vec![
					Candidate { provider: BOB, worker: worker_of(BOB), price_per_unit: 10 },
					Candidate { provider: CHARLIE, worker: worker_of(CHARLIE), price_per_unit: 20 },
				]
			);
			assert_eq!(matched(&any(), 100, 2), vec![BOB, CHARLIE]);
			assert_eq!(Providers::cheapest(&needs(&any()), 100, 5, &[BOB]).len(), 2);
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
			Providers::record(&BOB, Outcome::Completed, REPUTATION_VALUE_UNIT);
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
fn matching_offers_a_job_only_to_providers_that_run_its_kind() {
	ExtBuilder::default()
		.bond(ALICE, bond_for(1))
		.bond(BOB, bond_for(1))
		.bond(CHARLIE, bond_for(1))
		.build_and_execute(|| {
			let with = |capabilities| {
				let mut hw = profile(24, 1, Europe);
				hw.capabilities = capabilities;
				hw
			};
			let matmul = Capabilities { matmul_i8: true, ..Default::default() };
			let opaque = Capabilities { opaque: true, ..Default::default() };
			let enclave = Capabilities { matmul_i8: true, opaque: true, enclave: true };
			register_with(ALICE, with(matmul), 1);
			register_with(BOB, with(opaque), 2);
			register_with(CHARLIE, with(enclave), 3);
			assert_eq!(info(ALICE).profile.capabilities, matmul);
			let job = |capabilities| Needs { capabilities, ..needs(&any()) };
			// A job that needs no capability (the RPC's view) finds everyone.
			assert_eq!(
				matched_for(&job(Capabilities::default()), 100, 5),
				vec![ALICE, BOB, CHARLIE]
			);
			// A `MatMulI8` job is not offered to the opaque-only provider, nor an opaque job to
			// the matmul-only one.
			assert_eq!(matched_for(&job(matmul), 100, 5), vec![ALICE, CHARLIE]);
			assert_eq!(matched_for(&job(opaque), 100, 5), vec![BOB, CHARLIE]);
			// An attested job needs the enclave flag, not just an attestation.
			assert_ok!(Providers::set_attested(&ALICE, Some(50)));
			assert_ok!(Providers::set_attested(&CHARLIE, Some(50)));
			let attested = Needs {
				requirements: Requirements { attestation: true, ..any() },
				capabilities: Capabilities { enclave: true, ..matmul },
				attested_through: 40,
				..Default::default()
			};
			assert_eq!(matched_for(&attested, 100, 5), vec![CHARLIE]);
			// The needs the jobs pallet derives from a spec say the same.
			let spec = tessera_primitives::jobs::JobSpec {
				workload: tessera_primitives::jobs::Workload::MatMulI8 { m: 64, n: 64, k: 64 },
				inputs: tessera_primitives::jobs::Inputs::Seed(Default::default()),
				requirements: any(),
				max_price_per_unit: 100u128,
				replicas: 1,
				verification: tessera_primitives::jobs::Verification::SpotCheck,
				deadline: 40u64,
			};
			assert_eq!(matched_for(&spec.needs(10_000, 0), 100, 5), vec![ALICE, CHARLIE]);
		});
}

#[test]
fn a_job_needing_more_memory_than_declared_finds_nobody() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		let declared = info(ALICE).profile.ram_mib;
		let job = |memory_mib| Needs { memory_mib, ..needs(&any()) };
		assert_eq!(matched_for(&job(declared), 100, 1), vec![ALICE]);
		assert!(matched_for(&job(declared + 1), 100, 1).is_empty());
		// Declaring more memory makes it fit.
		let mut hw = profile(24, 1, Europe);
		hw.ram_mib = declared + 1;
		assert_ok!(Providers::update_profile(
			RuntimeOrigin::signed(ALICE),
			hw,
			2,
			endpoint("https://gpu.example.org"),
		));
		assert_eq!(matched_for(&job(declared + 1), 100, 1), vec![ALICE]);
	});
}

#[test]
fn a_job_needs_the_throughput_of_all_gpus_together() {
	ExtBuilder::default().bond(ALICE, bond_for(2)).build_and_execute(|| {
		// Two cards of 100 int8 TOPS each.
		register_with(ALICE, profile(24, 2, Europe), 5);
		let job = |total_int8_tops| Needs { total_int8_tops, ..needs(&any()) };
		assert_eq!(matched_for(&job(200), 100, 1), vec![ALICE]);
		assert!(matched_for(&job(201), 100, 1).is_empty());
		assert!(matched_for(&job(u64::MAX), 100, 1).is_empty());
	});
}

#[test]
fn an_attestation_must_last_through_the_deadline() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		let mut hw = profile(24, 1, Europe);
		hw.capabilities.enclave = true;
		register_with(ALICE, hw, 5);
		assert_ok!(Providers::set_attested(&ALICE, Some(50)));
		let job = |attested_through| Needs {
			requirements: Requirements { attestation: true, ..any() },
			attested_through,
			..Default::default()
		};
		// Valid until block 50, exclusive: a job due at 49 may use it, one due at 50 may not,
		// although the attestation is valid now.
		assert_eq!(matched_for(&job(49), 100, 1), vec![ALICE]);
		assert!(matched_for(&job(50), 100, 1).is_empty());
		// Without an attestation requirement, it does not matter.
		assert_eq!(
			matched_for(&Needs { attested_through: 50, ..needs(&any()) }, 100, 1),
			vec![ALICE]
		);
		// And an attestation that has lapsed is never enough, whatever the deadline says.
		System::set_block_number(50);
		assert!(matched_for(&job(10), 100, 1).is_empty());
	});
}

#[test]
fn a_collateral_above_the_free_stake_is_skipped() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).bond(BOB, bond_for(1)).build_and_execute(|| {
		register(ALICE, 1);
		register(BOB, 2);
		let job = |collateral| Needs { collateral, ..needs(&any()) };
		assert_eq!(matched_for(&job(bond_for(1)), 100, 2), vec![ALICE, BOB]);
		assert!(matched_for(&job(bond_for(1) + 1), 100, 2).is_empty());
		// Alice set most of her bond aside for other jobs: she stays matchable, but only for
		// jobs whose collateral her free stake covers.
		MockStake::set_free_stake(ALICE, 30);
		Providers::stake_changed(&ALICE);
		assert!(info(ALICE).indexed);
		assert_eq!(matched_for(&job(30), 100, 2), vec![ALICE, BOB]);
		assert_eq!(matched_for(&job(31), 100, 2), vec![BOB]);
		MockStake::set_free_stake(ALICE, 0);
		assert_eq!(matched_for(&job(0), 100, 2), vec![ALICE, BOB]);
		assert_eq!(matched_for(&job(1), 100, 2), vec![BOB]);
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
		Providers::record(&ALICE, Outcome::Completed, REPUTATION_VALUE_UNIT);
		System::assert_last_event(
			Event::ReputationChanged {
				provider: ALICE,
				outcome: Outcome::Completed,
				score: 525_000,
			}
			.into(),
		);
		Providers::record(&ALICE, Outcome::Slashed, 0);
		assert_eq!(Providers::reputation_of(&ALICE), Some(262_500));
		// The index carries the new score (checked by try_state after the test, too).
		let want = Requirements { min_reputation: 262_500, ..any() };
		assert_eq!(matched(&want, 100, 1), vec![ALICE]);
		let want = Requirements { min_reputation: 262_501, ..any() };
		assert!(matched(&want, 100, 1).is_empty());
		// Outcomes of unknown providers are ignored.
		let events = System::events().len();
		Providers::record(&BOB, Outcome::Failed, REPUTATION_VALUE_UNIT);
		assert_eq!(System::events().len(), events);
	});
}

#[test]
fn completed_jobs_move_reputation_by_their_value() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).bond(BOB, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		register(BOB, 5);
		System::set_block_number(10);
		// A tiny job moves nothing and leaves the record as it was; the outcome is still
		// reported.
		let before = info(ALICE);
		Providers::record(&ALICE, Outcome::Completed, MIN_REPUTATION_VALUE - 1);
		assert_eq!(info(ALICE), before);
		System::assert_last_event(
			Event::ReputationChanged {
				provider: ALICE,
				outcome: Outcome::Completed,
				score: REPUTATION_NEUTRAL,
			}
			.into(),
		);
		Providers::record(&ALICE, Outcome::Completed, 0);
		assert_eq!(info(ALICE), before);
		// A job worth half a unit makes half the step (of 25,000 from neutral).
		Providers::record(&ALICE, Outcome::Completed, REPUTATION_VALUE_UNIT / 2);
		assert_eq!(Providers::reputation_of(&ALICE), Some(512_500));
		assert_eq!(info(ALICE).reputation.updated_at, 10);
		// The minimum itself counts, proportionally.
		Providers::record(&BOB, Outcome::Completed, MIN_REPUTATION_VALUE);
		assert_eq!(Providers::reputation_of(&BOB), Some(502_500));
		// A job worth several units makes one full step, no more.
		Providers::record(&BOB, Outcome::Completed, 10 * REPUTATION_VALUE_UNIT);
		assert_eq!(Providers::reputation_of(&BOB), Some(502_500 + (1_000_000 - 502_500) / 20));
		// The index carries the moved score (try_state checks it too).
		let picky = Requirements { min_reputation: 512_500, ..any() };
		assert_eq!(matched(&picky, 100, 2), vec![ALICE, BOB]);
	});
}

#[test]
fn faults_cost_reputation_whatever_the_job_was_worth() {
	ExtBuilder::default().build_and_execute(|| {
		for (who, outcome, score) in [
			(10, Outcome::Late, 475_000),
			(20, Outcome::Failed, 400_000),
			(30, Outcome::Slashed, 250_000),
			(40, Outcome::Ignored, 495_000),
		] {
			for (i, value) in [0, 1, REPUTATION_VALUE_UNIT, u128::MAX].into_iter().enumerate() {
				let provider = who + i as AccountId;
				register(provider, 5);
				Providers::record(&provider, outcome, value);
				assert_eq!(Providers::reputation_of(&provider), Some(score), "{outcome:?} {value}");
				System::assert_last_event(
					Event::ReputationChanged { provider, outcome, score }.into(),
				);
			}
		}
	});
}

#[test]
fn an_ignored_job_costs_one_percent() {
	ExtBuilder::default().build_and_execute(|| {
		register(ALICE, 5);
		Providers::record(&ALICE, Outcome::Ignored, REPUTATION_VALUE_UNIT);
		assert_eq!(Providers::reputation_of(&ALICE), Some(495_000));
		Providers::record(&ALICE, Outcome::Ignored, 0);
		assert_eq!(Providers::reputation_of(&ALICE), Some(490_050));
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
fn is_banned_reads_the_ban() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		assert!(!Providers::is_banned(&ALICE));
		assert!(!Providers::is_banned(&BOB));
		Providers::fraud_proven(&ALICE);
		assert!(Providers::is_banned(&ALICE));
		// Banned for good: also once it has deregistered, and for accounts that never were
		// providers.
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		assert!(Providers::is_banned(&ALICE));
		Providers::fraud_proven(&BOB);
		assert!(Providers::is_banned(&BOB));
		assert!(!Providers::is_banned(&CHARLIE));
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

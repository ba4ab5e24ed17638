//! Going online and offline, heartbeats and the liveness hook.

use super::*;

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

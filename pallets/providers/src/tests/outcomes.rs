//! Jobs, reputation, attestation and bans.

use super::*;

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

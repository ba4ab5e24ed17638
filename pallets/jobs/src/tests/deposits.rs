//! Storage deposits and the cap on open jobs (protocol v2, attack 7): each job holds
//! `JobDeposit` from its client while it is open and gives it back in full when it closes,
//! however it ends; a client has at most `MaxOpenJobsPerClient` open jobs.

use super::*;
use crate::pallet::OpenJobs;

const DEPOSIT: Balance = 7;

fn open_jobs(who: AccountId) -> u32 {
	OpenJobs::<Test>::get(who).unwrap_or_default()
}

#[test]
fn post_holds_the_deposit_and_records_it() {
	ExtBuilder::market().build_and_execute(|| {
		JobDeposit::set(DEPOSIT);
		let id = post(CLIENT, spec());
		assert_eq!(
			take_events()[0],
			Event::Posted {
				job: id,
				client: CLIENT,
				units: UNITS,
				escrow: ESCROW,
				deposit: DEPOSIT
			}
		);
		assert_eq!(job(id).deposit, DEPOSIT);
		assert_eq!(job(id).closed_at, None);
		assert_eq!(deposit_held(CLIENT), DEPOSIT);
		assert_eq!(held(CLIENT), ESCROW);
		assert_eq!(free(CLIENT), INITIAL - ESCROW - DEPOSIT);
		assert_eq!(open_jobs(CLIENT), 1);
	});
}

#[test]
fn cancel_releases_the_deposit_with_the_escrow() {
	ExtBuilder::default().build_and_execute(|| {
		JobDeposit::set(DEPOSIT);
		let id = post(CLIENT, spec());
		run_to_block(3);
		take_events();
		assert_ok!(Jobs::cancel(signed(CLIENT), id));
		assert_eq!(
			take_events(),
			vec![Event::Closed {
				job: id,
				state: JobState::Cancelled,
				refund: ESCROW,
				deposit: DEPOSIT
			}]
		);
		assert_eq!(job(id).deposit, 0);
		assert_eq!(job(id).closed_at, Some(3));
		assert_eq!((held(CLIENT), deposit_held(CLIENT)), (0, 0));
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(open_jobs(CLIENT), 0);
		assert!(!OpenJobs::<Test>::contains_key(CLIENT));
	});
}

#[test]
fn the_deposit_comes_back_in_full_however_the_job_ends() {
	ExtBuilder::market().build_and_execute(|| {
		JobDeposit::set(DEPOSIT);
		let before = total(&EVERYONE);
		// Completed: accepted early, 60 units at Alice's 5.
		let completed = post(CLIENT, spec());
		ack(ALICE, completed, 0);
		submit(ALICE, completed, 0, 60);
		assert_ok!(Jobs::accept(signed(CLIENT), completed, 0));
		// Failed: declined by every provider that fits.
		let failed = post(CLIENT, spec());
		for provider in [ALICE, BOB, CHARLIE] {
			let replica = &job(failed).replicas[0];
			assert_eq!(replica.provider, provider);
			decline(provider, failed, 0);
		}
		// Expired: no provider asks so little.
		let expired = post(CLIENT, spec_with(|s| s.max_price_per_unit = 1));
		// Cancelled.
		let cancelled = post(CLIENT, spec_with(|s| s.max_price_per_unit = 1));
		assert_eq!(deposit_held(CLIENT), 2 * DEPOSIT);
		assert_eq!(open_jobs(CLIENT), 2);
		assert_ok!(Jobs::cancel(signed(CLIENT), cancelled));
		run_to_block(DEADLINE + 1);

		let states: Vec<JobState> =
			[completed, failed, expired, cancelled].iter().map(|id| job(*id).state).collect();
		assert_eq!(
			states,
			[JobState::Completed, JobState::Failed, JobState::Expired, JobState::Cancelled]
		);
		let released: Balance = System::events()
			.into_iter()
			.filter_map(|r| match r.event {
				RuntimeEvent::Jobs(Event::Closed { deposit, .. }) => Some(deposit),
				_ => None,
			})
			.sum();
		assert_eq!(released, 4 * DEPOSIT);
		// The money sums: the client paid the provider and the fee, and nothing else.
		let (payment, fee) = (5 * 60, fee_on(5 * 60));
		assert_eq!((held(CLIENT), deposit_held(CLIENT)), (0, 0));
		assert_eq!(free(CLIENT), INITIAL - payment - fee);
		assert_eq!(free(ALICE), STAKE + payment);
		assert_eq!(free(TREASURY), ED + fee);
		assert_eq!(total(&EVERYONE), before);
		assert_eq!(open_jobs(CLIENT), 0);
	});
}

#[test]
fn a_later_change_of_the_deposit_releases_what_was_held() {
	ExtBuilder::default().build_and_execute(|| {
		JobDeposit::set(DEPOSIT);
		let old = post(CLIENT, spec());
		JobDeposit::set(DEPOSIT + 4);
		let new = post(CLIENT, spec());
		assert_eq!(deposit_held(CLIENT), 2 * DEPOSIT + 4);
		take_events();
		assert_ok!(Jobs::cancel(signed(CLIENT), old));
		assert!(matches!(take_events()[..], [Event::Closed { deposit: DEPOSIT, .. }]));
		assert_eq!(deposit_held(CLIENT), DEPOSIT + 4);
		assert_ok!(Jobs::cancel(signed(CLIENT), new));
		assert_eq!(deposit_held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL);
	});
}

#[test]
fn post_refuses_a_client_that_cannot_cover_escrow_and_deposit() {
	ExtBuilder::market()
		.balances(vec![(CLIENT, ESCROW + DEPOSIT), (CLIENT2, ESCROW + DEPOSIT + ED)])
		.build_and_execute(|| {
			JobDeposit::set(DEPOSIT);
			// Enough for the escrow, not for the deposit too (and the existential deposit).
			assert_noop!(Jobs::post(signed(CLIENT), spec()), Error::<Test>::InsufficientBalance);
			assert_ok!(Jobs::post(signed(CLIENT2), spec()));
			assert_eq!(deposit_held(CLIENT2), DEPOSIT);
			assert_eq!(free(CLIENT2), ED);
		});
}

#[test]
fn open_jobs_are_capped_per_client() {
	ExtBuilder::default().build_and_execute(|| {
		JobDeposit::set(DEPOSIT);
		MaxOpenJobsPerClient::set(2);
		let first = post(CLIENT, spec());
		post(CLIENT, spec());
		assert_eq!(open_jobs(CLIENT), 2);
		assert_noop!(Jobs::post(signed(CLIENT), spec()), Error::<Test>::TooManyOpenJobs);
		assert_eq!(deposit_held(CLIENT), 2 * DEPOSIT);
		// Another client is not held back by this one.
		post(CLIENT2, spec());
		// A closed job frees its place.
		assert_ok!(Jobs::cancel(signed(CLIENT), first));
		assert_eq!(open_jobs(CLIENT), 1);
		post(CLIENT, spec());
		assert_noop!(Jobs::post(signed(CLIENT), spec()), Error::<Test>::TooManyOpenJobs);
		// The queue (4 places) is not filled by one client alone.
		assert_eq!(Queue::<Test>::get().len(), 3);
	});
}

#[test]
fn active_jobs_count_towards_the_cap_until_they_close() {
	ExtBuilder::market().build_and_execute(|| {
		MaxOpenJobsPerClient::set(1);
		let id = post(CLIENT, spec());
		assert_eq!(job(id).state, JobState::Active);
		assert_noop!(Jobs::post(signed(CLIENT), spec()), Error::<Test>::TooManyOpenJobs);
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 10);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_eq!(open_jobs(CLIENT), 0);
		post(CLIENT, spec());
	});
}

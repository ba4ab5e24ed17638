//! Protocol v2, attack 7 ("cheap state and queues"), through the real pallets on the
//! development genesis: a client that posts jobs to fill the queue and the state is stopped at
//! `MaxOpenJobsPerClient` open jobs, each holding `JobDeposit` until it closes; an honest
//! provider's stake is untouched; and `JobRetention` blocks after the jobs closed their records
//! and index entries are gone. Providers hold `RegistrationDeposit` while registered.

use super::market::*;
use crate::*;
use frame_support::traits::{
	fungible::{Inspect, InspectHold},
	Get,
};
use sp_keyring::Sr25519Keyring::{Bob, Charlie, Dave};
use tessera_primitives::{
	jobs::{Inputs, JobSpec, Verification, Workload},
	market::Requirements,
};

/// A job no provider on the dev chain asks so little for: it waits in the queue.
fn cheap_spec(deadline: BlockNumber) -> JobSpec<Balance, BlockNumber> {
	JobSpec {
		workload: Workload::MatMulI8 { m: 64, n: 64, k: 64 },
		inputs: Inputs::Seed(sp_core::H256::repeat_byte(3)),
		requirements: Requirements::default(),
		max_price_per_unit: 1,
		replicas: 1,
		verification: Verification::SpotCheck,
		deadline,
	}
}

fn job_deposit_of(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Jobs(pallet_jobs::HoldReason::JobDeposit), who)
}

fn registration_deposit_of(who: &AccountId) -> Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::Providers(pallet_providers::HoldReason::RegistrationDeposit),
		who,
	)
}

/// Moves the chain to block `n` without running the blocks in between (a day of blocks with
/// every invariant checked would take minutes), with the jobs pallet's cursors: only when
/// nothing of the jobs pallet is due meanwhile, which it asserts.
fn skip_to(n: BlockNumber) {
	let now = System::block_number();
	assert!(pallet_jobs::Timeouts::<Runtime>::iter().next().is_none(), "no timeout is skipped");
	assert!(
		pallet_jobs::Prunes::<Runtime>::iter_keys().all(|(at, _)| at >= n),
		"no pruning is skipped"
	);
	assert!(n > now);
	System::set_block_number(n - 1);
	pallet_jobs::TimeoutCursor::<Runtime>::put(n);
	pallet_jobs::PruneCursor::<Runtime>::put(n);
	run_to(n);
}

#[test]
fn attack_7_queue_spam_is_capped_and_state_is_pruned() {
	dev_ext().execute_with(|| {
		let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));
		// The honest provider: registered (its deposit held) and bonded.
		let before_registration = total(&bob);
		let bond = provider(&bob, &charlie, UNIT, 4, None);
		assert_eq!(registration_deposit_of(&bob), configs::RegistrationDeposit::get());
		assert_eq!(
			pallet_providers::Providers::<Runtime>::get(&bob).map(|info| info.deposit),
			Some(UNIT)
		);
		assert_eq!(total(&bob), before_registration, "a deposit is held, not spent");
		let stake = stake_of(&bob);
		assert_eq!(stake, bond);
		let bob_total = total(&bob);

		// The spammer posts queued jobs until the cap stops it.
		let cap = configs::MaxOpenJobsPerClient::get();
		let deposit = configs::JobDeposit::get();
		let dave_before = total(&dave);
		let dave_free = Balances::balance(&dave);
		let deadline = System::block_number() + configs::MinDeadline::get();
		for _ in 0..cap {
			assert_eq!(
				Jobs::post(RuntimeOrigin::signed(dave.clone()), cheap_spec(deadline)),
				Ok(())
			);
		}
		assert_eq!(
			Jobs::post(RuntimeOrigin::signed(dave.clone()), cheap_spec(deadline)),
			Err(pallet_jobs::Error::<Runtime>::TooManyOpenJobs.into())
		);
		assert_eq!(Jobs::queue_length(), cap);
		assert_eq!(pallet_jobs::OpenJobs::<Runtime>::get(&dave), Some(cap));
		assert_eq!(job_deposit_of(&dave), Balance::from(cap) * deposit);
		let escrow: Balance =
			(0..u64::from(cap)).map(|id| Jobs::job_record(id).map_or(0, |job| job.escrow)).sum();
		assert_eq!(Balances::balance(&dave), dave_free - escrow - Balance::from(cap) * deposit);
		check_deposits();

		// The jobs expire at their deadline: escrow and deposits back in full.
		run_to_beating(deadline + 1, core::slice::from_ref(&charlie));
		let expired = jobs_events()
			.iter()
			.filter(|event| {
				matches!(
					event,
					pallet_jobs::Event::Closed {
						state: pallet_jobs::JobState::Expired,
						deposit: d,
						..
					} if *d == deposit
				)
			})
			.count() as u32;
		assert_eq!(expired, cap);
		assert_eq!(job_deposit_of(&dave), 0);
		assert_eq!(Balances::balance(&dave), dave_free);
		assert_eq!(total(&dave), dave_before);
		assert_eq!(pallet_jobs::OpenJobs::<Runtime>::get(&dave), None);
		// The honest provider was never touched.
		assert_eq!(stake_of(&bob), stake);
		assert_eq!(total(&bob), bob_total);
		assert_eq!(
			pallet_providers::Providers::<Runtime>::get(&bob).map(|info| info.active_jobs),
			Some(0)
		);
		check_deposits();

		// Kept for the retention, readable over the runtime API, then pruned with the index.
		let closed_at = Jobs::job_record(0).and_then(|job| job.closed_at).expect("closed");
		let due = closed_at + configs::JobRetention::get();
		assert_eq!(Jobs::client_jobs_page(&dave, None, 100).len() as u32, cap);
		// The provider takes the day off, so that the skipped blocks owe it no heartbeats.
		assert_eq!(Providers::go_offline(RuntimeOrigin::signed(bob.clone())), Ok(()));
		skip_to(due - 1);
		assert!(Jobs::job_record(0).is_some());
		System::reset_events();
		let per_block: u32 = <Runtime as pallet_jobs::Config>::MaxPrunesPerBlock::get();
		run_to(due + (cap / per_block));
		let pruned = jobs_events()
			.iter()
			.filter(|event| matches!(event, pallet_jobs::Event::JobPruned { .. }))
			.count() as u32;
		assert_eq!(pruned, cap);
		for id in 0..u64::from(cap) {
			assert_eq!(Jobs::job_record(id), None);
		}
		assert!(Jobs::client_jobs_page(&dave, None, 100).is_empty());
		assert_eq!(pallet_jobs::Jobs::<Runtime>::iter().count(), 0);
		assert_eq!(pallet_jobs::Prunes::<Runtime>::iter().count(), 0);
		let stats = Jobs::job_stats();
		assert_eq!((stats.expired, stats.pruned, stats.queued), (cap, cap, 0));
		assert_eq!(Jobs::jobs_posted(), u64::from(cap));
		assert_eq!(total(&dave), dave_before);

		// The provider leaves: its registration deposit comes back in full.
		assert_eq!(stake_of(&bob), stake);
		assert_eq!(Providers::deregister(RuntimeOrigin::signed(bob.clone())), Ok(()));
		assert_eq!(registration_deposit_of(&bob), 0);
		assert_eq!(total(&bob), bob_total);
		check_deposits();
	});
}

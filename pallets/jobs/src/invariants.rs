//! `try_state`: the invariants of the crate documentation, checked after every block in tests
//! and by `try-runtime`.

// Only `do_try_state` is here, compiled with `std` too (see below).
#![cfg(any(feature = "try-runtime", feature = "std", test))]

use crate::*;
use frame_support::pallet_prelude::*;
use frame_support::traits::fungible::InspectHold;
use tessera_primitives::market::Collateral;

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants; see the crate documentation.
	// Compiled with `std` too, so that the runtime's tests check every pallet's invariants
	// after every block without building the dependency tree a second time with `try-runtime`.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use sp_runtime::traits::Zero;
		let mut escrow_by_client: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut deposit_by_client: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut open_by_client: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		// Each job's entries in `Prunes`: a closed job has exactly one, an open job none.
		let mut prunes: BTreeMap<JobId, u32> = BTreeMap::new();
		for (_, job, ()) in Prunes::<T>::iter() {
			let count = prunes.entry(job).or_default();
			*count = count.saturating_add(1);
		}
		let mut collateral_by_provider: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut stats = JobStats::<BalanceOf<T>>::default();
		let queue = Queue::<T>::get();
		for (id, job) in Jobs::<T>::iter() {
			ensure!(id < NextJobId::<T>::get(), "job id from the future");
			ensure!(
				ClientJobs::<T>::contains_key(&job.client, id),
				"job missing from its client's list"
			);
			match job.state {
				JobState::Queued => stats.queued += 1,
				JobState::Active => stats.active += 1,
				JobState::Completed => stats.completed += 1,
				JobState::Failed => stats.failed += 1,
				JobState::Cancelled => stats.cancelled += 1,
				JobState::Expired => stats.expired += 1,
			}
			// Every client with a job is checked, so a hold left behind by a closed job shows.
			let held = escrow_by_client.entry(job.client.clone()).or_default();
			let deposits = deposit_by_client.entry(job.client.clone()).or_default();
			let scheduled = prunes.remove(&id).unwrap_or_default();
			if job.state.is_open() {
				*held = held.saturating_add(job.escrow);
				*deposits = deposits.saturating_add(job.deposit);
				stats.escrowed = stats.escrowed.saturating_add(job.escrow);
				let open = open_by_client.entry(job.client.clone()).or_default();
				*open = open.saturating_add(1);
				ensure!(job.closed_at.is_none(), "open job with a closing block");
				ensure!(scheduled == 0, "open job scheduled for pruning");
			} else {
				ensure!(job.escrow.is_zero(), "closed job still holds escrow");
				ensure!(job.deposit.is_zero(), "closed job still holds its deposit");
				ensure!(job.closed_at.is_some(), "closed job without its closing block");
				ensure!(scheduled == 1, "closed job not scheduled for pruning once");
			}
			let queued = queue.iter().filter(|queued| **queued == id).count();
			let expiry = Timeouts::<T>::contains_key(
				timeouts::after(job.spec.deadline),
				(id, Timeout::QueueExpiry),
			);
			if job.state == JobState::Queued {
				ensure!(queued == 1 && expiry, "queued job not queued once with its expiry");
				ensure!(job.replicas.is_empty(), "queued job has replicas");
			} else {
				ensure!(queued == 0 && !expiry, "unqueued job in the queue");
			}
			// Escrow is the budget less what was paid out, as long as the job is open.
			let mut paid_out = BalanceOf::<T>::zero();
			for (index, replica) in job.replicas.iter().enumerate() {
				let index = index as u32;
				let listed = ProviderJobs::<T>::get(&replica.provider, id);
				if let ReplicaState::Paid { payment, fee } = replica.state {
					paid_out = paid_out.saturating_add(payment).saturating_add(fee);
				}
				let acknowledged =
					matches!(replica.state, ReplicaState::Running | ReplicaState::Submitted { .. });
				ensure!(
					acknowledged || replica.collateral.is_zero(),
					"collateral on a replica not running"
				);
				let committed = collateral_by_provider.entry(replica.provider.clone()).or_default();
				*committed = committed.saturating_add(replica.collateral);
				if replica.state.is_final() {
					ensure!(listed.is_none(), "finished replica still in its provider's list");
					continue;
				}
				ensure!(job.state == JobState::Active, "unfinished replica of a closed job");
				ensure!(listed == Some(index), "assigned replica not in its provider's list");
				match timeouts::timeout_of(&replica.state, job.spec.deadline, index) {
					Some((at, kind)) => ensure!(
						Timeouts::<T>::contains_key(at, (id, kind)),
						"replica without its timeout"
					),
					// Submitted: the verifier owns it, so its delivery deadline must be gone.
					None => ensure!(
						!Timeouts::<T>::contains_key(
							timeouts::after(job.spec.deadline),
							(id, Timeout::Delivery(index))
						),
						"submitted replica still has its delivery timeout"
					),
				}
			}
			if job.state.is_open() {
				let budget = spec::escrow::<T>(&job.spec, job.units)
					.map_err(|_| "an open job's budget overflows")?;
				ensure!(
					job.escrow.saturating_add(paid_out) == budget,
					"escrow differs from budget less payments and fees"
				);
			}
		}
		ensure!(prunes.is_empty(), "pruning scheduled for a job that is gone");
		let stored = Stats::<T>::get();
		// Pruned jobs still count in their closed state, so the closed counters are at least
		// the records', and exceed them together by exactly the jobs pruned.
		let closed = |s: &JobStats<BalanceOf<T>>| {
			[s.completed, s.failed, s.cancelled, s.expired]
				.iter()
				.fold(0u64, |sum, n| sum.saturating_add(u64::from(*n)))
		};
		ensure!(
			stored.completed >= stats.completed
				&& stored.failed >= stats.failed
				&& stored.cancelled >= stats.cancelled
				&& stored.expired >= stats.expired
				&& closed(&stored) == closed(&stats).saturating_add(u64::from(stored.pruned)),
			"closed counters of Stats disagree with the records and the pruned jobs"
		);
		stats.completed = stored.completed;
		stats.failed = stored.failed;
		stats.cancelled = stored.cancelled;
		stats.expired = stored.expired;
		stats.pruned = stored.pruned;
		ensure!(stored == stats, "Stats disagree with the job records");
		for (client, escrow) in escrow_by_client {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &client) == escrow,
				"a client's escrow hold differs from its open jobs"
			);
		}
		// Every client with a job is checked, so a deposit left behind by a closed job shows.
		for (client, deposit) in deposit_by_client {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::JobDeposit.into(), &client) == deposit,
				"a client's deposit hold differs from its open jobs' deposits"
			);
		}
		// Every open job counts towards its client's cap, and no other count is kept.
		for (client, open) in OpenJobs::<T>::iter() {
			ensure!(open > 0, "an empty open-job count is stored");
			ensure!(
				open_by_client.remove(&client) == Some(open),
				"a client's open-job count differs from its open jobs"
			);
		}
		ensure!(open_by_client.is_empty(), "a client's open jobs are not counted");
		ensure!(queue.len() as u32 == stored.queued, "queue length differs from queued jobs");
		// Every provider that ever ran a replica is checked, so collateral left behind shows.
		// Other pallets set collateral aside too (the proofs pallet's re-executors): the
		// runtime's tests check that the total is exactly the sum of all of them.
		for (provider, collateral) in collateral_by_provider {
			ensure!(
				T::Collateral::committed(&provider) >= collateral,
				"a provider's collateral is less than its running replicas'"
			);
		}
		Ok(())
	}
}

//! `try_state`: the invariants of the crate documentation, checked after every block in tests
//! and by `try-runtime`.

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
			if job.state.is_open() {
				*held = held.saturating_add(job.escrow);
				stats.escrowed = stats.escrowed.saturating_add(job.escrow);
			} else {
				ensure!(job.escrow.is_zero(), "closed job still holds escrow");
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
				let timeout = timeouts::timeout_of(&replica.state, job.spec.deadline, index);
				match timeout {
					Some((at, kind)) => {
						ensure!(
							job.state == JobState::Active,
							"unfinished replica of a closed job"
						);
						ensure!(
							listed == Some(index),
							"assigned replica not in its provider's list"
						);
						ensure!(
							Timeouts::<T>::contains_key(at, (id, kind)),
							"replica without its timeout"
						);
					},
					None => {
						ensure!(listed.is_none(), "finished replica still in its provider's list")
					},
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
		let stored = Stats::<T>::get();
		ensure!(stored == stats, "Stats disagree with the job records");
		for (client, escrow) in escrow_by_client {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &client) == escrow,
				"a client's escrow hold differs from its open jobs"
			);
		}
		ensure!(queue.len() as u32 == stored.queued, "queue length differs from queued jobs");
		// Every provider that ever ran a replica is checked, so collateral left behind shows.
		for (provider, collateral) in collateral_by_provider {
			ensure!(
				T::Collateral::committed(&provider) == collateral,
				"a provider's collateral differs from its running replicas'"
			);
		}
		Ok(())
	}
}

//! What this pallet offers the others: the [`ProviderRegistry`] jobs are matched through, the
//! [`ReputationRecorder`] outcomes are reported to, the [`AttestationRegistry`] the verifier
//! records attestations in, and the [`StakeObserver`] the stake pallet tells of bond changes
//! and proven fraud.

use crate::*;
use alloc::vec::Vec;
use frame_support::{dispatch::DispatchResult, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use tessera_primitives::market::{
	AttestationRegistry, Candidate, Needs, Outcome, ProviderRegistry, ReputationRecorder,
	StakeObserver,
};

impl<T: Config> ProviderRegistry<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn cheapest(
		needs: &Needs<BalanceOf<T>, BlockNumberFor<T>>,
		max_price_per_unit: BalanceOf<T>,
		count: u32,
		exclude: &[T::AccountId],
	) -> Vec<Candidate<T::AccountId, BalanceOf<T>>> {
		price_index::cheapest::<T>(needs, max_price_per_unit, count, exclude)
	}

	fn cheapest_weight() -> Weight {
		T::WeightInfo::cheapest()
	}

	fn draw(
		needs: &Needs<BalanceOf<T>, BlockNumberFor<T>>,
		max_price_per_unit: BalanceOf<T>,
		count: u32,
		tries: u32,
		exclude: &[T::AccountId],
		registered_before: BlockNumberFor<T>,
		seed: &[u8; 32],
	) -> Vec<Candidate<T::AccountId, BalanceOf<T>>> {
		draw::executors::<T>(
			needs,
			max_price_per_unit,
			count,
			tries,
			exclude,
			registered_before,
			seed,
		)
	}

	fn draw_weight(tries: u32) -> Weight {
		T::WeightInfo::draw_executors(tries)
	}

	fn provider_of_worker(worker: &T::AccountId) -> Option<T::AccountId> {
		Workers::<T>::get(worker)
	}

	fn worker_of(provider: &T::AccountId) -> Option<T::AccountId> {
		Providers::<T>::get(provider).map(|info| info.worker)
	}

	fn job_assigned(provider: &T::AccountId) -> DispatchResult {
		let mut active_jobs = 0;
		Self::mutate_provider(provider, |info| {
			ensure!(info.indexed, Error::<T>::NotMatchable);
			info.active_jobs = info.active_jobs.saturating_add(1);
			active_jobs = info.active_jobs;
			Ok(())
		})?;
		Self::deposit_event(Event::JobAssigned { provider: provider.clone(), active_jobs });
		Ok(())
	}

	fn job_released(provider: &T::AccountId) -> DispatchResult {
		let mut active_jobs = 0;
		Self::mutate_provider(provider, |info| {
			ensure!(info.active_jobs > 0, Error::<T>::NoActiveJobs);
			info.active_jobs = info.active_jobs.saturating_sub(1);
			active_jobs = info.active_jobs;
			Ok(())
		})?;
		Self::deposit_event(Event::JobReleased { provider: provider.clone(), active_jobs });
		Ok(())
	}

	fn is_banned(provider: &T::AccountId) -> bool {
		Banned::<T>::contains_key(provider)
	}
}

impl<T: Config> ReputationRecorder<T::AccountId> for Pallet<T> {
	/// Moves the reputation by [`reputation::apply`] and reports the score in
	/// [`Event::ReputationChanged`], also when the outcome moved nothing (a completed job worth
	/// less than `MinReputationValue`, which leaves the record untouched).
	fn record(provider: &T::AccountId, outcome: Outcome, value: u128) {
		let now = frame_system::Pallet::<T>::block_number();
		let rule = reputation::ValueRule {
			min_value: T::MinReputationValue::get(),
			unit: T::ReputationValueUnit::get(),
		};
		let half_life = T::ReputationHalfLife::get();
		let Some(info) = Providers::<T>::get(provider) else {
			// An outcome for a provider that has since deregistered has no record left to move.
			return;
		};
		let score = match reputation::apply(&info.reputation, outcome, value, &rule, now, half_life)
		{
			Some(moved) => {
				Self::store(provider, &info, ProviderInfo { reputation: moved, ..info.clone() });
				moved.score
			},
			None => reputation::current(&info.reputation, now, half_life),
		};
		Self::deposit_event(Event::ReputationChanged {
			provider: provider.clone(),
			outcome,
			score,
		});
	}
}

impl<T: Config> AttestationRegistry<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn set_attested(provider: &T::AccountId, until: Option<BlockNumberFor<T>>) -> DispatchResult {
		Self::mutate_provider(provider, |info| {
			info.attested_until = until;
			Ok(())
		})?;
		Self::deposit_event(Event::AttestationSet { provider: provider.clone(), until });
		Ok(())
	}
}

impl<T: Config> StakeObserver<T::AccountId> for Pallet<T> {
	fn stake_changed(who: &T::AccountId) {
		// Not a provider (yet): nothing to re-check. `register` checks the bond itself.
		let _ = Self::mutate_provider(who, |_| Ok(()));
	}

	fn has_active_jobs(who: &T::AccountId) -> bool {
		Providers::<T>::get(who).is_some_and(|info| info.active_jobs > 0)
	}

	fn fraud_proven(who: &T::AccountId) {
		let now = frame_system::Pallet::<T>::block_number();
		Banned::<T>::insert(who, now);
		Self::deposit_event(Event::Banned { provider: who.clone() });
		let mut was_online = false;
		let _ = Self::mutate_provider(who, |info| {
			if info.status == Status::Online {
				was_online = true;
				info.status = Status::Offline;
			}
			Ok(())
		});
		if was_online {
			Self::deposit_event(Event::WentOffline {
				provider: who.clone(),
				reason: OfflineReason::Banned,
			});
		}
	}
}

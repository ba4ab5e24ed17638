//! What the market runtime API reads.

use crate::*;
use frame_support::pallet_prelude::*;
use sp_runtime::traits::Saturating;
use tessera_primitives::{jobs::JobId, market::ProviderRegistry};

/// Query helpers for the market runtime API (`tessera_primitives::api::MarketApi`): read-only
/// views of the jobs for dApps and the node's `market_*` RPC. Nothing on chain calls them, so
/// they carry no weight.
impl<T: Config> Pallet<T> {
	/// The job with id `id`.
	pub fn job_record(id: JobId) -> Option<JobOf<T>> {
		Jobs::<T>::get(id)
	}

	/// Up to `limit` ids of the jobs `client` posted, in storage order (by the hash of the id),
	/// starting after `start_after`.
	pub fn client_jobs_page(
		client: &T::AccountId,
		start_after: Option<JobId>,
		limit: u32,
	) -> alloc::vec::Vec<JobId> {
		let iter = match start_after {
			Some(last) => ClientJobs::<T>::iter_key_prefix_from(
				client,
				ClientJobs::<T>::hashed_key_for(client, last),
			),
			None => ClientJobs::<T>::iter_key_prefix(client),
		};
		iter.take(limit as usize).collect()
	}

	/// Up to `limit` ids of the jobs `provider` has an unfinished replica of, in storage order,
	/// starting after `start_after`.
	pub fn provider_jobs_page(
		provider: &T::AccountId,
		start_after: Option<JobId>,
		limit: u32,
	) -> alloc::vec::Vec<JobId> {
		let iter = match start_after {
			Some(last) => ProviderJobs::<T>::iter_key_prefix_from(
				provider,
				ProviderJobs::<T>::hashed_key_for(provider, last),
			),
			None => ProviderJobs::<T>::iter_key_prefix(provider),
		};
		iter.take(limit as usize).collect()
	}

	/// What `spec` would cost and who would run it if it were posted now. A transaction sent
	/// now is in the next block at the earliest, so the spec is checked as of that block: a
	/// spec that passes here is not refused by `post` for a deadline one block too soon.
	/// Errors are those of `post` ([`spec::check`], [`spec::escrow`]); the client's balance is
	/// not looked at.
	pub fn quote(
		spec: &JobSpecOf<T>,
	) -> Result<tessera_primitives::api::Quote<T::AccountId, BalanceOf<T>>, DispatchError> {
		use sp_runtime::traits::{One, Zero};
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		let units = spec::check::<T>(spec, next)?;
		let escrow = spec::escrow::<T>(spec, units)?;
		let until = next.saturating_add(T::AckTimeout::get());
		let needs = matching::needs::<T>(spec, units, until);
		let providers = T::Registry::cheapest(&needs, spec.max_price_per_unit, spec.replicas, &[]);
		// `escrow` succeeded, so the units fit in a balance.
		let work: BalanceOf<T> = units.try_into().map_err(|_| Error::<T>::BudgetOverflow)?;
		// As settlement pays: `price x units` to each provider, the fee (rounded down) on top.
		let total = providers.iter().fold(BalanceOf::<T>::zero(), |total, candidate| {
			let payment = candidate.price_per_unit.saturating_mul(work);
			total.saturating_add(payment).saturating_add(T::ProtocolFee::get().mul_floor(payment))
		});
		Ok(tessera_primitives::api::Quote { units, escrow, providers, total })
	}

	/// The market's job counters and the total escrow.
	pub fn job_stats() -> JobStats<BalanceOf<T>> {
		Stats::<T>::get()
	}

	/// Number of jobs in the matching queue.
	pub fn queue_length() -> u32 {
		Queue::<T>::decode_len().unwrap_or_default() as u32
	}

	/// Number of jobs ever posted: the id the next one gets.
	pub fn jobs_posted() -> JobId {
		NextJobId::<T>::get()
	}
}

//! What the market runtime API reads.

use crate::*;
use alloc::vec::Vec;
use frame_system::pallet_prelude::BlockNumberFor;
use tessera_primitives::market::{Needs, Requirements};

/// Query helpers for the market runtime API (`tessera_primitives::api::MarketApi`): read-only
/// views of the registry for dApps and the node's `market_*` RPC. Nothing on chain calls them,
/// so they carry no weight.
impl<T: Config> Pallet<T> {
	/// `who`'s record and its reputation now (after decay).
	pub fn provider_with_reputation(who: &T::AccountId) -> Option<(ProviderInfoOf<T>, u32)> {
		let info = Providers::<T>::get(who)?;
		let score = Self::current_reputation(&info);
		Some((info, score))
	}

	/// Up to `limit` registered providers in storage order, starting after `start_after`, with
	/// their reputation now; with `requirements`, only those whose record meets them (see
	/// [`Self::meets_requirements`]). Reads until `limit` are found or the map ends.
	pub fn providers_page(
		start_after: Option<&T::AccountId>,
		limit: u32,
		requirements: Option<&Requirements>,
	) -> Vec<(T::AccountId, ProviderInfoOf<T>, u32)> {
		let iter = match start_after {
			Some(last) => Providers::<T>::iter_from(Providers::<T>::hashed_key_for(last)),
			None => Providers::<T>::iter(),
		};
		let now = frame_system::Pallet::<T>::block_number();
		iter.filter_map(|(who, info)| {
			let score = Self::current_reputation(&info);
			let fits = requirements.is_none_or(|r| Self::meets_requirements(&info, score, r, now));
			fits.then_some((who, info, score))
		})
		.take(limit as usize)
		.collect()
	}

	/// Whether `info`, with reputation `score` now, meets `requirements` at block `now`: the
	/// same test as the price index's ([`price_index::meets`], with an attestation valid at
	/// `now` and none of a job's own needs), plus the region, which the index answers by its
	/// layout instead. Status, job slots, bond and free stake are not looked at.
	pub fn meets_requirements(
		info: &ProviderInfoOf<T>,
		score: u32,
		requirements: &Requirements,
		now: BlockNumberFor<T>,
	) -> bool {
		let needs: Needs<BalanceOf<T>, _> = Needs {
			requirements: requirements.clone(),
			attested_through: now,
			..Default::default()
		};
		requirements.region.is_none_or(|region| region == info.profile.region)
			&& price_index::meets(&Self::index_entry(info), score, &needs, now)
	}

	/// Number of registered providers.
	pub fn provider_count() -> u32 {
		ProviderCount::<T>::get()
	}

	/// Providers online and their GPUs.
	pub fn online_stats() -> OnlineStats {
		Online::<T>::get()
	}

	fn current_reputation(info: &ProviderInfoOf<T>) -> u32 {
		reputation::current(
			&info.reputation,
			frame_system::Pallet::<T>::block_number(),
			T::ReputationHalfLife::get(),
		)
	}
}

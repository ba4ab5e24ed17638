//! The price index: providers that can be matched, ordered by price, so that matching reads a
//! bounded number of entries however many providers exist.
//!
//! # Layout
//!
//! `PriceIndex` is keyed by `(scope, tier, (price, provider))`:
//! - `scope` is `Some(region)` or `None` ("anywhere"); each provider is in both its region's
//!   lists and the worldwide ones, so a query never merges regions.
//! - `tier` is the provider's GPU memory class ([`VRAM_TIERS`]); a query for at least `v` MiB
//!   looks only at tiers that can hold `v`, so small cards never crowd out the large ones a job
//!   needs.
//! - `(price, provider)` is stored with the `Identity` hasher and the price in big-endian bytes,
//!   so iterating a `(scope, tier)` prefix visits providers cheapest first.
//!
//! # Query
//!
//! [`cheapest`] merges the (at most [`TIERS`]) price-ordered lists of the tiers that qualify,
//! visiting at most `max_scan` entries in total and stopping at the first entry above the price
//! limit. Entries that fail the remaining requirements (exact memory, GPU count, speed,
//! reputation, attestation) or whose bond no longer covers their GPUs are skipped. The cost is
//! therefore at most `TIERS + max_scan` entry reads and `max_scan` bond reads, independent of
//! the number of providers; the price is that a job whose requirements fit none of the
//! `max_scan` cheapest providers of its tiers is not matched at once (it waits in the jobs queue
//! and is retried as the index changes).

use crate::{
	pallet::{Config, PriceIndex},
	reputation,
	types::IndexEntry,
	BalanceOf,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::UniqueSaturatedInto;
use tessera_primitives::market::{Candidate, Region, Requirements, StakeInfo};

/// Lower bounds (MiB of each GPU) of the memory tiers: under 8 GiB, 8, 12, 16, 24, 40, 48 and
/// 80 GiB or more. They follow the memory sizes GPUs are sold with.
pub const VRAM_TIERS: [u32; 8] =
	[0, 8 * 1024, 12 * 1024, 16 * 1024, 24 * 1024, 40 * 1024, 48 * 1024, 80 * 1024];

/// Number of memory tiers.
pub const TIERS: u8 = VRAM_TIERS.len() as u8;

/// The tier of a GPU with `vram_mib` MiB: the highest whose lower bound it reaches.
pub fn tier_of(vram_mib: u32) -> u8 {
	let mut tier = 0u8;
	for (i, bound) in VRAM_TIERS.iter().enumerate() {
		if vram_mib >= *bound {
			tier = i as u8;
		}
	}
	tier
}

/// The sort key of an entry: the price in big-endian bytes, so that byte order is price order.
pub type PriceKey = [u8; 16];

/// `price` as a [`PriceKey`]. Prices above `u128::MAX` cannot occur (balances are `u128`).
pub fn price_key<T: Config>(price: BalanceOf<T>) -> PriceKey {
	let price: u128 = price.unique_saturated_into();
	price.to_be_bytes()
}

/// The two lists a provider of `region` with `vram_mib` per GPU is kept in.
pub fn scopes(region: Region, vram_mib: u32) -> [(Option<Region>, u8); 2] {
	let tier = tier_of(vram_mib);
	[(Some(region), tier), (None, tier)]
}

/// Adds (or overwrites) `provider`'s entries.
pub fn insert<T: Config>(
	provider: &T::AccountId,
	region: Region,
	price: BalanceOf<T>,
	entry: IndexEntry<T::AccountId, BlockNumberFor<T>>,
) {
	let key = price_key::<T>(price);
	for (scope, tier) in scopes(region, entry.vram_mib) {
		PriceIndex::<T>::insert((scope, tier, (key, provider.clone())), entry.clone());
	}
}

/// Removes `provider`'s entries, given the region, memory and price it was indexed with.
pub fn remove<T: Config>(
	provider: &T::AccountId,
	region: Region,
	vram_mib: u32,
	price: BalanceOf<T>,
) {
	let key = price_key::<T>(price);
	for (scope, tier) in scopes(region, vram_mib) {
		PriceIndex::<T>::remove((scope, tier, (key, provider.clone())));
	}
}

/// Whether an entry meets `requirements` at block `now` (everything but the bond).
pub fn fits<T: Config>(
	entry: &IndexEntry<T::AccountId, BlockNumberFor<T>>,
	requirements: &Requirements,
	now: BlockNumberFor<T>,
) -> bool {
	entry.vram_mib >= requirements.min_vram_mib
		&& entry.gpus >= requirements.min_gpus
		&& entry.int8_tops >= requirements.min_int8_tops
		&& entry.fp16_tflops >= requirements.min_fp16_tflops
		&& (!requirements.attestation || entry.attested_until.is_some_and(|until| until > now))
		&& reputation::current(&entry.reputation, now, T::ReputationHalfLife::get())
			>= requirements.min_reputation
}

/// Up to `count` of the cheapest providers in the index that meet `requirements`, ask at most
/// `max_price`, are not in `exclude` and whose bond covers their GPUs; cheapest first. Visits at
/// most `T::MaxIndexScan` entries (see the module documentation).
pub fn cheapest<T: Config>(
	requirements: &Requirements,
	max_price: BalanceOf<T>,
	count: u32,
	exclude: &[T::AccountId],
) -> Vec<Candidate<T::AccountId, BalanceOf<T>>> {
	let now = frame_system::Pallet::<T>::block_number();
	let max_key = price_key::<T>(max_price);
	let first_tier = tier_of(requirements.min_vram_mib);
	let mut lists: Vec<_> = (first_tier..TIERS)
		.map(|tier| PriceIndex::<T>::iter_prefix((requirements.region, tier)).peekable())
		.collect();
	let mut found = Vec::new();
	let mut budget = T::MaxIndexScan::get();
	while (found.len() as u32) < count && budget > 0 {
		// The list whose next entry is the cheapest.
		let mut next: Option<(usize, PriceKey)> = None;
		for (i, list) in lists.iter_mut().enumerate() {
			if let Some(((key, _), _)) = list.peek() {
				if next.is_none_or(|(_, best)| *key < best) {
					next = Some((i, *key));
				}
			}
		}
		let Some((i, key)) = next else { break };
		if key > max_key {
			break;
		}
		let Some(((_, provider), entry)) = lists.get_mut(i).and_then(|list| list.next()) else {
			break;
		};
		budget = budget.saturating_sub(1);
		if exclude.contains(&provider)
			|| !fits::<T>(&entry, requirements, now)
			|| !T::Stake::meets_minimum(&provider, entry.gpus)
		{
			continue;
		}
		found.push(Candidate {
			provider,
			worker: entry.worker,
			price_per_unit: u128::from_be_bytes(key).unique_saturated_into(),
		});
	}
	found
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn tiers_follow_card_sizes() {
		assert_eq!(tier_of(0), 0);
		assert_eq!(tier_of(6 * 1024), 0);
		assert_eq!(tier_of(8 * 1024), 1);
		assert_eq!(tier_of(11 * 1024), 1);
		assert_eq!(tier_of(24 * 1024), 4);
		assert_eq!(tier_of(80 * 1024), 7);
		assert_eq!(tier_of(u32::MAX), 7);
	}

	#[test]
	fn price_keys_sort_like_prices() {
		let prices = [0u128, 1, 255, 256, 65_535, 1 << 64, u128::MAX];
		for pair in prices.windows(2) {
			assert!(pair[0].to_be_bytes() < pair[1].to_be_bytes());
		}
	}
}

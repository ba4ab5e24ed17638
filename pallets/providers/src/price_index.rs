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
//! limit. Entries that fail the remaining needs of the job ([`meets`]: exact GPU memory, GPU
//! count, speed, host memory, total int8 throughput, capabilities, reputation, an attestation
//! that lasts to the deadline) are skipped without further reads; of the rest, those whose bond
//! no longer covers their GPUs, or whose free stake (bond not set aside as other jobs'
//! collateral) is below the job's collateral, are skipped too. The cost is therefore at most
//! `TIERS + max_scan` entry reads and `2 * max_scan` stake reads, independent of the number of
//! providers; the price is that a job whose needs fit none of the `max_scan` cheapest providers
//! of its tiers is not matched at once (it waits in the jobs queue and is retried as the index
//! changes).

use crate::{
	pallet::{Config, PriceIndex},
	reputation,
	types::IndexEntry,
	BalanceOf,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{UniqueSaturatedInto, Zero};
use tessera_primitives::market::{Candidate, Needs, Region, StakeInfo};

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

/// Whether a provider with index entry `entry` and reputation `score` meets `needs` at block
/// `now`, as far as its own figures tell: every per-GPU lower bound of the requirements, the
/// host memory (`ram_mib >= memory_mib`), the throughput of all its GPUs together
/// (`gpus * int8_tops >= total_int8_tops`), the capabilities, the reputation and, when an
/// attestation is required, one that is valid now and still at `attested_through` (the job's
/// deadline). Not looked at: the region, which the index answers by its layout, and the bond
/// and free stake, which live in the stake pallet.
///
/// The one test of a provider's figures, shared by matching ([`fits`]) and the market RPC
/// ([`crate::Pallet::meets_requirements`]).
pub fn meets<AccountId, Balance, BlockNumber: Copy + PartialOrd>(
	entry: &IndexEntry<AccountId, BlockNumber>,
	score: u32,
	needs: &Needs<Balance, BlockNumber>,
	now: BlockNumber,
) -> bool {
	let requirements = &needs.requirements;
	// Valid at `now` too, should a caller ask for less.
	let through = if needs.attested_through > now { needs.attested_through } else { now };
	entry.vram_mib >= requirements.min_vram_mib
		&& entry.gpus >= requirements.min_gpus
		&& entry.int8_tops >= requirements.min_int8_tops
		&& entry.fp16_tflops >= requirements.min_fp16_tflops
		&& entry.ram_mib >= needs.memory_mib
		&& u64::from(entry.gpus).saturating_mul(u64::from(entry.int8_tops)) >= needs.total_int8_tops
		&& entry.capabilities.covers(&needs.capabilities)
		&& (!requirements.attestation || entry.attested_until.is_some_and(|until| until > through))
		&& score >= requirements.min_reputation
}

/// Whether an entry meets `needs` at block `now`: [`meets`] with its reputation decayed to
/// `now`. Everything but the region (the index's layout), the bond and the free stake.
pub fn fits<T: Config>(
	entry: &IndexEntry<T::AccountId, BlockNumberFor<T>>,
	needs: &Needs<BalanceOf<T>, BlockNumberFor<T>>,
	now: BlockNumberFor<T>,
) -> bool {
	let score = reputation::current(&entry.reputation, now, T::ReputationHalfLife::get());
	meets(entry, score, needs, now)
}

/// Up to `count` of the cheapest providers in the index that meet `needs`, ask at most
/// `max_price`, are not in `exclude`, whose bond covers their GPUs and whose free stake covers
/// the job's collateral; cheapest first. Visits at most `T::MaxIndexScan` entries (see the
/// module documentation).
pub fn cheapest<T: Config>(
	needs: &Needs<BalanceOf<T>, BlockNumberFor<T>>,
	max_price: BalanceOf<T>,
	count: u32,
	exclude: &[T::AccountId],
) -> Vec<Candidate<T::AccountId, BalanceOf<T>>> {
	let now = frame_system::Pallet::<T>::block_number();
	let max_key = price_key::<T>(max_price);
	let requirements = &needs.requirements;
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
		// The stake reads come last, for the entries that pass everything else; no collateral
		// needs no free stake.
		if exclude.contains(&provider)
			|| !fits::<T>(&entry, needs, now)
			|| !T::Stake::meets_minimum(&provider, entry.gpus)
			|| (!needs.collateral.is_zero() && T::Stake::free_stake(&provider) < needs.collateral)
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

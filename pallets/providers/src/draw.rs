//! The random draw of re-executors, uniform among every provider that fits a challenged job.
//!
//! # The roll
//!
//! Every tracked provider (online, with a bond that covers its GPUs) holds one position in
//! `0..DrawRollLen` of [`DrawRoll`]; [`enroll`] appends, [`leave`] moves the last provider into
//! the leaver's place, so both take constant work and the positions stay dense. The records'
//! writer ([`crate::Pallet::sync_liveness`]) calls them whenever a provider becomes tracked or
//! stops being tracked, so the roll is exactly the tracked providers (checked by `try_state`).
//!
//! # The draw
//!
//! [`executors`] visits up to `tries` positions in a random order without repetition
//! ([`positions`]: a partial Fisher-Yates shuffle of `0..len` that keeps only the entries it
//! displaced, so it costs `O(tries)` whatever the roll's length) and takes the first `count`
//! providers there that fit the job: matchable (a free slot), meeting its needs at no more than
//! its price cap, in its region, registered before the receipt, with the bond and free stake
//! the duty needs, and not excluded. Every fitting provider is as likely to be drawn as any
//! other, whatever its price, so holding the cheapest places buys nothing: an account's chance
//! is its share of all who fit. With a roll no longer than `tries`, every provider is looked at.
//!
//! The seed comes from block hashes that did not exist when the challenge was made (the
//! proofs pallet's `executor_seed`).

use crate::{
	pallet::{Config, DrawRoll, DrawRollLen, DrawRollPosition, Providers},
	price_index, BalanceOf, Pallet,
};
use alloc::{collections::BTreeMap, vec::Vec};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{BlakeTwo256, Hash, Zero};
use tessera_primitives::market::{Candidate, Needs, StakeInfo};

/// Puts `provider` at the end of the roll, unless it is on it already.
pub fn enroll<T: Config>(provider: &T::AccountId) {
	if DrawRollPosition::<T>::contains_key(provider) {
		return;
	}
	let len = DrawRollLen::<T>::get();
	DrawRoll::<T>::insert(len, provider);
	DrawRollPosition::<T>::insert(provider, len);
	DrawRollLen::<T>::put(len.saturating_add(1));
}

/// Takes `provider` off the roll, moving the last provider into its place.
pub fn leave<T: Config>(provider: &T::AccountId) {
	let Some(position) = DrawRollPosition::<T>::take(provider) else { return };
	let last = DrawRollLen::<T>::get().saturating_sub(1);
	if position != last {
		if let Some(moved) = DrawRoll::<T>::get(last) {
			DrawRoll::<T>::insert(position, &moved);
			DrawRollPosition::<T>::insert(&moved, position);
		}
	}
	DrawRoll::<T>::remove(last);
	DrawRollLen::<T>::put(last);
}

/// The `i`th random word of `seed`: `blake2-256(seed ++ u32_le(i))`, its first 8 bytes as a
/// little-endian `u64`.
fn word(seed: &[u8; 32], i: u32) -> u64 {
	let mut preimage = seed.to_vec();
	preimage.extend_from_slice(&i.to_le_bytes());
	let hash = BlakeTwo256::hash(&preimage);
	let mut word = [0u8; 8];
	word.copy_from_slice(&hash.as_bytes()[..8]);
	u64::from_le_bytes(word)
}

/// The first `min(tries, len)` positions of a random permutation of `0..len` drawn by `seed`:
/// the `i`th is chosen uniformly among those not chosen yet, by [`word`]`(seed, i)` modulo
/// their number (a bias below `len / 2^64`).
pub fn positions(len: u32, tries: u32, seed: &[u8; 32]) -> Vec<u32> {
	let tries = tries.min(len);
	// Where the shuffle has moved the entry that started at a position; absent: unmoved.
	let mut displaced: BTreeMap<u32, u32> = BTreeMap::new();
	let mut chosen = Vec::with_capacity(tries as usize);
	for i in 0..tries {
		let left = u64::from(len - i);
		// `word % left < left <= u32::MAX`, so the cast keeps it.
		let j = i.saturating_add((word(seed, i) % left) as u32);
		let at_j = displaced.get(&j).copied().unwrap_or(j);
		let at_i = displaced.get(&i).copied().unwrap_or(i);
		// Position `i` is never visited again: only `j` needs to remember what it holds now.
		displaced.insert(j, at_i);
		chosen.push(at_j);
	}
	chosen
}

/// Up to `count` providers that fit the job, drawn from up to `tries` random positions of the
/// roll (see the module documentation), in the order drawn.
pub fn executors<T: Config>(
	needs: &Needs<BalanceOf<T>, BlockNumberFor<T>>,
	max_price: BalanceOf<T>,
	count: u32,
	tries: u32,
	exclude: &[T::AccountId],
	registered_before: BlockNumberFor<T>,
	seed: &[u8; 32],
) -> Vec<Candidate<T::AccountId, BalanceOf<T>>> {
	let now = frame_system::Pallet::<T>::block_number();
	let mut found = Vec::new();
	for position in positions(DrawRollLen::<T>::get(), tries, seed) {
		if found.len() as u32 >= count {
			break;
		}
		let Some(provider) = DrawRoll::<T>::get(position) else { continue };
		if exclude.contains(&provider) {
			continue;
		}
		let Some(info) = Providers::<T>::get(&provider) else { continue };
		let entry = Pallet::<T>::index_entry(&info);
		// The stake reads come last, for the providers that pass everything else.
		if !info.indexed
			|| info.registered_at >= registered_before
			|| info.price_per_unit > max_price
			|| needs.requirements.region.is_some_and(|region| region != info.profile.region)
			|| !price_index::fits::<T>(&entry, needs, now)
			|| !T::Stake::meets_minimum(&provider, entry.gpus)
			|| (!needs.collateral.is_zero() && T::Stake::free_stake(&provider) < needs.collateral)
		{
			continue;
		}
		found.push(Candidate {
			provider,
			worker: info.worker,
			price_per_unit: info.price_per_unit,
		});
	}
	found
}

#[cfg(test)]
mod tests {
	use super::*;

	fn seed(s: u32) -> [u8; 32] {
		let mut seed = [0u8; 32];
		seed[..4].copy_from_slice(&s.to_le_bytes());
		seed
	}

	#[test]
	fn positions_are_distinct_in_range_and_depend_on_the_seed() {
		for len in [1u32, 2, 5, 100, 1_000_000] {
			let drawn = positions(len, 64, &seed(1));
			assert_eq!(drawn.len() as u32, len.min(64));
			assert!(drawn.iter().all(|p| *p < len));
			let mut sorted = drawn.clone();
			sorted.sort();
			sorted.dedup();
			assert_eq!(sorted.len(), drawn.len(), "no position twice");
			assert_eq!(drawn, positions(len, 64, &seed(1)));
		}
		assert_ne!(positions(1_000, 8, &seed(1)), positions(1_000, 8, &seed(2)));
		assert!(positions(0, 64, &seed(1)).is_empty());
	}

	#[test]
	fn a_roll_no_longer_than_the_tries_is_visited_whole() {
		for len in [1u32, 3, 16, 64] {
			let mut drawn = positions(len, 64, &seed(7));
			drawn.sort();
			assert_eq!(drawn, (0..len).collect::<Vec<_>>());
		}
	}

	#[test]
	fn every_position_is_drawn_about_as_often_at_every_rank() {
		// 16 positions, 1,600 seeds: each about 100 times first, and about 100 times third.
		let (mut first, mut third) = ([0u32; 16], [0u32; 16]);
		for s in 0..1600u32 {
			let drawn = positions(16, 3, &seed(s));
			first[drawn[0] as usize] += 1;
			third[drawn[2] as usize] += 1;
		}
		assert!(first.iter().all(|h| (60..=140).contains(h)), "{first:?}");
		assert!(third.iter().all(|h| (60..=140).contains(h)), "{third:?}");
		// On a long roll, the draws spread over all of it, not over its start.
		let mut halves = [0u32; 2];
		for s in 0..1000u32 {
			for p in positions(1_000_000, 4, &seed(s)) {
				halves[(p / 500_000) as usize] += 1;
			}
		}
		assert!(halves.iter().all(|h| (1800..=2200).contains(h)), "{halves:?}");
	}
}

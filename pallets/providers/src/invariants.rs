//! `try_state`: the invariants of the registry, checked after every block in tests and by
//! `try-runtime`.

// Only `do_try_state` is here, compiled with `std` too (see below).
#![cfg(any(feature = "try-runtime", feature = "std", test))]

use crate::*;
use frame_support::pallet_prelude::*;

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants:
	/// - every record's `indexed` flag matches its entries in the price index, and the entries
	///   carry the record's figures;
	/// - no offline or banned provider is in the index, and no provider is over its job slots;
	/// - every index entry belongs to an indexed record;
	/// - `Workers` and the records point at each other; `ProviderCount` counts the records and
	///   `Online` the online ones and their GPUs;
	/// - only online providers are tracked, and every indexed provider is;
	/// - every tracked provider (online, with a bond that covered its GPUs at the last change the
	///   registry saw) has exactly its deadline in `LivenessDeadlines`, and no other provider
	///   has one;
	/// - the executor draw's roll holds exactly the tracked providers, each once, at the
	///   positions `0..DrawRollLen`, and each provider's position points at it;
	/// - each provider's registration hold is the deposit its record keeps.
	// Compiled with `std` too, so that the runtime's tests check every pallet's invariants
	// after every block without building the dependency tree a second time with `try-runtime`.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut count = 0u32;
		let mut tracked = 0u32;
		let mut online = OnlineStats::default();
		for (provider, info) in Providers::<T>::iter() {
			count = count.saturating_add(1);
			if info.status == Status::Online {
				online.providers = online.providers.saturating_add(1);
				online.gpus = online.gpus.saturating_add(info.profile.gpu.count);
			}
			ensure!(
				Workers::<T>::get(&info.worker).as_ref() == Some(&provider),
				"worker key does not point back at its provider"
			);
			ensure!(info.active_jobs <= info.max_jobs, "more jobs than slots");
			let banned = Banned::<T>::contains_key(&provider);
			ensure!(!(banned && info.status == Status::Online), "banned provider is online");
			if info.indexed {
				ensure!(info.status == Status::Online, "offline provider in the price index");
				ensure!(info.active_jobs < info.max_jobs, "full provider in the price index");
				ensure!(info.tracked, "indexed provider untracked by liveness");
			}
			if info.tracked {
				ensure!(info.status == Status::Online, "offline provider tracked by liveness");
				tracked = tracked.saturating_add(1);
			}
			let key = price_index::price_key::<T>(info.price_per_unit);
			let entry = Self::index_entry(&info);
			for (scope, tier) in price_index::scopes(info.profile.region, info.profile.gpu.vram_mib)
			{
				let stored = PriceIndex::<T>::get((scope, tier, (key, provider.clone())));
				if info.indexed {
					ensure!(stored.as_ref() == Some(&entry), "index entry disagrees with record");
				} else {
					ensure!(stored.is_none(), "unindexed provider has an index entry");
				}
			}
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::RegistrationDeposit.into(), &provider)
					== info.deposit,
				"a provider's registration hold differs from its record's deposit"
			);
			let deadline = LivenessDeadlines::<T>::contains_key(info.heartbeat_deadline, &provider);
			ensure!(deadline == info.tracked, "liveness deadline does not match tracking");
			match DrawRollPosition::<T>::get(&provider) {
				Some(position) => {
					ensure!(info.tracked, "untracked provider on the draw roll");
					ensure!(
						DrawRoll::<T>::get(position).as_ref() == Some(&provider),
						"draw roll position does not point back at its provider"
					);
				},
				None => ensure!(!info.tracked, "tracked provider missing from the draw roll"),
			}
		}
		let len = DrawRollLen::<T>::get();
		ensure!(len == tracked, "DrawRollLen is not the number of tracked providers");
		let mut on_roll = 0u32;
		for (position, provider) in DrawRoll::<T>::iter() {
			on_roll = on_roll.saturating_add(1);
			ensure!(position < len, "draw roll entry past its length");
			ensure!(
				DrawRollPosition::<T>::get(&provider) == Some(position),
				"draw roll entry without its position"
			);
		}
		ensure!(on_roll == len, "draw roll has gaps");
		ensure!(
			DrawRollPosition::<T>::iter().count() as u32 == len,
			"draw roll positions of providers not on it"
		);
		ensure!(count == ProviderCount::<T>::get(), "ProviderCount disagrees with records");
		ensure!(online == Online::<T>::get(), "Online disagrees with records");
		for (worker, provider) in Workers::<T>::iter() {
			let info = Providers::<T>::get(&provider).ok_or("worker of unknown provider")?;
			ensure!(info.worker == worker, "stale worker key");
		}
		for ((scope, tier, (key, provider)), _) in PriceIndex::<T>::iter() {
			let info = Providers::<T>::get(&provider).ok_or("index entry of unknown provider")?;
			ensure!(info.indexed, "index entry of unindexed provider");
			ensure!(!Banned::<T>::contains_key(&provider), "banned provider in the price index");
			ensure!(
				price_index::scopes(info.profile.region, info.profile.gpu.vram_mib)
					.contains(&(scope, tier))
					&& key == price_index::price_key::<T>(info.price_per_unit),
				"index entry under the wrong key"
			);
		}
		let mut deadlines = 0u32;
		for (deadline, provider, ()) in LivenessDeadlines::<T>::iter() {
			deadlines = deadlines.saturating_add(1);
			let info = Providers::<T>::get(&provider).ok_or("deadline of unknown provider")?;
			ensure!(info.tracked && info.heartbeat_deadline == deadline, "stale liveness deadline");
		}
		// Each entry is at its provider's deadline, so this leaves one entry per provider.
		ensure!(deadlines == tracked, "more liveness deadlines than tracked providers");
		Ok(())
	}
}

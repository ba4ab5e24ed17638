//! The one writer of provider records: every change goes through [`Pallet::mutate_provider`]
//! (or [`Pallet::store`]), which keeps the price index, the online counts, the liveness
//! deadlines and the executor draw's roll in line with the record.

use crate::*;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;

impl<T: Config> Pallet<T> {
	/// Applies `change` to `provider`'s record and brings the price index in line with it.
	pub(crate) fn mutate_provider(
		provider: &T::AccountId,
		change: impl FnOnce(&mut ProviderInfoOf<T>) -> DispatchResult,
	) -> DispatchResult {
		let mut info = Providers::<T>::get(provider).ok_or(Error::<T>::NotRegistered)?;
		let before = info.clone();
		change(&mut info)?;
		Self::store(provider, &before, info);
		Ok(())
	}

	/// Stores `after` as `provider`'s record, which was `before`, with the price index, the
	/// liveness deadline and the [`Online`] counters brought in line with it.
	pub(crate) fn store(
		provider: &T::AccountId,
		before: &ProviderInfoOf<T>,
		mut after: ProviderInfoOf<T>,
	) {
		Self::sync_index(provider, before, &mut after);
		Self::count_online(Some(before), Some(&after));
		Providers::<T>::insert(provider, after);
	}

	/// Moves the [`Online`] counters from what `before` counted to what `after` counts (`None`
	/// for a provider that is not registered).
	pub(crate) fn count_online(
		before: Option<&ProviderInfoOf<T>>,
		after: Option<&ProviderInfoOf<T>>,
	) {
		let gpus = |info: Option<&ProviderInfoOf<T>>| match info {
			Some(info) if info.status == Status::Online => Some(info.profile.gpu.count),
			_ => None,
		};
		let (was, is) = (gpus(before), gpus(after));
		if was == is {
			return;
		}
		Online::<T>::mutate(|online| {
			if let Some(count) = was {
				online.providers = online.providers.saturating_sub(1);
				online.gpus = online.gpus.saturating_sub(count);
			}
			if let Some(count) = is {
				online.providers = online.providers.saturating_add(1);
				online.gpus = online.gpus.saturating_add(count);
			}
		});
	}

	/// The index entry for `info`.
	pub(crate) fn index_entry(
		info: &ProviderInfoOf<T>,
	) -> IndexEntry<T::AccountId, BlockNumberFor<T>> {
		IndexEntry {
			worker: info.worker.clone(),
			gpus: info.profile.gpu.count,
			vram_mib: info.profile.gpu.vram_mib,
			int8_tops: info.profile.gpu.int8_tops,
			fp16_tflops: info.profile.gpu.fp16_tflops,
			ram_mib: info.profile.ram_mib,
			capabilities: info.profile.capabilities,
			attested_until: info.attested_until,
			reputation: info.reputation,
		}
	}

	/// Moves `provider`'s price-index entries and liveness deadline from what `before` put there
	/// to what `after` needs, sets `after.indexed` and `after.tracked`, and reports a change of
	/// matchability. The caller stores `after`.
	///
	/// A provider is tracked when online with a bond that covers its GPUs, and indexed when
	/// also with a free job slot (banned providers are always offline); the bond is read once,
	/// and only for an online provider.
	pub(crate) fn sync_index(
		provider: &T::AccountId,
		before: &ProviderInfoOf<T>,
		after: &mut ProviderInfoOf<T>,
	) {
		let track = after.status == Status::Online
			&& T::Stake::meets_minimum(provider, after.profile.gpu.count);
		Self::sync_liveness(provider, before, after, track);
		let wanted = track && after.active_jobs < after.max_jobs;
		let same_keys = before.profile.region == after.profile.region
			&& price_index::tier_of(before.profile.gpu.vram_mib)
				== price_index::tier_of(after.profile.gpu.vram_mib)
			&& before.price_per_unit == after.price_per_unit;
		if before.indexed && !(wanted && same_keys) {
			price_index::remove::<T>(
				provider,
				before.profile.region,
				before.profile.gpu.vram_mib,
				before.price_per_unit,
			);
		}
		if wanted {
			// With the same keys this overwrites the old entries in place.
			price_index::insert::<T>(
				provider,
				after.profile.region,
				after.price_per_unit,
				Self::index_entry(after),
			);
		}
		after.indexed = wanted;
		if before.indexed != wanted {
			Self::deposit_event(Event::MatchableChanged {
				provider: provider.clone(),
				matchable: wanted,
			});
		}
	}

	/// Moves `provider`'s entry in [`LivenessDeadlines`] from where `before` had it to where
	/// `after` needs it, given whether `after` is to be tracked (`track`, which implies
	/// online), puts it on or takes it off the [`draw`] roll when that changes, and sets
	/// `after.tracked`. A provider that becomes tracked with its deadline
	/// already passed (it went without heartbeats while untracked) gets `HeartbeatTimeout`
	/// blocks from now, so that its entry lies where the hook still looks. The caller stores
	/// `after`.
	pub(crate) fn sync_liveness(
		provider: &T::AccountId,
		before: &ProviderInfoOf<T>,
		after: &mut ProviderInfoOf<T>,
		track: bool,
	) {
		if track && !before.tracked {
			let now = frame_system::Pallet::<T>::block_number();
			if after.heartbeat_deadline <= now {
				after.heartbeat_deadline = now.saturating_add(T::HeartbeatTimeout::get());
			}
		}
		let unchanged =
			before.tracked && track && before.heartbeat_deadline == after.heartbeat_deadline;
		if before.tracked && !unchanged {
			LivenessDeadlines::<T>::remove(before.heartbeat_deadline, provider);
		}
		if track && !unchanged {
			LivenessDeadlines::<T>::insert(after.heartbeat_deadline, provider, ());
		}
		// The executor draw's roll is the tracked providers.
		if track && !before.tracked {
			draw::enroll::<T>(provider);
		}
		if before.tracked && !track {
			draw::leave::<T>(provider);
		}
		after.tracked = track;
	}
}

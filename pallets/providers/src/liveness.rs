//! Liveness: providers whose worker stops sending heartbeats are taken offline, in a hook whose
//! work per block is bounded.
//!
//! Each tracked provider has one entry in `LivenessDeadlines` at the block where it is due to be
//! marked offline; a heartbeat moves the entry. `on_initialize` walks the deadline blocks from
//! `LivenessCursor` up to the current block, handling at most `MaxLivenessChecksPerBlock`
//! providers and visiting at most as many blocks. Whatever is left (more providers due at once
//! than the limit) is handled in the next blocks: a provider is then taken offline a little late,
//! never early, and never skipped.
//!
//! # Who is tracked
//!
//! A provider is tracked while it is online and its bond covers its GPUs, as of the last change
//! the registry saw (its own calls, its jobs, and
//! [`tessera_primitives::market::StakeObserver::stake_changed`], which the stake pallet calls
//! whenever a bond changes), exactly as it is indexed when it also has a free job slot. So
//! registering without a bond cannot fill the hook's work: an untracked provider is neither
//! matched nor slashed for missed heartbeats (its heartbeats are accepted, and paid for). One
//! that becomes tracked after its deadline passed gets `HeartbeatTimeout` blocks from then.

use crate::{
	pallet::{Config, Event, LivenessCursor, LivenessDeadlines, Pallet, Providers},
	types::{OfflineReason, ProviderInfo, Status},
	WeightInfo,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_support::{storage::with_storage_layer, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating, Zero};
use tessera_primitives::market::{SlashReason, Slashing};

/// Handles the providers whose heartbeat deadline has passed; returns the weight used.
pub fn on_initialize<T: Config>(now: BlockNumberFor<T>) -> Weight {
	let limit = T::MaxLivenessChecksPerBlock::get();
	let mut cursor = LivenessCursor::<T>::get();
	if cursor.is_zero() {
		// First block with this pallet: no deadline can lie before it.
		cursor = now;
	}
	let mut expired = 0u32;
	let mut blocks = 0u32;
	while cursor <= now && blocks < limit && expired < limit {
		blocks = blocks.saturating_add(1);
		let due: Vec<T::AccountId> = LivenessDeadlines::<T>::iter_key_prefix(cursor)
			.take(limit.saturating_sub(expired) as usize)
			.collect();
		for provider in due {
			expire::<T>(&provider, cursor);
			expired = expired.saturating_add(1);
		}
		if LivenessDeadlines::<T>::iter_key_prefix(cursor).next().is_some() {
			// The limit was reached inside this block's deadlines: continue here next time.
			break;
		}
		cursor = cursor.saturating_add(One::one());
	}
	LivenessCursor::<T>::put(cursor);
	T::WeightInfo::on_initialize(expired, blocks)
}

/// Takes `provider`, whose heartbeat was due at `deadline`, offline (which removes its entry at
/// `deadline`) and reports it to the stake pallet.
fn expire<T: Config>(provider: &T::AccountId, deadline: BlockNumberFor<T>) {
	let record = Providers::<T>::get(provider);
	let Some(before) = record.filter(|info| {
		info.tracked && info.status == Status::Online && info.heartbeat_deadline == deadline
	}) else {
		// A stale entry; cannot happen, as every change of tracking moves or removes the entry.
		LivenessDeadlines::<T>::remove(deadline, provider);
		return;
	};
	let after = ProviderInfo { status: Status::Offline, ..before.clone() };
	Pallet::<T>::store(provider, &before, after);
	Pallet::<T>::deposit_event(Event::WentOffline {
		provider: provider.clone(),
		reason: OfflineReason::MissedHeartbeats,
	});
	// The slash runs in its own storage layer: if it fails, it leaves nothing half done, and the
	// provider is still offline.
	let slashed =
		with_storage_layer(|| T::Stake::slash(provider, SlashReason::MissedHeartbeats, None, None));
	if let Err(error) = slashed {
		log::warn!(
			target: crate::LOG_TARGET,
			"missed-heartbeat slash of {provider:?} failed: {error:?}",
		);
	}
}

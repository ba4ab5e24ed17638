//! Benchmarks of the stake pallet's calls, of a slash and of the collateral functions, each in
//! its worst case: the most unbonding chunks, and an observer put in its most expensive state by
//! [`Config::BenchmarkHelper`].

#![cfg(feature = "runtime-benchmarks")]

use super::*;
use crate::Pallet as Stake;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, InspectHold, Mutate},
	Get,
};
use frame_system::{Pallet as System, RawOrigin};
use sp_runtime::{traits::Saturating, Perbill};
use tessera_primitives::market::{Collateral, SlashReason, Slashing, StakeInfo};

const SEED: u32 = 0;

fn assert_has_event<T: Config>(event: Event<T>) {
	// Not `assert_last_event`: the observer may deposit events of its own after ours.
	System::<T>::assert_has_event(<T as Config>::RuntimeEvent::from(event).into());
}

/// What the benchmarks bond: twice the bond of a provider with 64 GPUs, so that the unbonding
/// chunks set up below (half of it at most) leave a matchable bond, and enough for
/// `MaxUnbondingChunks` non-zero chunks even on a chain with a zero minimum bond.
fn stake<T: Config>() -> BalanceOf<T> {
	let chunks = BalanceOf::<T>::from(T::MaxUnbondingChunks::get().saturating_add(1));
	Stake::<T>::minimum_bond(64)
		.max(T::Currency::minimum_balance().saturating_mul(1_000u32.into()))
		.max(chunks.saturating_mul(1_000u32.into()))
		.saturating_mul(2u32.into())
}

/// The value of each unbonding chunk set up: together at most half of [`stake`].
fn chunk<T: Config>() -> BalanceOf<T> {
	let chunks = BalanceOf::<T>::from(T::MaxUnbondingChunks::get());
	stake::<T>() / chunks.saturating_mul(2u32.into())
}

/// Gives `who` twice [`stake`] plus the existential deposit.
fn fund<T: Config>(who: &T::AccountId) {
	T::Currency::set_balance(
		who,
		stake::<T>().saturating_mul(2u32.into()).saturating_add(T::Currency::minimum_balance()),
	);
}

/// A funded provider that has bonded [`stake`] and is known to the observer.
fn bonded_provider<T: Config>() -> Result<T::AccountId, BenchmarkError> {
	let who: T::AccountId = whitelisted_caller();
	fund::<T>(&who);
	Stake::<T>::bond(RawOrigin::Signed(who.clone()).into(), stake::<T>())?;
	T::BenchmarkHelper::setup_observed(&who);
	Ok(who)
}

/// An existing client and watcher, and a treasury that exists, so that every share of a slash
/// is paid.
fn slash_destinations<T: Config>() -> (T::AccountId, T::AccountId) {
	let ed = T::Currency::minimum_balance();
	let client: T::AccountId = account("client", 0, SEED);
	let watcher: T::AccountId = account("watcher", 0, SEED);
	T::Currency::set_balance(&client, ed);
	T::Currency::set_balance(&watcher, ed);
	let treasury = T::Treasury::get();
	if T::Currency::balance(&treasury) < ed {
		T::Currency::set_balance(&treasury, ed);
	}
	(client, watcher)
}

/// Unbonds `count` chunks of [`chunk`] for `who`, one block apart so that none merge. Returns
/// the unlock block of the last.
fn unbond_chunks<T: Config>(
	who: &T::AccountId,
	count: u32,
) -> Result<BlockNumberFor<T>, BenchmarkError> {
	for _ in 0..count {
		let next = System::<T>::block_number().saturating_add(1u32.into());
		System::<T>::set_block_number(next);
		Stake::<T>::unbond(RawOrigin::Signed(who.clone()).into(), chunk::<T>())?;
	}
	Ok(System::<T>::block_number().saturating_add(Parameters::<T>::get().unbonding_period))
}

#[benchmarks]
mod benches {
	use super::*;

	#[benchmark]
	fn bond() -> Result<(), BenchmarkError> {
		// The registry still knows `caller` from an earlier bond, withdrawn since, so the new
		// bond makes it re-index the provider.
		let caller = bonded_provider::<T>()?;
		let amount = stake::<T>();
		Stake::<T>::unbond(RawOrigin::Signed(caller.clone()).into(), amount)?;
		System::<T>::set_block_number(
			System::<T>::block_number().saturating_add(Parameters::<T>::get().unbonding_period),
		);
		Stake::<T>::withdraw_unbonded(RawOrigin::Signed(caller.clone()).into())
			.map_err(|e| e.error)?;
		assert!(!Ledgers::<T>::contains_key(&caller));

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), amount);

		assert_eq!(Stake::<T>::bonded(&caller), amount);
		assert_eq!(T::Currency::balance_on_hold(&HoldReason::Staked.into(), &caller), amount);
		assert_has_event::<T>(Event::Bonded { who: caller, amount });
		Ok(())
	}

	#[benchmark]
	fn bond_extra() -> Result<(), BenchmarkError> {
		let caller = bonded_provider::<T>()?;
		let amount = stake::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), amount);

		assert_eq!(Stake::<T>::bonded(&caller), amount.saturating_mul(2u32.into()));
		assert_has_event::<T>(Event::Bonded { who: caller, amount });
		Ok(())
	}

	#[benchmark]
	fn unbond() -> Result<(), BenchmarkError> {
		// One chunk short of the limit, and the last of the bond: the provider stops being
		// matchable.
		let caller = bonded_provider::<T>()?;
		unbond_chunks::<T>(&caller, T::MaxUnbondingChunks::get().saturating_sub(1))?;
		let amount = Stake::<T>::bonded(&caller);
		let next = System::<T>::block_number().saturating_add(1u32.into());
		System::<T>::set_block_number(next);
		let unlock_at = next.saturating_add(Parameters::<T>::get().unbonding_period);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), amount);

		let ledger = Ledgers::<T>::get(&caller).ok_or("ledger removed")?;
		assert!(ledger.bonded.is_zero());
		assert_eq!(ledger.unbonding.len() as u32, T::MaxUnbondingChunks::get());
		assert_has_event::<T>(Event::Unbonded { who: caller, amount, unlock_at });
		Ok(())
	}

	#[benchmark]
	fn rebond(c: Linear<1, { T::MaxUnbondingChunks::get() }>) -> Result<(), BenchmarkError> {
		// `c` chunks, all of them consumed.
		let caller = bonded_provider::<T>()?;
		unbond_chunks::<T>(&caller, c)?;
		let amount = chunk::<T>().saturating_mul(c.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), amount);

		let ledger = Ledgers::<T>::get(&caller).ok_or("ledger removed")?;
		assert!(ledger.unbonding.is_empty());
		assert_eq!(ledger.bonded, stake::<T>());
		assert_has_event::<T>(Event::Rebonded { who: caller, amount });
		Ok(())
	}

	#[benchmark]
	fn withdraw_unbonded(
		c: Linear<1, { T::MaxUnbondingChunks::get() }>,
	) -> Result<(), BenchmarkError> {
		// `c` chunks, all unlocked.
		let caller = bonded_provider::<T>()?;
		let unlock_at = unbond_chunks::<T>(&caller, c)?;
		System::<T>::set_block_number(unlock_at);
		let amount = chunk::<T>().saturating_mul(c.into());
		let free_before = T::Currency::balance(&caller);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		let ledger = Ledgers::<T>::get(&caller).ok_or("ledger removed")?;
		assert!(ledger.unbonding.is_empty());
		assert_eq!(T::Currency::balance(&caller), free_before.saturating_add(amount));
		assert_has_event::<T>(Event::Withdrawn { who: caller, amount });
		Ok(())
	}

	#[benchmark]
	fn set_parameters() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut params = Parameters::<T>::get();
		params.unbonding_period = params.unbonding_period.saturating_add(1u32.into());
		params.fraud_slash = Perbill::from_percent(77);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Parameters::<T>::get(), params);
		assert_has_event::<T>(Event::ParametersSet { params });
		Ok(())
	}

	#[benchmark]
	fn slash() -> Result<(), BenchmarkError> {
		// A fraud slash with every chunk in use that takes all of the bond and reaches into
		// every chunk, paid to an existing client, watcher and treasury.
		let who = bonded_provider::<T>()?;
		unbond_chunks::<T>(&who, T::MaxUnbondingChunks::get())?;
		let total = Ledgers::<T>::get(&who).ok_or("no ledger")?.total();
		// All but half of the oldest chunk.
		let amount = total.saturating_sub(chunk::<T>() / 2u32.into());
		Parameters::<T>::mutate(|params| {
			params.fraud_slash = Perbill::from_rational(amount, total);
		});
		let (client, watcher) = slash_destinations::<T>();
		let held_before = T::Currency::balance_on_hold(&HoldReason::Staked.into(), &who);

		let outcome;
		#[block]
		{
			outcome = Stake::<T>::slash(&who, SlashReason::Fraud, Some(&client), Some(&watcher))?;
		}

		let ledger = Ledgers::<T>::get(&who).ok_or("ledger removed")?;
		assert!(ledger.bonded.is_zero());
		assert_eq!(ledger.unbonding.len(), 1);
		assert!(!outcome.to_client.is_zero());
		assert!(!outcome.to_watcher.is_zero());
		assert!(!outcome.to_treasury.is_zero());
		assert_eq!(
			outcome
				.to_client
				.saturating_add(outcome.to_watcher)
				.saturating_add(outcome.to_treasury),
			outcome.slashed,
		);
		assert_eq!(
			T::Currency::balance_on_hold(&HoldReason::Staked.into(), &who),
			held_before.saturating_sub(outcome.slashed),
		);
		Ok(())
	}

	#[benchmark]
	fn reserve_collateral() -> Result<(), BenchmarkError> {
		// The largest ledger, every chunk in use, and all of its free bond reserved.
		let who = bonded_provider::<T>()?;
		unbond_chunks::<T>(&who, T::MaxUnbondingChunks::get())?;
		let amount = Stake::<T>::free_stake(&who);
		assert!(!amount.is_zero());

		#[block]
		{
			Stake::<T>::reserve(&who, amount)?;
		}

		assert_eq!(Stake::<T>::committed(&who), amount);
		assert!(Stake::<T>::free_stake(&who).is_zero());
		assert_has_event::<T>(Event::CollateralReserved { who, amount });
		Ok(())
	}

	#[benchmark]
	fn release_collateral() -> Result<(), BenchmarkError> {
		// The largest ledger, every chunk in use, and all of its collateral released.
		let who = bonded_provider::<T>()?;
		unbond_chunks::<T>(&who, T::MaxUnbondingChunks::get())?;
		let amount = Stake::<T>::free_stake(&who);
		Stake::<T>::reserve(&who, amount)?;

		#[block]
		{
			Stake::<T>::release(&who, amount);
		}

		assert!(Stake::<T>::committed(&who).is_zero());
		assert_eq!(Stake::<T>::free_stake(&who), amount);
		assert_has_event::<T>(Event::CollateralReleased { who, amount });
		Ok(())
	}

	#[benchmark]
	fn slash_collateral() -> Result<(), BenchmarkError> {
		// The largest ledger, every chunk in use, and a collateral slash that takes all of the
		// collateral, paid to an existing client (capped, the excess to the treasury), watcher
		// and treasury.
		let who = bonded_provider::<T>()?;
		unbond_chunks::<T>(&who, T::MaxUnbondingChunks::get())?;
		let amount = Stake::<T>::free_stake(&who);
		Stake::<T>::reserve(&who, amount)?;
		let (client, watcher) = slash_destinations::<T>();
		let cap = amount / 4u32.into();
		let held_before = T::Currency::balance_on_hold(&HoldReason::Staked.into(), &who);

		let outcome;
		#[block]
		{
			outcome = Stake::<T>::slash_collateral(
				&who,
				amount,
				SlashReason::MissedDeadline,
				Some((&client, cap)),
				Some(&watcher),
			)?;
		}

		assert_eq!(outcome.slashed, amount);
		assert!(Stake::<T>::committed(&who).is_zero());
		assert!(!outcome.to_client.is_zero());
		assert!(outcome.to_client <= cap);
		assert!(!outcome.to_watcher.is_zero());
		assert!(!outcome.to_treasury.is_zero());
		assert_eq!(
			outcome
				.to_client
				.saturating_add(outcome.to_watcher)
				.saturating_add(outcome.to_treasury),
			outcome.slashed,
		);
		assert_eq!(
			T::Currency::balance_on_hold(&HoldReason::Staked.into(), &who),
			held_before.saturating_sub(outcome.slashed),
		);
		Ok(())
	}

	impl_benchmark_test_suite!(
		Stake,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}

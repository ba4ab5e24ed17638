//! What the runtime's tests, the benchmarks and other pallets read of this pallet's state.

use crate::*;
use frame_support::traits::fungible::InspectHold;

/// Read-only views for `try_state`, the benchmarks and the runtime's tests; no call or hook
/// reads them, so they carry no weight.
impl<T: Config> Pallet<T> {
	/// The collateral `who` has set aside as an executor of open re-executions.
	pub fn executor_collateral(who: &T::AccountId) -> BalanceOf<T> {
		use sp_runtime::traits::Saturating;
		let mut total: BalanceOf<T> = sp_runtime::traits::Zero::zero();
		for ((job, replica), ()) in Duties::<T>::iter_prefix(who) {
			if let Some(Stage::Reexecution { executors, .. }) =
				Checks::<T>::get(job, replica).map(|check| check.stage)
			{
				for executor in executors.iter().filter(|e| e.provider == *who) {
					total = total.saturating_add(executor.collateral);
				}
			}
		}
		total
	}

	/// The bond held from `who` for its open challenges.
	pub fn bond_held(who: &T::AccountId) -> BalanceOf<T> {
		T::Currency::balance_on_hold(&HoldReason::ChallengeBond.into(), who)
	}
}

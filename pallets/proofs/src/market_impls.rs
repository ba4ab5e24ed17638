//! What this pallet offers the others: the [`Verifier`] the jobs pallet hands receipts to.

use crate::*;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use tessera_primitives::jobs::Verifier;

/// The verifier the runtime gives the jobs pallet: see [`verifier`].
impl<T: Config> Verifier<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn receipt_submitted(
		job: JobId,
		replica: u32,
		provider: &T::AccountId,
		client: &T::AccountId,
		spec: &tessera_primitives::jobs::JobSpec<BalanceOf<T>, BlockNumberFor<T>>,
		receipt: &tessera_primitives::jobs::Receipt,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		verifier::receipt_submitted::<T>(job, replica, provider, client, spec, receipt)
	}

	fn challenge(
		job: JobId,
		replica: u32,
		challenger: &T::AccountId,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		disputes::challenge::<T>(job, replica, challenger)
	}

	fn verdict(
		job: JobId,
		replica: u32,
	) -> tessera_primitives::jobs::Verdict<T::AccountId, BlockNumberFor<T>> {
		verifier::verdict::<T>(job, replica)
	}

	fn may_accept(job: JobId, replica: u32) -> DispatchResult {
		verifier::may_accept::<T>(job, replica)
	}

	fn closed(job: JobId, replica: u32) {
		verifier::closed::<T>(job, replica)
	}

	fn abandoned(job: JobId, replica: u32) {
		verifier::abandoned::<T>(job, replica)
	}

	fn receipt_weight() -> Weight {
		T::WeightInfo::receipt_attested().max(T::WeightInfo::receipt_replicated())
	}

	fn challenge_weight() -> Weight {
		T::WeightInfo::challenge()
	}

	fn verdict_weight() -> Weight {
		verifier::verdict_weight::<T>()
	}
}

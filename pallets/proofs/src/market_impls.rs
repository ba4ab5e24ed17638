//! What this pallet offers the others: the [`Verifier`] the jobs pallet hands receipts to.

use crate::*;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use tessera_primitives::jobs::Verifier;

/// The verifier the runtime gives the jobs pallet: see [`verifier`]. A receipt and a
/// challenge each schedule the check's next look in this pallet's [`agenda`].
impl<T: Config> Verifier<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn receipt_submitted(
		job: JobId,
		replica: u32,
		provider: &T::AccountId,
		client: &T::AccountId,
		spec: &tessera_primitives::jobs::JobSpec<BalanceOf<T>, BlockNumberFor<T>>,
		receipt: &tessera_primitives::jobs::Receipt,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let at = verifier::receipt_submitted::<T>(job, replica, provider, client, spec, receipt)?;
		Ok(agenda::schedule::<T>(job, replica, at))
	}

	fn challenge(
		job: JobId,
		replica: u32,
		challenger: &T::AccountId,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let at = disputes::challenge::<T>(job, replica, challenger)?;
		Ok(agenda::schedule::<T>(job, replica, at))
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

	fn abandoned_weight() -> Weight {
		// Ending a check costs at most what deciding it does: the bond settled, the executors
		// released (as `verdict_reexecution` measures), the check and its look forgotten.
		verifier::look_weight::<T>()
	}
}

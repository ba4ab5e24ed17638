//! The verifier the runtime uses until the proofs pallet lands: every receipt is accepted once
//! its challenge window has passed, and challenges are refused because nothing could resolve
//! them yet.
//!
//! It is a [`Verifier`] like any other, so the proofs pallet replaces it in the runtime's
//! configuration without a change to the jobs pallet.

use core::marker::PhantomData;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Saturating, DispatchError};
use tessera_primitives::jobs::{JobId, JobSpec, Receipt, Verdict, Verifier};

/// Accepts every receipt `Window` blocks after it was submitted. Refuses challenges with
/// `DispatchError::Other("challenges need the proofs pallet")`.
pub struct AcceptAfterWindow<T, Window>(PhantomData<(T, Window)>);

impl<T, Window, Balance> Verifier<T::AccountId, Balance, BlockNumberFor<T>>
	for AcceptAfterWindow<T, Window>
where
	T: frame_system::Config,
	Window: Get<BlockNumberFor<T>>,
{
	fn receipt_submitted(
		_job: JobId,
		_replica: u32,
		_provider: &T::AccountId,
		_spec: &JobSpec<Balance, BlockNumberFor<T>>,
		_receipt: &Receipt,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		Ok(frame_system::Pallet::<T>::block_number().saturating_add(Window::get()))
	}

	fn challenge(
		_job: JobId,
		_replica: u32,
		_challenger: &T::AccountId,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		Err(DispatchError::Other("challenges need the proofs pallet"))
	}

	fn verdict(_job: JobId, _replica: u32) -> Verdict<BlockNumberFor<T>> {
		Verdict::Accepted
	}

	fn closed(_job: JobId, _replica: u32) {}
}

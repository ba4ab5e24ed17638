//! Checking a job spec and working out its escrow.

use crate::{BalanceOf, Config, Error, JobSpecOf};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{CheckedAdd, CheckedMul, Saturating, Zero},
	DispatchError,
};
pub use tessera_primitives::jobs::is_http_url;
use tessera_primitives::jobs::{Inputs, Verification, Workload, MAX_MATRIX_DIM, MAX_OPENED_K};

/// Checks `spec`, posted at block `now`; returns its units of work. Each way a spec can be
/// wrong has its own error.
pub fn check<T: Config>(spec: &JobSpecOf<T>, now: BlockNumberFor<T>) -> Result<u64, DispatchError> {
	match spec.workload {
		Workload::MatMulI8 { m, n, k } => {
			ensure(m > 0 && n > 0 && k > 0, Error::<T>::ZeroDimension)?;
			ensure(
				m <= MAX_MATRIX_DIM && n <= MAX_MATRIX_DIM && k <= MAX_MATRIX_DIM,
				Error::<T>::DimensionTooLarge,
			)?;
		},
		Workload::Opaque { gpu_seconds, .. } => {
			ensure(gpu_seconds > 0, Error::<T>::ZeroGpuSeconds)?
		},
	}
	if let Inputs::Content { uri, size, .. } = &spec.inputs {
		ensure(is_http_url(uri), Error::<T>::InvalidInputUri)?;
		ensure(*size > 0, Error::<T>::ZeroInputSize)?;
		// A size that does not match the workload makes the job impossible to run as posted:
		// refused here, so that no provider is assigned a job it must decline.
		if let Some(expected) = spec.workload.input_size() {
			ensure(*size == expected, Error::<T>::InputSizeMismatch)?;
		}
		// Each sample of a content job opens k bytes of A and k of B; bounding k bounds what a
		// spot-check costs the provider and the chain, whatever the job pays.
		if let Workload::MatMulI8 { k, .. } = spec.workload {
			ensure(k <= MAX_OPENED_K, Error::<T>::InnerDimensionTooLarge)?;
		}
	}
	ensure(spec.replicas > 0, Error::<T>::ZeroReplicas)?;
	ensure(spec.replicas <= T::MaxReplicas::get(), Error::<T>::TooManyReplicas)?;
	ensure(!spec.max_price_per_unit.is_zero(), Error::<T>::ZeroPrice)?;
	ensure(
		spec.deadline >= now.saturating_add(T::MinDeadline::get()),
		Error::<T>::DeadlineTooSoon,
	)?;
	ensure(spec.deadline <= now.saturating_add(T::MaxDeadline::get()), Error::<T>::DeadlineTooFar)?;
	match spec.verification {
		Verification::SpotCheck => ensure(
			spec.workload.is_deterministic(),
			Error::<T>::SpotCheckNeedsDeterministicWorkload,
		)?,
		Verification::Replicated => {
			ensure(spec.replicas >= 2, Error::<T>::ReplicationNeedsReplicas)?
		},
		Verification::Attested => {
			ensure(spec.requirements.attestation, Error::<T>::AttestationNotRequired)?
		},
		Verification::Optimistic => {},
	}
	// The workload was checked above, so it has units.
	spec.workload.units().ok_or_else(|| Error::<T>::ZeroDimension.into())
}

/// What is held from the client for `spec` with `units` of work: the most the providers can be
/// paid (`max_price_per_unit x units x replicas`) plus the protocol fee on that.
pub fn escrow<T: Config>(spec: &JobSpecOf<T>, units: u64) -> Result<BalanceOf<T>, DispatchError> {
	let overflow = || DispatchError::from(Error::<T>::BudgetOverflow);
	let units: BalanceOf<T> = units.try_into().map_err(|_| overflow())?;
	let budget = spec
		.max_price_per_unit
		.checked_mul(&units)
		.and_then(|b| b.checked_mul(&spec.replicas.into()))
		.ok_or_else(overflow)?;
	budget.checked_add(&T::ProtocolFee::get().mul_ceil(budget)).ok_or_else(overflow)
}

fn ensure<T: Config>(condition: bool, error: Error<T>) -> Result<(), DispatchError> {
	if condition {
		Ok(())
	} else {
		Err(error.into())
	}
}

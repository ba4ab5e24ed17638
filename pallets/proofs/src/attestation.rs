//! Attested jobs: enclaves registered from reports signed by listed authorities, and the
//! enclave signature every attested receipt must carry.
//!
//! Authorities sign with sr25519 over [`crate::REPORT_TAG`] followed by the SCALE encoding of
//! the report; enclaves sign [`attested_receipt_payload`]. Real attestation services (Intel
//! DCAP, AMD SEV-SNP, NVIDIA's GPU attestation) sign with their own schemes: an authority here
//! is the bridge that checks such a quote off chain and signs its result for the chain.

use crate::{
	pallet::{Authorities, Config, Enclaves, Error, Event, Measurements, Pallet},
	Enclave, ReportOf,
};
use frame_support::ensure;
use sp_core::sr25519;
use sp_runtime::{DispatchError, DispatchResult};
use tessera_primitives::{
	jobs::{attested_receipt_payload, JobId, Receipt},
	market::AttestationRegistry,
};

/// Registers `who`'s enclave from `report`, signed by `authority`.
pub fn register<T: Config>(
	who: &T::AccountId,
	report: ReportOf<T>,
	authority: &sr25519::Public,
	signature: &sr25519::Signature,
) -> DispatchResult {
	ensure!(report.provider == *who, Error::<T>::NotYourReport);
	ensure!(Authorities::<T>::get().contains(authority), Error::<T>::UnknownAuthority);
	ensure!(
		Measurements::<T>::get().contains(&report.measurement),
		Error::<T>::MeasurementNotAllowed
	);
	ensure!(
		report.expires_at > frame_system::Pallet::<T>::block_number(),
		Error::<T>::ReportExpired
	);
	ensure!(
		sp_io::crypto::sr25519_verify(signature, &report.signing_payload(), authority),
		Error::<T>::BadAuthoritySignature
	);
	T::Attestations::set_attested(who, Some(report.expires_at))?;
	Enclaves::<T>::insert(
		who,
		Enclave {
			key: report.enclave_key,
			measurement: report.measurement,
			expires_at: report.expires_at,
		},
	);
	Pallet::<T>::deposit_event(Event::EnclaveRegistered {
		provider: who.clone(),
		key: report.enclave_key,
		measurement: report.measurement,
		expires_at: report.expires_at,
	});
	Ok(())
}

/// Checks the enclave signature on `provider`'s receipt for `job`: the enclave is registered,
/// its report has not expired, its code is still allowed, and it signed this job's output and
/// usage.
pub fn check_receipt<T: Config>(
	job: JobId,
	provider: &T::AccountId,
	receipt: &Receipt,
) -> Result<(), DispatchError> {
	let enclave = Enclaves::<T>::get(provider).ok_or(Error::<T>::NotAttested)?;
	ensure!(
		frame_system::Pallet::<T>::block_number() < enclave.expires_at,
		Error::<T>::AttestationExpired
	);
	ensure!(
		Measurements::<T>::get().contains(&enclave.measurement),
		Error::<T>::MeasurementNotAllowed
	);
	let signature =
		receipt.enclave_signature.as_ref().ok_or(Error::<T>::MissingEnclaveSignature)?;
	let payload = attested_receipt_payload(job, &receipt.output_commitment, receipt.used_units);
	ensure!(
		sp_io::crypto::sr25519_verify(signature, &payload, &enclave.key),
		Error::<T>::BadEnclaveSignature
	);
	Ok(())
}

//! Attestation authorities, measurements, enclaves and attested receipts.

use super::*;

#[test]
fn genesis_lists_authorities_and_measurements() {
	attested_ext().build_and_execute(|| {
		assert_eq!(Authorities::<Test>::get().into_inner(), vec![authority().public()]);
		assert_eq!(Measurements::<Test>::get().into_inner(), vec![measurement()]);
	});
}

#[test]
fn root_lists_and_removes_authorities() {
	ExtBuilder::default().build_and_execute(|| {
		let key = |n: u8| sr25519::Pair::from_seed(&[n; 32]).public();
		assert_noop!(Proofs::add_authority(signed(CLIENT), key(1)), DispatchError::BadOrigin);
		assert_ok!(Proofs::add_authority(root(), key(1)));
		assert_eq!(take_events(), vec![Event::AuthorityAdded { key: key(1) }]);
		assert_noop!(Proofs::add_authority(root(), key(1)), Error::<Test>::AuthorityExists);
		for n in 2..=MAX_AUTHORITIES as u8 {
			assert_ok!(Proofs::add_authority(root(), key(n)));
		}
		assert_noop!(Proofs::add_authority(root(), key(9)), Error::<Test>::TooManyAuthorities);
		assert_eq!(Authorities::<Test>::get().len() as u32, MAX_AUTHORITIES);
		take_events();

		assert_noop!(Proofs::remove_authority(signed(CLIENT), key(2)), DispatchError::BadOrigin);
		assert_ok!(Proofs::remove_authority(root(), key(2)));
		assert_eq!(take_events(), vec![Event::AuthorityRemoved { key: key(2) }]);
		assert_noop!(Proofs::remove_authority(root(), key(2)), Error::<Test>::UnknownAuthority);
		assert_noop!(Proofs::remove_authority(root(), key(9)), Error::<Test>::UnknownAuthority);
		assert_eq!(Authorities::<Test>::get().into_inner(), vec![key(1), key(3), key(4)]);
		// The freed place can be taken again.
		assert_ok!(Proofs::add_authority(root(), key(9)));
	});
}

#[test]
fn root_allows_and_revokes_measurements() {
	ExtBuilder::default().build_and_execute(|| {
		let m = |n: u8| H256::repeat_byte(n);
		assert_noop!(Proofs::allow_measurement(signed(CLIENT), m(1)), DispatchError::BadOrigin);
		assert_ok!(Proofs::allow_measurement(root(), m(1)));
		assert_eq!(take_events(), vec![Event::MeasurementAllowed { measurement: m(1) }]);
		assert_noop!(Proofs::allow_measurement(root(), m(1)), Error::<Test>::MeasurementExists);
		for n in 2..=MAX_MEASUREMENTS as u8 {
			assert_ok!(Proofs::allow_measurement(root(), m(n)));
		}
		assert_noop!(Proofs::allow_measurement(root(), m(9)), Error::<Test>::TooManyMeasurements);
		take_events();

		assert_noop!(Proofs::revoke_measurement(signed(CLIENT), m(1)), DispatchError::BadOrigin);
		assert_ok!(Proofs::revoke_measurement(root(), m(1)));
		assert_eq!(take_events(), vec![Event::MeasurementRevoked { measurement: m(1) }]);
		assert_noop!(
			Proofs::revoke_measurement(root(), m(1)),
			Error::<Test>::MeasurementNotAllowed
		);
		assert_eq!(Measurements::<Test>::get().into_inner(), vec![m(2), m(3), m(4)]);
	});
}

#[test]
fn a_provider_registers_its_enclave_with_a_signed_report() {
	attested_ext().build_and_execute(|| {
		let report = report(ALICE, 50);
		let signature = sign(&authority(), &report);
		assert_ok!(Proofs::register_enclave(
			signed(ALICE),
			report,
			authority().public(),
			signature
		));
		assert_eq!(
			take_events(),
			vec![Event::EnclaveRegistered {
				provider: ALICE,
				key: enclave_key().public(),
				measurement: measurement(),
				expires_at: 50,
			}]
		);
		assert_eq!(MockAttestations::calls(), vec![(ALICE, Some(50))]);
		assert_eq!(
			Enclaves::<Test>::get(ALICE),
			Some(Enclave {
				key: enclave_key().public(),
				measurement: measurement(),
				expires_at: 50
			})
		);
		// A fresh report replaces it.
		register(ALICE, 80);
		assert_eq!(MockAttestations::calls(), vec![(ALICE, Some(50)), (ALICE, Some(80))]);
		assert_eq!(Enclaves::<Test>::get(ALICE).map(|e| e.expires_at), Some(80));
	});
}

#[test]
fn forged_reports_are_refused() {
	attested_ext().build_and_execute(|| {
		let report = report(ALICE, 50);
		let register = |report: ReportOf<Test>, authority, signature| {
			Proofs::register_enclave(signed(ALICE), report, authority, signature)
		};
		// Signed by a key no one listed, naming it.
		assert_noop!(
			register(report.clone(), impostor().public(), sign(&impostor(), &report)),
			Error::<Test>::UnknownAuthority
		);
		// Signed by another key, naming the listed authority.
		assert_noop!(
			register(report.clone(), authority().public(), sign(&impostor(), &report)),
			Error::<Test>::BadAuthoritySignature
		);
		// A field changed after signing: the expiry, the enclave key, the measurement (to
		// another allowed one).
		let signature = sign(&authority(), &report);
		let later = AttestationReport { expires_at: 500, ..report.clone() };
		assert_noop!(
			register(later, authority().public(), signature),
			Error::<Test>::BadAuthoritySignature
		);
		let other_key = AttestationReport { enclave_key: impostor().public(), ..report.clone() };
		assert_noop!(
			register(other_key, authority().public(), signature),
			Error::<Test>::BadAuthoritySignature
		);
		assert_ok!(Proofs::allow_measurement(root(), H256::repeat_byte(1)));
		let other_code = AttestationReport { measurement: H256::repeat_byte(1), ..report.clone() };
		assert_noop!(
			register(other_code, authority().public(), signature),
			Error::<Test>::BadAuthoritySignature
		);
		// A signature over the bare encoding, without the domain tag.
		use codec::Encode;
		let untagged = authority().sign(&report.encode());
		assert_noop!(
			register(report.clone(), authority().public(), untagged),
			Error::<Test>::BadAuthoritySignature
		);
		assert!(MockAttestations::calls().is_empty());
		assert_ok!(register(report, authority().public(), signature));
	});
}

#[test]
fn a_removed_authority_attests_no_more() {
	attested_ext().build_and_execute(|| {
		assert_ok!(Proofs::remove_authority(root(), authority().public()));
		let report = report(ALICE, 50);
		assert_noop!(
			Proofs::register_enclave(
				signed(ALICE),
				report.clone(),
				authority().public(),
				sign(&authority(), &report)
			),
			Error::<Test>::UnknownAuthority
		);
	});
}

#[test]
fn expired_reports_are_refused() {
	attested_ext().build_and_execute(|| {
		run_to_block(10);
		for expires_at in [0, 9, 10] {
			let report = report(ALICE, expires_at);
			assert_noop!(
				Proofs::register_enclave(
					signed(ALICE),
					report.clone(),
					authority().public(),
					sign(&authority(), &report)
				),
				Error::<Test>::ReportExpired
			);
		}
		register(ALICE, 11);
	});
}

#[test]
fn reports_for_unlisted_code_are_refused() {
	attested_ext().build_and_execute(|| {
		let report = AttestationReport { measurement: H256::repeat_byte(1), ..report(ALICE, 50) };
		assert_noop!(
			Proofs::register_enclave(
				signed(ALICE),
				report.clone(),
				authority().public(),
				sign(&authority(), &report)
			),
			Error::<Test>::MeasurementNotAllowed
		);
	});
}

#[test]
fn someone_elses_report_is_refused() {
	attested_ext().build_and_execute(|| {
		let report = report(ALICE, 50);
		let signature = sign(&authority(), &report);
		assert_noop!(
			Proofs::register_enclave(signed(BOB), report.clone(), authority().public(), signature),
			Error::<Test>::NotYourReport
		);
		assert_noop!(
			Proofs::register_enclave(root(), report, authority().public(), signature),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn the_registry_refuses_an_enclave_for_an_account_that_is_not_a_provider() {
	attested_ext().build_and_execute(|| {
		let report = report(NOBODY, 50);
		let signature = sign(&authority(), &report);
		assert_noop!(
			Proofs::register_enclave(signed(NOBODY), report, authority().public(), signature),
			NOT_A_PROVIDER
		);
		assert_eq!(Enclaves::<Test>::get(NOBODY), None);
	});
}

#[test]
fn an_attested_receipt_with_a_valid_enclave_signature_is_accepted_after_the_window() {
	attested_ext().build_and_execute(|| {
		register(ALICE, 50);
		take_events();
		let spec = opaque_spec(Verification::Attested);
		let receipt = signed_receipt(0, out(1), 80, &enclave_key());
		let end = START + CHALLENGE_WINDOW;
		assert_eq!(submit(0, 0, ALICE, &spec, &receipt), end);
		assert_eq!(stage(0, 0), Stage::Window { until: end });
		run_to_block(end - 1);
		assert_eq!(verdict(0, 0), None);
		assert_eq!(MockJobs::settle(0, 0), Verdict::Accepted);
		assert_eq!(verdict(0, 0), accepted_at(end));
		assert!(take_events().is_empty());
	});
}

#[test]
fn attested_receipts_without_the_enclaves_signature_over_them_are_refused() {
	attested_ext().build_and_execute(|| {
		register(ALICE, 50);
		let spec = opaque_spec(Verification::Attested);
		let submit = |receipt: Receipt| MockJobs::submit(0, 0, ALICE, &spec, &receipt);
		// No signature.
		assert_noop!(submit(receipt(out(1), 80)), Error::<Test>::MissingEnclaveSignature);
		// A signature from job 1 replayed for job 0.
		assert_noop!(
			submit(signed_receipt(1, out(1), 80, &enclave_key())),
			Error::<Test>::BadEnclaveSignature
		);
		// Signed for fewer units than billed.
		let signed_for_fewer =
			Receipt { used_units: 90, ..signed_receipt(0, out(1), 80, &enclave_key()) };
		assert_noop!(submit(signed_for_fewer), Error::<Test>::BadEnclaveSignature);
		// Signed for another output.
		let other_output =
			Receipt { output_commitment: out(2), ..signed_receipt(0, out(1), 80, &enclave_key()) };
		assert_noop!(submit(other_output), Error::<Test>::BadEnclaveSignature);
		// Signed by a key that is not the registered enclave's.
		assert_noop!(
			submit(signed_receipt(0, out(1), 80, &impostor())),
			Error::<Test>::BadEnclaveSignature
		);
		assert_ok!(submit(signed_receipt(0, out(1), 80, &enclave_key())));
	});
}

#[test]
fn an_expired_attestation_refuses_receipts() {
	attested_ext().build_and_execute(|| {
		register(ALICE, 20);
		let spec = opaque_spec(Verification::Attested);
		run_to_block(19);
		assert_ok!(MockJobs::submit(
			0,
			0,
			ALICE,
			&spec,
			&signed_receipt(0, out(1), 80, &enclave_key())
		));
		run_to_block(20);
		assert_noop!(
			MockJobs::submit(1, 0, ALICE, &spec, &signed_receipt(1, out(1), 80, &enclave_key())),
			Error::<Test>::AttestationExpired
		);
	});
}

#[test]
fn a_revoked_measurement_refuses_receipts() {
	attested_ext().build_and_execute(|| {
		register(ALICE, 50);
		assert_ok!(Proofs::revoke_measurement(root(), measurement()));
		assert_noop!(
			MockJobs::submit(
				0,
				0,
				ALICE,
				&opaque_spec(Verification::Attested),
				&signed_receipt(0, out(1), 80, &enclave_key())
			),
			Error::<Test>::MeasurementNotAllowed
		);
	});
}

#[test]
fn a_provider_without_an_enclave_cannot_deliver_attested_jobs() {
	attested_ext().build_and_execute(|| {
		register(ALICE, 50);
		assert_noop!(
			MockJobs::submit(
				0,
				0,
				BOB,
				&opaque_spec(Verification::Attested),
				&signed_receipt(0, out(1), 80, &enclave_key())
			),
			Error::<Test>::NotAttested
		);
	});
}

#[test]
fn an_attested_receipt_can_be_challenged_and_reexecuted() {
	attested_ext().build_and_execute(|| {
		register(ALICE, 50);
		let job = MatMul::seeded(SMALL, 1);
		let output = job.honest().output_commitment();
		let receipt = signed_receipt(0, output, job.units(), &enclave_key());
		submit(0, 0, ALICE, &job.spec(Verification::Attested), &receipt);
		take_events();
		let at = START + RANDOMNESS_DELAY + 1;
		assert_eq!(MockJobs::challenge(0, 0, CLIENT), Ok(at));
		run_to_block(at);
		// The last executor's reveal decides it in its block.
		seal_and_reveal(&[(BOB, output), (CHARLIE, output), (DAVE, output)]);
		assert_eq!(verdict(0, 0), accepted_at(at));
		assert_eq!(free(ALICE), STAKE + CHALLENGE_BOND - EXECUTOR_POT / 3 * 3);
	});
}

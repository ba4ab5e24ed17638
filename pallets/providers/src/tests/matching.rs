//! The price index: what matching finds, in what order, at what cost.

use super::*;

#[test]
fn cheapest_returns_providers_in_price_order_within_the_limit() {
	ExtBuilder::default()
		.bond(ALICE, bond_for(1))
		.bond(BOB, bond_for(1))
		.bond(CHARLIE, bond_for(1))
		.build_and_execute(|| {
			register(ALICE, 30);
			register(BOB, 10);
			register(CHARLIE, 20);
			let found = Providers::cheapest(&needs(&any()), 25, 5, &[]);
			assert_eq!(
				found,
				vec![
					Candidate { provider: BOB, worker: worker_of(BOB), price_per_unit: 10 },
					Candidate { provider: CHARLIE, worker: worker_of(CHARLIE), price_per_unit: 20 },
				]
			);
			assert_eq!(matched(&any(), 100, 2), vec![BOB, CHARLIE]);
			assert_eq!(Providers::cheapest(&needs(&any()), 100, 5, &[BOB]).len(), 2);
			assert_eq!(matched(&any(), 100, 0), Vec::<AccountId>::new());
		});
}

#[test]
fn cheapest_applies_every_requirement() {
	ExtBuilder::default()
		.bond(ALICE, bond_for(8))
		.bond(BOB, bond_for(8))
		.bond(CHARLIE, bond_for(8))
		.build_and_execute(|| {
			// Alice: 1 x 24 GiB, Europe, cheapest. Bob: 8 x 80 GiB, Asia, fast. Charlie: 2 x 48
			// GiB, Europe, attested.
			register_with(ALICE, profile(24, 1, Europe), 1);
			let mut fast = profile(80, 8, Asia);
			fast.gpu.int8_tops = 2_000;
			fast.gpu.fp16_tflops = 1_000;
			register_with(BOB, fast, 3);
			register_with(CHARLIE, profile(48, 2, Europe), 2);
			assert_ok!(Providers::set_attested(&CHARLIE, Some(50)));

			let all = |r: Requirements| matched(&r, 100, 5);
			assert_eq!(all(any()), vec![ALICE, CHARLIE, BOB]);
			assert_eq!(all(Requirements { min_vram_mib: 30 * 1024, ..any() }), vec![CHARLIE, BOB]);
			assert_eq!(all(Requirements { min_vram_mib: 49 * 1024, ..any() }), vec![BOB]);
			assert_eq!(all(Requirements { min_gpus: 2, ..any() }), vec![CHARLIE, BOB]);
			assert_eq!(all(Requirements { min_int8_tops: 101, ..any() }), vec![BOB]);
			assert_eq!(all(Requirements { min_fp16_tflops: 51, ..any() }), vec![BOB]);
			assert_eq!(all(Requirements { region: Some(Europe), ..any() }), vec![ALICE, CHARLIE]);
			assert_eq!(
				all(Requirements { region: Some(Oceania), ..any() }),
				Vec::<AccountId>::new()
			);
			assert_eq!(all(Requirements { attestation: true, ..any() }), vec![CHARLIE]);
			// Attestations expire.
			System::set_block_number(50);
			assert_eq!(all(Requirements { attestation: true, ..any() }), Vec::<AccountId>::new());
			// Reputation.
			Providers::record(&BOB, Outcome::Completed, REPUTATION_VALUE_UNIT);
			let picky = Requirements { min_reputation: REPUTATION_NEUTRAL + 1, ..any() };
			assert_eq!(all(picky.clone()), vec![BOB]);
			// ...which decays back to neutral.
			System::set_block_number(50 + 40 * HALF_LIFE);
			assert_eq!(all(picky), Vec::<AccountId>::new());
		});
}

#[test]
fn cheapest_skips_providers_whose_bond_fell_below_the_minimum() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).bond(BOB, bond_for(1)).build_and_execute(|| {
		register(ALICE, 1);
		register(BOB, 2);
		// The stake pallet lowered Alice's bond without telling the registry (as a change of
		// the minimum would): matching still checks it.
		MockStake::set_bond(ALICE, 0);
		assert_eq!(matched(&any(), 100, 2), vec![BOB]);
		// Once told, the registry takes her out of the index.
		Providers::stake_changed(&ALICE);
		assert!(!info(ALICE).indexed);
		System::assert_last_event(
			Event::MatchableChanged { provider: ALICE, matchable: false }.into(),
		);
		MockStake::set_bond(ALICE, bond_for(1));
		Providers::stake_changed(&ALICE);
		assert!(info(ALICE).indexed);
		// Not a provider: nothing happens.
		Providers::stake_changed(&DAVE);
	});
}

#[test]
fn cheapest_reads_a_bounded_number_of_entries() {
	ExtBuilder::default().build_and_execute(|| {
		// Many cheap small cards and one large one, all in the 24-48 GiB tiers' reach.
		for who in 100..130 {
			MockStake::set_bond(who, bond_for(1));
			register_with(who, profile(24, 1, Europe), 1);
		}
		MockStake::set_bond(ALICE, bond_for(2));
		register_with(ALICE, profile(80, 2, Europe), 50);
		// Alice is the only one with two cards, but the thirty cheaper single cards fill the
		// scan budget first: the query gives up rather than read the whole index.
		let needs_two = Requirements { min_gpus: 2, ..any() };
		assert_eq!(matched(&needs_two, 100, 1), Vec::<AccountId>::new());
		// Asking for memory only the large card has skips the small cards' tier entirely.
		let big = Requirements { min_vram_mib: 64 * 1024, ..any() };
		assert_eq!(matched(&big, 100, 1), vec![ALICE]);
		// And the cheapest matching small cards come back in order, at most `count`.
		assert_eq!(matched(&any(), 100, 3), vec![100, 101, 102].into_iter().collect::<Vec<_>>());
	});
}

#[test]
fn matching_offers_a_job_only_to_providers_that_run_its_kind() {
	ExtBuilder::default()
		.bond(ALICE, bond_for(1))
		.bond(BOB, bond_for(1))
		.bond(CHARLIE, bond_for(1))
		.build_and_execute(|| {
			let with = |capabilities| {
				let mut hw = profile(24, 1, Europe);
				hw.capabilities = capabilities;
				hw
			};
			let matmul = Capabilities { matmul_i8: true, ..Default::default() };
			let opaque = Capabilities { opaque: true, ..Default::default() };
			let enclave = Capabilities { matmul_i8: true, opaque: true, enclave: true };
			register_with(ALICE, with(matmul), 1);
			register_with(BOB, with(opaque), 2);
			register_with(CHARLIE, with(enclave), 3);
			assert_eq!(info(ALICE).profile.capabilities, matmul);
			let job = |capabilities| Needs { capabilities, ..needs(&any()) };
			// A job that needs no capability (the RPC's view) finds everyone.
			assert_eq!(
				matched_for(&job(Capabilities::default()), 100, 5),
				vec![ALICE, BOB, CHARLIE]
			);
			// A `MatMulI8` job is not offered to the opaque-only provider, nor an opaque job to
			// the matmul-only one.
			assert_eq!(matched_for(&job(matmul), 100, 5), vec![ALICE, CHARLIE]);
			assert_eq!(matched_for(&job(opaque), 100, 5), vec![BOB, CHARLIE]);
			// An attested job needs the enclave flag, not just an attestation.
			assert_ok!(Providers::set_attested(&ALICE, Some(50)));
			assert_ok!(Providers::set_attested(&CHARLIE, Some(50)));
			let attested = Needs {
				requirements: Requirements { attestation: true, ..any() },
				capabilities: Capabilities { enclave: true, ..matmul },
				attested_through: 40,
				..Default::default()
			};
			assert_eq!(matched_for(&attested, 100, 5), vec![CHARLIE]);
			// The needs the jobs pallet derives from a spec say the same.
			let spec = tessera_primitives::jobs::JobSpec {
				workload: tessera_primitives::jobs::Workload::MatMulI8 { m: 64, n: 64, k: 64 },
				inputs: tessera_primitives::jobs::Inputs::Seed(Default::default()),
				requirements: any(),
				max_price_per_unit: 100u128,
				replicas: 1,
				verification: tessera_primitives::jobs::Verification::SpotCheck,
				deadline: 40u64,
			};
			assert_eq!(matched_for(&spec.needs(10_000, 0), 100, 5), vec![ALICE, CHARLIE]);
		});
}

#[test]
fn a_job_needing_more_memory_than_declared_finds_nobody() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		register(ALICE, 5);
		let declared = info(ALICE).profile.ram_mib;
		let job = |memory_mib| Needs { memory_mib, ..needs(&any()) };
		assert_eq!(matched_for(&job(declared), 100, 1), vec![ALICE]);
		assert!(matched_for(&job(declared + 1), 100, 1).is_empty());
		// Declaring more memory makes it fit.
		let mut hw = profile(24, 1, Europe);
		hw.ram_mib = declared + 1;
		assert_ok!(Providers::update_profile(
			RuntimeOrigin::signed(ALICE),
			hw,
			2,
			endpoint("https://gpu.example.org"),
		));
		assert_eq!(matched_for(&job(declared + 1), 100, 1), vec![ALICE]);
	});
}

#[test]
fn a_job_needs_the_throughput_of_all_gpus_together() {
	ExtBuilder::default().bond(ALICE, bond_for(2)).build_and_execute(|| {
		// Two cards of 100 int8 TOPS each.
		register_with(ALICE, profile(24, 2, Europe), 5);
		let job = |total_int8_tops| Needs { total_int8_tops, ..needs(&any()) };
		assert_eq!(matched_for(&job(200), 100, 1), vec![ALICE]);
		assert!(matched_for(&job(201), 100, 1).is_empty());
		assert!(matched_for(&job(u64::MAX), 100, 1).is_empty());
	});
}

#[test]
fn an_attestation_must_last_through_the_deadline() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		let mut hw = profile(24, 1, Europe);
		hw.capabilities.enclave = true;
		register_with(ALICE, hw, 5);
		assert_ok!(Providers::set_attested(&ALICE, Some(50)));
		let job = |attested_through| Needs {
			requirements: Requirements { attestation: true, ..any() },
			attested_through,
			..Default::default()
		};
		// Valid until block 50, exclusive: a job due at 49 may use it, one due at 50 may not,
		// although the attestation is valid now.
		assert_eq!(matched_for(&job(49), 100, 1), vec![ALICE]);
		assert!(matched_for(&job(50), 100, 1).is_empty());
		// Without an attestation requirement, it does not matter.
		assert_eq!(
			matched_for(&Needs { attested_through: 50, ..needs(&any()) }, 100, 1),
			vec![ALICE]
		);
		// And an attestation that has lapsed is never enough, whatever the deadline says.
		System::set_block_number(50);
		assert!(matched_for(&job(10), 100, 1).is_empty());
	});
}

#[test]
fn a_collateral_above_the_free_stake_is_skipped() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).bond(BOB, bond_for(1)).build_and_execute(|| {
		register(ALICE, 1);
		register(BOB, 2);
		let job = |collateral| Needs { collateral, ..needs(&any()) };
		assert_eq!(matched_for(&job(bond_for(1)), 100, 2), vec![ALICE, BOB]);
		assert!(matched_for(&job(bond_for(1) + 1), 100, 2).is_empty());
		// Alice set most of her bond aside for other jobs: she stays matchable, but only for
		// jobs whose collateral her free stake covers.
		MockStake::set_free_stake(ALICE, 30);
		Providers::stake_changed(&ALICE);
		assert!(info(ALICE).indexed);
		assert_eq!(matched_for(&job(30), 100, 2), vec![ALICE, BOB]);
		assert_eq!(matched_for(&job(31), 100, 2), vec![BOB]);
		MockStake::set_free_stake(ALICE, 0);
		assert_eq!(matched_for(&job(0), 100, 2), vec![ALICE, BOB]);
		assert_eq!(matched_for(&job(1), 100, 2), vec![BOB]);
	});
}

#[test]
fn index_scopes_and_tiers() {
	assert_eq!(price_index::scopes(Asia, 24 * 1024), [(Some(Asia), 4), (None, 4)]);
}

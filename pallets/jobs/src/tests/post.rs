//! `post`: checking the spec, holding the escrow, matching at once or queueing.

use super::*;

#[test]
fn holds_the_escrow_and_assigns_the_cheapest_providers() {
	ExtBuilder::market().build_and_execute(|| {
		let escrow = escrow_of(MAX_PRICE, UNITS, 2);
		assert_eq!(escrow, 2_040);
		let id = post(CLIENT, replicated(2));
		assert_eq!(id, 0);
		assert_eq!(NextJobId::<Test>::get(), 1);

		assert_eq!(
			take_events(),
			vec![
				Event::Posted { job: 0, client: CLIENT, units: UNITS, escrow, deposit: 0 },
				Event::Assigned {
					job: 0,
					replica: 0,
					provider: ALICE,
					worker: worker_of(ALICE),
					price_per_unit: ALICE_PRICE,
				},
				Event::Assigned {
					job: 0,
					replica: 1,
					provider: BOB,
					worker: worker_of(BOB),
					price_per_unit: BOB_PRICE,
				},
			]
		);
		assert_eq!(held(CLIENT), escrow);
		assert_eq!(free(CLIENT), INITIAL - escrow);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(stats(), JobStats { active: 1, escrowed: escrow, ..Default::default() });

		let record = job(0);
		assert_eq!(record.client, CLIENT);
		assert_eq!(record.units, UNITS);
		assert_eq!(record.escrow, escrow);
		assert_eq!(record.state, JobState::Active);
		assert_eq!(record.posted_at, 1);
		assert!(record.dropped.is_empty());
		let until = 1 + ACK_TIMEOUT;
		for (replica, (provider, price)) in
			[(ALICE, ALICE_PRICE), (BOB, BOB_PRICE)].into_iter().enumerate()
		{
			let r = &record.replicas[replica];
			assert_eq!(r.provider, provider);
			assert_eq!(r.worker, worker_of(provider));
			assert_eq!(r.price_per_unit, price);
			assert_eq!(r.state, ReplicaState::AwaitingAck { until });
			assert_eq!(r.receipt, None);
			assert_eq!(ProviderJobs::<Test>::get(provider, 0), Some(replica as u32));
			assert!(has_timeout(until, 0, Timeout::Acknowledgement(replica as u32)));
			assert_eq!(MockRegistry::busy(provider), 1);
		}
		assert_eq!(timeouts_at(until), 2);
		assert_eq!(MockRegistry::busy(CHARLIE), 0);
		assert!(ClientJobs::<Test>::contains_key(CLIENT, 0));
		assert!(Queue::<Test>::get().is_empty());
		assert_eq!(MockRegistry::cheapest_calls(), vec![(2, vec![])]);
	});
}

#[test]
fn queues_when_too_few_providers_fit_the_price() {
	ExtBuilder::market().build_and_execute(|| {
		// Only Alice (5) and Bob (6) ask at most 6; three replicas do not fit.
		let spec = spec_with(|s| {
			s.replicas = 3;
			s.max_price_per_unit = 6;
		});
		let escrow = escrow_of(6, UNITS, 3);
		let id = post(CLIENT, spec);
		assert_eq!(
			take_events(),
			vec![
				Event::Posted { job: id, client: CLIENT, units: UNITS, escrow, deposit: 0 },
				Event::Queued { job: id },
			]
		);
		assert_eq!(held(CLIENT), escrow);
		assert_eq!(free(CLIENT), INITIAL - escrow);
		assert_eq!(stats(), JobStats { queued: 1, escrowed: escrow, ..Default::default() });
		assert_eq!(Queue::<Test>::get().to_vec(), vec![id]);
		assert!(has_timeout(DEADLINE + 1, id, Timeout::QueueExpiry));
		assert_eq!(job(id).state, JobState::Queued);
		assert!(job(id).replicas.is_empty());
		// Nothing was assigned halfway.
		for p in [ALICE, BOB, CHARLIE] {
			assert_eq!(MockRegistry::busy(p), 0);
			assert_eq!(ProviderJobs::<Test>::get(p, id), None);
		}
	});
}

#[test]
fn skips_providers_without_free_slots_or_not_eligible() {
	ExtBuilder::market().build_and_execute(|| {
		MockRegistry::set_free_slots(ALICE, 0);
		MockRegistry::set_eligible(BOB, false);
		let id = post(CLIENT, spec());
		assert_eq!(job(id).replicas[0].provider, CHARLIE);
		assert_eq!(job(id).replicas[0].price_per_unit, CHARLIE_PRICE);
	});
}

#[test]
fn accepts_each_verification_with_what_it_needs() {
	ExtBuilder::market().build_and_execute(|| {
		// Spot-checks on a deterministic workload (2 tera-operations).
		let matmul = spec_with(|s| {
			s.workload = Workload::MatMulI8 { m: 10_000, n: 10_000, k: 5_001 };
			s.verification = Verification::SpotCheck;
		});
		let id = post(CLIENT, matmul);
		assert_eq!(job(id).units, 2);
		assert_eq!(job(id).escrow, escrow_of(MAX_PRICE, 2, 1));
		// Replication with two replicas.
		post(CLIENT, replicated(2));
		// Attestation when the requirements ask for it.
		post(
			CLIENT,
			spec_with(|s| {
				s.verification = Verification::Attested;
				s.requirements.attestation = true;
			}),
		);
		// Content inputs with an http(s) URI and a size.
		post(
			CLIENT2,
			spec_with(|s| {
				s.inputs = Inputs::Content {
					hash: H256::repeat_byte(3),
					uri: uri("http://10.0.0.1:8080/in"),
					size: 1,
				}
			}),
		);
		assert_eq!(stats().active, 4);
	});
}

#[test]
fn deadline_bounds_are_inclusive() {
	ExtBuilder::market().build_and_execute(|| {
		let now = System::block_number();
		assert_noop!(
			Jobs::post(signed(CLIENT), spec_with(|s| s.deadline = now + MIN_DEADLINE - 1)),
			Error::<Test>::DeadlineTooSoon
		);
		assert_noop!(
			Jobs::post(signed(CLIENT), spec_with(|s| s.deadline = now + MAX_DEADLINE + 1)),
			Error::<Test>::DeadlineTooFar
		);
		post(CLIENT, spec_with(|s| s.deadline = now + MIN_DEADLINE));
		post(CLIENT, spec_with(|s| s.deadline = now + MAX_DEADLINE));
	});
}

fn refuses(change: impl FnOnce(&mut JobSpecOf<Test>), error: Error<Test>) {
	assert_noop!(Jobs::post(signed(CLIENT), spec_with(change)), error);
}

#[test]
fn refuses_a_zero_dimension() {
	ExtBuilder::market().build_and_execute(|| {
		for (m, n, k) in [(0, 1, 1), (1, 0, 1), (1, 1, 0)] {
			refuses(
				|s| {
					s.workload = Workload::MatMulI8 { m, n, k };
					s.verification = Verification::SpotCheck;
				},
				Error::<Test>::ZeroDimension,
			);
		}
	});
}

#[test]
fn refuses_a_dimension_too_large() {
	ExtBuilder::market().build_and_execute(|| {
		let big = MAX_MATRIX_DIM + 1;
		for (m, n, k) in [(big, 1, 1), (1, big, 1), (1, 1, big)] {
			refuses(
				|s| s.workload = Workload::MatMulI8 { m, n, k },
				Error::<Test>::DimensionTooLarge,
			);
		}
		// The largest dimension is fine.
		let max = MAX_MATRIX_DIM;
		post(CLIENT, spec_with(|s| s.workload = Workload::MatMulI8 { m: max, n: 1, k: 1 }));
	});
}

#[test]
fn refuses_zero_gpu_seconds() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(
			|s| s.workload = Workload::Opaque { program: H256::zero(), gpu_seconds: 0 },
			Error::<Test>::ZeroGpuSeconds,
		);
	});
}

#[test]
fn refuses_an_invalid_input_uri() {
	ExtBuilder::market().build_and_execute(|| {
		for bad in ["", "ftp://x.example/in", "https://", "https://a b", "example.org/in"] {
			refuses(
				|s| s.inputs = Inputs::Content { hash: H256::zero(), uri: uri(bad), size: 10 },
				Error::<Test>::InvalidInputUri,
			);
		}
	});
}

#[test]
fn refuses_a_zero_input_size() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(
			|s| {
				s.inputs = Inputs::Content {
					hash: H256::zero(),
					uri: uri("https://x.example/in"),
					size: 0,
				}
			},
			Error::<Test>::ZeroInputSize,
		);
	});
}

#[test]
fn refuses_content_inputs_whose_size_does_not_match_the_matrices() {
	ExtBuilder::market().build_and_execute(|| {
		// A (4 x 2) and B (2 x 3): 14 bytes, one a byte.
		for size in [1, 13, 15, 4 * 3 * 4, u64::MAX] {
			assert_noop!(
				Jobs::post(signed(CLIENT), matmul_content(4, 3, 2, size)),
				Error::<Test>::InputSizeMismatch
			);
		}
		let id = post(CLIENT, matmul_content(4, 3, 2, 14));
		assert_eq!(job(id).state, JobState::Active);
		// An opaque job's inputs are whatever its program reads: any size but zero.
		post(
			CLIENT,
			spec_with(|s| {
				s.inputs = Inputs::Content {
					hash: H256::zero(),
					uri: uri("https://x.example/in"),
					size: 12_345,
				}
			}),
		);
		// Seed inputs have no size.
		post(
			CLIENT2,
			spec_with(|s| {
				s.workload = Workload::MatMulI8 { m: 4, n: 3, k: 2 };
				s.verification = Verification::SpotCheck;
			}),
		);
	});
}

#[test]
fn refuses_content_inputs_with_k_above_max_opened_k() {
	ExtBuilder::market().build_and_execute(|| {
		let k = MAX_OPENED_K + 1;
		assert_noop!(
			Jobs::post(signed(CLIENT), matmul_content(1, 1, k, 2 * u64::from(k))),
			Error::<Test>::InnerDimensionTooLarge
		);
		assert_noop!(
			Jobs::post(signed(CLIENT), matmul_content(8, 8, MAX_MATRIX_DIM, 16 << 20)),
			Error::<Test>::InnerDimensionTooLarge
		);
		// The size is checked first: a wrong size says so, whatever k is.
		assert_noop!(
			Jobs::post(signed(CLIENT), matmul_content(1, 1, k, 1)),
			Error::<Test>::InputSizeMismatch
		);
		// MAX_OPENED_K itself is fine.
		let max = MAX_OPENED_K;
		post(CLIENT, matmul_content(1, 1, max, 2 * u64::from(max)));
		// Seed inputs are derived by the chain and never opened: k is not bounded.
		post(
			CLIENT2,
			spec_with(|s| {
				s.workload = Workload::MatMulI8 { m: 1, n: 1, k };
				s.verification = Verification::SpotCheck;
			}),
		);
		assert_eq!(stats().active, 2);
	});
}

#[test]
fn passes_the_jobs_needs_to_the_registry() {
	ExtBuilder::market().build_and_execute(|| {
		// The acknowledgement window ends at 6, so the provider has 45 blocks of 6 s.
		let window_ms = (DEADLINE - 1 - ACK_TIMEOUT) * MS_PER_BLOCK;
		assert_eq!(window_ms, 270_000);
		// Opaque: 100 GPU-seconds in 270 s fit on one GPU; the collateral at the job's
		// maximum price (50% of 10 x 100).
		post(CLIENT, spec());
		assert_eq!(
			MockRegistry::last_needs(),
			Some(Needs {
				requirements: Requirements { min_gpus: 1, ..Default::default() },
				memory_mib: 0,
				total_int8_tops: 0,
				capabilities: Capabilities { opaque: true, ..Default::default() },
				attested_through: DEADLINE,
				collateral: collateral_of(MAX_PRICE, UNITS),
			})
		);
		assert_eq!(MockRegistry::last_needs().unwrap().collateral, 500);
		// 2 x 8192^3 operations (2 units) in 270 s: 1 TOPS; 384 MiB of data; the collateral
		// floor.
		post(
			CLIENT,
			spec_with(|s| {
				s.workload = Workload::MatMulI8 { m: 8192, n: 8192, k: 8192 };
				s.verification = Verification::SpotCheck;
			}),
		);
		assert_eq!(
			MockRegistry::last_needs(),
			Some(Needs {
				requirements: Requirements::default(),
				memory_mib: 384,
				total_int8_tops: 1,
				capabilities: Capabilities { matmul_i8: true, ..Default::default() },
				attested_through: DEADLINE,
				collateral: MIN_COLLATERAL,
			})
		);
		// An attested job needs an enclave, and the client's requirements are passed on.
		post(
			CLIENT2,
			spec_with(|s| {
				s.verification = Verification::Attested;
				s.requirements =
					Requirements { attestation: true, min_vram_mib: 80_000, ..Default::default() };
			}),
		);
		let needs = MockRegistry::last_needs().unwrap();
		assert_eq!(
			needs.capabilities,
			Capabilities { opaque: true, enclave: true, matmul_i8: false }
		);
		assert_eq!(needs.requirements.min_vram_mib, 80_000);
		assert!(needs.requirements.attestation);
	});
}

#[test]
fn refuses_zero_replicas() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(|s| s.replicas = 0, Error::<Test>::ZeroReplicas);
	});
}

#[test]
fn refuses_too_many_replicas() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(|s| s.replicas = MAX_REPLICAS + 1, Error::<Test>::TooManyReplicas);
		refuses(|s| s.replicas = u32::MAX, Error::<Test>::TooManyReplicas);
	});
}

#[test]
fn refuses_a_zero_price() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(|s| s.max_price_per_unit = 0, Error::<Test>::ZeroPrice);
	});
}

#[test]
fn refuses_a_deadline_too_soon() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(|s| s.deadline = 1, Error::<Test>::DeadlineTooSoon);
		refuses(|s| s.deadline = 0, Error::<Test>::DeadlineTooSoon);
	});
}

#[test]
fn refuses_a_deadline_too_far() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(|s| s.deadline = BlockNumber::MAX, Error::<Test>::DeadlineTooFar);
	});
}

#[test]
fn refuses_spot_checks_of_an_opaque_workload() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(
			|s| s.verification = Verification::SpotCheck,
			Error::<Test>::SpotCheckNeedsDeterministicWorkload,
		);
	});
}

#[test]
fn refuses_replication_with_one_replica() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(
			|s| s.verification = Verification::Replicated,
			Error::<Test>::ReplicationNeedsReplicas,
		);
	});
}

#[test]
fn refuses_attestation_not_required() {
	ExtBuilder::market().build_and_execute(|| {
		refuses(|s| s.verification = Verification::Attested, Error::<Test>::AttestationNotRequired);
	});
}

#[test]
fn refuses_a_budget_that_overflows() {
	ExtBuilder::market().build_and_execute(|| {
		// The budget itself.
		refuses(|s| s.max_price_per_unit = Balance::MAX, Error::<Test>::BudgetOverflow);
		refuses(
			|s| {
				s.max_price_per_unit = Balance::MAX / 200;
				s.replicas = 3;
			},
			Error::<Test>::BudgetOverflow,
		);
		// The budget fits, the fee on top of it does not.
		refuses(
			|s| s.max_price_per_unit = Balance::MAX / Balance::from(UNITS),
			Error::<Test>::BudgetOverflow,
		);
	});
}

#[test]
fn refuses_what_the_client_cannot_hold() {
	ExtBuilder::market()
		.balances(vec![(CLIENT, ESCROW), (CLIENT2, ESCROW + ED)])
		.build_and_execute(|| {
			// The client must keep the existential deposit.
			assert_noop!(Jobs::post(signed(CLIENT), spec()), Error::<Test>::InsufficientBalance);
			// An account that does not exist.
			assert_noop!(Jobs::post(signed(NOBODY), spec()), Error::<Test>::InsufficientBalance);
			// Funds already held count as spent.
			post(CLIENT2, spec());
			assert_eq!(free(CLIENT2), ED);
			assert_eq!(held(CLIENT2), ESCROW);
			assert_noop!(
				Jobs::post(signed(CLIENT2), spec_with(|s| s.max_price_per_unit = 1)),
				Error::<Test>::InsufficientBalance
			);
		});
}

#[test]
fn a_client_topped_up_can_post() {
	ExtBuilder::market().balances(vec![(CLIENT, ESCROW)]).issuance_may_change().build_and_execute(
		|| {
			use frame_support::traits::fungible::Mutate;
			assert_noop!(Jobs::post(signed(CLIENT), spec()), Error::<Test>::InsufficientBalance);
			Balances::set_balance(&CLIENT, ESCROW + ED);
			post(CLIENT, spec());
			assert_eq!(held(CLIENT), ESCROW);
			assert_eq!(free(CLIENT), ED);
		},
	);
}

#[test]
fn refuses_a_job_that_would_queue_when_the_queue_is_full() {
	ExtBuilder::default().build_and_execute(|| {
		for _ in 0..MAX_QUEUED {
			post(CLIENT, spec());
		}
		assert_eq!(Queue::<Test>::get().len() as u32, MAX_QUEUED);
		let held_before = held(CLIENT);
		assert_noop!(Jobs::post(signed(CLIENT), spec()), Error::<Test>::QueueFull);
		assert_eq!(held(CLIENT), held_before);
		// A job that finds providers does not need the queue.
		MockRegistry::add(ALICE, ALICE_PRICE);
		let id = post(CLIENT2, spec());
		assert_eq!(job(id).state, JobState::Active);
		assert_eq!(stats().queued, MAX_QUEUED);
		assert_eq!(stats().active, 1);
	});
}

#[test]
fn fee_is_rounded_up_in_the_escrow_and_down_in_the_payment() {
	ExtBuilder::market().build_and_execute(|| {
		// One tera-operation at up to 10: 2% of 10 is 0.2, held as 1.
		let matmul = spec_with(|s| s.workload = Workload::MatMulI8 { m: 1, n: 1, k: 1 });
		let id = post(CLIENT, matmul);
		assert_eq!(job(id).units, 1);
		assert_eq!(held(CLIENT), 11);
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 1);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		// Alice is paid 5; 2% of 5 is 0.1, paid as 0.
		assert_eq!(replica_state(id, 0), ReplicaState::Paid { payment: 5, fee: 0 });
		assert_eq!(free(CLIENT), INITIAL - 5);
		assert_eq!(free(ALICE), STAKE + 5);
		assert_eq!(free(TREASURY), ED);
		assert_eq!(held(CLIENT), 0);
	});
}

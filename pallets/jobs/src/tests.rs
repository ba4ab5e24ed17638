use crate::{
	mock::*,
	pallet::{ClientJobs, NextJobId, ProviderJobs, Queue, Stats, TimeoutCursor, Timeouts},
	Error, Event, FailureReason, HoldReason, JobOf, JobSpecOf, JobState, JobStats, ReplicaState,
	Timeout,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks,
	},
	BoundedVec,
};
use sp_core::H256;
use tessera_primitives::{
	jobs::{Inputs, JobId, Receipt, Uri, Verdict, Verification, Workload, MAX_MATRIX_DIM},
	market::{Outcome, Requirements, SlashOutcome, SlashReason},
};

// ---- helpers ---------------------------------------------------------------------------------

/// Units of work of [`spec`].
const UNITS: u64 = 100;
/// Max price per unit of [`spec`].
const MAX_PRICE: Balance = 10;
/// Deadline of [`spec`]: 50 blocks after block 1.
const DEADLINE: BlockNumber = 51;
/// Escrow of [`spec`] with one replica: 10 x 100 plus 2%.
const ESCROW: Balance = 1_020;

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// An opaque job of [`UNITS`] GPU-seconds at up to [`MAX_PRICE`], one replica, optimistic,
/// due at [`DEADLINE`].
fn spec() -> JobSpecOf<Test> {
	JobSpecOf::<Test> {
		workload: Workload::Opaque { program: H256::repeat_byte(7), gpu_seconds: UNITS },
		inputs: Inputs::Seed(H256::repeat_byte(1)),
		requirements: Requirements::default(),
		max_price_per_unit: MAX_PRICE,
		replicas: 1,
		verification: Verification::Optimistic,
		deadline: DEADLINE,
	}
}

fn spec_with(change: impl FnOnce(&mut JobSpecOf<Test>)) -> JobSpecOf<Test> {
	let mut spec = spec();
	change(&mut spec);
	spec
}

/// [`spec`] with `replicas` replicas.
fn replicated(replicas: u32) -> JobSpecOf<Test> {
	spec_with(|s| {
		s.replicas = replicas;
		if replicas > 1 {
			s.verification = Verification::Replicated;
		}
	})
}

/// What the pallet holds for `max_price x units x replicas`: the budget plus 2%, rounded up.
fn escrow_of(max_price: Balance, units: u64, replicas: u32) -> Balance {
	let budget = max_price * Balance::from(units) * Balance::from(replicas);
	budget + (budget * Balance::from(FEE_PERCENT)).div_ceil(100)
}

/// The protocol fee on `payment`, rounded down.
fn fee_on(payment: Balance) -> Balance {
	payment * Balance::from(FEE_PERCENT) / 100
}

fn uri(s: &str) -> Uri {
	BoundedVec::truncate_from(s.as_bytes().to_vec())
}

fn receipt(used_units: u64) -> Receipt {
	Receipt {
		output_commitment: H256::repeat_byte(0xaa),
		output_uri: uri("https://worker.example/out/1"),
		used_units,
		enclave_signature: None,
	}
}

/// Posts `spec` for `client` and returns the job's id.
fn post(client: AccountId, spec: JobSpecOf<Test>) -> JobId {
	let id = NextJobId::<Test>::get();
	assert_ok!(Jobs::post(signed(client), spec));
	id
}

/// The worker of `provider` acknowledges replica `replica` of `job`.
fn ack(provider: AccountId, job: JobId, replica: u32) {
	assert_ok!(Jobs::acknowledge(signed(worker_of(provider)), job, replica));
}

/// The worker of `provider` submits a receipt of `used` units for replica `replica` of `job`.
fn submit(provider: AccountId, job: JobId, replica: u32, used: u64) {
	assert_ok!(Jobs::submit_receipt(signed(worker_of(provider)), job, replica, receipt(used)));
}

fn job(id: JobId) -> JobOf<Test> {
	crate::pallet::Jobs::<Test>::get(id).expect("the job exists")
}

fn replica_state(id: JobId, replica: u32) -> ReplicaState<Balance, BlockNumber> {
	job(id).replicas[replica as usize].state.clone()
}

fn stats() -> JobStats<Balance> {
	Stats::<Test>::get()
}

/// What the pallet holds from `who` for escrow.
fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Jobs(HoldReason::Escrow), &who)
}

fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// Free plus held balance of all of `accounts`.
fn total(accounts: &[AccountId]) -> Balance {
	accounts.iter().map(Balances::total_balance).sum()
}

/// Every account that money can move between in these tests.
const EVERYONE: [AccountId; 7] = [CLIENT, CLIENT2, ALICE, BOB, CHARLIE, TREASURY, NOBODY];

/// This pallet's events since the last [`take_events`], oldest first; forgets them.
fn take_events() -> Vec<Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Jobs(e) = r.event { Some(e) } else { None })
		.collect();
	System::reset_events();
	events
}

fn has_timeout(at: BlockNumber, job: JobId, timeout: Timeout) -> bool {
	Timeouts::<Test>::contains_key(at, (job, timeout))
}

fn timeouts_at(at: BlockNumber) -> usize {
	Timeouts::<Test>::iter_prefix(at).count()
}

fn paid(payment: Balance) -> ReplicaState<Balance, BlockNumber> {
	ReplicaState::Paid { payment, fee: fee_on(payment) }
}

/// The slash [`MockStake`] makes for `reason` of a provider with enough funds and no harmed
/// client: all of it to the treasury.
fn slash_to_treasury(who: AccountId, reason: SlashReason) -> SlashRecord {
	let slashed = MockStake::amount(reason);
	SlashRecord {
		who,
		reason,
		harmed: None,
		watcher: None,
		outcome: SlashOutcome { slashed, to_client: 0, to_watcher: 0, to_treasury: slashed },
	}
}

/// The slash [`MockStake`] makes for `reason` of a provider with enough funds, half of it to
/// `client`.
fn slash_of(who: AccountId, reason: SlashReason, client: AccountId) -> SlashRecord {
	let slashed = MockStake::amount(reason);
	SlashRecord {
		who,
		reason,
		harmed: Some(client),
		watcher: None,
		outcome: SlashOutcome {
			slashed,
			to_client: slashed / 2,
			to_watcher: 0,
			to_treasury: slashed - slashed / 2,
		},
	}
}

// ---- post ------------------------------------------------------------------------------------

mod post {
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
					Event::Posted { job: 0, client: CLIENT, units: UNITS, escrow },
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
					Event::Posted { job: id, client: CLIENT, units: UNITS, escrow },
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
			refuses(
				|s| s.verification = Verification::Attested,
				Error::<Test>::AttestationNotRequired,
			);
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
				assert_noop!(
					Jobs::post(signed(CLIENT), spec()),
					Error::<Test>::InsufficientBalance
				);
				// An account that does not exist.
				assert_noop!(
					Jobs::post(signed(NOBODY), spec()),
					Error::<Test>::InsufficientBalance
				);
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
		ExtBuilder::market()
			.balances(vec![(CLIENT, ESCROW)])
			.issuance_may_change()
			.build_and_execute(|| {
				use frame_support::traits::fungible::Mutate;
				assert_noop!(
					Jobs::post(signed(CLIENT), spec()),
					Error::<Test>::InsufficientBalance
				);
				Balances::set_balance(&CLIENT, ESCROW + ED);
				post(CLIENT, spec());
				assert_eq!(held(CLIENT), ESCROW);
				assert_eq!(free(CLIENT), ED);
			});
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
}

// ---- cancel ----------------------------------------------------------------------------------

mod cancel {
	use super::*;

	#[test]
	fn refunds_a_queued_job_in_full() {
		ExtBuilder::default().build_and_execute(|| {
			let id = post(CLIENT, spec());
			take_events();
			assert_ok!(Jobs::cancel(signed(CLIENT), id));
			assert_eq!(
				take_events(),
				vec![Event::Closed { job: id, state: JobState::Cancelled, refund: ESCROW }]
			);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL);
			assert_eq!(stats(), JobStats { cancelled: 1, ..Default::default() });
			assert!(Queue::<Test>::get().is_empty());
			assert_eq!(timeouts_at(DEADLINE + 1), 0);
			assert_eq!(job(id).state, JobState::Cancelled);
			assert_eq!(job(id).escrow, 0);
			// Nothing happens at the old deadline.
			run_to_block(DEADLINE + 2);
			assert!(take_events().is_empty());
			assert_eq!(free(CLIENT), INITIAL);
		});
	}

	#[test]
	fn refusals() {
		ExtBuilder::market().build_and_execute(|| {
			assert_noop!(Jobs::cancel(signed(CLIENT), 7), Error::<Test>::UnknownJob);
			// Active: assigned at once.
			let active = post(CLIENT, spec());
			assert_noop!(Jobs::cancel(signed(CLIENT), active), Error::<Test>::NotQueued);
			// Queued: three replicas at up to 6.
			let queued = post(
				CLIENT,
				spec_with(|s| {
					s.replicas = 3;
					s.max_price_per_unit = 6;
				}),
			);
			assert_noop!(Jobs::cancel(signed(CLIENT2), queued), Error::<Test>::NotClient);
			assert_noop!(Jobs::cancel(signed(worker_of(ALICE)), queued), Error::<Test>::NotClient);
			assert_ok!(Jobs::cancel(signed(CLIENT), queued));
			assert_noop!(Jobs::cancel(signed(CLIENT), queued), Error::<Test>::NotQueued);
			assert_eq!(held(CLIENT), ESCROW);
		});
	}

	#[test]
	fn an_expired_job_cannot_be_cancelled() {
		ExtBuilder::default().build_and_execute(|| {
			let id = post(CLIENT, spec());
			run_to_block(DEADLINE + 1);
			assert_eq!(job(id).state, JobState::Expired);
			assert_noop!(Jobs::cancel(signed(CLIENT), id), Error::<Test>::NotQueued);
		});
	}
}

// ---- acknowledge -----------------------------------------------------------------------------

mod acknowledge {
	use super::*;

	#[test]
	fn starts_the_replica_and_sets_its_deadline() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			take_events();
			run_to_block(3);
			ack(ALICE, id, 0);
			assert_eq!(take_events(), vec![Event::Acknowledged { job: id, replica: 0 }]);
			assert_eq!(replica_state(id, 0), ReplicaState::Running);
			assert!(!has_timeout(1 + ACK_TIMEOUT, id, Timeout::Acknowledgement(0)));
			assert!(has_timeout(DEADLINE + 1, id, Timeout::Delivery(0)));
			// No money moves.
			assert_eq!(held(CLIENT), ESCROW);
			assert_eq!(free(ALICE), STAKE);
			// The acknowledgement window passes without effect.
			run_to_block(1 + ACK_TIMEOUT + 1);
			assert_eq!(replica_state(id, 0), ReplicaState::Running);
			assert!(take_events().is_empty());
			assert!(MockStake::slashes().is_empty());
		});
	}

	#[test]
	fn refusals() {
		ExtBuilder::market().build_and_execute(|| {
			let worker = signed(worker_of(ALICE));
			assert_noop!(Jobs::acknowledge(worker.clone(), 0, 0), Error::<Test>::UnknownJob);
			let id = post(CLIENT, spec());
			assert_noop!(Jobs::acknowledge(worker.clone(), id, 1), Error::<Test>::NoSuchReplica);
			// Another provider's worker, the provider's own cold account, anyone.
			for who in [worker_of(BOB), ALICE, CLIENT, NOBODY] {
				assert_noop!(
					Jobs::acknowledge(signed(who), id, 0),
					Error::<Test>::NotAssignedWorker
				);
			}
			ack(ALICE, id, 0);
			assert_noop!(Jobs::acknowledge(worker.clone(), id, 0), Error::<Test>::NotAwaitingAck);
			submit(ALICE, id, 0, 10);
			assert_noop!(Jobs::acknowledge(worker, id, 0), Error::<Test>::NotAwaitingAck);
		});
	}

	#[test]
	fn late_acknowledgements_and_receipts_are_refused_even_with_a_backlog() {
		ExtBuilder::market().build_and_execute(|| {
			// The hook has not run (as when more timeouts are due than it handles per block):
			// the calls themselves refuse what is late.
			let id = post(CLIENT, spec());
			System::set_block_number(1 + ACK_TIMEOUT);
			assert_noop!(
				Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
				Error::<Test>::AckWindowClosed
			);
			let id = post(CLIENT, spec_with(|s| s.deadline = 1 + ACK_TIMEOUT + 20));
			ack(ALICE, id, 0);
			System::set_block_number(1 + ACK_TIMEOUT + 21);
			assert_noop!(
				Jobs::submit_receipt(signed(worker_of(ALICE)), id, 0, receipt(10)),
				Error::<Test>::DeadlinePassed
			);
			// Up to and including the deadline block it is on time.
			System::set_block_number(1 + ACK_TIMEOUT + 20);
			submit(ALICE, id, 0, 10);
		});
	}

	#[test]
	fn a_queued_job_has_no_replica() {
		ExtBuilder::default().build_and_execute(|| {
			let id = post(CLIENT, spec());
			assert_noop!(
				Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
				Error::<Test>::NoSuchReplica
			);
		});
	}

	#[test]
	fn follows_the_providers_current_worker_key() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			MockRegistry::set_worker(ALICE, 777);
			assert_noop!(
				Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
				Error::<Test>::NotAssignedWorker
			);
			assert_ok!(Jobs::acknowledge(signed(777), id, 0));
			assert_ok!(Jobs::submit_receipt(signed(777), id, 0, receipt(1)));
		});
	}

	#[test]
	fn after_the_window_the_replica_has_moved_on() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			run_to_block(1 + ACK_TIMEOUT);
			// Alice was dropped and Bob took the replica.
			assert_noop!(
				Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
				Error::<Test>::NotAssignedWorker
			);
			ack(BOB, id, 0);
		});
	}
}

// ---- submit_receipt --------------------------------------------------------------------------

mod submit_receipt {
	use super::*;

	#[test]
	fn hands_the_receipt_to_the_verifier() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			run_to_block(4);
			take_events();
			submit(ALICE, id, 0, 60);
			let verdict_at = 4 + MockVerifier::config().window;
			assert_eq!(
				take_events(),
				vec![Event::ReceiptSubmitted {
					job: id,
					replica: 0,
					output_commitment: H256::repeat_byte(0xaa),
					used_units: 60,
					verdict_at,
				}]
			);
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at });
			assert_eq!(job(id).replicas[0].receipt, Some(receipt(60)));
			assert!(!has_timeout(DEADLINE + 1, id, Timeout::Delivery(0)));
			assert!(has_timeout(verdict_at, id, Timeout::Verdict(0)));
			assert_eq!(
				MockVerifier::calls(),
				vec![VerifierCall::Submitted {
					job: id,
					replica: 0,
					provider: ALICE,
					receipt: receipt(60)
				}]
			);
			// Nothing is paid before the verdict.
			assert_eq!(held(CLIENT), ESCROW);
			assert_eq!(free(ALICE), STAKE);
		});
	}

	#[test]
	fn a_verdict_due_now_is_asked_for_next_block() {
		ExtBuilder::market()
			.verifier(VerifierConfig { window: 0, ..Default::default() })
			.build_and_execute(|| {
				let id = post(CLIENT, spec());
				ack(ALICE, id, 0);
				submit(ALICE, id, 0, 60);
				assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: 2 });
				run_to_block(2);
				assert_eq!(replica_state(id, 0), paid(300));
			});
	}

	#[test]
	fn is_accepted_up_to_the_deadline_block() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			run_to_block(DEADLINE);
			submit(ALICE, id, 0, UNITS);
			run_to_block(DEADLINE + 1);
			assert!(MockStake::slashes().is_empty());
			run_to_block(DEADLINE + MockVerifier::config().window);
			assert_eq!(replica_state(id, 0), paid(ALICE_PRICE * 100));
			assert_eq!(job(id).state, JobState::Completed);
		});
	}

	#[test]
	fn refusals() {
		ExtBuilder::market().build_and_execute(|| {
			let worker = signed(worker_of(ALICE));
			assert_noop!(
				Jobs::submit_receipt(worker.clone(), 0, 0, receipt(1)),
				Error::<Test>::UnknownJob
			);
			let id = post(CLIENT, spec());
			// Before the acknowledgement.
			assert_noop!(
				Jobs::submit_receipt(worker.clone(), id, 0, receipt(1)),
				Error::<Test>::NotRunning
			);
			ack(ALICE, id, 0);
			assert_noop!(
				Jobs::submit_receipt(worker.clone(), id, 1, receipt(1)),
				Error::<Test>::NoSuchReplica
			);
			// Another provider's worker, the provider's own cold account, anyone.
			for who in [worker_of(BOB), ALICE, CLIENT, NOBODY] {
				assert_noop!(
					Jobs::submit_receipt(signed(who), id, 0, receipt(1)),
					Error::<Test>::NotAssignedWorker
				);
			}
			assert_noop!(
				Jobs::submit_receipt(worker.clone(), id, 0, receipt(UNITS + 1)),
				Error::<Test>::UsageAboveBudget
			);
			assert_noop!(
				Jobs::submit_receipt(worker.clone(), id, 0, receipt(u64::MAX)),
				Error::<Test>::UsageAboveBudget
			);
			for bad in ["", "ftp://x.example/out", "https://", "file:///out", "https://a\nb"] {
				let mut r = receipt(1);
				r.output_uri = uri(bad);
				assert_noop!(
					Jobs::submit_receipt(worker.clone(), id, 0, r),
					Error::<Test>::InvalidOutputUri
				);
			}
			// Exactly the job's units is fine; a second receipt is not.
			submit(ALICE, id, 0, UNITS);
			assert_noop!(
				Jobs::submit_receipt(worker, id, 0, receipt(1)),
				Error::<Test>::NotRunning
			);
			assert_eq!(MockVerifier::calls().len(), 1);
		});
	}

	#[test]
	fn the_verifier_may_refuse_it() {
		ExtBuilder::market()
			.verifier(VerifierConfig { refuse_receipts: true, ..Default::default() })
			.build_and_execute(|| {
				let id = post(CLIENT, spec());
				ack(ALICE, id, 0);
				assert_noop!(
					Jobs::submit_receipt(signed(worker_of(ALICE)), id, 0, receipt(1)),
					RECEIPT_REFUSED
				);
				assert_eq!(replica_state(id, 0), ReplicaState::Running);
			});
	}

	#[test]
	fn a_worker_cannot_submit_for_someone_elses_job_or_replica() {
		ExtBuilder::market().build_and_execute(|| {
			// Job 0: Alice. Job 1: Alice and Bob.
			let solo = post(CLIENT, spec());
			let pair = post(CLIENT2, replicated(2));
			ack(ALICE, solo, 0);
			ack(ALICE, pair, 0);
			ack(BOB, pair, 1);
			// Bob's worker on Alice's job, Alice's worker on Bob's replica, and the other way.
			for (provider, job, replica) in [(BOB, solo, 0), (ALICE, pair, 1), (BOB, pair, 0)] {
				assert_noop!(
					Jobs::submit_receipt(signed(worker_of(provider)), job, replica, receipt(1)),
					Error::<Test>::NotAssignedWorker
				);
			}
			// Each on its own replica is fine.
			submit(ALICE, pair, 0, 1);
			submit(BOB, pair, 1, 1);
			submit(ALICE, solo, 0, 1);
		});
	}
}

// ---- accept ----------------------------------------------------------------------------------

mod accept {
	use super::*;

	#[test]
	fn pays_at_once_and_tells_the_verifier() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			run_to_block(2);
			submit(ALICE, id, 0, 60);
			let verdict_at = 2 + MockVerifier::config().window;
			take_events();
			assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
			let (payment, fee) = (300, 6);
			assert_eq!(
				take_events(),
				vec![
					Event::AcceptedEarly { job: id, replica: 0 },
					Event::Paid { job: id, replica: 0, provider: ALICE, payment, fee },
					Event::Closed {
						job: id,
						state: JobState::Completed,
						refund: ESCROW - payment - fee
					},
				]
			);
			assert_eq!(replica_state(id, 0), ReplicaState::Paid { payment, fee });
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL - payment - fee);
			assert_eq!(free(ALICE), STAKE + payment);
			assert_eq!(free(TREASURY), ED + fee);
			assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
			assert_eq!(
				MockVerifier::calls().last(),
				Some(&VerifierCall::Closed { job: id, replica: 0 })
			);
			assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Completed)]);
			assert_eq!(MockRegistry::busy(ALICE), 0);
			assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
			assert!(!has_timeout(verdict_at, id, Timeout::Verdict(0)));
			// The verdict is never asked for.
			run_to_block(verdict_at + 5);
			assert_eq!(MockVerifier::verdicts_asked(id, 0), 0);
			assert!(take_events().is_empty());
		});
	}

	#[test]
	fn one_replica_of_several_leaves_the_job_open() {
		ExtBuilder::market().build_and_execute(|| {
			let escrow = escrow_of(MAX_PRICE, UNITS, 2);
			let id = post(CLIENT, replicated(2));
			ack(ALICE, id, 0);
			ack(BOB, id, 1);
			submit(BOB, id, 1, 50);
			take_events();
			assert_ok!(Jobs::accept(signed(CLIENT), id, 1));
			assert_eq!(
				take_events(),
				vec![
					Event::AcceptedEarly { job: id, replica: 1 },
					Event::Paid { job: id, replica: 1, provider: BOB, payment: 300, fee: 6 },
				]
			);
			assert_eq!(job(id).state, JobState::Active);
			assert_eq!(job(id).escrow, escrow - 306);
			assert_eq!(held(CLIENT), escrow - 306);
			assert_eq!(
				stats(),
				JobStats { active: 1, escrowed: escrow - 306, ..Default::default() }
			);
			assert_eq!(replica_state(id, 0), ReplicaState::Running);
		});
	}

	#[test]
	fn refusals() {
		ExtBuilder::market().build_and_execute(|| {
			assert_noop!(Jobs::accept(signed(CLIENT), 0, 0), Error::<Test>::UnknownJob);
			let id = post(CLIENT, spec());
			assert_noop!(Jobs::accept(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
			ack(ALICE, id, 0);
			assert_noop!(Jobs::accept(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
			submit(ALICE, id, 0, 1);
			assert_noop!(Jobs::accept(signed(CLIENT2), id, 0), Error::<Test>::NotClient);
			assert_noop!(Jobs::accept(signed(worker_of(ALICE)), id, 0), Error::<Test>::NotClient);
			assert_noop!(Jobs::accept(signed(CLIENT), id, 1), Error::<Test>::NoSuchReplica);
			// The verifier refuses while the receipt is being proven: nothing changes.
			MockVerifier::configure(VerifierConfig { refuse_accept: true, ..Default::default() });
			assert_noop!(Jobs::accept(signed(CLIENT), id, 0), ACCEPT_REFUSED);
			assert!(!MockVerifier::calls().contains(&VerifierCall::Closed { job: id, replica: 0 }));
			MockVerifier::configure(VerifierConfig::default());
			assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
			assert_noop!(Jobs::accept(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
		});
	}
}

// ---- challenge -------------------------------------------------------------------------------

mod challenge {
	use super::*;

	#[test]
	fn is_forwarded_and_moves_the_verdict() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			run_to_block(2);
			submit(ALICE, id, 0, 60);
			let old = 2 + MockVerifier::config().window;
			run_to_block(3);
			take_events();
			// A watcher challenges.
			assert_ok!(Jobs::challenge(signed(NOBODY), id, 0));
			let verdict_at = 3 + 10;
			assert_eq!(
				take_events(),
				vec![Event::Challenged { job: id, replica: 0, challenger: NOBODY, verdict_at }]
			);
			assert_eq!(
				MockVerifier::calls().last(),
				Some(&VerifierCall::Challenged { job: id, replica: 0, challenger: NOBODY })
			);
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at });
			assert!(!has_timeout(old, id, Timeout::Verdict(0)));
			assert!(has_timeout(verdict_at, id, Timeout::Verdict(0)));
			// The old verdict block passes without asking.
			run_to_block(verdict_at - 1);
			assert_eq!(MockVerifier::verdicts_asked(id, 0), 0);
			assert_eq!(held(CLIENT), ESCROW);
			// The client challenges too: the verdict moves again.
			assert_ok!(Jobs::challenge(signed(CLIENT), id, 0));
			let verdict_at = verdict_at - 1 + 10;
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at });
			run_to_block(verdict_at);
			assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
			assert_eq!(replica_state(id, 0), paid(300));
			assert_eq!(free(ALICE), STAKE + 300);
		});
	}

	#[test]
	fn a_verdict_due_now_is_asked_for_next_block() {
		ExtBuilder::market().build_and_execute(|| {
			MockVerifier::set_challenge_delay(Some(0));
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, 1);
			assert_ok!(Jobs::challenge(signed(CLIENT), id, 0));
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: 2 });
		});
	}

	#[test]
	fn the_verifier_may_refuse_it() {
		ExtBuilder::market().build_and_execute(|| {
			MockVerifier::set_challenge_delay(None);
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, 1);
			assert_noop!(Jobs::challenge(signed(CLIENT), id, 0), CHALLENGE_REFUSED);
		});
	}

	#[test]
	fn refusals() {
		ExtBuilder::market().build_and_execute(|| {
			assert_noop!(Jobs::challenge(signed(CLIENT), 0, 0), Error::<Test>::UnknownJob);
			let id = post(CLIENT, spec());
			assert_noop!(Jobs::challenge(signed(CLIENT), id, 1), Error::<Test>::NoSuchReplica);
			assert_noop!(Jobs::challenge(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
			ack(ALICE, id, 0);
			assert_noop!(Jobs::challenge(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
			submit(ALICE, id, 0, 1);
			assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
			assert_noop!(Jobs::challenge(signed(CLIENT), id, 0), Error::<Test>::NotSubmitted);
			// Nothing reached the verifier but the receipt.
			assert!(!MockVerifier::calls()
				.iter()
				.any(|c| matches!(c, VerifierCall::Challenged { .. })));
		});
	}
}

// ---- verdicts and settlement -----------------------------------------------------------------

mod settlement {
	use super::*;

	#[test]
	fn a_full_lifecycle_conserves_money_to_the_unit() {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			let id = post(CLIENT, spec());
			assert_eq!(held(CLIENT), ESCROW);
			assert_eq!(free(CLIENT), INITIAL - ESCROW);
			assert_eq!(stats(), JobStats { active: 1, escrowed: ESCROW, ..Default::default() });
			ack(ALICE, id, 0);
			run_to_block(2);
			// Alice asks 5 of the 10 allowed and uses 60 of the 100 units.
			submit(ALICE, id, 0, 60);
			run_to_block(4);
			assert_eq!(held(CLIENT), ESCROW);
			take_events();
			run_to_block(5);
			let (payment, fee) = (300, 6);
			let refund = ESCROW - payment - fee;
			assert_eq!(refund, 714);
			assert_eq!(
				take_events(),
				vec![
					Event::Paid { job: id, replica: 0, provider: ALICE, payment, fee },
					Event::Closed { job: id, state: JobState::Completed, refund },
				]
			);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL - payment - fee);
			assert_eq!(free(ALICE), STAKE + payment);
			assert_eq!(free(TREASURY), ED + fee);
			assert_eq!(total(&EVERYONE), before);
			assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
			let record = job(id);
			assert_eq!(record.state, JobState::Completed);
			assert_eq!(record.escrow, 0);
			assert_eq!(record.replicas[0].state, ReplicaState::Paid { payment, fee });
			assert_eq!(
				MockVerifier::calls(),
				vec![
					VerifierCall::Submitted {
						job: id,
						replica: 0,
						provider: ALICE,
						receipt: receipt(60)
					},
					VerifierCall::Verdict { job: id, replica: 0 },
					VerifierCall::Closed { job: id, replica: 0 },
				]
			);
			assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Completed)]);
			assert_eq!(MockRegistry::busy(ALICE), 0);
			assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
			assert!(MockStake::slashes().is_empty());
		});
	}

	#[test]
	fn two_replicas_conserve_money_to_the_unit() {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			let escrow = escrow_of(MAX_PRICE, UNITS, 2);
			let id = post(CLIENT, replicated(2));
			ack(ALICE, id, 0);
			ack(BOB, id, 1);
			run_to_block(2);
			submit(ALICE, id, 0, 60);
			run_to_block(3);
			submit(BOB, id, 1, 80);
			take_events();

			// Alice's verdict at 5: 300 and a fee of 6; the job stays open.
			run_to_block(5);
			assert_eq!(
				take_events(),
				vec![Event::Paid { job: id, replica: 0, provider: ALICE, payment: 300, fee: 6 }]
			);
			assert_eq!(held(CLIENT), escrow - 306);
			assert_eq!(free(CLIENT), INITIAL - escrow);
			assert_eq!(free(ALICE), STAKE + 300);
			assert_eq!(free(TREASURY), ED + 6);
			assert_eq!(
				stats(),
				JobStats { active: 1, escrowed: escrow - 306, ..Default::default() }
			);

			// Bob's at 6: 480 and 2% of it rounded down, 9; then the refund.
			run_to_block(6);
			let refund = escrow - 306 - 489;
			assert_eq!(refund, 1_245);
			assert_eq!(
				take_events(),
				vec![
					Event::Paid { job: id, replica: 1, provider: BOB, payment: 480, fee: 9 },
					Event::Closed { job: id, state: JobState::Completed, refund },
				]
			);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL - 795);
			assert_eq!(free(BOB), STAKE + 480);
			assert_eq!(free(TREASURY), ED + 15);
			assert_eq!(total(&EVERYONE), before);
			assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
			assert_eq!(
				MockRegistry::outcomes(),
				vec![(ALICE, Outcome::Completed), (BOB, Outcome::Completed)]
			);
		});
	}

	#[test]
	fn three_replicas_with_one_rejected_conserve_money() {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			let escrow = escrow_of(MAX_PRICE, UNITS, 3);
			let id = post(CLIENT, replicated(3));
			MockVerifier::script(
				id,
				1,
				vec![Verdict::Rejected { offence: SlashReason::Fraud, watcher: None }],
			);
			for (replica, provider) in [ALICE, BOB, CHARLIE].into_iter().enumerate() {
				ack(provider, id, replica as u32);
			}
			submit(ALICE, id, 0, 60);
			submit(BOB, id, 1, 70);
			submit(CHARLIE, id, 2, UNITS);
			take_events();
			run_to_block(1 + MockVerifier::config().window);
			let charlie_pay = CHARLIE_PRICE * Balance::from(UNITS);
			let refund = escrow - 306 - charlie_pay - fee_on(charlie_pay);
			// The three verdicts are due in the same block, handled in storage order; the job
			// closes after the last.
			let mut events = take_events();
			assert_eq!(
				events.pop(),
				Some(Event::Closed { job: id, state: JobState::Completed, refund })
			);
			assert_eq!(events.len(), 3);
			for event in [
				Event::Paid { job: id, replica: 0, provider: ALICE, payment: 300, fee: 6 },
				Event::ReplicaFailed {
					job: id,
					replica: 1,
					provider: BOB,
					reason: FailureReason::Rejected,
				},
				Event::Paid {
					job: id,
					replica: 2,
					provider: CHARLIE,
					payment: charlie_pay,
					fee: 14,
				},
			] {
				assert!(events.contains(&event), "missing {event:?}");
			}
			assert_eq!(MockStake::slashes(), vec![slash_of(BOB, SlashReason::Fraud, CLIENT)]);
			let to_client = FRAUD_SLASH / 2;
			assert_eq!(free(CLIENT), INITIAL - 306 - 714 + to_client);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(ALICE), STAKE + 300);
			assert_eq!(free(BOB), STAKE - FRAUD_SLASH);
			assert_eq!(free(CHARLIE), STAKE + 700);
			assert_eq!(free(TREASURY), ED + 6 + 14 + (FRAUD_SLASH - to_client));
			assert_eq!(total(&EVERYONE), before);
			let outcomes = MockRegistry::outcomes();
			assert_eq!(outcomes.len(), 3);
			for outcome in [
				(ALICE, Outcome::Completed),
				(BOB, Outcome::Slashed),
				(CHARLIE, Outcome::Completed),
			] {
				assert!(outcomes.contains(&outcome));
			}
		});
	}

	#[test]
	fn a_rejected_receipt_slashes_for_fraud_and_refunds_the_client() {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			MockVerifier::set_verdict(Verdict::Rejected {
				offence: SlashReason::Fraud,
				watcher: None,
			});
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, UNITS);
			take_events();
			run_to_block(1 + MockVerifier::config().window);
			assert_eq!(
				take_events(),
				vec![
					Event::ReplicaFailed {
						job: id,
						replica: 0,
						provider: ALICE,
						reason: FailureReason::Rejected
					},
					Event::Closed { job: id, state: JobState::Failed, refund: ESCROW },
				]
			);
			assert_eq!(MockStake::slashes(), vec![slash_of(ALICE, SlashReason::Fraud, CLIENT)]);
			assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Slashed)]);
			assert_eq!(
				MockVerifier::calls().last(),
				Some(&VerifierCall::Closed { job: id, replica: 0 })
			);
			// The client gets its escrow back and the client share of the slash.
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL + FRAUD_SLASH / 2);
			assert_eq!(free(ALICE), STAKE - FRAUD_SLASH);
			assert_eq!(free(TREASURY), ED + FRAUD_SLASH / 2);
			assert_eq!(total(&EVERYONE), before);
			assert_eq!(replica_state(id, 0), ReplicaState::Failed);
			assert_eq!(job(id).state, JobState::Failed);
			assert_eq!(stats(), JobStats { failed: 1, ..Default::default() });
			assert_eq!(MockRegistry::busy(ALICE), 0);
			assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
		});
	}

	#[test]
	fn an_outvoted_receipt_slashes_for_dissent_and_pays_the_watcher() {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			MockVerifier::set_verdict(Verdict::Rejected {
				offence: SlashReason::Dissent,
				watcher: Some(CLIENT2),
			});
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, UNITS);
			take_events();
			run_to_block(1 + MockVerifier::config().window);
			assert_eq!(
				take_events(),
				vec![
					Event::ReplicaFailed {
						job: id,
						replica: 0,
						provider: ALICE,
						reason: FailureReason::Outvoted
					},
					Event::Closed { job: id, state: JobState::Failed, refund: ESCROW },
				]
			);
			let slashed = MockStake::amount(SlashReason::Dissent);
			let (to_client, to_watcher) = (slashed / 2, slashed / 5);
			assert_eq!(
				MockStake::slashes(),
				vec![SlashRecord {
					who: ALICE,
					reason: SlashReason::Dissent,
					harmed: Some(CLIENT),
					watcher: Some(CLIENT2),
					outcome: SlashOutcome {
						slashed,
						to_client,
						to_watcher,
						to_treasury: slashed - to_client - to_watcher,
					},
				}]
			);
			assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Failed)]);
			assert_eq!(free(CLIENT), INITIAL + to_client);
			assert_eq!(free(CLIENT2), INITIAL + to_watcher);
			assert_eq!(free(ALICE), STAKE - slashed);
			assert_eq!(free(TREASURY), ED + slashed - to_client - to_watcher);
			assert_eq!(total(&EVERYONE), before);
		});
	}

	#[test]
	fn verifier_weights_are_charged() {
		ExtBuilder::market().build_and_execute(|| {
			let receipt_call =
				crate::Call::<Test>::submit_receipt { job: 0, replica: 0, receipt: receipt(UNITS) };
			assert_eq!(
				receipt_call.get_dispatch_info().call_weight,
				<() as crate::WeightInfo>::submit_receipt() + MOCK_VERIFIER_WEIGHT
			);
			let challenge_call = crate::Call::<Test>::challenge { job: 0, replica: 0 };
			assert_eq!(
				challenge_call.get_dispatch_info().call_weight,
				<() as crate::WeightInfo>::challenge() + MOCK_VERIFIER_WEIGHT
			);
		});
	}

	#[test]
	fn a_pending_verdict_is_asked_again_when_the_verifier_says() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			MockVerifier::script(id, 0, vec![Verdict::Pending(20)]);
			ack(ALICE, id, 0);
			run_to_block(2);
			submit(ALICE, id, 0, 60);
			run_to_block(5);
			assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: 20 });
			assert!(has_timeout(20, id, Timeout::Verdict(0)));
			assert_eq!(held(CLIENT), ESCROW);
			run_to_block(19);
			assert_eq!(MockVerifier::verdicts_asked(id, 0), 1);
			run_to_block(20);
			assert_eq!(MockVerifier::verdicts_asked(id, 0), 2);
			assert_eq!(replica_state(id, 0), paid(300));
			assert_eq!(job(id).state, JobState::Completed);
		});
	}

	#[test]
	fn a_pending_verdict_in_the_past_is_asked_again_next_block() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			MockVerifier::script(
				id,
				0,
				vec![
					Verdict::Pending(0),
					Verdict::Pending(7),
					Verdict::Rejected { offence: SlashReason::Fraud, watcher: None },
				],
			);
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, 60);
			run_to_block(4);
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: 5 });
			run_to_block(5);
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: 7 });
			run_to_block(7);
			assert_eq!(MockVerifier::verdicts_asked(id, 0), 3);
			assert_eq!(replica_state(id, 0), ReplicaState::Failed);
		});
	}

	#[test]
	fn a_pending_verdict_can_still_be_challenged_or_accepted() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, replicated(2));
			MockVerifier::script(id, 0, vec![Verdict::Pending(100)]);
			MockVerifier::script(id, 1, vec![Verdict::Pending(100)]);
			ack(ALICE, id, 0);
			ack(BOB, id, 1);
			submit(ALICE, id, 0, 1);
			submit(BOB, id, 1, 1);
			run_to_block(4);
			assert_ok!(Jobs::challenge(signed(CLIENT), id, 0));
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: 14 });
			assert!(!has_timeout(100, id, Timeout::Verdict(0)));
			assert_ok!(Jobs::accept(signed(CLIENT), id, 1));
			assert!(!has_timeout(100, id, Timeout::Verdict(1)));
			run_to_block(14);
			assert_eq!(job(id).state, JobState::Completed);
			assert_eq!(timeouts_at(100), 0);
		});
	}

	#[test]
	fn the_verdict_may_come_after_the_deadline() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			run_to_block(DEADLINE - 1);
			submit(ALICE, id, 0, 60);
			run_to_block(DEADLINE + 1);
			assert!(MockStake::slashes().is_empty());
			assert_eq!(replica_state(id, 0), ReplicaState::Submitted { verdict_at: DEADLINE + 2 });
			run_to_block(DEADLINE + 2);
			assert_eq!(replica_state(id, 0), paid(300));
		});
	}
}

// ---- deadlines, re-matching and the queue ----------------------------------------------------

mod timeouts {
	use super::*;

	#[test]
	fn a_provider_that_never_acknowledges_is_slashed_dropped_and_replaced() {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			let id = post(CLIENT, spec());
			take_events();
			run_to_block(ACK_TIMEOUT);
			assert_eq!(replica_state(id, 0), ReplicaState::AwaitingAck { until: 1 + ACK_TIMEOUT });
			assert!(take_events().is_empty());

			run_to_block(1 + ACK_TIMEOUT);
			let now = 1 + ACK_TIMEOUT;
			assert_eq!(
				take_events(),
				vec![
					Event::ReplicaFailed {
						job: id,
						replica: 0,
						provider: ALICE,
						reason: FailureReason::MissedAcknowledgement,
					},
					Event::Assigned {
						job: id,
						replica: 0,
						provider: BOB,
						worker: worker_of(BOB),
						price_per_unit: BOB_PRICE,
					},
				]
			);
			assert_eq!(
				MockStake::slashes(),
				vec![slash_to_treasury(ALICE, SlashReason::MissedDeadline)]
			);
			assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Failed)]);
			let record = job(id);
			assert_eq!(record.dropped.to_vec(), vec![ALICE]);
			assert_eq!(record.replicas[0].provider, BOB);
			assert_eq!(record.replicas[0].price_per_unit, BOB_PRICE);
			assert_eq!(
				record.replicas[0].state,
				ReplicaState::AwaitingAck { until: now + ACK_TIMEOUT }
			);
			// The re-match asked for one provider, without Alice.
			let (count, exclude) = MockRegistry::cheapest_calls().pop().unwrap();
			assert_eq!(count, 1);
			assert!(exclude.contains(&ALICE));
			assert_eq!(MockRegistry::busy(ALICE), 0);
			assert_eq!(MockRegistry::busy(BOB), 1);
			assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
			assert_eq!(ProviderJobs::<Test>::get(BOB, id), Some(0));
			// Money: the slash goes to the treasury (the client is not harmed by a re-match);
			// escrow untouched.
			assert_eq!(held(CLIENT), ESCROW);
			assert_eq!(free(CLIENT), INITIAL - ESCROW);
			assert_eq!(free(ALICE), STAKE - MISSED_DEADLINE_SLASH);
			assert_eq!(free(TREASURY), ED + MISSED_DEADLINE_SLASH);
			assert_eq!(stats(), JobStats { active: 1, escrowed: ESCROW, ..Default::default() });
			// Alice's worker is too late; Bob's completes.
			assert_noop!(
				Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
				Error::<Test>::NotAssignedWorker
			);
			run_to_block(now + 1);
			ack(BOB, id, 0);
			run_to_block(now + 2);
			submit(BOB, id, 0, 50);
			run_to_block(now + 2 + MockVerifier::config().window);
			assert_eq!(
				take_events(),
				vec![
					Event::Acknowledged { job: id, replica: 0 },
					Event::ReceiptSubmitted {
						job: id,
						replica: 0,
						output_commitment: H256::repeat_byte(0xaa),
						used_units: 50,
						verdict_at: now + 2 + MockVerifier::config().window,
					},
					Event::Paid { job: id, replica: 0, provider: BOB, payment: 300, fee: 6 },
					Event::Closed { job: id, state: JobState::Completed, refund: ESCROW - 306 },
				]
			);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL - 306);
			assert_eq!(free(BOB), STAKE + 300);
			assert_eq!(free(TREASURY), ED + MISSED_DEADLINE_SLASH + 6);
			assert_eq!(total(&EVERYONE), before);
			assert_eq!(
				MockRegistry::outcomes(),
				vec![(ALICE, Outcome::Failed), (BOB, Outcome::Completed)]
			);
			assert_eq!(stats(), JobStats { completed: 1, ..Default::default() });
		});
	}

	#[test]
	fn with_no_provider_left_the_replica_and_the_job_fail() {
		ExtBuilder::default().providers(vec![(ALICE, ALICE_PRICE)]).build_and_execute(|| {
			let before = total(&EVERYONE);
			let id = post(CLIENT, spec());
			take_events();
			run_to_block(1 + ACK_TIMEOUT);
			assert_eq!(
				take_events(),
				vec![
					Event::ReplicaFailed {
						job: id,
						replica: 0,
						provider: ALICE,
						reason: FailureReason::MissedAcknowledgement,
					},
					Event::Closed { job: id, state: JobState::Failed, refund: ESCROW },
				]
			);
			// The whole escrow comes back; the slash goes to the treasury.
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL);
			assert_eq!(free(ALICE), STAKE - MISSED_DEADLINE_SLASH);
			assert_eq!(free(TREASURY), ED + MISSED_DEADLINE_SLASH);
			assert_eq!(total(&EVERYONE), before);
			assert_eq!(stats(), JobStats { failed: 1, ..Default::default() });
			assert_eq!(job(id).state, JobState::Failed);
			assert_eq!(replica_state(id, 0), ReplicaState::Failed);
			assert_eq!(MockRegistry::busy(ALICE), 0);
		});
	}

	#[test]
	fn no_rematch_when_the_acknowledgement_would_not_fit_before_the_deadline() {
		ExtBuilder::market().build_and_execute(|| {
			// Due at 11: Alice must acknowledge by 6, a new provider would have until 11.
			let id = post(CLIENT, spec_with(|s| s.deadline = 1 + MIN_DEADLINE));
			run_to_block(1 + ACK_TIMEOUT);
			assert_eq!(job(id).state, JobState::Failed);
			assert_eq!(MockRegistry::busy(BOB), 0);
			// With one more block it would.
			let id = post(CLIENT, spec_with(|s| s.deadline = 7 + MIN_DEADLINE));
			run_to_block(7 + ACK_TIMEOUT);
			assert_eq!(job(id).replicas[0].provider, BOB);
		});
	}

	#[test]
	fn every_dropped_provider_is_excluded_until_the_list_is_full() {
		ExtBuilder::market()
			.providers(vec![(ALICE, 5), (BOB, 6), (CHARLIE, 7), (NOBODY, 8), (CLIENT2, 9)])
			.balances(vec![(CLIENT, INITIAL)])
			.build_and_execute(|| {
				let id = post(CLIENT, spec());
				// Nobody ever acknowledges.
				for (round, provider) in [ALICE, BOB, CHARLIE].into_iter().enumerate() {
					let at = 1 + ACK_TIMEOUT * (round as u64 + 1);
					assert_eq!(job(id).replicas[0].provider, provider);
					run_to_block(at);
				}
				// Three dropped (the most it holds): the fourth is matched, but once it fails too
				// re-matching stops.
				assert_eq!(job(id).dropped.to_vec(), vec![ALICE, BOB, CHARLIE]);
				assert_eq!(job(id).replicas[0].provider, NOBODY);
				run_to_block(1 + ACK_TIMEOUT * 4);
				assert_eq!(job(id).state, JobState::Failed);
				assert_eq!(MockRegistry::busy(CLIENT2), 0);
				assert_eq!(MockStake::slashes().len(), 4);
			});
	}

	#[test]
	fn a_provider_that_acknowledges_but_never_delivers_is_slashed_after_the_deadline() {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			take_events();
			run_to_block(DEADLINE);
			assert_eq!(replica_state(id, 0), ReplicaState::Running);
			assert!(MockStake::slashes().is_empty());
			run_to_block(DEADLINE + 1);
			assert_eq!(
				take_events(),
				vec![
					Event::ReplicaFailed {
						job: id,
						replica: 0,
						provider: ALICE,
						reason: FailureReason::MissedDeadline,
					},
					Event::Closed { job: id, state: JobState::Failed, refund: ESCROW },
				]
			);
			assert_eq!(
				MockStake::slashes(),
				vec![slash_of(ALICE, SlashReason::MissedDeadline, CLIENT)]
			);
			assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Failed)]);
			// Not dropped, not re-matched: the deadline has passed.
			assert!(job(id).dropped.is_empty());
			assert_eq!(MockRegistry::busy(BOB), 0);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL + MISSED_DEADLINE_SLASH / 2);
			assert_eq!(free(TREASURY), ED + MISSED_DEADLINE_SLASH / 2);
			assert_eq!(total(&EVERYONE), before);
			assert_eq!(stats(), JobStats { failed: 1, ..Default::default() });
			assert_noop!(
				Jobs::submit_receipt(signed(worker_of(ALICE)), id, 0, receipt(1)),
				Error::<Test>::NotRunning
			);
		});
	}

	#[test]
	fn one_late_replica_does_not_fail_the_others() {
		ExtBuilder::market().build_and_execute(|| {
			let escrow = escrow_of(MAX_PRICE, UNITS, 2);
			let id = post(CLIENT, replicated(2));
			ack(ALICE, id, 0);
			ack(BOB, id, 1);
			submit(BOB, id, 1, UNITS);
			run_to_block(DEADLINE + 1);
			// Bob was paid 600 + 12 at block 4, Alice failed at the deadline.
			assert_eq!(replica_state(id, 1), paid(600));
			assert_eq!(replica_state(id, 0), ReplicaState::Failed);
			assert_eq!(job(id).state, JobState::Completed);
			assert_eq!(free(CLIENT), INITIAL - 612 + MISSED_DEADLINE_SLASH / 2);
			assert_eq!(held(CLIENT), 0);
			System::assert_has_event(
				Event::Closed { job: id, state: JobState::Completed, refund: escrow - 612 }.into(),
			);
		});
	}

	#[test]
	fn a_queued_job_is_matched_when_capacity_appears() {
		ExtBuilder::market().build_and_execute(|| {
			for p in [ALICE, BOB, CHARLIE] {
				MockRegistry::set_eligible(p, false);
			}
			let id = post(CLIENT, spec());
			assert_eq!(job(id).state, JobState::Queued);
			run_to_block(3);
			assert_eq!(job(id).state, JobState::Queued);
			take_events();
			MockRegistry::set_eligible(BOB, true);
			run_to_block(4);
			assert_eq!(
				take_events(),
				vec![Event::Assigned {
					job: id,
					replica: 0,
					provider: BOB,
					worker: worker_of(BOB),
					price_per_unit: BOB_PRICE,
				}]
			);
			assert_eq!(job(id).state, JobState::Active);
			assert_eq!(replica_state(id, 0), ReplicaState::AwaitingAck { until: 4 + ACK_TIMEOUT });
			assert!(Queue::<Test>::get().is_empty());
			assert!(!has_timeout(DEADLINE + 1, id, Timeout::QueueExpiry));
			assert_eq!(stats(), JobStats { active: 1, escrowed: ESCROW, ..Default::default() });
			assert_eq!(held(CLIENT), ESCROW);
			ack(BOB, id, 0);
			submit(BOB, id, 0, 10);
			assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
			assert_eq!(free(CLIENT), INITIAL - 60 - 1);
			assert_eq!(free(BOB), STAKE + 60);
			assert_eq!(free(TREASURY), ED + 1);
			// Nothing happens at the old expiry.
			run_to_block(DEADLINE + 1);
			assert_eq!(job(id).state, JobState::Completed);
		});
	}

	#[test]
	fn a_queued_job_is_not_matched_too_late_to_acknowledge() {
		ExtBuilder::default().build_and_execute(|| {
			let id = post(CLIENT, spec());
			run_to_block(DEADLINE - ACK_TIMEOUT - 1);
			MockRegistry::add(ALICE, ALICE_PRICE);
			run_to_block(DEADLINE);
			assert_eq!(job(id).state, JobState::Queued);
			assert_eq!(MockRegistry::busy(ALICE), 0);
			run_to_block(DEADLINE + 1);
			assert_eq!(job(id).state, JobState::Expired);
		});
	}

	#[test]
	fn a_queued_job_expires_after_its_deadline_and_is_refunded() {
		ExtBuilder::default().build_and_execute(|| {
			let before = total(&EVERYONE);
			let id = post(CLIENT, spec());
			take_events();
			run_to_block(DEADLINE);
			assert_eq!(job(id).state, JobState::Queued);
			assert!(take_events().is_empty());
			run_to_block(DEADLINE + 1);
			assert_eq!(
				take_events(),
				vec![Event::Closed { job: id, state: JobState::Expired, refund: ESCROW }]
			);
			assert_eq!(job(id).state, JobState::Expired);
			assert_eq!(job(id).escrow, 0);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL);
			assert_eq!(free(TREASURY), ED);
			assert_eq!(total(&EVERYONE), before);
			assert!(Queue::<Test>::get().is_empty());
			assert_eq!(stats(), JobStats { expired: 1, ..Default::default() });
		});
	}

	#[test]
	fn the_queue_is_round_robin() {
		ExtBuilder::default().build_and_execute(|| {
			// Two jobs nobody will take at 1 per unit, then one that Alice will take.
			let cheap = spec_with(|s| s.max_price_per_unit = 1);
			let a = post(CLIENT, cheap.clone());
			let b = post(CLIENT, cheap);
			let c = post(CLIENT2, spec());
			assert_eq!(Queue::<Test>::get().to_vec(), vec![a, b, c]);
			MockRegistry::add(ALICE, ALICE_PRICE);
			// Block 2 tries a and b, which go to the back.
			run_to_block(2);
			assert_eq!(Queue::<Test>::get().to_vec(), vec![c, a, b]);
			assert_eq!(job(c).state, JobState::Queued);
			// Block 3 tries c (matched) and a.
			run_to_block(3);
			assert_eq!(job(c).state, JobState::Active);
			assert_eq!(job(c).replicas[0].provider, ALICE);
			assert_eq!(Queue::<Test>::get().to_vec(), vec![b, a]);
			assert_eq!(stats().queued, 2);
			assert_eq!(stats().active, 1);
		});
	}

	#[test]
	fn more_expiries_than_the_hook_handles_carry_over_to_the_next_block() {
		ExtBuilder::default().build_and_execute(|| {
			let ids: Vec<JobId> = (0..MAX_QUEUED).map(|_| post(CLIENT, spec())).collect();
			assert_eq!(timeouts_at(DEADLINE + 1), MAX_QUEUED as usize);
			run_to_block(DEADLINE);
			take_events();
			run_to_block(DEADLINE + 1);
			let closed = |events: Vec<Event<Test>>| {
				events.into_iter().filter(|e| matches!(e, Event::Closed { .. })).count()
			};
			assert_eq!(closed(take_events()), MAX_TIMEOUTS_PER_BLOCK as usize);
			assert_eq!(stats().expired, MAX_TIMEOUTS_PER_BLOCK);
			assert_eq!(stats().queued, MAX_QUEUED - MAX_TIMEOUTS_PER_BLOCK);
			assert_eq!(TimeoutCursor::<Test>::get(), DEADLINE + 1);
			run_to_block(DEADLINE + 2);
			assert_eq!(closed(take_events()), 1);
			assert_eq!(TimeoutCursor::<Test>::get(), DEADLINE + 3);
			for id in ids {
				assert_eq!(job(id).state, JobState::Expired);
			}
			assert_eq!(held(CLIENT), 0);
			assert_eq!(free(CLIENT), INITIAL);
			assert_eq!(stats(), JobStats { expired: MAX_QUEUED, ..Default::default() });
		});
	}

	#[test]
	fn a_backlog_of_timeouts_is_handled_late_but_none_is_skipped() {
		ExtBuilder::market().build_and_execute(|| {
			// Two jobs of two replicas at up to 6: Alice and Bob on each, Charlie never fits.
			let pair = spec_with(|s| {
				s.replicas = 2;
				s.max_price_per_unit = 6;
			});
			let first = post(CLIENT, pair.clone());
			let second = post(CLIENT2, pair);
			// A third job a block later goes to Charlie, whose slots are free.
			run_to_block(2);
			let third = post(CLIENT, spec());
			assert_eq!(job(third).replicas[0].provider, CHARLIE);
			// Four acknowledgements are due at 6, one at 7; nobody acknowledges.
			assert_eq!(timeouts_at(1 + ACK_TIMEOUT), 4);
			assert_eq!(timeouts_at(2 + ACK_TIMEOUT), 1);
			take_events();
			run_to_block(1 + ACK_TIMEOUT);
			let failed = |events: &[Event<Test>]| {
				events.iter().filter(|e| matches!(e, Event::ReplicaFailed { .. })).count()
			};
			assert_eq!(failed(&take_events()), MAX_TIMEOUTS_PER_BLOCK as usize);
			assert_eq!(TimeoutCursor::<Test>::get(), 1 + ACK_TIMEOUT);
			assert_eq!(timeouts_at(1 + ACK_TIMEOUT), 1);
			// The last one of block 6 and the one of block 7 are both handled at 7.
			run_to_block(2 + ACK_TIMEOUT);
			let events = take_events();
			assert_eq!(failed(&events), 2);
			assert_eq!(timeouts_at(1 + ACK_TIMEOUT), 0);
			assert_eq!(TimeoutCursor::<Test>::get(), 3 + ACK_TIMEOUT);
			assert_eq!(job(first).state, JobState::Failed);
			assert_eq!(job(second).state, JobState::Failed);
			// Charlie's replica was re-matched to Alice, whose slots are free again.
			assert_eq!(job(third).state, JobState::Active);
			assert_eq!(job(third).replicas[0].provider, ALICE);
			assert_eq!(MockStake::slashes().len(), 5);
			// Missed acknowledgements compensate nobody: the client gets its escrow back only.
			assert_eq!(held(CLIENT2), 0);
			assert_eq!(free(CLIENT2), INITIAL);
		});
	}

	#[test]
	fn the_hook_reports_its_weight() {
		ExtBuilder::default().build_and_execute(|| {
			use crate::WeightInfo;
			post(CLIENT, spec());
			System::set_block_number(2);
			let weight = Jobs::on_initialize(2);
			assert_eq!(
				weight,
				<() as WeightInfo>::on_initialize_timeouts(0)
					.saturating_add(<() as WeightInfo>::on_initialize_queue(1))
					.saturating_add(CHEAPEST_WEIGHT)
			);
		});
	}
}

mod rematch {
	use super::*;

	#[test]
	fn skips_the_providers_already_on_the_job() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, replicated(2));
			// Bob acknowledges; Alice does not.
			ack(BOB, id, 1);
			run_to_block(1 + ACK_TIMEOUT);
			// Bob is cheaper than Charlie but already runs replica 1.
			let record = job(id);
			assert_eq!(record.replicas[0].provider, CHARLIE);
			assert_eq!(record.replicas[1].provider, BOB);
			assert_eq!(record.replicas[1].state, ReplicaState::Running);
			assert_eq!(MockRegistry::cheapest_calls().last(), Some(&(1, vec![ALICE, ALICE, BOB])));
			assert_eq!(ProviderJobs::<Test>::get(CHARLIE, id), Some(0));
			assert_eq!(ProviderJobs::<Test>::get(BOB, id), Some(1));
			assert_eq!(MockRegistry::busy(BOB), 1);
			// Both complete.
			ack(CHARLIE, id, 0);
			submit(CHARLIE, id, 0, 10);
			submit(BOB, id, 1, 10);
			assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
			assert_ok!(Jobs::accept(signed(CLIENT), id, 1));
			assert_eq!(job(id).state, JobState::Completed);
			assert_eq!(free(CHARLIE), STAKE + 70);
			assert_eq!(free(BOB), STAKE + 60);
		});
	}

	#[test]
	fn two_missed_acknowledgements_in_one_block_get_different_providers() {
		ExtBuilder::market()
			.providers(vec![(ALICE, 5), (BOB, 6), (CHARLIE, 7), (NOBODY, 8)])
			.build_and_execute(|| {
				let id = post(CLIENT, replicated(2));
				run_to_block(1 + ACK_TIMEOUT);
				let record = job(id);
				assert_eq!(record.dropped.len(), 2);
				let mut providers: Vec<_> = record.replicas.iter().map(|r| r.provider).collect();
				providers.sort();
				assert_eq!(providers, vec![CHARLIE, NOBODY]);
				assert_eq!(MockStake::slashes().len(), 2);
			});
	}
}

mod slash_failure {
	use super::*;

	#[test]
	fn a_failed_slash_is_rolled_back_and_the_replica_still_fails() {
		ExtBuilder::market().providers(vec![(ALICE, ALICE_PRICE)]).build_and_execute(|| {
			let before = total(&EVERYONE);
			MockStake::set_failing(true);
			let id = post(CLIENT, spec());
			run_to_block(1 + ACK_TIMEOUT);
			// The slash moved money, then failed: none of it stays moved.
			assert_eq!(free(ALICE), STAKE);
			assert_eq!(free(TREASURY), ED);
			assert_eq!(free(CLIENT), INITIAL);
			assert_eq!(held(CLIENT), 0);
			assert_eq!(total(&EVERYONE), before);
			assert_eq!(job(id).state, JobState::Failed);
			assert_eq!(MockRegistry::outcomes(), vec![(ALICE, Outcome::Failed)]);
			assert_eq!(MockRegistry::busy(ALICE), 0);
		});
	}
}

// ---- the provider goes away ------------------------------------------------------------------

mod deregistered {
	use super::*;

	#[test]
	fn a_provider_that_leaves_mid_job_is_slashed_and_replaced() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			MockRegistry::remove(ALICE);
			// Its worker key signs for nobody any more.
			assert_noop!(
				Jobs::acknowledge(signed(worker_of(ALICE)), id, 0),
				Error::<Test>::NotAssignedWorker
			);
			run_to_block(1 + ACK_TIMEOUT);
			assert_eq!(
				MockStake::slashes(),
				vec![slash_to_treasury(ALICE, SlashReason::MissedDeadline)]
			);
			assert_eq!(job(id).replicas[0].provider, BOB);
			assert_eq!(ProviderJobs::<Test>::get(ALICE, id), None);
		});
	}

	#[test]
	fn a_provider_that_leaves_after_its_receipt_is_still_paid() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			ack(ALICE, id, 0);
			submit(ALICE, id, 0, 10);
			MockRegistry::remove(ALICE);
			run_to_block(1 + MockVerifier::config().window);
			assert_eq!(replica_state(id, 0), paid(50));
			assert_eq!(free(ALICE), STAKE + 50);
			assert_eq!(job(id).state, JobState::Completed);
		});
	}
}

// ---- invariants ------------------------------------------------------------------------------

mod invariants {
	use super::*;

	#[test]
	fn integrity_test_passes() {
		ExtBuilder::market().build_and_execute(|| {
			<Jobs as Hooks<BlockNumber>>::integrity_test();
		});
	}

	#[test]
	fn try_state_catches_stats_that_drift() {
		ExtBuilder::market().build_and_execute(|| {
			post(CLIENT, spec());
			assert_ok!(Jobs::do_try_state());
			Stats::<Test>::mutate(|s| s.escrowed += 1);
			assert!(Jobs::do_try_state().is_err());
			Stats::<Test>::mutate(|s| s.escrowed -= 1);
			Stats::<Test>::mutate(|s| s.completed += 1);
			assert!(Jobs::do_try_state().is_err());
			Stats::<Test>::mutate(|s| s.completed -= 1);
		});
	}

	#[test]
	fn try_state_catches_a_missing_timeout() {
		ExtBuilder::market().build_and_execute(|| {
			let id = post(CLIENT, spec());
			Timeouts::<Test>::remove(1 + ACK_TIMEOUT, (id, Timeout::Acknowledgement(0)));
			assert!(Jobs::do_try_state().is_err());
			Timeouts::<Test>::insert(1 + ACK_TIMEOUT, (id, Timeout::Acknowledgement(0)), ());
		});
	}

	#[test]
	fn try_state_catches_a_hold_that_differs_from_the_escrow() {
		ExtBuilder::market().build_and_execute(|| {
			use frame_support::traits::{fungible::MutateHold, tokens::Precision};
			let reason = RuntimeHoldReason::Jobs(HoldReason::Escrow);
			post(CLIENT, spec());
			assert_ok!(Balances::release(&reason, &CLIENT, 1, Precision::Exact));
			assert!(Jobs::do_try_state().is_err());
			assert_ok!(Balances::hold(&reason, &CLIENT, 1));
		});
	}

	#[test]
	fn many_jobs_keep_the_books() {
		ExtBuilder::market().build_and_execute(|| {
			let before = total(&EVERYONE);
			// A mix: some accepted early, some rejected, some never acknowledged, some queued
			// and cancelled, over a few dozen blocks.
			MockVerifier::set_verdict(Verdict::Accepted);
			let mut posted = Vec::new();
			for round in 0..6u64 {
				let client = if round % 2 == 0 { CLIENT } else { CLIENT2 };
				let id = post(client, spec_with(|s| s.deadline = System::block_number() + 30));
				if job(id).state == JobState::Active {
					let provider = job(id).replicas[0].provider;
					match round % 3 {
						0 => {
							ack(provider, id, 0);
							assert_ok!(Jobs::submit_receipt(
								signed(worker_of(provider)),
								id,
								0,
								receipt(round * 10)
							));
						},
						1 => {
							MockVerifier::script(
								id,
								0,
								vec![Verdict::Rejected {
									offence: SlashReason::Fraud,
									watcher: None,
								}],
							);
							ack(provider, id, 0);
							assert_ok!(Jobs::submit_receipt(
								signed(worker_of(provider)),
								id,
								0,
								receipt(UNITS)
							));
						},
						_ => {},
					}
				} else {
					assert_ok!(Jobs::cancel(signed(client), id));
				}
				posted.push(id);
				run_to_block(System::block_number() + 3);
			}
			run_to_block(System::block_number() + 40);
			for id in posted {
				assert!(!job(id).state.is_open(), "job {id} is still open");
			}
			assert_eq!(held(CLIENT), 0);
			assert_eq!(held(CLIENT2), 0);
			assert_eq!(stats().escrowed, 0);
			assert_eq!(total(&EVERYONE), before);
		});
	}
}

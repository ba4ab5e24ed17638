use crate::{
	mock::*,
	pallet::{Authorities, Checks, Enclaves, Measurements, Tallies},
	sampling, AttestationReport, Challenge, Decision, Enclave, Error, Event, Executor, Fault,
	HoldReason, OpeningsOf, ReportOf, Stage, StageOf, MAX_SAMPLES,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::DispatchResultWithPostInfo,
	traits::{fungible::InspectHold, ConstU32, Hooks},
	BoundedVec,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{DispatchError, Perbill};
use tessera_commitment::{
	audit_roll, commit_inputs, commit_output, matmul_reference, sample_positions, sample_seed,
	seed_matrices, Dims, Opening, OpeningError, Prover,
};
use tessera_primitives::{
	jobs::{
		attested_receipt_payload, sealed_output, Inputs, JobId, Receipt, Verdict, Verification,
		Workload,
	},
	market::{Outcome, Requirements, SlashReason},
};

// ---- helpers ---------------------------------------------------------------------------------

/// Price cap per unit of every job here: every provider of the default table fits under it.
const MAX_PRICE: Balance = 10;
/// Deadline of every job here unless a test sets another.
const DEADLINE: BlockNumber = 100;
/// Small square jobs: the chain-side verification stays fast.
const SMALL: Dims = Dims { m: 16, n: 16, k: 16 };
/// Odd dimensions: k not a multiple of 8, n not a multiple of the chunk.
const ODD: Dims = Dims { m: 40, n: 24, k: 33 };
/// Rows longer than one chunk of C (64): positions in the second, shorter chunk.
const WIDE: Dims = Dims { m: 6, n: 70, k: 5 };
/// 100 rows: one wrong row is 1% of the output.
const TALL: Dims = Dims { m: 100, n: 8, k: 8 };
/// The block every test starts in, where most receipts are submitted.
const START: BlockNumber = 1;
/// Where the draw of a receipt submitted at [`START`] happens.
const DRAW: BlockNumber = START + RANDOMNESS_DELAY + 1;
/// The executors' part of a challenge bond: 50 of 100.
const EXECUTOR_POT: Balance = CHALLENGE_BOND * EXECUTOR_SHARE_PERCENT as Balance / 100;
/// Every account that money can move between in these tests.
const EVERYONE: [AccountId; 9] = [CLIENT, WATCHER, POOR, ALICE, BOB, CHARLIE, DAVE, EVE, NOBODY];

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

/// A `MatMulI8` job's matrices, as its client and an honest worker know them.
#[derive(Clone)]
struct MatMul {
	dims: Dims,
	inputs: Inputs,
	/// A, row-major.
	a: Vec<i8>,
	/// B, column-major.
	b: Vec<i8>,
	/// Inputs given by content (openings carry rows and columns) rather than by seed.
	committed: bool,
}

impl MatMul {
	/// A job with inputs derived from `seed` (`Inputs::Seed`).
	fn seeded(dims: Dims, seed: u8) -> Self {
		let seed = H256::repeat_byte(seed);
		let (a, b) = seed_matrices(&seed, dims);
		Self { dims, inputs: Inputs::Seed(seed), a, b, committed: false }
	}

	/// A job with inputs given by content (`Inputs::Content`): matrices made from `seed`, the
	/// job's hash their input commitment.
	fn content(dims: Dims, seed: u8) -> Self {
		let (a, b) = seed_matrices(&H256::repeat_byte(seed), dims);
		let hash = commit_inputs(dims, &a, &b).expect("matrices of the job's dimensions");
		let uri = BoundedVec::truncate_from(b"https://client.example/in".to_vec());
		let inputs = Inputs::Content { hash, uri, size: (a.len() + b.len()) as u64 };
		Self { dims, inputs, a, b, committed: true }
	}

	/// The right C.
	fn c(&self) -> Vec<i32> {
		matmul_reference(self.dims, &self.a, &self.b)
	}

	/// A made-up C: every element off by one.
	fn wrong_c(&self) -> Vec<i32> {
		self.c().iter().map(|x| x.wrapping_add(1)).collect()
	}

	/// The worker's prover for output `c` of this job.
	fn prover(&self, c: &[i32]) -> Prover {
		let inputs = self.committed.then_some((&self.a[..], &self.b[..]));
		Prover::new(self.dims, inputs, c).expect("matrices of the job's dimensions")
	}

	fn honest(&self) -> Prover {
		self.prover(&self.c())
	}

	fn workload(&self) -> Workload {
		Workload::MatMulI8 { m: self.dims.m, n: self.dims.n, k: self.dims.k }
	}

	fn units(&self) -> u64 {
		self.workload().units().expect("valid dimensions")
	}

	/// The job with one replica under `verification`.
	fn spec(&self, verification: Verification) -> SpecOf {
		SpecOf {
			workload: self.workload(),
			inputs: self.inputs.clone(),
			requirements: Requirements::default(),
			max_price_per_unit: MAX_PRICE,
			replicas: 1,
			verification,
			deadline: DEADLINE,
		}
	}

	/// A receipt for output `prover`'s.
	fn receipt(&self, prover: &Prover) -> Receipt {
		receipt(prover.output_commitment(), self.units())
	}
}

/// An opaque job of 100 GPU-seconds with one replica under `verification`.
fn opaque_spec(verification: Verification) -> SpecOf {
	SpecOf {
		workload: Workload::Opaque { program: H256::repeat_byte(7), gpu_seconds: 100 },
		inputs: Inputs::Seed(H256::repeat_byte(1)),
		requirements: Requirements::default(),
		max_price_per_unit: MAX_PRICE,
		replicas: 1,
		verification,
		deadline: DEADLINE,
	}
}

/// `spec` with `replicas` replicas.
fn with_replicas(mut spec: SpecOf, replicas: u32) -> SpecOf {
	spec.replicas = replicas;
	spec
}

/// An opaque job with `replicas` replicas, replicated.
fn replicated(replicas: u32) -> SpecOf {
	with_replicas(opaque_spec(Verification::Replicated), replicas)
}

fn receipt(output: H256, used_units: u64) -> Receipt {
	Receipt {
		output_commitment: output,
		output_uri: BoundedVec::truncate_from(b"https://worker.example/out".to_vec()),
		used_units,
		enclave_signature: None,
	}
}

/// An opaque output commitment.
fn out(byte: u8) -> H256 {
	H256::repeat_byte(byte)
}

/// The salt the worker of replica `replica` seals its output with in these tests.
fn salt(replica: u32) -> H256 {
	H256::repeat_byte(0xa0u8.wrapping_add(replica as u8))
}

/// The receipt `provider` submits for replica `replica` of replicated job `job` whose output
/// commitment is `output`: sealed with [`salt`]`(replica)`.
fn sealed_receipt(job: JobId, replica: u32, provider: AccountId, output: H256) -> Receipt {
	receipt(sealed_output(job, replica, &provider, &output, &salt(replica)), 100)
}

/// The worker of `provider` reveals `output` under the seal of replica `replica` of `job`.
fn reveal(
	job: JobId,
	replica: u32,
	provider: AccountId,
	output: H256,
) -> DispatchResultWithPostInfo {
	Proofs::reveal(signed(worker_of(provider)), job, replica, output, salt(replica))
}

/// Hands `receipt` of `provider` for replica `replica` of `job` to the pallet (as the jobs
/// pallet does); returns the block the verdict is due at.
fn submit(
	job: JobId,
	replica: u32,
	provider: AccountId,
	spec: &SpecOf,
	receipt: &Receipt,
) -> BlockNumber {
	MockJobs::submit(job, replica, provider, spec, receipt).expect("the receipt is taken")
}

fn stage(job: JobId, replica: u32) -> StageOf<Test> {
	Checks::<Test>::get(job, replica).expect("a check").stage
}

/// This pallet's events since the last call, oldest first; forgets them.
fn take_events() -> Vec<Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Proofs(e) = r.event { Some(e) } else { None })
		.collect();
	System::reset_events();
	events
}

/// The final verdict of replica `replica` of `job` and its block.
fn verdict(job: JobId, replica: u32) -> Option<(VerdictOf, BlockNumber)> {
	MockJobs::verdict(job, replica)
}

fn accepted_at(at: BlockNumber) -> Option<(VerdictOf, BlockNumber)> {
	Some((Verdict::Accepted, at))
}

fn fraud_at(at: BlockNumber) -> Option<(VerdictOf, BlockNumber)> {
	Some((Verdict::Rejected { offence: SlashReason::Fraud, watcher: None }, at))
}

/// The randomness of a draw at block `end`, recomputed from the block hashes the mock gives:
/// blake2-256 of the hashes of the [`RANDOMNESS_DELAY`] blocks before `end`.
fn randomness(end: BlockNumber) -> H256 {
	let mut hashes = Vec::new();
	for b in end - RANDOMNESS_DELAY..end {
		hashes.extend_from_slice(block_hash_of(b).as_bytes());
	}
	H256(sp_io::hashing::blake2_256(&hashes))
}

/// The positions a draw at `at` must give replica `replica` of `job` with `output`.
fn expected_positions(
	at: BlockNumber,
	job: JobId,
	replica: u32,
	output: &H256,
	dims: Dims,
	count: u32,
) -> Vec<(u32, u32)> {
	sample_positions(&sample_seed(&randomness(at), job, replica, output), dims, count)
}

fn bounded(positions: Vec<(u32, u32)>) -> BoundedVec<(u32, u32), ConstU32<MAX_SAMPLES>> {
	BoundedVec::try_from(positions).expect("at most MAX_SAMPLES")
}

fn samples_drawn(
	job: JobId,
	replica: u32,
	positions: Vec<(u32, u32)>,
	respond_by: BlockNumber,
	audit: bool,
) -> Event<Test> {
	Event::SamplesDrawn { job, replica, positions: bounded(positions), respond_by, audit }
}

fn opening_failed(job: JobId, replica: u32, sample: u32, error: OpeningError) -> Event<Test> {
	Event::SpotCheckFailed { job, replica, fault: Fault::Opening { sample, error } }
}

/// The positions drawn for replica `replica` of `job`, from its sampling stage.
fn drawn(job: JobId, replica: u32) -> Vec<(u32, u32)> {
	match stage(job, replica) {
		Stage::Sampling { positions, .. } => positions.into_inner(),
		other => panic!("not sampling: {other:?}"),
	}
}

/// `prover`'s openings of `samples` of `positions`.
fn openings(prover: &Prover, positions: &[(u32, u32)], samples: &[u32]) -> OpeningsOf {
	let openings: Vec<(u32, Opening)> = samples
		.iter()
		.map(|s| (*s, prover.open(positions[*s as usize]).expect("a position inside C")))
		.collect();
	BoundedVec::try_from(openings).expect("at most MAX_SAMPLES")
}

/// The worker of `provider` answers `samples` of replica `replica` of `job` with `prover`.
fn answer(
	provider: AccountId,
	job: JobId,
	replica: u32,
	prover: &Prover,
	samples: &[u32],
) -> DispatchResultWithPostInfo {
	let positions = drawn(job, replica);
	let openings = openings(prover, &positions, samples);
	Proofs::respond(signed(worker_of(provider)), job, replica, prover.roots(), openings)
}

/// Sample numbers `0..count`.
fn all(count: u32) -> Vec<u32> {
	(0..count).collect()
}

/// What the pallet holds from `who` for challenges.
fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Proofs(HoldReason::ChallengeBond), &who)
}

fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// Free plus held balance of all of `accounts`.
fn total(accounts: &[AccountId]) -> Balance {
	accounts.iter().map(|who| free(*who) + held(*who)).sum()
}

/// The salt executor `provider` seals with.
fn executor_salt(provider: AccountId) -> H256 {
	H256::repeat_byte(0x30u8.wrapping_add(provider as u8))
}

/// The seal executor `provider` reports for `output` of job 0's replica 0.
fn executor_seal(provider: AccountId, output: H256) -> H256 {
	sealed_output(0, 0, &provider, &output, &executor_salt(provider))
}

/// `provider`'s worker reports the seal of `output` for job `job`, replica 0.
fn seal_result(provider: AccountId, job: JobId, output: H256) -> DispatchResultWithPostInfo {
	let seal = sealed_output(job, 0, &provider, &output, &executor_salt(provider));
	Proofs::report_reexecution(signed(worker_of(provider)), job, 0, seal)
}

/// `provider`'s worker reveals `output` under its seal for job `job`, replica 0.
fn reveal_result(provider: AccountId, job: JobId, output: H256) -> DispatchResultWithPostInfo {
	Proofs::reveal_reexecution(signed(worker_of(provider)), job, 0, output, executor_salt(provider))
}

/// Each of `outputs` seals, then reveals, its `(executor, output)`.
fn seal_and_reveal(outputs: &[(AccountId, H256)]) {
	for (provider, output) in outputs {
		assert_ok!(seal_result(*provider, 0, *output));
	}
	for (provider, output) in outputs {
		assert_ok!(reveal_result(*provider, 0, *output));
	}
}

// Attestation keys and reports.

fn authority() -> sr25519::Pair {
	sr25519::Pair::from_string("//Authority", None).expect("a dev key")
}

/// A key no authority list names.
fn impostor() -> sr25519::Pair {
	sr25519::Pair::from_seed(&[9; 32])
}

/// The key of Alice's enclave.
fn enclave_key() -> sr25519::Pair {
	sr25519::Pair::from_seed(&[7; 32])
}

fn measurement() -> H256 {
	H256::repeat_byte(0x3e)
}

fn report(provider: AccountId, expires_at: BlockNumber) -> ReportOf<Test> {
	AttestationReport {
		provider,
		measurement: measurement(),
		enclave_key: enclave_key().public(),
		expires_at,
	}
}

fn sign(key: &sr25519::Pair, report: &ReportOf<Test>) -> sr25519::Signature {
	key.sign(&report.signing_payload())
}

/// Registers `provider`'s enclave ([`enclave_key`]) until `expires_at`.
fn register(provider: AccountId, expires_at: BlockNumber) {
	let report = report(provider, expires_at);
	let signature = sign(&authority(), &report);
	assert_ok!(Proofs::register_enclave(signed(provider), report, authority().public(), signature));
}

/// The default externalities with [`authority`] listed and [`measurement`] allowed.
fn attested_ext() -> ExtBuilder {
	ExtBuilder::default().authorities(vec![authority().public()]).measurements(vec![measurement()])
}

/// A receipt of `job` with `output` and `units`, signed by `key` over the attested payload.
fn signed_receipt(job: JobId, output: H256, units: u64, key: &sr25519::Pair) -> Receipt {
	let signature = key.sign(&attested_receipt_payload(job, &output, units));
	Receipt { enclave_signature: Some(signature), ..receipt(output, units) }
}

// ---- the mock itself -------------------------------------------------------------------------

mod runtime {
	use super::*;

	#[test]
	fn the_constants_pass_the_integrity_test() {
		ExtBuilder::default().build_and_execute(|| {
			<Proofs as Hooks<BlockNumber>>::integrity_test();
		});
	}

	#[test]
	fn every_block_has_its_own_hash() {
		ExtBuilder::default().build_and_execute(|| {
			run_to_block(6);
			for b in 1..6 {
				assert_eq!(System::block_hash(b), block_hash_of(b));
			}
			assert_ne!(block_hash_of(2), block_hash_of(3));
			assert_eq!(sampling::randomness::<Test>(5), randomness(5));
		});
	}

	#[test]
	fn the_benchmark_externalities_register_no_provider() {
		new_test_ext().execute_with(|| {
			assert_eq!(MockRegistry::get(ALICE), None);
			assert_eq!(free(CLIENT), INITIAL);
			assert_eq!(System::block_number(), 1);
		});
	}

	#[test]
	fn the_registry_mock_picks_the_cheapest_and_books_slots() {
		ExtBuilder::default().build_and_execute(|| {
			let picked = |count, max, exclude: &[AccountId]| {
				<MockRegistry as tessera_primitives::market::ProviderRegistry<_, _, _>>::cheapest(
					&tessera_primitives::market::Needs::default(),
					max,
					count,
					exclude,
				)
				.into_iter()
				.map(|c| c.provider)
				.collect::<Vec<_>>()
			};
			assert_eq!(picked(3, MAX_PRICE, &[ALICE, CLIENT]), vec![BOB, CHARLIE, DAVE]);
			assert_eq!(picked(9, BOB_PRICE, &[]), vec![ALICE, BOB]);
			MockRegistry::remove(BOB);
			MockRegistry::insert(
				NOBODY,
				MockProvider {
					worker: worker_of(NOBODY),
					price: 1,
					free_slots: 0,
					busy: 0,
					registered_at: 0,
				},
			);
			assert_eq!(picked(2, MAX_PRICE, &[]), vec![NOBODY, ALICE]);
			use tessera_primitives::market::ProviderRegistry;
			assert!(MockRegistry::job_assigned(&NOBODY).is_err());
			assert!(MockRegistry::job_released(&NOBODY).is_err());
			assert_eq!(MockRegistry::worker_of(&ALICE), Some(worker_of(ALICE)));
			assert_eq!(MockRegistry::cheapest_weight(), CHEAPEST_WEIGHT);
			MockRegistry::remove(NOBODY);
		});
	}
}

// ---- spot-checks -----------------------------------------------------------------------------

mod spot_check {
	use super::*;

	/// Attack 4: answering a spot-check must not cost an honest provider, nor be crowded out:
	/// a full, right answer is free, in the operational class, and reported to the jobs pallet
	/// at once so that it pays in this block; a wrong one pays its fee.
	#[test]
	fn an_honest_answer_is_free_operational_and_settled_at_once() {
		use frame_support::dispatch::{DispatchClass, GetDispatchInfo, Pays};
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			let prover = job.honest();
			submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
			let made_up = job.prover(&job.wrong_c());
			submit(1, 0, BOB, &job.spec(Verification::SpotCheck), &job.receipt(&made_up));
			run_to_block(DRAW);
			let call = crate::Call::<Test>::respond {
				job: 0,
				replica: 0,
				roots: prover.roots(),
				openings: openings(&prover, &drawn(0, 0), &all(8)),
			};
			assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
			// Half the samples: free, but nothing decided yet.
			let half = answer(ALICE, 0, 0, &prover, &[0, 1, 2, 3]).expect("taken");
			assert_eq!(half.pays_fee, Pays::No);
			assert!(MockVerdicts::ready().is_empty());
			let rest = answer(ALICE, 0, 0, &prover, &[4, 5, 6, 7]).expect("taken");
			assert_eq!(rest.pays_fee, Pays::No);
			assert_eq!(MockVerdicts::ready(), vec![(0, 0)]);
			// A made-up output's answer proves the fault: it pays, and is reported at once too.
			let wrong = answer(BOB, 1, 0, &made_up, &all(8)).expect("taken");
			assert_eq!(wrong.pays_fee, Pays::Yes);
			assert_eq!(MockVerdicts::ready(), vec![(0, 0), (1, 0)]);
		});
	}

	#[test]
	fn an_honest_provider_passes_with_seed_inputs() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			let prover = job.honest();
			let output = prover.output_commitment();
			assert_eq!(output, commit_output(SMALL, &job.c()).unwrap());

			// The samples are drawn after the randomness delay, from blocks that did not
			// exist when the receipt was submitted.
			assert_eq!(
				submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover)),
				DRAW
			);
			assert_eq!(stage(0, 0), Stage::Draw { at: DRAW, audit: false });
			run_to_block(DRAW - 1);
			assert!(MockJobs::asked().is_empty());
			assert!(take_events().is_empty());

			run_to_block(DRAW);
			// blake2-256 of the hashes of blocks START + 1 ..= START + 3.
			let positions = expected_positions(DRAW, 0, 0, &output, SMALL, SPOT_CHECK_SAMPLES);
			assert_eq!(positions.len(), 8);
			let respond_by = DRAW + RESPONSE_WINDOW;
			assert_eq!(
				take_events(),
				vec![samples_drawn(0, 0, positions.clone(), respond_by, false)]
			);
			assert_eq!(
				stage(0, 0),
				Stage::Sampling {
					positions: bounded(positions),
					answered: 0,
					respond_by,
					audit: false
				}
			);
			assert_eq!(MockJobs::asked(), vec![(DRAW, 0, 0, Verdict::Pending(respond_by + 1))]);

			run_to_block(DRAW + 1);
			assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
			assert_eq!(take_events(), vec![Event::SpotCheckPassed { job: 0, replica: 0 }]);
			assert_eq!(stage(0, 0), Stage::Decided(Decision::Accepted));
			// The jobs pallet is told at once (in the runtime it settles there and then); this
			// mock of it collects the verdict at the block it was told.
			run_to_block(respond_by);
			assert_eq!(verdict(0, 0), None);
			run_to_block(respond_by + 1);
			assert_eq!(verdict(0, 0), accepted_at(respond_by + 1));
			assert!(Checks::<Test>::get(0, 0).is_none());
			assert!(take_events().is_empty());
		});
	}

	#[test]
	fn an_honest_provider_passes_with_committed_inputs_answering_over_two_calls() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::content(ODD, 2);
			let prover = job.honest();
			let output = prover.output_commitment();
			submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
			run_to_block(DRAW);
			let positions = expected_positions(DRAW, 0, 0, &output, ODD, SPOT_CHECK_SAMPLES);
			let respond_by = DRAW + RESPONSE_WINDOW;
			assert_eq!(
				take_events(),
				vec![samples_drawn(0, 0, positions.clone(), respond_by, false)]
			);
			// Inputs given by content: every opening carries its row of A and column of B.
			let first = openings(&prover, &positions, &[0]);
			assert!(first[0].1.row.is_some() && first[0].1.column.is_some());

			assert_ok!(answer(ALICE, 0, 0, &prover, &[0, 1, 2]));
			assert!(take_events().is_empty());
			assert_eq!(
				stage(0, 0),
				Stage::Sampling {
					positions: bounded(positions),
					answered: 0b111,
					respond_by,
					audit: false
				}
			);
			run_to_block(respond_by);
			assert_ok!(answer(ALICE, 0, 0, &prover, &[3, 4, 5, 6, 7]));
			assert_eq!(take_events(), vec![Event::SpotCheckPassed { job: 0, replica: 0 }]);
			run_to_block(respond_by + 1);
			assert_eq!(verdict(0, 0), accepted_at(respond_by + 1));
		});
	}

	#[test]
	fn an_honest_provider_passes_with_rows_longer_than_a_chunk() {
		ExtBuilder::default().build_and_execute(|| {
			for (id, job) in [MatMul::seeded(WIDE, 3), MatMul::content(WIDE, 4)].iter().enumerate()
			{
				let prover = job.honest();
				submit(
					id as JobId,
					0,
					ALICE,
					&job.spec(Verification::SpotCheck),
					&job.receipt(&prover),
				);
			}
			run_to_block(DRAW);
			take_events();
			for (id, job) in [MatMul::seeded(WIDE, 3), MatMul::content(WIDE, 4)].iter().enumerate()
			{
				assert_ok!(answer(ALICE, id as JobId, 0, &job.honest(), &all(8)));
			}
			assert_eq!(
				take_events(),
				vec![
					Event::SpotCheckPassed { job: 0, replica: 0 },
					Event::SpotCheckPassed { job: 1, replica: 0 }
				]
			);
			run_to_block(DRAW + RESPONSE_WINDOW + 1);
			assert_eq!(verdict(0, 0), accepted_at(DRAW + RESPONSE_WINDOW + 1));
			assert_eq!(verdict(1, 0), accepted_at(DRAW + RESPONSE_WINDOW + 1));
		});
	}

	#[test]
	fn a_response_is_charged_for_the_openings_it_carries() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::content(ODD, 2);
			let prover = job.honest();
			submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
			run_to_block(DRAW);
			let info = answer(ALICE, 0, 0, &prover, &[0, 1, 2]).expect("a valid answer");
			assert_eq!(info.actual_weight, Some(sampling::respond_weight::<Test>(3, ODD.k)));
		});
	}

	#[test]
	fn a_made_up_output_is_fraud() {
		ExtBuilder::default().build_and_execute(|| {
			let seeded = MatMul::seeded(SMALL, 1);
			let content = MatMul::content(ODD, 2);
			let provers = [seeded.prover(&seeded.wrong_c()), content.prover(&content.wrong_c())];
			submit(
				0,
				0,
				ALICE,
				&seeded.spec(Verification::SpotCheck),
				&seeded.receipt(&provers[0]),
			);
			submit(
				1,
				0,
				BOB,
				&content.spec(Verification::SpotCheck),
				&content.receipt(&provers[1]),
			);
			run_to_block(DRAW);
			take_events();

			// The roots open the commitment and every path holds: only the recomputed dot
			// product differs, at the very first sample.
			assert_ok!(answer(ALICE, 0, 0, &provers[0], &all(8)));
			assert_ok!(answer(BOB, 1, 0, &provers[1], &all(8)));
			assert_eq!(
				take_events(),
				vec![
					opening_failed(0, 0, 0, OpeningError::WrongProduct),
					opening_failed(1, 0, 0, OpeningError::WrongProduct),
				]
			);
			let rejected =
				Stage::Decided(Decision::Rejected { offence: SlashReason::Fraud, watcher: None });
			assert_eq!(stage(0, 0), rejected);
			run_to_block(DRAW + RESPONSE_WINDOW + 1);
			assert_eq!(verdict(0, 0), fraud_at(DRAW + RESPONSE_WINDOW + 1));
			assert_eq!(verdict(1, 0), fraud_at(DRAW + RESPONSE_WINDOW + 1));
		});
	}

	/// `TALL`'s right output with row `row` made up, its commitment, and the positions the draw
	/// at [`DRAW`] gives job 0 with it.
	fn with_wrong_row(job: &MatMul, row: u32) -> (Vec<i32>, H256, Vec<(u32, u32)>) {
		let n = job.dims.n as usize;
		let mut c = job.c();
		for x in &mut c[row as usize * n..(row as usize + 1) * n] {
			*x = x.wrapping_add(1);
		}
		let output = commit_output(job.dims, &c).unwrap();
		let positions = expected_positions(DRAW, 0, 0, &output, job.dims, SPOT_CHECK_SAMPLES);
		(c, output, positions)
	}

	// A provider that skips 1% of the work (one row of 100) and makes that row up is caught
	// only when a sample falls in the row: with 8 samples, with probability 1 - 0.99^8, about
	// 7.7%. The check is probabilistic; what makes skipping not pay is that the slash of the
	// whole bond outweighs the 1% saved many times over (docs/protocol.md, "Economics"). The
	// two tests below pick a row the draw does, and one it does not, sample: the provider
	// commits to its output before the draw, and the draw depends on that output, so the row
	// is found by trying rows until the draw for the resulting commitment hits it (or misses).

	#[test]
	fn a_wrong_row_is_caught_when_a_sample_falls_in_it() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(TALL, 5);
			let (row, c, output, positions) = (0..TALL.m)
				.find_map(|row| {
					let (c, output, positions) = with_wrong_row(&job, row);
					positions.iter().any(|(i, _)| *i == row).then_some((row, c, output, positions))
				})
				.expect("some row is sampled");
			let prover = job.prover(&c);
			assert_eq!(prover.output_commitment(), output);
			submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
			run_to_block(DRAW);
			assert_eq!(drawn(0, 0), positions);
			take_events();

			assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
			let first_hit = positions.iter().position(|(i, _)| *i == row).expect("sampled") as u32;
			assert_eq!(
				take_events(),
				vec![opening_failed(0, 0, first_hit, OpeningError::WrongProduct)]
			);
			run_to_block(DRAW + RESPONSE_WINDOW + 1);
			assert_eq!(verdict(0, 0), fraud_at(DRAW + RESPONSE_WINDOW + 1));
		});
	}

	#[test]
	fn a_wrong_row_no_sample_falls_in_goes_unnoticed() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(TALL, 5);
			let (row, c, positions) = (0..TALL.m)
				.find_map(|row| {
					let (c, _, positions) = with_wrong_row(&job, row);
					positions.iter().all(|(i, _)| *i != row).then_some((row, c, positions))
				})
				.expect("some row is not sampled");
			assert_ne!(c, job.c());
			let prover = job.prover(&c);
			submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
			run_to_block(DRAW);
			assert_eq!(drawn(0, 0), positions);
			assert!(drawn(0, 0).iter().all(|(i, _)| *i != row));
			take_events();

			// Every sampled position is right: the receipt passes.
			assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
			assert_eq!(take_events(), vec![Event::SpotCheckPassed { job: 0, replica: 0 }]);
			run_to_block(DRAW + RESPONSE_WINDOW + 1);
			assert_eq!(verdict(0, 0), accepted_at(DRAW + RESPONSE_WINDOW + 1));
		});
	}

	#[test]
	fn withheld_openings_are_fraud() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			let prover = job.honest();
			let spec = job.spec(Verification::SpotCheck);
			// Job 0 is not answered at all, job 1 only in part.
			submit(0, 0, ALICE, &spec, &job.receipt(&prover));
			submit(1, 0, ALICE, &spec, &job.receipt(&prover));
			run_to_block(DRAW);
			take_events();
			assert_ok!(answer(ALICE, 1, 0, &prover, &[0, 1, 2, 3, 4, 5, 6]));
			assert!(take_events().is_empty());

			let respond_by = DRAW + RESPONSE_WINDOW;
			run_to_block(respond_by);
			assert!(take_events().is_empty());
			run_to_block(respond_by + 1);
			assert_eq!(
				take_events(),
				vec![
					Event::SpotCheckFailed { job: 0, replica: 0, fault: Fault::Withheld },
					Event::SpotCheckFailed { job: 1, replica: 0, fault: Fault::Withheld },
				]
			);
			assert_eq!(verdict(0, 0), fraud_at(respond_by + 1));
			assert_eq!(verdict(1, 0), fraud_at(respond_by + 1));
		});
	}

	#[test]
	fn an_opening_of_another_position_is_rejected() {
		ExtBuilder::default().build_and_execute(|| {
			let seeded = MatMul::seeded(SMALL, 1);
			let content = MatMul::content(SMALL, 2);
			submit(
				0,
				0,
				ALICE,
				&seeded.spec(Verification::SpotCheck),
				&seeded.receipt(&seeded.honest()),
			);
			submit(
				1,
				0,
				ALICE,
				&content.spec(Verification::SpotCheck),
				&content.receipt(&content.honest()),
			);
			run_to_block(DRAW);
			take_events();

			// Sample 0 answered with the (right) opening of the same column one row down.
			let elsewhere = |job: JobId| {
				let (i, j) = drawn(job, 0)[0];
				((i + 1) % SMALL.m, j)
			};
			let wrong = |prover: &Prover, job| {
				BoundedVec::try_from(vec![(0, prover.open(elsewhere(job)).unwrap())]).unwrap()
			};
			let seeded_prover = seeded.honest();
			assert_ok!(Proofs::respond(
				signed(worker_of(ALICE)),
				0,
				0,
				seeded_prover.roots(),
				wrong(&seeded_prover, 0)
			));
			let content_prover = content.honest();
			assert_ok!(Proofs::respond(
				signed(worker_of(ALICE)),
				1,
				0,
				content_prover.roots(),
				wrong(&content_prover, 1)
			));
			// Seed inputs: the chunk is not on the path of the sampled leaf. Committed inputs:
			// the row of A is checked first, and it is not the sampled row.
			assert_eq!(
				take_events(),
				vec![
					opening_failed(0, 0, 0, OpeningError::BadOutputPath),
					opening_failed(1, 0, 0, OpeningError::BadRowPath),
				]
			);
			run_to_block(DRAW + RESPONSE_WINDOW + 1);
			assert_eq!(verdict(0, 0), fraud_at(DRAW + RESPONSE_WINDOW + 1));
			assert_eq!(verdict(1, 0), fraud_at(DRAW + RESPONSE_WINDOW + 1));
		});
	}

	#[test]
	fn a_receipt_copied_from_another_job_cannot_be_opened() {
		ExtBuilder::default().build_and_execute(|| {
			// Job 0 is computed honestly; its output commitment is then submitted as the
			// receipt of job 1 (same dimensions, another seed).
			let original = MatMul::seeded(SMALL, 1);
			let other = MatMul::seeded(SMALL, 2);
			let prover = original.honest();
			let copied = original.receipt(&prover);
			submit(0, 0, ALICE, &original.spec(Verification::SpotCheck), &copied);
			submit(1, 0, ALICE, &other.spec(Verification::SpotCheck), &copied);
			// With inputs given by content: job 3's receipt is job 2's. Answered with job 2's
			// roots, or with job 3's input trees and job 2's C.
			let content_original = MatMul::content(SMALL, 3);
			let content_other = MatMul::content(SMALL, 4);
			let content_prover = content_original.honest();
			let content_copied = content_original.receipt(&content_prover);
			submit(2, 0, BOB, &content_other.spec(Verification::SpotCheck), &content_copied);
			submit(3, 0, BOB, &content_other.spec(Verification::SpotCheck), &content_copied);
			let mixed = content_other.prover(&content_original.c());
			assert_eq!(mixed.output_commitment(), content_copied.output_commitment);
			run_to_block(DRAW);
			take_events();

			assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
			assert_ok!(answer(ALICE, 1, 0, &prover, &all(8)));
			assert_ok!(answer(BOB, 2, 0, &content_prover, &all(8)));
			assert_ok!(answer(BOB, 3, 0, &mixed, &all(8)));
			assert_eq!(
				take_events(),
				vec![
					Event::SpotCheckPassed { job: 0, replica: 0 },
					opening_failed(1, 0, 0, OpeningError::WrongProduct),
					Event::SpotCheckFailed {
						job: 2,
						replica: 0,
						fault: Fault::Roots(OpeningError::WrongInputRoots)
					},
					opening_failed(3, 0, 0, OpeningError::WrongProduct),
				]
			);
			run_to_block(DRAW + RESPONSE_WINDOW + 1);
			assert_eq!(verdict(0, 0), accepted_at(DRAW + RESPONSE_WINDOW + 1));
			for job in 1..=3 {
				assert_eq!(verdict(job, 0), fraud_at(DRAW + RESPONSE_WINDOW + 1));
			}
		});
	}

	#[test]
	fn wrong_roots_are_fraud() {
		ExtBuilder::default().build_and_execute(|| {
			let seeded = MatMul::seeded(SMALL, 1);
			let content = MatMul::content(SMALL, 2);
			let spec = content.spec(Verification::SpotCheck);
			submit(
				0,
				0,
				ALICE,
				&seeded.spec(Verification::SpotCheck),
				&seeded.receipt(&seeded.honest()),
			);
			submit(1, 0, ALICE, &spec, &content.receipt(&content.honest()));
			submit(2, 0, ALICE, &spec, &content.receipt(&content.honest()));
			run_to_block(DRAW);
			take_events();

			let respond =
				|job: JobId, prover: &Prover, change: fn(&mut tessera_commitment::Roots)| {
					let mut roots = prover.roots();
					change(&mut roots);
					let openings = openings(prover, &drawn(job, 0), &all(8));
					Proofs::respond(signed(worker_of(ALICE)), job, 0, roots, openings)
				};
			// Another C root; no input roots for committed inputs; other input roots.
			assert_ok!(respond(0, &seeded.honest(), |r| r.output = H256::zero()));
			assert_ok!(respond(1, &content.honest(), |r| r.inputs = None));
			assert_ok!(
				respond(2, &content.honest(), |r| r.inputs = Some((H256::zero(), H256::zero())))
			);
			let roots_failed =
				|job, error| Event::SpotCheckFailed { job, replica: 0, fault: Fault::Roots(error) };
			assert_eq!(
				take_events(),
				vec![
					roots_failed(0, OpeningError::WrongOutputRoot),
					roots_failed(1, OpeningError::MissingInputs),
					roots_failed(2, OpeningError::WrongInputRoots),
				]
			);
			run_to_block(DRAW + RESPONSE_WINDOW + 1);
			for job in 0..=2 {
				assert_eq!(verdict(job, 0), fraud_at(DRAW + RESPONSE_WINDOW + 1));
			}
		});
	}

	#[test]
	fn respond_refuses_unknown_checks_and_strangers() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			let prover = job.honest();
			submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
			run_to_block(DRAW);
			let positions = drawn(0, 0);
			let respond = |who, job, replica| {
				Proofs::respond(
					signed(who),
					job,
					replica,
					prover.roots(),
					openings(&prover, &positions, &[0]),
				)
			};
			assert_noop!(respond(worker_of(ALICE), 1, 0), Error::<Test>::UnknownCheck);
			assert_noop!(respond(worker_of(ALICE), 0, 1), Error::<Test>::UnknownCheck);
			// Another provider's worker, the provider's own (cold) account, nobody.
			assert_noop!(respond(worker_of(BOB), 0, 0), Error::<Test>::NotProvidersWorker);
			assert_noop!(respond(ALICE, 0, 0), Error::<Test>::NotProvidersWorker);
			assert_noop!(respond(NOBODY, 0, 0), Error::<Test>::NotProvidersWorker);
			assert_noop!(
				Proofs::respond(
					RuntimeOrigin::none(),
					0,
					0,
					prover.roots(),
					openings(&prover, &positions, &[0])
				),
				DispatchError::BadOrigin
			);
			assert_ok!(respond(worker_of(ALICE), 0, 0));
		});
	}

	#[test]
	fn respond_refuses_before_the_draw_after_the_decision_and_after_the_window() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			let prover = job.honest();
			let spec = job.spec(Verification::SpotCheck);
			submit(0, 0, ALICE, &spec, &job.receipt(&prover));
			submit(1, 0, ALICE, &spec, &job.receipt(&prover));
			let any = || openings(&prover, &[(0, 0)], &[0]);
			let respond =
				|job| Proofs::respond(signed(worker_of(ALICE)), job, 0, prover.roots(), any());

			// Before the draw: nothing to answer yet.
			assert_noop!(respond(0), Error::<Test>::NotSampling);
			run_to_block(DRAW - 1);
			assert_noop!(respond(0), Error::<Test>::NotSampling);
			run_to_block(DRAW);

			// Once decided, a check takes no more answers.
			assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
			assert_noop!(respond(0), Error::<Test>::NotSampling);

			// The jobs pallet's hook is behind and asks for job 1's verdict late: the window
			// still closes at `respond_by`.
			let respond_by = DRAW + RESPONSE_WINDOW;
			MockJobs::postpone(1, 0, respond_by + 3);
			run_to_block(respond_by);
			assert_ok!(answer(ALICE, 1, 0, &prover, &[0]));
			run_to_block(respond_by + 1);
			assert_noop!(answer(ALICE, 1, 0, &prover, &[1]), Error::<Test>::ResponseClosed);
			take_events();
			run_to_block(respond_by + 3);
			assert_eq!(
				take_events(),
				vec![Event::SpotCheckFailed { job: 1, replica: 0, fault: Fault::Withheld }]
			);
			assert_eq!(verdict(0, 0), accepted_at(respond_by + 1));
			assert_eq!(verdict(1, 0), fraud_at(respond_by + 3));
		});
	}

	#[test]
	fn respond_refuses_unknown_and_repeated_samples() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			let prover = job.honest();
			submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
			run_to_block(DRAW);
			let positions = drawn(0, 0);
			let opening = |s: usize| prover.open(positions[s]).unwrap();
			let respond = |openings: Vec<(u32, Opening)>| {
				Proofs::respond(
					signed(worker_of(ALICE)),
					0,
					0,
					prover.roots(),
					BoundedVec::try_from(openings).unwrap(),
				)
			};
			assert_noop!(respond(vec![(8, opening(0))]), Error::<Test>::UnknownSample);
			assert_noop!(
				respond(vec![(0, opening(0)), (31, opening(0))]),
				Error::<Test>::UnknownSample
			);
			assert_noop!(
				respond(vec![(0, opening(0)), (0, opening(0))]),
				Error::<Test>::AlreadyAnswered
			);
			assert_ok!(respond(vec![(0, opening(0)), (1, opening(1))]));
			assert_noop!(
				respond(vec![(2, opening(2)), (1, opening(1))]),
				Error::<Test>::AlreadyAnswered
			);
			assert_ok!(answer(ALICE, 0, 0, &prover, &[2, 3, 4, 5, 6, 7]));
			assert_eq!(stage(0, 0), Stage::Decided(Decision::Accepted));
		});
	}
}

// ---- random audits ---------------------------------------------------------------------------

mod audits {
	use super::*;

	#[test]
	fn an_optimistic_receipt_is_audited_at_the_end_of_its_window() {
		ExtBuilder::default().audit_chance(Perbill::one()).build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			let prover = job.honest();
			let end = START + CHALLENGE_WINDOW;
			assert_eq!(
				submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &job.receipt(&prover)),
				end
			);
			assert_eq!(stage(0, 0), Stage::Window { until: end });
			run_to_block(end);
			// Drawn from the blocks just before the end of the window, all after the receipt.
			let positions =
				expected_positions(end, 0, 0, &prover.output_commitment(), SMALL, AUDIT_SAMPLES);
			assert_eq!(positions.len(), 4);
			let respond_by = end + RESPONSE_WINDOW;
			assert_eq!(take_events(), vec![samples_drawn(0, 0, positions, respond_by, true)]);
			assert_eq!(MockJobs::asked(), vec![(end, 0, 0, Verdict::Pending(respond_by + 1))]);

			// Four samples only: a fifth is unknown.
			let fifth =
				BoundedVec::try_from(vec![(4, prover.open(drawn(0, 0)[0]).unwrap())]).unwrap();
			assert_noop!(
				Proofs::respond(signed(worker_of(ALICE)), 0, 0, prover.roots(), fifth),
				Error::<Test>::UnknownSample
			);
			assert_ok!(answer(ALICE, 0, 0, &prover, &all(4)));
			assert_eq!(take_events(), vec![Event::SpotCheckPassed { job: 0, replica: 0 }]);
			run_to_block(respond_by + 1);
			assert_eq!(verdict(0, 0), accepted_at(respond_by + 1));
		});
	}

	#[test]
	fn a_cheating_optimistic_receipt_is_caught_by_an_audit() {
		ExtBuilder::default().audit_chance(Perbill::one()).build_and_execute(|| {
			let job = MatMul::content(ODD, 2);
			let cheat = job.prover(&job.wrong_c());
			let spec = job.spec(Verification::Optimistic);
			// Job 0 answers with its made-up output, job 1 does not answer.
			submit(0, 0, ALICE, &spec, &job.receipt(&cheat));
			submit(1, 0, BOB, &spec, &job.receipt(&cheat));
			let end = START + CHALLENGE_WINDOW;
			run_to_block(end);
			take_events();
			assert_ok!(answer(ALICE, 0, 0, &cheat, &all(4)));
			run_to_block(end + RESPONSE_WINDOW + 1);
			assert_eq!(
				take_events(),
				vec![
					opening_failed(0, 0, 0, OpeningError::WrongProduct),
					Event::SpotCheckFailed { job: 1, replica: 0, fault: Fault::Withheld },
				]
			);
			assert_eq!(verdict(0, 0), fraud_at(end + RESPONSE_WINDOW + 1));
			assert_eq!(verdict(1, 0), fraud_at(end + RESPONSE_WINDOW + 1));
		});
	}

	#[test]
	fn nothing_is_audited_at_zero_chance() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			let cheat = job.prover(&job.wrong_c());
			submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &job.receipt(&cheat));
			run_to_block(START + CHALLENGE_WINDOW);
			assert_eq!(verdict(0, 0), accepted_at(START + CHALLENGE_WINDOW));
			assert!(take_events().is_empty());
		});
	}

	#[test]
	fn opaque_receipts_are_never_audited() {
		ExtBuilder::default().audit_chance(Perbill::one()).build_and_execute(|| {
			submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
			let providers = [ALICE, BOB, CHARLIE];
			for (replica, provider) in providers.into_iter().enumerate() {
				let sealed = sealed_receipt(1, replica as u32, provider, out(2));
				submit(1, replica as u32, provider, &replicated(3), &sealed);
			}
			for (replica, provider) in providers.into_iter().enumerate() {
				assert_ok!(reveal(1, replica as u32, provider, out(2)));
			}
			System::reset_events();
			run_to_block(START + CHALLENGE_WINDOW);
			assert_eq!(verdict(0, 0), accepted_at(START + CHALLENGE_WINDOW));
			for replica in 0..3 {
				assert_eq!(verdict(1, replica).map(|(v, _)| v), Some(Verdict::Accepted));
			}
			assert_eq!(take_events(), vec![Event::QuorumReached { job: 1, output: out(2) }]);
		});
	}

	#[test]
	fn an_audit_is_drawn_when_the_roll_is_below_the_chance() {
		ExtBuilder::default().build_and_execute(|| {
			let first = MatMul::seeded(SMALL, 1);
			let second = MatMul::seeded(SMALL, 2);
			let (p1, p2) = (first.honest(), second.honest());
			submit(0, 0, ALICE, &first.spec(Verification::Optimistic), &first.receipt(&p1));
			run_to_block(START + 1);
			submit(1, 0, ALICE, &second.spec(Verification::Optimistic), &second.receipt(&p2));
			let (end0, end1) = (START + CHALLENGE_WINDOW, START + 1 + CHALLENGE_WINDOW);
			let roll0 = audit_roll(&sample_seed(&randomness(end0), 0, 0, &p1.output_commitment()));
			let roll1 = audit_roll(&sample_seed(&randomness(end1), 1, 0, &p2.output_commitment()));

			// A chance equal to the roll misses it, one part more hits it.
			run_to_block(end0 - 1);
			AuditChance::set(Perbill::from_parts(roll0));
			run_to_block(end0);
			assert_eq!(verdict(0, 0), accepted_at(end0));
			assert!(take_events().is_empty());
			AuditChance::set(Perbill::from_parts(roll1 + 1));
			run_to_block(end1);
			let positions =
				expected_positions(end1, 1, 0, &p2.output_commitment(), SMALL, AUDIT_SAMPLES);
			assert_eq!(
				take_events(),
				vec![samples_drawn(1, 0, positions, end1 + RESPONSE_WINDOW, true)]
			);
			assert_ok!(answer(ALICE, 1, 0, &p2, &all(4)));
			run_to_block(end1 + RESPONSE_WINDOW + 1);
			assert_eq!(verdict(1, 0), accepted_at(end1 + RESPONSE_WINDOW + 1));
		});
	}
}

// ---- attestation -----------------------------------------------------------------------------

mod attestation {
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

			assert_noop!(
				Proofs::remove_authority(signed(CLIENT), key(2)),
				DispatchError::BadOrigin
			);
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
			assert_noop!(
				Proofs::allow_measurement(root(), m(9)),
				Error::<Test>::TooManyMeasurements
			);
			take_events();

			assert_noop!(
				Proofs::revoke_measurement(signed(CLIENT), m(1)),
				DispatchError::BadOrigin
			);
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
			let other_key =
				AttestationReport { enclave_key: impostor().public(), ..report.clone() };
			assert_noop!(
				register(other_key, authority().public(), signature),
				Error::<Test>::BadAuthoritySignature
			);
			assert_ok!(Proofs::allow_measurement(root(), H256::repeat_byte(1)));
			let other_code =
				AttestationReport { measurement: H256::repeat_byte(1), ..report.clone() };
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
			let report =
				AttestationReport { measurement: H256::repeat_byte(1), ..report(ALICE, 50) };
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
				Proofs::register_enclave(
					signed(BOB),
					report.clone(),
					authority().public(),
					signature
				),
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
			let other_output = Receipt {
				output_commitment: out(2),
				..signed_receipt(0, out(1), 80, &enclave_key())
			};
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
				MockJobs::submit(
					1,
					0,
					ALICE,
					&spec,
					&signed_receipt(1, out(1), 80, &enclave_key())
				),
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
			seal_and_reveal(&[(BOB, output), (CHARLIE, output), (DAVE, output)]);
			MockJobs::postpone(0, 0, at + 1);
			run_to_block(at + 1);
			assert_eq!(verdict(0, 0), accepted_at(at + 1));
			assert_eq!(free(ALICE), STAKE + CHALLENGE_BOND - EXECUTOR_POT / 3 * 3);
		});
	}
}

// ---- replication -----------------------------------------------------------------------------

mod replication;

// ---- optimistic receipts and challenges ------------------------------------------------------

mod challenges;

// ---- the verifier's bookkeeping --------------------------------------------------------------

mod bookkeeping {
	use super::*;
	use tessera_primitives::jobs::Verifier;

	#[test]
	fn a_receipt_the_pallet_never_saw_is_accepted() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(<Proofs as Verifier<_, _, _>>::verdict(7, 0), Verdict::Accepted);
			// Closing it is harmless.
			<Proofs as Verifier<_, _, _>>::closed(7, 0);
		});
	}

	#[test]
	fn closing_a_check_forgets_it() {
		ExtBuilder::default().build_and_execute(|| {
			submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
			assert_ok!(MockJobs::accept(0, 0));
			assert_eq!(Checks::<Test>::iter().count(), 0);
			// A replicated job keeps its tally until every replica is closed.
			submit(1, 0, ALICE, &replicated(2), &sealed_receipt(1, 0, ALICE, out(1)));
			submit(1, 1, BOB, &replicated(2), &sealed_receipt(1, 1, BOB, out(1)));
			assert_ok!(reveal(1, 0, ALICE, out(1)));
			assert_ok!(reveal(1, 1, BOB, out(1)));
			assert_ok!(MockJobs::accept(1, 0));
			assert!(Tallies::<Test>::get(1).is_some());
			assert_ok!(MockJobs::accept(1, 1));
			assert!(Tallies::<Test>::get(1).is_none());
		});
	}

	#[test]
	fn try_state_catches_broken_invariants() {
		ExtBuilder::default().build_and_execute(|| {
			let job = MatMul::seeded(SMALL, 1);
			submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &job.receipt(&job.honest()));
			let original = Checks::<Test>::get(0, 0).unwrap();
			let broken = |change: &dyn Fn(&mut crate::CheckOf<Test>)| {
				let mut check = original.clone();
				change(&mut check);
				Checks::<Test>::insert(0, 0, check);
				let result = Proofs::do_try_state();
				Checks::<Test>::insert(0, 0, original.clone());
				result
			};
			assert_ok!(Proofs::do_try_state());
			// A challenge whose bond is not on hold.
			assert!(broken(
				&|c| c.challenge = Some(Challenge { challenger: CLIENT, bond: CHALLENGE_BOND })
			)
			.is_err());
			// An answer to a sample that was not drawn.
			assert!(broken(&|c| {
				c.stage = Stage::Sampling {
					positions: bounded(vec![(0, 0), (1, 1)]),
					answered: 0b100,
					respond_by: 10,
					audit: false,
				}
			})
			.is_err());
			assert!(broken(&|c| {
				c.stage = Stage::Sampling {
					positions: bounded(vec![(0, 0), (1, 1)]),
					answered: 0b11,
					respond_by: 10,
					audit: false,
				}
			})
			.is_ok());
			// An executor listed twice.
			let executor = Executor {
				provider: BOB,
				worker: worker_of(BOB),
				collateral: EXECUTOR_COLLATERAL,
				sealed: None,
				result: None,
			};
			assert!(broken(&|c| {
				c.stage = Stage::Reexecution {
					executors: BoundedVec::try_from(vec![executor.clone(), executor.clone()])
						.unwrap(),
					until: 10,
					revealing: false,
				}
			})
			.is_err());
			// A replicated check without a tally.
			assert!(broken(&|c| c.policy = Verification::Replicated).is_err());
			assert_ok!(Proofs::do_try_state());
		});
	}
}

use crate::{
	mock::*,
	pallet::{Authorities, Checks, Enclaves, Measurements, Tallies},
	sampling, AttestationReport, Challenge, Enclave, Error, Event, Executor, Fault, HoldReason,
	OpeningsOf, ReportOf, Stage, StageOf, MAX_SAMPLES,
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

mod runtime;

// ---- spot-checks -----------------------------------------------------------------------------

mod spot_check;

// ---- random audits ---------------------------------------------------------------------------

mod audits;

// ---- attestation -----------------------------------------------------------------------------

mod attestation;

// ---- replication -----------------------------------------------------------------------------

mod replication;

// ---- optimistic receipts and challenges ------------------------------------------------------

mod challenges;

// ---- the verifier's bookkeeping --------------------------------------------------------------

mod bookkeeping;

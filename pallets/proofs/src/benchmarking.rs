//! Benchmarks of the proofs pallet's calls and of the verifier's work the jobs pallet charges
//! for, run against the runtime's real registry (providers set up through
//! [`crate::BenchmarkHelper`]) and balances.
//!
//! Each runs its worst case:
//!
//! - a response opens the largest matrix there is (m = n = [`MAX_ROW`], so the paths in the
//!   input trees have depth 20 and the path in the output tree depth 34) with rows and columns of
//!   `k` elements. Trees that large cannot be built, so the benchmark fabricates a consistent
//!   check: one position opened by every sample, its leaves hashed up arbitrary siblings to
//!   roots, and the check's commitments made from those roots;
//! - lists and scans at their bounds (attestation authorities and measurements, executors,
//!   replicas), every bond moved to an account other than its challenger's;
//! - a look followed by `closed`, as [`crate::verifier::look_weight`] charges them;
//! - the hook's own walk of its agenda, [`Config::MaxLooksPerBlock`] looks at most.
//!
//! The verifier's functions are measured with `#[block]`: the jobs pallet calls some inside its
//! own calls and adds these weights to its own, and this pallet's hook and calls the others.

use super::*;
use crate::{verifier::Look, Pallet as Proofs};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::{Inspect, Mutate, MutateHold};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Hash, One, Saturating, Zero};
use tessera_commitment::{
	c_chunk, c_leaf_count, depth, dot, encode_chunk, input_commitment, leaf_hash, node_hash,
	output_commitment, sample_positions, seed_a_row, seed_b_col, Dims, Domain, InputOpening,
	OutputOpening, MAX_ROW,
};
use tessera_primitives::jobs::{
	attested_receipt_payload, sealed_output, Inputs, JobSpec, Receipt, Verdict, Verification,
	Workload,
};
use tessera_primitives::market::{Requirements, SlashReason};

/// What the benchmark providers ask per unit, and the checks' price cap.
const PRICE: u128 = 1_000_000;

/// The job every benchmark checks.
const JOB: JobId = 7;

/// Most samples the sampling benchmarks answer or draw.
const SAMPLES: u32 = 8;

/// The output commitment of the benchmarks' receipts where its value does not matter.
const OUTPUT: H256 = H256::repeat_byte(0x0c);

/// The measurement of the benchmarks' enclaves.
const MEASUREMENT: H256 = H256::repeat_byte(0xee);

fn price<T: Config>() -> BalanceOf<T> {
	PRICE.try_into().unwrap_or_else(|_| Bounded::max_value())
}

/// Moves to a block with [`Config::RandomnessDelay`] blocks before it (events are recorded
/// from block 1 on) and returns it.
fn start<T: Config>() -> BlockNumberFor<T> {
	let now = T::RandomnessDelay::get().saturating_add(100u32.into());
	frame_system::Pallet::<T>::set_block_number(now);
	now
}

/// A block no benchmark reaches.
fn far<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number().saturating_add(100_000u32.into())
}

/// `count` providers from the runtime's registry: (provider, worker).
fn providers<T: Config>(count: u32) -> Vec<(T::AccountId, T::AccountId)> {
	let providers = T::BenchmarkHelper::providers(count, PRICE);
	assert_eq!(providers.len() as u32, count, "the helper registers the providers asked for");
	providers
}

/// An account with a few challenge bonds: enough to hold one, modest enough for many.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let funds = T::ChallengeBond::get()
		.saturating_mul(4u32.into())
		.saturating_add(T::Currency::minimum_balance());
	let _ = T::Currency::set_balance(&who, funds);
	who
}

/// A funded challenger whose bond is on hold, and its challenge.
fn challenger<T: Config>(index: u32) -> Challenge<T::AccountId, BalanceOf<T>> {
	let challenger = funded::<T>("challenger", index);
	let bond = T::ChallengeBond::get();
	let held = T::Currency::hold(&HoldReason::ChallengeBond.into(), &challenger, bond);
	assert!(held.is_ok(), "the challenger holds its bond");
	Challenge { challenger, bond }
}

/// The largest matrix job: paths of depth 20 in the trees over A and B, 34 in the tree over C.
fn dims(k: u32) -> Dims {
	Dims { m: MAX_ROW, n: MAX_ROW, k }
}

/// A matrix job of the largest size, with seed inputs.
fn matrix() -> Matrix {
	Matrix { dims: dims(MAX_ROW), inputs: MatrixInputs::Seed(H256::repeat_byte(0x5e)) }
}

/// A 4096 x 4096 x 4096 seed job: one that re-executors can hold in memory.
fn executable() -> Matrix {
	Matrix {
		dims: Dims { m: 4096, n: 4096, k: 4096 },
		inputs: MatrixInputs::Seed(H256::repeat_byte(0x5e)),
	}
}

/// A check submitted now with default requirements and no challenge.
fn check<T: Config>(
	provider: T::AccountId,
	policy: Verification,
	output: H256,
	matrix: Option<Matrix>,
	stage: StageOf<T>,
) -> CheckOf<T> {
	Check {
		provider,
		client: account("client", 0, 0),
		policy,
		output,
		matrix,
		requirements: Requirements::default(),
		max_price_per_unit: price::<T>(),
		deadline: far::<T>(),
		submitted_at: frame_system::Pallet::<T>::block_number(),
		stage,
		challenge: None,
	}
}

fn stored<T: Config>(job: JobId, replica: u32) -> CheckOf<T> {
	match Checks::<T>::get(job, replica) {
		Some(check) => check,
		None => panic!("the benchmark's check exists"),
	}
}

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(<T as Config>::RuntimeEvent::from(event).into());
}

fn assert_has_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_has_event(<T as Config>::RuntimeEvent::from(event).into());
}

/// The check of replica `replica` of [`JOB`] was accepted, and the call that decided it told
/// its verdict: the runtime's jobs pallet, which has no record of the benchmark's job, leaves
/// the check decided; one that settled it (the mock's) closed it.
fn assert_accepted<T: Config>(replica: u32) {
	if let Some(check) = Checks::<T>::get(JOB, replica) {
		assert_eq!(check.stage, Stage::Decided(Decision::Accepted));
	}
	assert!(NextLook::<T>::get(JOB, replica).is_none(), "a decided check is not looked at again");
}

/// The path of `depth(leaf_count)` arbitrary siblings from `leaf` at `index`, and the root it
/// leads to: what `verify_path` recomputes.
fn path_to_root(
	leaf: H256,
	index: u64,
	leaf_count: u64,
) -> (tessera_commitment::opening::Path, H256) {
	let mut node = leaf;
	let mut at = index;
	let mut path = Vec::new();
	for level in 0..depth(leaf_count) {
		let sibling = H256::repeat_byte((level as u8).wrapping_add(1));
		node = if at & 1 == 0 { node_hash(&node, &sibling) } else { node_hash(&sibling, &node) };
		at >>= 1;
		path.push(sibling);
	}
	(BoundedVec::truncate_from(path), node)
}

/// The position every sample opens: the last element of C, in the last chunk of the last row.
fn position(d: Dims) -> (u32, u32) {
	(d.m.saturating_sub(1), d.n.saturating_sub(1))
}

/// The opening of C at `position` whose element there is `product`, and the root of C.
fn output_opening(d: Dims, position: (u32, u32), product: i32) -> (OutputOpening, H256) {
	let (leaf, offset, len) = c_chunk(d, position.0, position.1);
	let mut chunk = vec![0i32; len as usize];
	chunk[offset as usize] = product;
	let hash = leaf_hash(Domain::C, leaf, &encode_chunk(&chunk));
	let (path, root) = path_to_root(hash, leaf, c_leaf_count(d));
	(OutputOpening { chunk: BoundedVec::truncate_from(chunk), path }, root)
}

/// A row of A or a column of B of `k` elements, as bytes.
fn line(k: u32, salt: u8) -> Vec<u8> {
	(0..k).map(|t| (t as u8).wrapping_mul(31).wrapping_add(salt)).collect()
}

/// A line opening at `index` of the tree over `count` lines of `domain`, and that tree's root.
fn input_opening(domain: Domain, index: u32, count: u32, data: Vec<u8>) -> (InputOpening, H256) {
	let leaf = leaf_hash(domain, index.into(), &data);
	let (path, root) = path_to_root(leaf, index.into(), count.into());
	let data: Vec<i8> = data.into_iter().map(|byte| byte as i8).collect();
	(InputOpening { data: BoundedVec::truncate_from(data), path }, root)
}

/// `s` samples, all at `position`.
fn positions(s: u32, position: (u32, u32)) -> BoundedVec<(u32, u32), ConstU32<MAX_SAMPLES>> {
	BoundedVec::truncate_from(vec![position; s as usize])
}

/// `s` answers, each `opening`.
fn openings(s: u32, opening: Opening) -> OpeningsOf {
	BoundedVec::truncate_from((0..s).map(|sample| (sample, opening.clone())).collect::<Vec<_>>())
}

/// Stores the sampling check of `provider`'s receipt for a `matrix` whose output is `output`,
/// every one of its `s` samples at `position`.
fn sampling_check<T: Config>(provider: T::AccountId, matrix: Matrix, output: H256, s: u32) {
	let stage = Stage::Sampling {
		positions: positions(s, position(matrix.dims)),
		answered: 0,
		respond_by: far::<T>(),
		audit: false,
	};
	Checks::<T>::insert(
		JOB,
		0,
		check::<T>(provider, Verification::SpotCheck, output, Some(matrix), stage),
	);
}

/// An `https://` URL of the greatest length allowed.
fn longest_url() -> tessera_primitives::jobs::Uri {
	let mut url = b"https://".to_vec();
	url.resize(tessera_primitives::jobs::MAX_URI_LEN as usize, b'a');
	BoundedVec::truncate_from(url)
}

/// A job of the largest matrix, given by content, checked by `verification`.
fn spec<T: Config>(
	verification: Verification,
	replicas: u32,
) -> JobSpec<BalanceOf<T>, BlockNumberFor<T>> {
	JobSpec {
		workload: Workload::MatMulI8 { m: MAX_ROW, n: MAX_ROW, k: MAX_ROW },
		inputs: Inputs::Content {
			hash: H256::repeat_byte(0x1c),
			uri: longest_url(),
			size: u64::MAX,
		},
		requirements: Requirements {
			attestation: verification == Verification::Attested,
			..Default::default()
		},
		max_price_per_unit: price::<T>(),
		replicas,
		verification,
		deadline: far::<T>(),
	}
}

/// The `index`th filler attestation authority.
fn authority(index: u32) -> sr25519::Public {
	let mut raw = [0u8; 32];
	raw[..4].copy_from_slice(&index.to_le_bytes());
	sr25519::Public::from_raw(raw)
}

/// The `index`th filler measurement.
fn measurement(index: u32) -> H256 {
	let mut raw = [0u8; 32];
	raw[..4].copy_from_slice(&index.to_le_bytes());
	raw[31] = 0x4d;
	H256(raw)
}

/// Lists `MaxAuthorities - 1` filler authorities, then `last` if given.
fn fill_authorities<T: Config>(last: Option<sr25519::Public>) {
	let mut keys: Vec<_> = (0..T::MaxAuthorities::get().saturating_sub(1)).map(authority).collect();
	keys.extend(last);
	Authorities::<T>::put(BoundedVec::truncate_from(keys));
}

/// Allows `MaxMeasurements - 1` filler measurements, then `last` if given.
fn fill_measurements<T: Config>(last: Option<H256>) {
	let mut all: Vec<_> =
		(0..T::MaxMeasurements::get().saturating_sub(1)).map(measurement).collect();
	all.extend(last);
	Measurements::<T>::put(BoundedVec::truncate_from(all));
}

/// The key type of the keys the benchmarks generate.
#[cfg(not(feature = "std"))]
const KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"bnch");

/// An sr25519 key the benchmarks sign with (an authority's, an enclave's). In the Wasm runtime
/// it lives in the keystore the benchmark CLI provides; natively (the mock's test suite, which
/// has no keystore) it is derived from a seed. Only the signing differs: the pallet verifies
/// with the same host function either way.
struct Signer {
	public: sr25519::Public,
	#[cfg(feature = "std")]
	pair: sr25519::Pair,
}

impl Signer {
	fn new(seed: u8) -> Self {
		#[cfg(feature = "std")]
		{
			use sp_core::Pair;
			let pair = sr25519::Pair::from_seed(&[seed; 32]);
			Self { public: pair.public(), pair }
		}
		#[cfg(not(feature = "std"))]
		{
			let _ = seed;
			Self { public: sp_io::crypto::sr25519_generate(KEY_TYPE, None) }
		}
	}

	fn sign(&self, payload: &[u8]) -> sr25519::Signature {
		#[cfg(feature = "std")]
		{
			use sp_core::Pair;
			self.pair.sign(payload)
		}
		#[cfg(not(feature = "std"))]
		{
			match sp_io::crypto::sr25519_sign(KEY_TYPE, &self.public, payload) {
				Some(signature) => signature,
				None => panic!("the benchmark key is in the keystore"),
			}
		}
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A response that opens all `s` samples of a check of committed inputs with inner
	/// dimension `k / s`: the roots, then per sample a row and a column of `k / s` bytes hashed
	/// and walked up 20 levels each, their dot product, and a chunk of C walked up 34 levels.
	/// The check passes.
	#[benchmark]
	fn respond_committed(s: Linear<1, { SAMPLES }>, k: Linear<1, { MAX_ROW }>) {
		start::<T>();
		let (provider, worker) = providers::<T>(1).remove(0);
		// `k` counts the elements of A answered in all: `s` rows of `k / s` each, so that the
		// weight is linear in both components (the cost is per sample and per element).
		let len = (k / s).max(1);
		let d = dims(len);
		let (i, j) = position(d);
		let (row, a_root) = input_opening(Domain::A, i, d.m, line(len, 1));
		let (column, b_root) = input_opening(Domain::B, j, d.n, line(len, 2));
		let (output, c_root) = output_opening(d, (i, j), dot(&row.data, &column.data));
		let matrix = Matrix {
			dims: d,
			inputs: MatrixInputs::Committed(input_commitment(d, &a_root, &b_root)),
		};
		sampling_check::<T>(provider, matrix, output_commitment(d, &c_root), s);
		let roots = Roots { output: c_root, inputs: Some((a_root, b_root)) };
		// The call carries `s` copies of the row and the column; the template goes.
		let openings = openings(s, Opening { output, row: Some(row), column: Some(column) });

		#[extrinsic_call]
		respond(RawOrigin::Signed(worker), JOB, 0, roots, openings);

		assert_accepted::<T>(0);
		assert_has_event::<T>(Event::SpotCheckPassed { job: JOB, replica: 0 });
	}

	/// The same with seed inputs: the chain derives each row and column of `k / s` bytes itself.
	#[benchmark]
	fn respond_seeded(s: Linear<1, { SAMPLES }>, k: Linear<1, { MAX_ROW }>) {
		start::<T>();
		let (provider, worker) = providers::<T>(1).remove(0);
		// `k` counts the elements of A answered in all: `s` rows of `k / s` each, so that the
		// weight is linear in both components (the cost is per sample and per element).
		let len = (k / s).max(1);
		let d = dims(len);
		let (i, j) = position(d);
		let seed = H256::repeat_byte(0x5e);
		let product = {
			let mut row = vec![0i8; len as usize];
			let mut column = vec![0i8; len as usize];
			seed_a_row(&seed, d, i, &mut row);
			seed_b_col(&seed, d, j, &mut column);
			dot(&row, &column)
		};
		let (output, c_root) = output_opening(d, (i, j), product);
		let matrix = Matrix { dims: d, inputs: MatrixInputs::Seed(seed) };
		sampling_check::<T>(provider, matrix, output_commitment(d, &c_root), s);
		let roots = Roots { output: c_root, inputs: None };
		let openings = openings(s, Opening { output, row: None, column: None });

		#[extrinsic_call]
		respond(RawOrigin::Signed(worker), JOB, 0, roots, openings);

		assert_accepted::<T>(0);
		assert_has_event::<T>(Event::SpotCheckPassed { job: JOB, replica: 0 });
	}

	/// The last of `e` executors reports: its entry is found at the end of the list.
	#[benchmark]
	fn report_reexecution(e: Linear<1, { T::Executors::get() }>) {
		start::<T>();
		let mut providers = providers::<T>(e.saturating_add(1));
		let (provider, _) = providers.remove(0);
		let Some((last, worker)) = providers.last().cloned() else {
			panic!("the benchmark has executors")
		};
		// The others have sealed: this last seal opens the reveals.
		let executors = providers
			.into_iter()
			.map(|(provider, worker)| {
				let sealed = (provider != last).then_some(OUTPUT);
				let collateral = T::ExecutorCollateral::get();
				Executor { provider, worker, collateral, sealed, result: None }
			})
			.collect::<Vec<_>>();
		let stage = Stage::Reexecution {
			executors: BoundedVec::truncate_from(executors),
			until: far::<T>(),
			revealing: false,
		};
		let mut challenged =
			check::<T>(provider, Verification::Optimistic, OUTPUT, Some(matrix()), stage);
		challenged.challenge = Some(challenger::<T>(0));
		Checks::<T>::insert(JOB, 0, challenged);
		let seal = H256::repeat_byte(0xd0);

		#[extrinsic_call]
		_(RawOrigin::Signed(worker), JOB, 0, seal);

		assert!(matches!(stored::<T>(JOB, 0).stage, Stage::Reexecution { revealing: true, .. }));
	}

	/// The last executor's reveal of `e`: it opens its seal and the challenge is settled in the
	/// call (the jobs pallet's settlement is weighed apart, as its `decided_weight`).
	#[benchmark]
	fn reveal_reexecution(e: Linear<1, { T::Executors::get() }>) {
		start::<T>();
		let mut providers = providers::<T>(e.saturating_add(1));
		let (provider, _) = providers.remove(0);
		let Some((last, worker)) = providers.last().cloned() else {
			panic!("the benchmark has executors")
		};
		let salt = H256::repeat_byte(0x5a);
		let executors = providers
			.into_iter()
			.map(|(provider, worker)| {
				let collateral = T::ExecutorCollateral::get();
				let (sealed, result) = if provider == last {
					(Some(sealed_output(JOB, 0, &provider, &OUTPUT, &salt)), None)
				} else {
					(Some(OUTPUT), Some(OUTPUT))
				};
				Executor { provider, worker, collateral, sealed, result }
			})
			.collect::<Vec<_>>();
		let stage = Stage::Reexecution {
			executors: BoundedVec::truncate_from(executors),
			until: far::<T>(),
			revealing: true,
		};
		let mut challenged =
			check::<T>(provider, Verification::Optimistic, OUTPUT, Some(matrix()), stage);
		challenged.challenge = Some(challenger::<T>(0));
		Checks::<T>::insert(JOB, 0, challenged);

		#[extrinsic_call]
		_(RawOrigin::Signed(worker), JOB, 0, OUTPUT, salt);

		assert_accepted::<T>(0);
		assert_has_event::<T>(Event::ExecutorRevealed {
			job: JOB,
			replica: 0,
			provider: last,
			output: OUTPUT,
		});
	}

	/// The dispute origin upholds `r` disputed receipts of one job, each challenged by its own
	/// challenger: every bond is moved whole to the receipt's provider (a transfer from the
	/// hold, dearer than the release a rejected receipt's bond gets).
	#[benchmark]
	fn resolve_dispute(r: Linear<1, { T::MaxReplicas::get() }>) -> Result<(), BenchmarkError> {
		start::<T>();
		let mut challengers = Vec::new();
		for (replica, (provider, _)) in (0u32..).zip(providers::<T>(r)) {
			let mut disputed = check::<T>(
				provider,
				Verification::Optimistic,
				OUTPUT,
				Some(matrix()),
				Stage::Disputed,
			);
			let held = challenger::<T>(replica);
			challengers.push(held.challenger.clone());
			disputed.challenge = Some(held);
			Checks::<T>::insert(JOB, replica, disputed);
		}
		let origin =
			T::DisputeOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, JOB, None, Some(OUTPUT));

		for (replica, challenger) in (0u32..).zip(challengers) {
			assert_accepted::<T>(replica);
			assert_eq!(Proofs::<T>::bond_held(&challenger), BalanceOf::<T>::zero());
		}
		Ok(())
	}

	/// Listing an authority when all but one are listed: the duplicate check scans them all.
	#[benchmark]
	fn add_authority() -> Result<(), BenchmarkError> {
		fill_authorities::<T>(None);
		let key = authority(T::MaxAuthorities::get().saturating_sub(1));
		let origin = T::AttestationOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, key);

		assert!(Authorities::<T>::get().contains(&key));
		Ok(())
	}

	/// Removing the last of a full list.
	#[benchmark]
	fn remove_authority() -> Result<(), BenchmarkError> {
		let key = authority(T::MaxAuthorities::get().saturating_sub(1));
		fill_authorities::<T>(Some(key));
		let origin = T::AttestationOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, key);

		assert!(!Authorities::<T>::get().contains(&key));
		Ok(())
	}

	/// Allowing a measurement when all but one are allowed.
	#[benchmark]
	fn allow_measurement() -> Result<(), BenchmarkError> {
		fill_measurements::<T>(None);
		let allowed = measurement(T::MaxMeasurements::get().saturating_sub(1));
		let origin = T::AttestationOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, allowed);

		assert!(Measurements::<T>::get().contains(&allowed));
		Ok(())
	}

	/// Revoking the last of a full list.
	#[benchmark]
	fn revoke_measurement() -> Result<(), BenchmarkError> {
		let revoked = measurement(T::MaxMeasurements::get().saturating_sub(1));
		fill_measurements::<T>(Some(revoked));
		let origin = T::AttestationOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, revoked);

		assert!(!Measurements::<T>::get().contains(&revoked));
		Ok(())
	}

	/// A registered provider registers its enclave: its authority is the last of a full list,
	/// its measurement the last of a full list, and the authority's signature is checked.
	#[benchmark]
	fn register_enclave() {
		start::<T>();
		let (provider, _) = providers::<T>(1).remove(0);
		let signer = Signer::new(1);
		fill_authorities::<T>(Some(signer.public));
		fill_measurements::<T>(Some(MEASUREMENT));
		let report = AttestationReport {
			provider: provider.clone(),
			measurement: MEASUREMENT,
			enclave_key: Signer::new(2).public,
			expires_at: far::<T>(),
		};
		let signature = signer.sign(&report.signing_payload());

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), report, signer.public, signature);

		assert!(Enclaves::<T>::contains_key(&provider));
	}

	/// The receipt of an attested job: the enclave is registered, its measurement the last of
	/// a full list, and its signature over the receipt is checked.
	#[benchmark]
	fn receipt_attested() {
		start::<T>();
		let (provider, _) = providers::<T>(1).remove(0);
		let enclave = Signer::new(2);
		fill_measurements::<T>(Some(MEASUREMENT));
		Enclaves::<T>::insert(
			&provider,
			Enclave { key: enclave.public, measurement: MEASUREMENT, expires_at: far::<T>() },
		);
		let spec = spec::<T>(Verification::Attested, 1);
		let used_units = spec.workload.units().unwrap_or_default();
		let receipt = Receipt {
			output_commitment: OUTPUT,
			output_uri: longest_url(),
			used_units,
			enclave_signature: Some(
				enclave.sign(&attested_receipt_payload(JOB, &OUTPUT, used_units)),
			),
		};
		let client: T::AccountId = account("client", 0, 0);
		let submitted;

		#[block]
		{
			submitted =
				verifier::receipt_submitted::<T>(JOB, 0, &provider, &client, &spec, &receipt);
		}

		assert!(submitted.is_ok());
		assert!(matches!(stored::<T>(JOB, 0).stage, Stage::Window { .. }));
	}

	/// The last sealed receipt of a job of `MaxReplicas` replicas: it opens the reveals, which
	/// moves every other sealed check of the job.
	#[benchmark]
	fn receipt_replicated() {
		start::<T>();
		let replicas = T::MaxReplicas::get();
		let last = replicas.saturating_sub(1);
		for replica in 0..last {
			let provider: T::AccountId = account("provider", replica, 0);
			let sealed = Stage::Sealed { seal: OUTPUT };
			Checks::<T>::insert(
				JOB,
				replica,
				check::<T>(provider, Verification::Replicated, OUTPUT, None, sealed),
			);
			quorum::sealed::<T>(JOB, replica, replicas, OUTPUT, far::<T>());
		}
		let provider: T::AccountId = account("provider", last, 0);
		let spec = spec::<T>(Verification::Replicated, replicas);
		let receipt = Receipt {
			output_commitment: OUTPUT,
			output_uri: longest_url(),
			used_units: spec.workload.units().unwrap_or_default(),
			enclave_signature: None,
		};
		let client: T::AccountId = account("client", 0, 0);
		let submitted;

		#[block]
		{
			submitted =
				verifier::receipt_submitted::<T>(JOB, last, &provider, &client, &spec, &receipt);
		}

		assert!(submitted.is_ok());
		for replica in 0..replicas {
			assert!(matches!(stored::<T>(JOB, replica).stage, Stage::Revealing { .. }));
		}
		let sealed = Tallies::<T>::get(JOB).map(|tally| tally.sealed.len() as u32);
		assert_eq!(sealed, Some(replicas));
	}

	/// A reveal that opens its seal, in a job of `MaxReplicas` replicas that all sealed.
	#[benchmark]
	fn reveal() {
		start::<T>();
		let replicas = T::MaxReplicas::get();
		let (provider, worker) = providers::<T>(1).remove(0);
		let salt = H256::repeat_byte(0x5a);
		let seal = sealed_output(JOB, 0, &provider, &OUTPUT, &salt);
		let until = far::<T>();
		Tallies::<T>::insert(
			JOB,
			Tally {
				replicas,
				sealed: BoundedVec::truncate_from((0..replicas).collect::<Vec<_>>()),
				reveal_until: Some(until),
				receipts: BoundedVec::truncate_from(
					(1..replicas).map(|r| (r, OUTPUT)).collect::<Vec<_>>(),
				),
				agreed: None,
				verdicts: Default::default(),
			},
		);
		let revealing = Stage::Revealing { seal, until };
		Checks::<T>::insert(
			JOB,
			0,
			check::<T>(provider, Verification::Replicated, seal, None, revealing),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(worker), JOB, 0, OUTPUT, salt);

		// The last reveal: the tally is unanimous and accepts at once.
		assert_accepted::<T>(0);
		assert_has_event::<T>(Event::Revealed { job: JOB, replica: 0, output: OUTPUT });
	}

	/// A challenge of an optimistic matrix receipt: the bond is held and `e` executors are
	/// found (the registry's query included) and booked (and let go again if they are fewer
	/// than [`Config::Executors`]).
	#[benchmark]
	fn challenge() {
		start::<T>();
		let (provider, _) = providers::<T>(1).remove(0);
		let challenger = funded::<T>("challenger", 0);
		let stage = Stage::Window { until: far::<T>() };
		Checks::<T>::insert(
			JOB,
			0,
			check::<T>(provider, Verification::Optimistic, OUTPUT, Some(executable()), stage),
		);
		let challenged;

		#[block]
		{
			challenged = disputes::challenge::<T>(JOB, 0, &challenger);
		}

		assert!(challenged.is_ok());
		assert!(matches!(stored::<T>(JOB, 0).stage, Stage::Drawing { .. }));
		assert_eq!(Proofs::<T>::bond_held(&challenger), T::ChallengeBond::get());
	}

	/// The draw of a challenge's executors: `e` providers drawn (the registry's query
	/// included), each booked with a slot and its collateral, and their duties recorded; with
	/// fewer than [`Config::Executors`], those booked are let go again (booking and freeing
	/// each costs more).
	#[benchmark]
	fn verdict_executors(e: Linear<1, { T::Executors::get() }>) {
		let now = start::<T>();
		let (provider, _) = providers::<T>(e.saturating_add(1)).remove(0);
		let mut challenged = check::<T>(
			provider,
			Verification::Optimistic,
			OUTPUT,
			// A matrix the executors' hosts can hold: matching asks for memory for its data,
			// and the cost of a draw does not depend on the dimensions.
			Some(executable()),
			Stage::Drawing { at: now },
		);
		// The executors registered before the receipt.
		challenged.submitted_at = now.saturating_add(One::one());
		challenged.challenge = Some(challenger::<T>(0));
		Checks::<T>::insert(JOB, 0, challenged);
		let verdict;

		#[block]
		{
			verdict = verifier::look::<T>(JOB, 0);
		}

		assert!(matches!(verdict, Some(Look::Pending(_))));
		match stored::<T>(JOB, 0).stage {
			Stage::Reexecution { executors, .. } => {
				assert_eq!(executors.len() as u32, e);
				assert_eq!(e, T::Executors::get());
			},
			Stage::Disputed => assert!(e < T::Executors::get()),
			other => panic!("a draw re-executes or disputes, not {other:?}"),
		}
	}

	/// The draw of `s` samples of a spot-checked receipt (the verdict's `Draw` stage, with `s`
	/// in place of [`Config::SpotCheckSamples`]): the randomness of the blocks before, the
	/// positions and the sampling stage; then `closed`.
	#[benchmark]
	fn verdict_draw(s: Linear<1, { SAMPLES }>) {
		let now = start::<T>();
		let mut block = now.saturating_sub(T::RandomnessDelay::get());
		while block < now {
			let hash = <T as frame_system::Config>::Hashing::hash_of(&block);
			frame_system::BlockHash::<T>::insert(block, hash);
			block = block.saturating_add(One::one());
		}
		let provider: T::AccountId = account("provider", 0, 0);
		let matrix = matrix();
		let stage = Stage::Draw { at: now, audit: false };
		Checks::<T>::insert(
			JOB,
			0,
			check::<T>(provider, Verification::SpotCheck, OUTPUT, Some(matrix), stage),
		);

		#[block]
		{
			// What `verifier::look` does for this stage.
			if let Some(mut check) = Checks::<T>::get(JOB, 0) {
				let seed = sampling::draw_seed::<T>(now, JOB, 0, &check.output);
				let (stage, _) = sampling::start::<T>(JOB, 0, &matrix, &seed, s, false);
				check.stage = stage;
				Checks::<T>::insert(JOB, 0, check);
			}
			verifier::closed::<T>(JOB, 0);
		}

		let seed = sampling::draw_seed::<T>(now, JOB, 0, &OUTPUT);
		let drawn = sample_positions(&seed, matrix.dims, s);
		assert_eq!(drawn.len() as u32, s);
		assert_last_event::<T>(Event::SamplesDrawn {
			job: JOB,
			replica: 0,
			positions: BoundedVec::truncate_from(drawn),
			respond_by: now.saturating_add(T::ResponseWindow::get()),
			audit: false,
		});
	}

	/// The first verdict on a replicated receipt once all `r` receipts are in: the majority's
	/// commitment comes after every dissenting one, so that the quorum search counts the votes
	/// of each dissenter first (`r^2 / 2` comparisons); the agreement is stored and the receipt
	/// accepted. Then `closed`, with the job's other checks already closed, forgets the tally.
	#[benchmark]
	fn verdict_quorum(r: Linear<1, { T::MaxReplicas::get() }>) {
		start::<T>();
		let quorum = r / 2 + 1;
		let dissenters = r.saturating_sub(quorum);
		let receipts: Vec<(u32, H256)> = (0..r)
			.map(|replica| {
				let output = if replica < dissenters { measurement(replica) } else { OUTPUT };
				(replica, output)
			})
			.collect();
		Tallies::<T>::insert(
			JOB,
			Tally {
				replicas: r,
				sealed: BoundedVec::truncate_from((0..r).collect::<Vec<_>>()),
				reveal_until: Some(far::<T>()),
				receipts: BoundedVec::truncate_from(receipts),
				agreed: None,
				verdicts: Default::default(),
			},
		);
		let last = r.saturating_sub(1);
		let provider: T::AccountId = account("provider", last, 0);
		Checks::<T>::insert(
			JOB,
			last,
			check::<T>(provider, Verification::Replicated, OUTPUT, None, Stage::Quorum),
		);
		let verdict;

		#[block]
		{
			verdict = verifier::look::<T>(JOB, last);
			verifier::closed::<T>(JOB, last);
		}

		assert_eq!(verdict, Some(Look::Decided(Verdict::Accepted)));
		assert!(Tallies::<T>::get(JOB).is_none());
		assert_last_event::<T>(Event::QuorumReached { job: JOB, output: OUTPUT });
	}

	/// The end of a re-execution by `e` executors that all reported the receipt's output: their
	/// slots are freed and their reputations recorded, each is paid its share of the bond from
	/// the hold and the provider the rest (a transfer, dearer than the refund a rejected
	/// receipt's challenger gets). Then `closed`.
	#[benchmark]
	fn verdict_reexecution(e: Linear<1, { T::Executors::get() }>) {
		let now = start::<T>();
		let mut providers = providers::<T>(e.saturating_add(1));
		let (provider, _) = providers.remove(0);
		let executors = providers
			.into_iter()
			.map(|(provider, worker)| {
				assert!(T::Registry::job_assigned(&provider).is_ok(), "the executor is booked");
				let collateral = T::ExecutorCollateral::get();
				assert!(T::Collateral::reserve(&provider, collateral).is_ok(), "collateral set");
				Duties::<T>::insert(&provider, (JOB, 0), ());
				Executor {
					provider,
					worker,
					collateral,
					sealed: Some(OUTPUT),
					result: Some(OUTPUT),
				}
			})
			.collect::<Vec<_>>();
		let stage = Stage::Reexecution {
			executors: BoundedVec::truncate_from(executors),
			until: now,
			revealing: true,
		};
		let mut challenged =
			check::<T>(provider, Verification::Optimistic, OUTPUT, Some(matrix()), stage);
		let held = challenger::<T>(0);
		let challenger = held.challenger.clone();
		challenged.challenge = Some(held);
		Checks::<T>::insert(JOB, 0, challenged);
		let verdict;

		#[block]
		{
			verdict = verifier::look::<T>(JOB, 0);
			verifier::closed::<T>(JOB, 0);
		}

		assert_eq!(verdict, Some(Look::Decided(Verdict::Accepted)));
		assert_eq!(Proofs::<T>::bond_held(&challenger), BalanceOf::<T>::zero());
		assert!(Checks::<T>::get(JOB, 0).is_none());
	}

	/// A sampling stage past its deadline with no sample answered: the receipt is rejected.
	/// Then `closed`.
	#[benchmark]
	fn verdict_withheld() {
		let now = start::<T>();
		let provider: T::AccountId = account("provider", 0, 0);
		let samples = T::SpotCheckSamples::get().max(T::AuditSamples::get());
		let stage = Stage::Sampling {
			positions: positions(samples, position(matrix().dims)),
			answered: 0,
			respond_by: now.saturating_sub(One::one()),
			audit: false,
		};
		Checks::<T>::insert(
			JOB,
			0,
			check::<T>(provider, Verification::SpotCheck, OUTPUT, Some(matrix()), stage),
		);
		let verdict;

		#[block]
		{
			verdict = verifier::look::<T>(JOB, 0);
			verifier::closed::<T>(JOB, 0);
		}

		assert_eq!(
			verdict,
			Some(Look::Decided(Verdict::Rejected { offence: SlashReason::Fraud, watcher: None }))
		);
		assert_last_event::<T>(Event::SpotCheckFailed {
			job: JOB,
			replica: 0,
			fault: Fault::Withheld,
		});
	}

	/// The hook with `n` looks due in its block, each at a check whose challenge window is
	/// still open: read the check, move nothing, schedule the next look. What a look does
	/// beyond that (a draw, a tally, a settlement) is charged as [`agenda::settle_weight`].
	#[benchmark]
	fn on_initialize_agenda(n: Linear<0, { T::MaxLooksPerBlock::get() }>) {
		let now = start::<T>();
		let until = far::<T>();
		for replica in 0..n {
			let provider: T::AccountId = account("provider", replica, 0);
			let stage = Stage::Window { until };
			Checks::<T>::insert(
				JOB,
				replica,
				check::<T>(provider, Verification::Optimistic, OUTPUT, None, stage),
			);
			agenda::schedule::<T>(JOB, replica, now);
		}
		let due = now.saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(due);
		AgendaCursor::<T>::put(due);
		let looked;

		#[block]
		{
			looked = agenda::run::<T>(due).count;
		}

		assert_eq!(looked, n);
		for replica in 0..n {
			assert_eq!(NextLook::<T>::get(JOB, replica), Some(until));
		}
	}

	impl_benchmark_test_suite!(Proofs, crate::mock::new_test_ext(), crate::mock::Test);
}

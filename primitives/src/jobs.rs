//! Jobs as clients post them: the workload, its inputs, what it needs from a provider, what it
//! may cost, how it is verified and when it is due; and what a provider reports back.
//!
//! The jobs pallet stores these types as they are, the runtime API returns them, and the worker
//! reads them from the chain, so all three agree on one definition.

use crate::market::{Capabilities, Needs, Requirements, SlashReason};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{sr25519, ConstU32, H256};
use sp_runtime::{BoundedVec, Weight};

/// A job's number, counting from 0 in the order jobs were posted.
pub type JobId = u64;

/// Longest URI of an input or an output, in bytes.
pub const MAX_URI_LEN: u32 = 256;

/// A URI (`http://` or `https://`), bounded.
pub type Uri = BoundedVec<u8, ConstU32<MAX_URI_LEN>>;

/// Whether `uri` is an `http://` or `https://` URL with a non-empty rest of printable ASCII: the
/// check every endpoint and input or output URI on the chain passes.
pub fn is_http_url(uri: &[u8]) -> bool {
	let rest = uri.strip_prefix(b"https://").or_else(|| uri.strip_prefix(b"http://"));
	rest.is_some_and(|rest| !rest.is_empty() && rest.iter().all(|b| b.is_ascii_graphic()))
}

/// One tera-operation: the unit `MatMulI8` jobs are priced in.
pub const OPS_PER_UNIT: u128 = 1_000_000_000_000;

/// Largest dimension of a `MatMulI8` job. 2^20 keeps every count of operations well inside
/// `u128` and every matrix addressable by the worker.
pub const MAX_MATRIX_DIM: u32 = 1 << 20;

/// Largest `k` of a `MatMulI8` job with content inputs. Each spot-check sample of such a job
/// opens a row of A and a column of B, `k` bytes each, so this bounds one sample's opening to
/// 128 KiB whatever the job pays (seed inputs are derived by the chain and not opened).
pub const MAX_OPENED_K: u32 = 1 << 16;

const MIB: u64 = 1 << 20;

/// What is computed.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Workload {
	/// C = A x B with A (m x k) and B (k x n) in int8 and C in int32: exact on every backend,
	/// so it can be spot-checked. Priced per tera-operation (2mnk / 10^12, rounded up).
	MatMulI8 { m: u32, n: u32, k: u32 },
	/// Any other program (a model, a container), named by the blake2-256 hash of its image and
	/// priced per GPU-second, capped at `gpu_seconds`.
	Opaque { program: H256, gpu_seconds: u64 },
}

impl Workload {
	/// The units of work the job is priced in, or `None` for an invalid workload (a zero or
	/// oversized dimension, zero seconds).
	pub fn units(&self) -> Option<u64> {
		match *self {
			Workload::MatMulI8 { m, n, k } => {
				let dims = [m, n, k];
				if dims.iter().any(|d| *d == 0 || *d > MAX_MATRIX_DIM) {
					return None;
				}
				let ops = 2u128 * u128::from(m) * u128::from(n) * u128::from(k);
				u64::try_from(ops.div_ceil(OPS_PER_UNIT)).ok()
			},
			Workload::Opaque { gpu_seconds, .. } => (gpu_seconds > 0).then_some(gpu_seconds),
		}
	}

	/// Operations of a `MatMulI8` (2mnk), `None` for an opaque workload.
	pub fn ops(&self) -> Option<u128> {
		match *self {
			Workload::MatMulI8 { m, n, k } => {
				Some(2u128 * u128::from(m) * u128::from(n) * u128::from(k))
			},
			Workload::Opaque { .. } => None,
		}
	}

	/// Bytes of the input file of a `MatMulI8` with content inputs: A (m x k) then B (k x n),
	/// one byte an element (`docs/protocol.md`). `None` for an opaque workload, whose inputs
	/// are whatever its program reads.
	pub fn input_size(&self) -> Option<u64> {
		match *self {
			Workload::MatMulI8 { m, n, k } => {
				Some(u64::from(m).saturating_add(u64::from(n)).saturating_mul(u64::from(k)))
			},
			Workload::Opaque { .. } => None,
		}
	}

	/// Host memory the worker needs for a `MatMulI8`, in MiB rounded up: the inputs, and C at
	/// four bytes an element. 0 for an opaque workload (the client states its needs in its
	/// requirements).
	pub fn memory_mib(&self) -> u32 {
		match *self {
			Workload::MatMulI8 { m, n, .. } => {
				let output = u64::from(m).saturating_mul(u64::from(n)).saturating_mul(4);
				let bytes = self.input_size().unwrap_or(0).saturating_add(output);
				u32::try_from(bytes.div_ceil(MIB)).unwrap_or(u32::MAX)
			},
			Workload::Opaque { .. } => 0,
		}
	}

	/// Whether results are exact and reproducible, so that a receipt can be spot-checked or
	/// re-executed.
	pub fn is_deterministic(&self) -> bool {
		matches!(self, Workload::MatMulI8 { .. })
	}
}

/// Where the worker gets the job's inputs.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Inputs {
	/// Fetched from `uri` and checked against `hash` and `size` (bytes). `hash` is the
	/// blake2-256 of the content, except for `MatMulI8` jobs, where it is the input commitment
	/// of the matrices (`docs/protocol.md`), which the chain's spot-checks open.
	Content { hash: H256, uri: Uri, size: u64 },
	/// Synthetic: derived deterministically from the seed (capacity tests and demos).
	Seed(H256),
}

/// How a result is checked; the proofs pallet implements each (`docs/protocol.md`).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Verification {
	/// The chain samples output positions and recomputes them (deterministic workloads).
	SpotCheck,
	/// The receipt is signed by an attested enclave.
	Attested,
	/// Several providers run the job; the result that reaches the quorum wins.
	Replicated,
	/// Final after a challenge window unless someone challenges it with a bond.
	Optimistic,
}

/// A job as the client posts it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct JobSpec<Balance, BlockNumber> {
	/// What to compute.
	pub workload: Workload,
	/// Where its inputs come from.
	pub inputs: Inputs,
	/// What a provider must offer.
	pub requirements: Requirements,
	/// The most the client pays per unit of work.
	pub max_price_per_unit: Balance,
	/// How many distinct providers run it.
	pub replicas: u32,
	/// How the result is checked.
	pub verification: Verification,
	/// The block by which receipts must be in; a job still queued then is refunded.
	pub deadline: BlockNumber,
}

impl<Balance, BlockNumber: Copy + Default> JobSpec<Balance, BlockNumber> {
	/// What a provider must offer to run this job, given `window_ms` milliseconds between its
	/// acknowledgement and the deadline, and the `collateral` it would set aside:
	///
	/// - memory for the job's data ([`Workload::memory_mib`]);
	/// - for a `MatMulI8`, int8 throughput over all its GPUs that does the job's operations in
	///   the window (TOPS, rounded up); for an opaque job, enough GPUs that its GPU-seconds fit
	///   in the window;
	/// - the capability of the workload's kind, and an enclave for attested jobs, whose
	///   attestation must last to the deadline.
	///
	/// A window of 0 ms asks for the impossible, so nobody is matched.
	pub fn needs<B>(&self, window_ms: u64, collateral: B) -> Needs<B, BlockNumber> {
		let mut requirements = self.requirements.clone();
		let mut total_int8_tops = 0u64;
		match self.workload {
			Workload::MatMulI8 { .. } => {
				// ops / (10^12 ops/s per TOPS x window in s), rounded up.
				let ops = self.workload.ops().unwrap_or(0);
				let per_tops = OPS_PER_UNIT.saturating_mul(u128::from(window_ms)) / 1_000;
				total_int8_tops = if per_tops == 0 {
					u64::MAX
				} else {
					u64::try_from(ops.div_ceil(per_tops)).unwrap_or(u64::MAX)
				};
			},
			Workload::Opaque { gpu_seconds, .. } => {
				let gpus = if window_ms == 0 {
					u32::MAX
				} else {
					let needed = u128::from(gpu_seconds).saturating_mul(1_000);
					u32::try_from(needed.div_ceil(u128::from(window_ms))).unwrap_or(u32::MAX)
				};
				requirements.min_gpus = requirements.min_gpus.max(gpus);
			},
		}
		let capabilities = Capabilities {
			matmul_i8: matches!(self.workload, Workload::MatMulI8 { .. }),
			opaque: matches!(self.workload, Workload::Opaque { .. }),
			enclave: self.requirements.attestation,
		};
		Needs {
			requirements,
			memory_mib: self.workload.memory_mib(),
			total_int8_tops,
			capabilities,
			attested_through: self.deadline,
			collateral,
		}
	}
}

/// What a provider's worker reports when it has run a job.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Receipt {
	/// Commitment to the output (the Merkle root of C for `MatMulI8`).
	pub output_commitment: H256,
	/// Where the worker serves the output.
	pub output_uri: Uri,
	/// Units of work used: exactly the job's units for `MatMulI8`, measured for `Opaque`.
	pub used_units: u64,
	/// For `Attested` jobs: the enclave key's signature over [`attested_receipt_payload`];
	/// `None` otherwise.
	pub enclave_signature: Option<sr25519::Signature>,
}

/// Domain tag of [`attested_receipt_payload`].
pub const RECEIPT_TAG: &[u8; 19] = b"tessera/receipt/v1:";

/// What an enclave signs for an `Attested` job's receipt: [`RECEIPT_TAG`], the job number
/// (u64 LE), the output commitment and the units used (u64 LE). The job number makes a
/// signature from another job useless; the units stop a signed result being billed higher.
pub fn attested_receipt_payload(job: JobId, output_commitment: &H256, used_units: u64) -> [u8; 67] {
	let mut payload = [0u8; 67];
	payload[..19].copy_from_slice(RECEIPT_TAG);
	payload[19..27].copy_from_slice(&job.to_le_bytes());
	payload[27..59].copy_from_slice(output_commitment.as_bytes());
	payload[59..67].copy_from_slice(&used_units.to_le_bytes());
	payload
}

/// Domain tag of [`sealed_output`].
pub const SEAL_TAG: &[u8; 16] = b"tessera/seal/v1:";

/// What a replica of a `Replicated` job puts in its receipt's `output_commitment`: a seal of
/// its real output commitment, which it reveals (`proofs.reveal`) only once every replica has
/// sealed, so that no replica can copy another's result. blake2-256 of [`SEAL_TAG`], the job
/// number (u64 LE), the replica (u32 LE), the SCALE encoding of the provider's account (32
/// bytes for Tessera's accounts), the output commitment and a 32-byte salt the worker keeps
/// secret until it reveals. The job, replica and provider bind the seal to its maker (a copied
/// seal cannot be revealed by the copier); the salt keeps an output from a small set (a yes or
/// no answer) from being guessed from its seal.
pub fn sealed_output<AccountId: Encode>(
	job: JobId,
	replica: u32,
	provider: &AccountId,
	output: &H256,
	salt: &H256,
) -> H256 {
	let mut preimage = SEAL_TAG.to_vec();
	preimage.extend_from_slice(&job.to_le_bytes());
	preimage.extend_from_slice(&replica.to_le_bytes());
	provider.encode_to(&mut preimage);
	preimage.extend_from_slice(output.as_bytes());
	preimage.extend_from_slice(salt.as_bytes());
	<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&preimage)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_seal_binds_job_replica_provider_output_and_salt() {
		let (output, salt) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let seal = sealed_output(7, 1, &[9u8; 32], &output, &salt);
		assert_eq!(seal, sealed_output(7, 1, &[9u8; 32], &output, &salt));
		assert_ne!(seal, sealed_output(8, 1, &[9u8; 32], &output, &salt));
		assert_ne!(seal, sealed_output(7, 2, &[9u8; 32], &output, &salt));
		assert_ne!(seal, sealed_output(7, 1, &[8u8; 32], &output, &salt));
		assert_ne!(seal, sealed_output(7, 1, &[9u8; 32], &H256::repeat_byte(3), &salt));
		assert_ne!(seal, sealed_output(7, 1, &[9u8; 32], &output, &H256::repeat_byte(3)));
		// Known answer (blake2b-256 of the preimage spelled out in docs/protocol.md), for
		// other implementations of the worker.
		let expected = "278daeb98b4fdcda47f48f0e42e39c0793a6c280ea17554f90966317c4fefd34";
		assert_eq!(alloc::format!("{seal:x}").trim_start_matches("0x"), expected);
	}

	#[test]
	fn matmul_units_are_tera_operations_rounded_up() {
		let units = |m, n, k| Workload::MatMulI8 { m, n, k }.units();
		assert_eq!(units(1, 1, 1), Some(1));
		// 2 * 10^4 * 10^4 * 5 * 10^3 = 10^12 exactly.
		assert_eq!(units(10_000, 10_000, 5_000), Some(1));
		assert_eq!(units(10_000, 10_000, 5_001), Some(2));
		assert_eq!(units(4096, 4096, 4096), Some(1));
		assert_eq!(units(65_536, 65_536, 65_536), Some(563));
		assert_eq!(units(MAX_MATRIX_DIM, MAX_MATRIX_DIM, MAX_MATRIX_DIM), Some(2_305_844));
		assert_eq!(units(0, 1, 1), None);
		assert_eq!(units(1, MAX_MATRIX_DIM + 1, 1), None);
	}

	#[test]
	fn urls() {
		assert!(is_http_url(b"https://a.example/x?y=1"));
		assert!(is_http_url(b"http://10.0.0.1:8080/out"));
		for bad in [&b""[..], b"https://", b"ftp://x", b"http://a b", b"example.org"] {
			assert!(!is_http_url(bad));
		}
	}

	fn spec(workload: Workload, attestation: bool) -> JobSpec<u128, u32> {
		JobSpec {
			workload,
			inputs: Inputs::Seed(H256::zero()),
			requirements: Requirements { attestation, min_gpus: 1, ..Default::default() },
			max_price_per_unit: 1,
			replicas: 1,
			verification: Verification::Optimistic,
			deadline: 100,
		}
	}

	#[test]
	fn matmul_needs_memory_throughput_and_its_capability() {
		// The job of the report: 2^20 x 2^20 x 1 needs 4 TiB for C.
		let huge = Workload::MatMulI8 { m: 1 << 20, n: 1 << 20, k: 1 };
		assert_eq!(huge.input_size(), Some(2 << 20));
		assert_eq!(huge.memory_mib(), 4 * (1 << 20) + 2);
		// 8192^3: 1.1e12 operations; in 0.1 s that is 11 TOPS rounded up, in 10 s 1.
		let job = spec(Workload::MatMulI8 { m: 8192, n: 8192, k: 8192 }, false);
		assert_eq!(job.needs(10_000, 0u128).total_int8_tops, 1);
		let needs = job.needs(100, 7u128);
		assert_eq!(needs.total_int8_tops, 11);
		assert_eq!(needs.memory_mib, 384);
		assert_eq!(needs.collateral, 7);
		assert_eq!(needs.attested_through, 100);
		assert_eq!(needs.capabilities, Capabilities { matmul_i8: true, ..Default::default() });
		assert_eq!(job.needs(0, 0u128).total_int8_tops, u64::MAX);
	}

	#[test]
	fn opaque_needs_enough_gpus_for_its_seconds() {
		let job = spec(Workload::Opaque { program: H256::zero(), gpu_seconds: 3_600 }, true);
		// One hour of GPU time in 10 minutes: 6 GPUs.
		let needs = job.needs(600_000, 0u128);
		assert_eq!(needs.requirements.min_gpus, 6);
		assert_eq!(needs.memory_mib, 0);
		assert_eq!(
			needs.capabilities,
			Capabilities { opaque: true, enclave: true, matmul_i8: false }
		);
		assert!(Capabilities { opaque: true, enclave: true, matmul_i8: true }
			.covers(&needs.capabilities));
		assert!(!Capabilities { opaque: true, ..Default::default() }.covers(&needs.capabilities));
	}

	#[test]
	fn opaque_units_are_gpu_seconds() {
		let opaque = |s| Workload::Opaque { program: H256::zero(), gpu_seconds: s };
		assert_eq!(opaque(3_600).units(), Some(3_600));
		assert_eq!(opaque(0).units(), None);
		assert!(!opaque(1).is_deterministic());
		assert!(Workload::MatMulI8 { m: 1, n: 1, k: 1 }.is_deterministic());
	}
}

/// What the verifier decided about a receipt.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum Verdict<AccountId> {
	/// The result is accepted: pay the provider.
	Accepted,
	/// The result was proven wrong (`Fraud`), outvoted (`Dissent`) or never revealed
	/// (`MissedDeadline`): the provider is slashed for `offence`, and `watcher`, who proved it,
	/// gets the watcher's share.
	Rejected { offence: SlashReason, watcher: Option<AccountId> },
}

/// Checks receipts for the jobs pallet. The jobs pallet hands each receipt over and forwards
/// challenges; the verifier moves each check on in its own hook (and in the calls that answer
/// it) and tells the jobs pallet its [`Verdict`] through a [`VerdictSink`]. The jobs pallet
/// never decides itself and never polls.
pub trait Verifier<AccountId, Balance, BlockNumber> {
	/// A receipt for replica `replica` of `job`, run by `provider` for `client`, arrived.
	/// Returns the first block the verifier looks at it in (its verdict comes then at the
	/// earliest), or an error that refuses the receipt.
	fn receipt_submitted(
		job: JobId,
		replica: u32,
		provider: &AccountId,
		client: &AccountId,
		spec: &JobSpec<Balance, BlockNumber>,
		receipt: &Receipt,
	) -> Result<BlockNumber, sp_runtime::DispatchError>;

	/// `challenger` disputes the receipt of replica `replica` of `job`. Returns the next block
	/// the verifier looks at it in, or an error that refuses the challenge.
	fn challenge(
		job: JobId,
		replica: u32,
		challenger: &AccountId,
	) -> Result<BlockNumber, sp_runtime::DispatchError>;

	/// Whether the client may accept the receipt of replica `replica` of `job` before its
	/// verdict. Refused while the receipt is being proven (its samples drawn, a challenge
	/// open) or once it was proven wrong, so that accepting cannot cancel a challenge or save a
	/// cheater from its slash.
	fn may_accept(job: JobId, replica: u32) -> sp_runtime::DispatchResult;

	/// The jobs pallet is done with the receipt (it acted on the verdict, or the client
	/// accepted early): the verifier forgets it.
	fn closed(job: JobId, replica: u32);

	/// The receipt's provider was proven to have cheated on another job and banned, so this
	/// receipt will never be paid and its replica was failed: the verifier ends whatever it had
	/// started for it (a challenger gets its bond back, booked executors are released) and
	/// forgets it.
	fn abandoned(job: JobId, replica: u32);

	/// The most [`Self::receipt_submitted`] weighs; the jobs pallet adds it to its own call's.
	fn receipt_weight() -> Weight;

	/// The most [`Self::challenge`] weighs.
	fn challenge_weight() -> Weight;

	/// The most [`Self::abandoned`] weighs; the jobs pallet charges it for each replica of a
	/// banned provider.
	fn abandoned_weight() -> Weight;
}

/// Where the verifier tells its verdicts: the jobs pallet pays or fails the replica at once,
/// so an honest receipt is paid in the block its last check passed.
pub trait VerdictSink<AccountId> {
	/// The verifier decided `verdict` on replica `replica` of `job`: act on it now (and call
	/// [`Verifier::closed`]). Returns the weight it used, at most [`Self::decided_weight`].
	fn decided(job: JobId, replica: u32, verdict: Verdict<AccountId>) -> Weight;

	/// The most [`Self::decided`] weighs, the settlement and a ban included; the verifier adds
	/// it to the weight of the call or hook that decides.
	fn decided_weight() -> Weight;
}

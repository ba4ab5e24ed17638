//! What the proofs pallet stores: one [`Check`] per submitted receipt, the replication tally of
//! each replicated job, and the attestation registry.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::{sr25519, H256};
use tessera_commitment::{Dims, InputSource};
use tessera_primitives::{
	jobs::{Inputs, Workload},
	market::{Requirements, SlashReason},
};

/// Most samples one check can draw: they are answered in a 32-bit mask.
pub const MAX_SAMPLES: u32 = 32;

/// Most providers one re-execution can ask.
pub const MAX_EXECUTORS: u32 = 16;

/// Most providers the executor draw of one challenge may look at.
pub const MAX_EXECUTOR_TRIES: u32 = 128;

/// Where the matrices of a `MatMulI8` job come from, as the chain checks openings against them.
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
pub enum MatrixInputs {
	/// Derived from this seed: the chain derives the sampled row and column itself.
	Seed(H256),
	/// Committed to by this input commitment (the job's content hash): openings carry the row
	/// and the column with their Merkle paths.
	Committed(H256),
}

impl From<MatrixInputs> for InputSource {
	fn from(inputs: MatrixInputs) -> Self {
		match inputs {
			MatrixInputs::Seed(seed) => InputSource::Seed(seed),
			MatrixInputs::Committed(commitment) => InputSource::Committed(commitment),
		}
	}
}

/// A `MatMulI8` job as the spot-checks see it.
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
pub struct Matrix {
	/// Its dimensions.
	pub dims: Dims,
	/// Where its inputs come from.
	pub inputs: MatrixInputs,
}

impl Matrix {
	/// The matrix job of `workload` and `inputs`, or `None` for a workload that cannot be
	/// spot-checked.
	pub fn of(workload: &Workload, inputs: &Inputs) -> Option<Self> {
		let Workload::MatMulI8 { m, n, k } = *workload else { return None };
		let inputs = match inputs {
			Inputs::Seed(seed) => MatrixInputs::Seed(*seed),
			Inputs::Content { hash, .. } => MatrixInputs::Committed(*hash),
		};
		Some(Matrix { dims: Dims { m, n, k }, inputs })
	}

	/// The workload this matrix job computes.
	pub fn workload(&self) -> Workload {
		Workload::MatMulI8 { m: self.dims.m, n: self.dims.n, k: self.dims.k }
	}
}

/// How a check ended.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Decision<AccountId> {
	/// The result stands: the provider is paid.
	Accepted,
	/// The result fell: the provider is slashed for `offence`; `watcher` proved it.
	Rejected { offence: SlashReason, watcher: Option<AccountId> },
}

/// A provider asked to re-execute a challenged job, and what it answered.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Executor<AccountId, Balance> {
	/// The provider (its job slot is held until the challenge is settled).
	pub provider: AccountId,
	/// Its worker key, which submits the result.
	pub worker: AccountId,
	/// Set aside from its bond while it is booked ([`crate::Config::ExecutorCollateral`]):
	/// taken if it does not reveal a result, or reveals one against the majority.
	pub collateral: Balance,
	/// The seal of its result ([`tessera_primitives::jobs::sealed_output`]), once reported.
	pub sealed: Option<H256>,
	/// The output commitment revealed under the seal, once revealed.
	pub result: Option<H256>,
}

/// Where a receipt's check is.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Stage<AccountId, Balance, BlockNumber> {
	/// Optimistic and attested receipts: final at `until` unless challenged (then, for a
	/// deterministic workload, a random audit may still be drawn).
	Window { until: BlockNumber },
	/// Samples are drawn at `at`, from block hashes that did not exist when the receipt was
	/// submitted. `audit`: a random audit of a receipt whose policy is not a spot-check.
	Draw { at: BlockNumber, audit: bool },
	/// The provider must open the output at `positions` by `respond_by`. `answered` has bit
	/// `s` set once sample `s` was opened correctly.
	Sampling {
		positions: BoundedVec<(u32, u32), ConstU32<MAX_SAMPLES>>,
		answered: u32,
		respond_by: BlockNumber,
		audit: bool,
	},
	/// Replicated receipts: sealed (the receipt carries [`tessera_primitives::jobs::sealed_output`]
	/// of the output, `seal`), until every replica has sealed or the job's deadline has passed.
	Sealed { seal: H256 },
	/// Replicated receipts: the reveals are open; the provider must reveal the output and salt
	/// under `seal` ([`crate::Call::reveal`]) by `until`.
	Revealing { seal: H256, until: BlockNumber },
	/// Replicated receipts: revealed (the check's `output` is the real output commitment);
	/// waiting for the other reveals, then for a quorum of the job's replicas to agree.
	Quorum,
	/// Replicated deterministic receipts outvoted by a quorum: waiting for the verdicts of the
	/// winners, which are all spot-checked. Slashed for dissent only if every winner passes;
	/// spot-checked itself if one is proven wrong.
	Outvoted,
	/// Challenged with a deterministic workload: the executors are drawn at `at`, from the
	/// hashes of blocks that did not exist when the challenge was made.
	Drawing { at: BlockNumber },
	/// `executors` recompute the job and report a seal of their result until `until`; once all
	/// have (or `until` passed), `revealing`: they reveal the result under it until `until`.
	Reexecution {
		executors: BoundedVec<Executor<AccountId, Balance>, ConstU32<MAX_EXECUTORS>>,
		until: BlockNumber,
		revealing: bool,
	},
	/// Waiting for the dispute origin ([`crate::Call::resolve_dispute`]).
	Disputed,
	/// Decided; the jobs pallet collects the verdict at its next call.
	Decided(Decision<AccountId>),
}

/// A challenge of a receipt: who challenged it, and the bond held from them.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Challenge<AccountId, Balance> {
	/// Who challenged (the client or a watcher).
	pub challenger: AccountId,
	/// The bond held from them ([`crate::HoldReason::ChallengeBond`]); the loser pays.
	pub bond: Balance,
}

/// The check of one replica's receipt.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Check<AccountId, Balance, BlockNumber> {
	/// The provider that ran the replica.
	pub provider: AccountId,
	/// The client that posted the job (never one of its re-executors).
	pub client: AccountId,
	/// The job's verification policy.
	pub policy: tessera_primitives::jobs::Verification,
	/// The output commitment of the receipt.
	pub output: H256,
	/// The matrix job, for deterministic workloads (spot-checks, audits, re-execution).
	pub matrix: Option<Matrix>,
	/// What the job requires of a provider (re-executors must meet it too).
	pub requirements: Requirements,
	/// The job's price cap per unit (re-executors must ask no more).
	pub max_price_per_unit: Balance,
	/// The job's deadline (the replication quorum must be reached by then).
	pub deadline: BlockNumber,
	/// The block the receipt was submitted in.
	pub submitted_at: BlockNumber,
	/// Where the check is.
	pub stage: Stage<AccountId, Balance, BlockNumber>,
	/// The challenge against it, if any.
	pub challenge: Option<Challenge<AccountId, Balance>>,
}

/// The receipts of a replicated job: which replicas have sealed, the window of the reveals,
/// each revealed output commitment, the commitment that reached the quorum once one has, and
/// the verdicts of the replicas decided so far.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxReplicas))]
pub struct Tally<BlockNumber, MaxReplicas: frame_support::traits::Get<u32>> {
	/// How many replicas the job has.
	pub replicas: u32,
	/// The replicas whose sealed receipt is in.
	pub sealed: BoundedVec<u32, MaxReplicas>,
	/// The last block of the reveals, once they are open (every replica sealed, or the job's
	/// deadline passed).
	pub reveal_until: Option<BlockNumber>,
	/// `(replica, output commitment)` for each reveal in.
	pub receipts: BoundedVec<(u32, H256), MaxReplicas>,
	/// The commitment a quorum agreed on.
	pub agreed: Option<H256>,
	/// `(replica, accepted)` for each replica whose check was decided (or abandoned: not
	/// accepted), so that outvoted replicas can wait for the winners' verdicts.
	pub verdicts: BoundedVec<(u32, bool), MaxReplicas>,
}

impl<BlockNumber, MaxReplicas: frame_support::traits::Get<u32>> Tally<BlockNumber, MaxReplicas> {
	/// The least number of matching receipts that decides: a strict majority of the replicas.
	pub fn quorum(&self) -> u32 {
		self.replicas / 2 + 1
	}

	/// The commitment that has reached the quorum, if one has.
	pub fn winner(&self) -> Option<H256> {
		self.receipts.iter().map(|(_, c)| *c).find(|candidate| {
			let votes = self.receipts.iter().filter(|(_, c)| c == candidate).count();
			votes as u32 >= self.quorum()
		})
	}

	/// Whether some revealed output differs from `output`.
	pub fn dissent(&self, output: &H256) -> bool {
		self.receipts.iter().any(|(_, c)| c != output)
	}

	/// Whether every sealed replica has revealed.
	pub fn all_revealed(&self) -> bool {
		self.receipts.len() >= self.sealed.len()
	}

	/// The verdict recorded for `replica`, if its check was decided.
	pub fn verdict_of(&self, replica: u32) -> Option<bool> {
		self.verdicts.iter().find(|(r, _)| *r == replica).map(|(_, accepted)| *accepted)
	}
}

/// An enclave attestation report as an attestation authority signs it: the enclave that runs
/// `provider`'s jobs, the code it runs, and until when the report holds.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct AttestationReport<AccountId, BlockNumber> {
	/// The provider the enclave works for.
	pub provider: AccountId,
	/// The measurement (hash) of the code the enclave runs.
	pub measurement: H256,
	/// The enclave's public key: it signs the receipts of attested jobs.
	pub enclave_key: sr25519::Public,
	/// The block from which the report no longer holds.
	pub expires_at: BlockNumber,
}

/// Domain tag an authority signs a report under: `tag ++ SCALE(report)`.
pub const REPORT_TAG: &[u8] = b"tessera/attestation/v1:";

impl<AccountId: Encode, BlockNumber: Encode> AttestationReport<AccountId, BlockNumber> {
	/// The bytes an authority signs.
	pub fn signing_payload(&self) -> alloc::vec::Vec<u8> {
		let mut payload = REPORT_TAG.to_vec();
		self.encode_to(&mut payload);
		payload
	}
}

/// A provider's registered enclave.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Enclave<BlockNumber> {
	/// The key that signs receipts.
	pub key: sr25519::Public,
	/// The code it runs.
	pub measurement: H256,
	/// The block from which its report no longer holds.
	pub expires_at: BlockNumber,
}

/// Why a spot-check failed.
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
pub enum Fault {
	/// The roots given do not open the receipt's commitment (or the job's inputs).
	Roots(tessera_commitment::OpeningError),
	/// The opening of sample `sample` is wrong.
	Opening { sample: u32, error: tessera_commitment::OpeningError },
	/// Not every sample was opened by the response deadline.
	Withheld,
}

//! The JSON forms of the market's records: balances as decimal strings, accounts in SS58,
//! byte strings as text, in the shapes `docs/dapp-guide.md` documents.

use super::*;

/// A balance in the smallest unit, as a decimal string (a JSON number is accepted as input).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", into = "String", try_from = "AmountInput")]
pub struct Amount(pub Balance);

/// What an [`Amount`] may be written as.
#[derive(Deserialize)]
#[serde(crate = "sp_runtime::serde", untagged)]
enum AmountInput {
	Text(String),
	Number(u64),
}

impl From<Amount> for String {
	fn from(amount: Amount) -> String {
		amount.0.to_string()
	}
}

impl TryFrom<AmountInput> for Amount {
	type Error = String;

	fn try_from(input: AmountInput) -> Result<Self, String> {
		match input {
			AmountInput::Number(n) => Ok(Amount(n.into())),
			AmountInput::Text(text) => {
				// `u128::from_str` also takes a leading `+`; a balance is digits only.
				if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
					return Err(format!("not a decimal balance: {text:?}"));
				}
				text.parse().map(Amount).map_err(|_| format!("balance out of range: {text}"))
			},
		}
	}
}

/// An account: SS58 (the chain's prefix) on output; SS58 of any prefix or a 0x-hex public key
/// on input.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", into = "String", try_from = "String")]
pub struct Account(pub AccountId);

impl From<Account> for String {
	fn from(account: Account) -> String {
		ss58(&account.0)
	}
}

impl TryFrom<String> for Account {
	type Error = String;

	fn try_from(text: String) -> Result<Self, String> {
		if let Some(hex) = text.strip_prefix("0x") {
			let bytes = sp_core::bytes::from_hex(hex).map_err(|e| format!("{text}: {e}"))?;
			let raw = <[u8; 32]>::try_from(bytes)
				.map_err(|_| format!("{text}: an account is 32 bytes"))?;
			return Ok(Account(AccountId::from(raw)));
		}
		AccountId::from_ss58check_with_version(&text)
			.map(|(account, _)| Account(account))
			.map_err(|e| format!("{text}: not an SS58 address ({e:?})"))
	}
}

/// `account` in SS58 with the chain's prefix.
fn ss58(account: &AccountId) -> String {
	let prefix = tessera_runtime::configs::SS58Prefix::get();
	account.to_ss58check_with_version(Ss58AddressFormat::custom(prefix))
}

/// `bytes` as UTF-8 text if they are, else as 0x-hex.
pub(super) fn text(bytes: &[u8]) -> String {
	match std::str::from_utf8(bytes) {
		Ok(text) => text.to_owned(),
		Err(_) => sp_core::bytes::to_hex(bytes, false),
	}
}

/// Where a provider is (the SCALE variant names).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde")]
pub enum RegionJson {
	NorthAmerica,
	SouthAmerica,
	Europe,
	Africa,
	MiddleEast,
	Asia,
	Oceania,
}

impl From<Region> for RegionJson {
	fn from(region: Region) -> Self {
		match region {
			Region::NorthAmerica => Self::NorthAmerica,
			Region::SouthAmerica => Self::SouthAmerica,
			Region::Europe => Self::Europe,
			Region::Africa => Self::Africa,
			Region::MiddleEast => Self::MiddleEast,
			Region::Asia => Self::Asia,
			Region::Oceania => Self::Oceania,
		}
	}
}

impl From<RegionJson> for Region {
	fn from(region: RegionJson) -> Self {
		match region {
			RegionJson::NorthAmerica => Self::NorthAmerica,
			RegionJson::SouthAmerica => Self::SouthAmerica,
			RegionJson::Europe => Self::Europe,
			RegionJson::Africa => Self::Africa,
			RegionJson::MiddleEast => Self::MiddleEast,
			RegionJson::Asia => Self::Asia,
			RegionJson::Oceania => Self::Oceania,
		}
	}
}

/// A job's requirements. Every field may be left out (no requirement).
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RequirementsJson {
	pub min_vram_mib: u32,
	pub min_gpus: u32,
	pub min_int8_tops: u32,
	pub min_fp16_tflops: u32,
	pub region: Option<RegionJson>,
	pub min_reputation: u32,
	pub attestation: bool,
}

impl From<RequirementsJson> for Requirements {
	fn from(r: RequirementsJson) -> Self {
		Requirements {
			min_vram_mib: r.min_vram_mib,
			min_gpus: r.min_gpus,
			min_int8_tops: r.min_int8_tops,
			min_fp16_tflops: r.min_fp16_tflops,
			region: r.region.map(Into::into),
			min_reputation: r.min_reputation,
			attestation: r.attestation,
		}
	}
}

impl From<Requirements> for RequirementsJson {
	fn from(r: Requirements) -> Self {
		RequirementsJson {
			min_vram_mib: r.min_vram_mib,
			min_gpus: r.min_gpus,
			min_int8_tops: r.min_int8_tops,
			min_fp16_tflops: r.min_fp16_tflops,
			region: r.region.map(Into::into),
			min_reputation: r.min_reputation,
			attestation: r.attestation,
		}
	}
}

/// What a job computes. Variant names as in SCALE; polkadot.js' camelCase ones
/// (`matMulI8`, `opaque`) are accepted too.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum WorkloadJson {
	#[serde(alias = "matMulI8")]
	MatMulI8 { m: u32, n: u32, k: u32 },
	#[serde(alias = "opaque")]
	Opaque { program: H256, gpu_seconds: u64 },
}

/// Where a job's inputs come from.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum InputsJson {
	/// Fetched from `uri` (UTF-8) and checked against `hash` and `size`.
	#[serde(alias = "content")]
	Content { hash: H256, uri: String, size: u64 },
	/// Derived from the seed.
	#[serde(alias = "seed")]
	Seed(H256),
}

/// How a job's result is checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde")]
pub enum VerificationJson {
	#[serde(alias = "spotCheck")]
	SpotCheck,
	#[serde(alias = "attested")]
	Attested,
	#[serde(alias = "replicated")]
	Replicated,
	#[serde(alias = "optimistic")]
	Optimistic,
}

/// A job spec, as `jobs.post` takes it. `requirements` may be left out.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase", deny_unknown_fields)]
pub struct JobSpecJson {
	pub workload: WorkloadJson,
	pub inputs: InputsJson,
	#[serde(default)]
	pub requirements: RequirementsJson,
	pub max_price_per_unit: Amount,
	pub replicas: u32,
	pub verification: VerificationJson,
	pub deadline: BlockNumber,
}

impl TryFrom<JobSpecJson> for JobSpec<Balance, BlockNumber> {
	type Error = String;

	fn try_from(spec: JobSpecJson) -> Result<Self, String> {
		let workload = match spec.workload {
			WorkloadJson::MatMulI8 { m, n, k } => Workload::MatMulI8 { m, n, k },
			WorkloadJson::Opaque { program, gpu_seconds } => {
				Workload::Opaque { program, gpu_seconds }
			},
		};
		let inputs = match spec.inputs {
			InputsJson::Content { hash, uri, size } => {
				let uri = BoundedVec::try_from(uri.into_bytes()).map_err(|_| {
					format!(
						"inputs.uri is longer than {} bytes",
						tessera_primitives::jobs::MAX_URI_LEN
					)
				})?;
				Inputs::Content { hash, uri, size }
			},
			InputsJson::Seed(seed) => Inputs::Seed(seed),
		};
		let verification = match spec.verification {
			VerificationJson::SpotCheck => Verification::SpotCheck,
			VerificationJson::Attested => Verification::Attested,
			VerificationJson::Replicated => Verification::Replicated,
			VerificationJson::Optimistic => Verification::Optimistic,
		};
		Ok(JobSpec {
			workload,
			inputs,
			requirements: spec.requirements.into(),
			max_price_per_unit: spec.max_price_per_unit.0,
			replicas: spec.replicas,
			verification,
			deadline: spec.deadline,
		})
	}
}

impl From<JobSpec<Balance, BlockNumber>> for JobSpecJson {
	fn from(spec: JobSpec<Balance, BlockNumber>) -> Self {
		JobSpecJson {
			workload: match spec.workload {
				Workload::MatMulI8 { m, n, k } => WorkloadJson::MatMulI8 { m, n, k },
				Workload::Opaque { program, gpu_seconds } => {
					WorkloadJson::Opaque { program, gpu_seconds }
				},
			},
			inputs: match spec.inputs {
				Inputs::Content { hash, uri, size } => {
					InputsJson::Content { hash, uri: text(&uri), size }
				},
				Inputs::Seed(seed) => InputsJson::Seed(seed),
			},
			requirements: spec.requirements.into(),
			max_price_per_unit: Amount(spec.max_price_per_unit),
			replicas: spec.replicas,
			verification: match spec.verification {
				Verification::SpotCheck => VerificationJson::SpotCheck,
				Verification::Attested => VerificationJson::Attested,
				Verification::Replicated => VerificationJson::Replicated,
				Verification::Optimistic => VerificationJson::Optimistic,
			},
			deadline: spec.deadline,
		}
	}
}

/// A provider's GPUs.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct GpuJson {
	pub model: String,
	pub vram_mib: u32,
	pub count: u32,
	pub fp16_tflops: u32,
	pub int8_tops: u32,
}

/// A provider's host.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct ProfileJson {
	pub gpu: GpuJson,
	pub cpu_cores: u32,
	pub ram_mib: u32,
	pub disk_gib: u32,
	pub bandwidth_mbps: u32,
	pub region: RegionJson,
	pub capabilities: CapabilitiesJson,
}

/// What kinds of work a provider runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct CapabilitiesJson {
	pub matmul_i8: bool,
	pub opaque: bool,
	pub enclave: bool,
}

/// A provider's reputation: the stored score with the block it was last moved, and the score
/// now, after decay (what matching compares with `minReputation`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct ReputationJson {
	pub score: u32,
	pub updated_at: BlockNumber,
	pub current: u32,
}

/// A registered provider: its account, the stored record (with `reputation.current` added)
/// and its bond.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct ProviderJson {
	pub account: Account,
	pub profile: ProfileJson,
	pub price_per_unit: Amount,
	pub max_jobs: u32,
	pub active_jobs: u32,
	pub endpoint: String,
	pub worker: Account,
	/// `"Online"` or `"Offline"`.
	pub status: String,
	pub last_heartbeat: Option<BlockNumber>,
	pub heartbeat_deadline: BlockNumber,
	pub reputation: ReputationJson,
	pub attested_until: Option<BlockNumber>,
	/// Whether it is in the price index (online, a free job slot, bond enough): matchable.
	pub indexed: bool,
	pub registered_at: BlockNumber,
	/// Registration deposit held from the provider's account, released when it deregisters.
	pub deposit: Amount,
	pub bonded: Amount,
}

impl ProviderJson {
	/// The JSON form of `view`, the provider registered with `account`.
	pub fn new(account: AccountId, view: MarketProvider) -> Self {
		let info = view.info;
		let gpu = info.profile.gpu;
		ProviderJson {
			account: Account(account),
			profile: ProfileJson {
				gpu: GpuJson {
					model: text(&gpu.model),
					vram_mib: gpu.vram_mib,
					count: gpu.count,
					fp16_tflops: gpu.fp16_tflops,
					int8_tops: gpu.int8_tops,
				},
				cpu_cores: info.profile.cpu_cores,
				ram_mib: info.profile.ram_mib,
				disk_gib: info.profile.disk_gib,
				bandwidth_mbps: info.profile.bandwidth_mbps,
				region: info.profile.region.into(),
				capabilities: CapabilitiesJson {
					matmul_i8: info.profile.capabilities.matmul_i8,
					opaque: info.profile.capabilities.opaque,
					enclave: info.profile.capabilities.enclave,
				},
			},
			price_per_unit: Amount(info.price_per_unit),
			max_jobs: info.max_jobs,
			active_jobs: info.active_jobs,
			endpoint: text(&info.endpoint),
			worker: Account(info.worker),
			status: match info.status {
				pallet_providers::Status::Online => "Online",
				pallet_providers::Status::Offline => "Offline",
			}
			.to_owned(),
			last_heartbeat: info.last_heartbeat,
			heartbeat_deadline: info.heartbeat_deadline,
			reputation: ReputationJson {
				score: info.reputation.score,
				updated_at: info.reputation.updated_at,
				current: view.reputation,
			},
			attested_until: info.attested_until,
			indexed: info.indexed,
			registered_at: info.registered_at,
			deposit: Amount(info.deposit),
			bonded: Amount(view.bonded),
		}
	}
}

/// A replica's receipt.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct ReceiptJson {
	pub output_commitment: H256,
	pub output_uri: String,
	pub used_units: u64,
}

impl From<Receipt> for ReceiptJson {
	fn from(receipt: Receipt) -> Self {
		ReceiptJson {
			output_commitment: receipt.output_commitment,
			output_uri: text(&receipt.output_uri),
			used_units: receipt.used_units,
		}
	}
}

/// Where a replica is: `{"AwaitingAck": {"until": n}}`, `"Running"`,
/// `{"Submitted": {"since": n}}` (the block its receipt came in), `{"Paid": {"payment": "..",
/// "fee": ".."}}` or `"Failed"`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all_fields = "camelCase")]
pub enum ReplicaStateJson {
	AwaitingAck { until: BlockNumber },
	Running,
	Submitted { since: BlockNumber },
	Paid { payment: Amount, fee: Amount },
	Failed,
}

/// One provider's run of a job.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct ReplicaJson {
	pub provider: Account,
	pub worker: Account,
	pub price_per_unit: Amount,
	/// Stake its provider set aside for it when it acknowledged.
	pub collateral: Amount,
	pub state: ReplicaStateJson,
	pub receipt: Option<ReceiptJson>,
}

/// A job: its id and the stored record.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct JobJson {
	pub id: JobId,
	pub client: Account,
	pub spec: JobSpecJson,
	pub units: u64,
	pub escrow: Amount,
	/// `"Queued"`, `"Active"`, `"Completed"`, `"Failed"`, `"Cancelled"` or `"Expired"`.
	pub state: String,
	pub replicas: Vec<ReplicaJson>,
	pub dropped: Vec<Account>,
	pub posted_at: BlockNumber,
	/// Storage deposit held from the client while the job is open (`"0"` once it closed).
	pub deposit: Amount,
	/// Block it closed at (`null` while open); it is pruned `JobRetention` blocks later.
	pub closed_at: Option<BlockNumber>,
}

impl JobJson {
	/// The JSON form of job `id`.
	pub fn new(id: JobId, job: MarketJob) -> Self {
		use pallet_jobs::{JobState, ReplicaState};
		JobJson {
			id,
			client: Account(job.client),
			spec: job.spec.into(),
			units: job.units,
			escrow: Amount(job.escrow),
			state: match job.state {
				JobState::Queued => "Queued",
				JobState::Active => "Active",
				JobState::Completed => "Completed",
				JobState::Failed => "Failed",
				JobState::Cancelled => "Cancelled",
				JobState::Expired => "Expired",
			}
			.to_owned(),
			replicas: job
				.replicas
				.into_iter()
				.map(|replica| ReplicaJson {
					provider: Account(replica.provider),
					worker: Account(replica.worker),
					price_per_unit: Amount(replica.price_per_unit),
					collateral: Amount(replica.collateral),
					state: match replica.state {
						ReplicaState::AwaitingAck { until } => {
							ReplicaStateJson::AwaitingAck { until }
						},
						ReplicaState::Running => ReplicaStateJson::Running,
						ReplicaState::Submitted { since } => ReplicaStateJson::Submitted { since },
						ReplicaState::Paid { payment, fee } => {
							ReplicaStateJson::Paid { payment: Amount(payment), fee: Amount(fee) }
						},
						ReplicaState::Failed => ReplicaStateJson::Failed,
					},
					receipt: replica.receipt.map(Into::into),
				})
				.collect(),
			dropped: job.dropped.into_iter().map(Account).collect(),
			posted_at: job.posted_at,
			deposit: Amount(job.deposit),
			closed_at: job.closed_at,
		}
	}
}

/// A provider a quote offers.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct CandidateJson {
	pub provider: Account,
	pub worker: Account,
	pub price_per_unit: Amount,
}

/// What a job would cost: see `tessera_primitives::api::Quote`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct QuoteJson {
	pub units: u64,
	pub escrow: Amount,
	pub providers: Vec<CandidateJson>,
	pub total: Amount,
}

impl From<Quote<AccountId, Balance>> for QuoteJson {
	fn from(quote: Quote<AccountId, Balance>) -> Self {
		QuoteJson {
			units: quote.units,
			escrow: Amount(quote.escrow),
			providers: quote
				.providers
				.into_iter()
				.map(|Candidate { provider, worker, price_per_unit }| CandidateJson {
					provider: Account(provider),
					worker: Account(worker),
					price_per_unit: Amount(price_per_unit),
				})
				.collect(),
			total: Amount(quote.total),
		}
	}
}

/// The market's counters: see `tessera_primitives::api::MarketStats`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all = "camelCase")]
pub struct StatsJson {
	pub providers: u32,
	pub providers_online: u32,
	pub gpus_online: u32,
	pub jobs_posted: u64,
	pub jobs_queued: u32,
	pub jobs_active: u32,
	pub jobs_completed: u32,
	pub jobs_failed: u32,
	pub jobs_cancelled: u32,
	pub jobs_expired: u32,
	pub escrowed: Amount,
	pub queue_length: u32,
}

impl From<MarketStats<Balance>> for StatsJson {
	fn from(s: MarketStats<Balance>) -> Self {
		StatsJson {
			providers: s.providers,
			providers_online: s.providers_online,
			gpus_online: s.gpus_online,
			jobs_posted: s.jobs_posted,
			jobs_queued: s.jobs_queued,
			jobs_active: s.jobs_active,
			jobs_completed: s.jobs_completed,
			jobs_failed: s.jobs_failed,
			jobs_cancelled: s.jobs_cancelled,
			jobs_expired: s.jobs_expired,
			escrowed: Amount(s.escrowed),
			queue_length: s.queue_length,
		}
	}
}

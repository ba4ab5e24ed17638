//! `market_*`: the market's JSON-RPC methods, for dApps that want plain JSON instead of SCALE.
//!
//! Each method calls the runtime's `MarketApi` (`tessera_primitives::api`) at the requested
//! block (the best block by default) and turns its answer into JSON that JavaScript can use as
//! it is:
//! - balances are decimal strings, in the smallest unit (10^-12 TSR): a JS number holds
//!   integers exactly only up to 2^53, and balances are `u128`; inputs may also be numbers;
//! - accounts are SS58 strings (the chain's prefix, 42), and inputs may be SS58 of any prefix or
//!   0x-hex public keys;
//! - hashes are 0x-hex;
//! - byte strings that are text (GPU model, endpoint, URIs) are UTF-8 strings, or 0x-hex if
//!   they are not valid UTF-8;
//! - field names are those of the SCALE types in camelCase, as polkadot.js shows them; enum
//!   variants keep their names (`"Europe"`, `{"MatMulI8": {"m": 1, "n": 1, "k": 1}}`).
//!
//! The runtime API stays the source of truth: polkadot.js clients can call it directly
//! (`api.call.marketApi.*`) and get the same data in SCALE types. See docs/dapp-guide.md.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorCode, ErrorObject, ErrorObjectOwned},
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{
	crypto::{Ss58AddressFormat, Ss58Codec},
	H256,
};
use sp_runtime::{
	serde::{Deserialize, Serialize},
	traits::Block as BlockT,
	BoundedVec,
};
use tessera_primitives::{
	api::{MarketApi as MarketRuntimeApi, MarketStats, Quote, QuoteError, MAX_PAGE},
	jobs::{Inputs, JobId, JobSpec, Receipt, Verification, Workload},
	market::{Candidate, Region, Requirements},
};
use tessera_runtime::{
	apis::{MarketJob, MarketProvider},
	AccountId, Balance, BlockNumber,
};

/// The market's JSON-RPC methods. Every method takes an optional block hash `at` (default: the
/// best block).
#[rpc(client, server)]
pub trait MarketApi<BlockHash> {
	/// The provider registered with `account`, or `null`.
	#[method(name = "market_provider")]
	fn provider(&self, account: Account, at: Option<BlockHash>) -> RpcResult<Option<ProviderJson>>;

	/// A page of registered providers in storage order, after the account `startAfter` (the last
	/// of the previous page), at most `limit` (default and cap: 100), and only those that meet
	/// `requirements` when given.
	#[method(name = "market_providers", blocking)]
	fn providers(
		&self,
		#[argument(rename = "startAfter")] start_after: Option<Account>,
		limit: Option<u32>,
		requirements: Option<RequirementsJson>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<ProviderJson>>;

	/// The job `id`, or `null`.
	#[method(name = "market_job")]
	fn job(&self, id: JobId, at: Option<BlockHash>) -> RpcResult<Option<JobJson>>;

	/// A page of the ids of the jobs `account` posted, in storage order, after `startAfter`.
	#[method(name = "market_jobsByClient")]
	fn jobs_by_client(
		&self,
		account: Account,
		#[argument(rename = "startAfter")] start_after: Option<JobId>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<JobId>>;

	/// A page of the ids of the jobs `account` (a provider) has an unfinished replica of.
	#[method(name = "market_jobsByProvider")]
	fn jobs_by_provider(
		&self,
		account: Account,
		#[argument(rename = "startAfter")] start_after: Option<JobId>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<JobId>>;

	/// What `spec` would cost and who would run it if posted now; an error (code
	/// [`INVALID_SPEC`]) names why `jobs.post` would refuse it.
	#[method(name = "market_quote")]
	fn quote(&self, spec: JobSpecJson, at: Option<BlockHash>) -> RpcResult<QuoteJson>;

	/// The market's counters.
	#[method(name = "market_stats")]
	fn stats(&self, at: Option<BlockHash>) -> RpcResult<StatsJson>;
}

/// Error code: the runtime API call failed (unknown block, a runtime without the market API).
pub const RUNTIME_ERROR: i32 = 1;
/// Error code of `market_quote`: `jobs.post` would refuse the spec. The message names the
/// pallet error, and `data` is `{"error": "<name>"}`.
pub const INVALID_SPEC: i32 = 2;

/// The `market_*` methods over a client that offers the runtime's market API.
pub struct Market<C, Block> {
	client: Arc<C>,
	_marker: PhantomData<Block>,
}

impl<C, Block> Market<C, Block> {
	/// Serves the market methods from `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _marker: PhantomData }
	}
}

/// The runtime API as this node's runtime instantiates it.
pub trait TesseraMarketApi<Block: BlockT>:
	MarketRuntimeApi<Block, AccountId, Balance, BlockNumber, MarketProvider, MarketJob>
{
}

impl<Block: BlockT, T> TesseraMarketApi<Block> for T where
	T: MarketRuntimeApi<Block, AccountId, Balance, BlockNumber, MarketProvider, MarketJob>
{
}

fn runtime_error(error: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, "Market runtime API call failed", Some(error.to_string()))
}

fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObject::owned(ErrorCode::InvalidParams.code(), message.into(), None::<()>)
}

/// A page size: `limit`, by default and at most [`MAX_PAGE`].
fn page(limit: Option<u32>) -> u32 {
	limit.unwrap_or(MAX_PAGE).min(MAX_PAGE)
}

impl<C, Block> Market<C, Block>
where
	Block: BlockT,
	C: HeaderBackend<Block>,
{
	fn at(&self, at: Option<Block::Hash>) -> Block::Hash {
		at.unwrap_or_else(|| self.client.info().best_hash)
	}
}

impl<C, Block> MarketApiServer<Block::Hash> for Market<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: TesseraMarketApi<Block>,
{
	fn provider(
		&self,
		account: Account,
		at: Option<Block::Hash>,
	) -> RpcResult<Option<ProviderJson>> {
		let at = self.at(at);
		let view =
			self.client.runtime_api().provider(at, account.0.clone()).map_err(runtime_error)?;
		Ok(view.map(|view| ProviderJson::new(account.0, view)))
	}

	fn providers(
		&self,
		start_after: Option<Account>,
		limit: Option<u32>,
		requirements: Option<RequirementsJson>,
		at: Option<Block::Hash>,
	) -> RpcResult<Vec<ProviderJson>> {
		let at = self.at(at);
		let page = self
			.client
			.runtime_api()
			.providers(at, start_after.map(|a| a.0), page(limit), requirements.map(Into::into))
			.map_err(runtime_error)?;
		Ok(page.into_iter().map(|(who, view)| ProviderJson::new(who, view)).collect())
	}

	fn job(&self, id: JobId, at: Option<Block::Hash>) -> RpcResult<Option<JobJson>> {
		let at = self.at(at);
		let job = self.client.runtime_api().job(at, id).map_err(runtime_error)?;
		Ok(job.map(|job| JobJson::new(id, job)))
	}

	fn jobs_by_client(
		&self,
		account: Account,
		start_after: Option<JobId>,
		limit: Option<u32>,
		at: Option<Block::Hash>,
	) -> RpcResult<Vec<JobId>> {
		let at = self.at(at);
		self.client
			.runtime_api()
			.jobs_by_client(at, account.0, start_after, page(limit))
			.map_err(runtime_error)
	}

	fn jobs_by_provider(
		&self,
		account: Account,
		start_after: Option<JobId>,
		limit: Option<u32>,
		at: Option<Block::Hash>,
	) -> RpcResult<Vec<JobId>> {
		let at = self.at(at);
		self.client
			.runtime_api()
			.jobs_by_provider(at, account.0, start_after, page(limit))
			.map_err(runtime_error)
	}

	fn quote(&self, spec: JobSpecJson, at: Option<Block::Hash>) -> RpcResult<QuoteJson> {
		let spec = JobSpec::try_from(spec).map_err(invalid_params)?;
		let at = self.at(at);
		let quote = self.client.runtime_api().quote(at, spec).map_err(runtime_error)?;
		quote.map(QuoteJson::from).map_err(invalid_spec)
	}

	fn stats(&self, at: Option<Block::Hash>) -> RpcResult<StatsJson> {
		let at = self.at(at);
		let stats = self.client.runtime_api().stats(at).map_err(runtime_error)?;
		Ok(stats.into())
	}
}

/// The RPC error for a spec the runtime refused.
fn invalid_spec(error: QuoteError) -> ErrorObjectOwned {
	let QuoteError::InvalidSpec { name, .. } = error;
	let name = String::from_utf8_lossy(&name).into_owned();
	ErrorObject::owned(
		INVALID_SPEC,
		format!("Invalid job spec: {name}"),
		Some(serde_json::json!({ "error": name })),
	)
}

// ---- JSON forms ---------------------------------------------------------------------------

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
fn text(bytes: &[u8]) -> String {
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
/// `{"Submitted": {"verdictAt": n}}`, `{"Paid": {"payment": "..", "fee": ".."}}` or `"Failed"`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(crate = "sp_runtime::serde", rename_all_fields = "camelCase")]
pub enum ReplicaStateJson {
	AwaitingAck { until: BlockNumber },
	Running,
	Submitted { verdict_at: BlockNumber },
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
						ReplicaState::Submitted { verdict_at } => {
							ReplicaStateJson::Submitted { verdict_at }
						},
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

#[cfg(test)]
mod tests {
	use super::*;
	use serde_json::json;
	use sp_keyring::Sr25519Keyring;

	const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

	#[test]
	fn balances_are_decimal_strings() {
		let big = Amount(u128::MAX);
		assert_eq!(serde_json::to_value(big).unwrap(), json!(u128::MAX.to_string()));
		let parsed: Amount = serde_json::from_value(json!("1000000000000000000000000")).unwrap();
		assert_eq!(parsed, Amount(10u128.pow(24)));
		assert_eq!(serde_json::from_value::<Amount>(json!(5)).unwrap(), Amount(5));
		for bad in [json!("-1"), json!("+1"), json!("1.5"), json!(""), json!("0x10"), json!(-1)] {
			assert!(serde_json::from_value::<Amount>(bad.clone()).is_err(), "{bad}");
		}
		let too_big = format!("{}0", u128::MAX);
		assert!(serde_json::from_value::<Amount>(json!(too_big)).is_err());
	}

	#[test]
	fn accounts_are_ss58() {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(serde_json::to_value(Account(alice.clone())).unwrap(), json!(ALICE));
		let parsed: Account = serde_json::from_value(json!(ALICE)).unwrap();
		assert_eq!(parsed.0, alice);
		// A public key in hex, and Alice's address on Polkadot (prefix 0), are the same account.
		let hex = sp_core::bytes::to_hex(alice.as_ref(), false);
		assert_eq!(serde_json::from_value::<Account>(json!(hex)).unwrap().0, alice);
		let polkadot = alice.to_ss58check_with_version(Ss58AddressFormat::custom(0));
		assert_eq!(serde_json::from_value::<Account>(json!(polkadot)).unwrap().0, alice);
		for bad in ["", "0x1234", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ", "alice"] {
			assert!(serde_json::from_value::<Account>(json!(bad)).is_err(), "{bad}");
		}
	}

	#[test]
	fn text_is_utf8_or_hex() {
		assert_eq!(text(b"https://gpu.example.org"), "https://gpu.example.org");
		assert_eq!(text(&[0xff, 0x00]), "0xff00");
	}

	fn matmul_json() -> serde_json::Value {
		json!({
			"workload": { "MatMulI8": { "m": 4096, "n": 4096, "k": 4096 } },
			"inputs": { "Seed": format!("0x{}", "07".repeat(32)) },
			"requirements": { "minVramMib": 24576, "region": "Europe" },
			"maxPricePerUnit": "2000000000000",
			"replicas": 1,
			"verification": "SpotCheck",
			"deadline": 200
		})
	}

	#[test]
	fn specs_are_read_from_json() {
		let spec: JobSpecJson = serde_json::from_value(matmul_json()).unwrap();
		let spec = JobSpec::try_from(spec).unwrap();
		assert_eq!(spec.workload, Workload::MatMulI8 { m: 4096, n: 4096, k: 4096 });
		assert_eq!(spec.inputs, Inputs::Seed(H256::repeat_byte(7)));
		assert_eq!(
			spec.requirements,
			Requirements {
				min_vram_mib: 24 * 1024,
				region: Some(Region::Europe),
				..Default::default()
			}
		);
		assert_eq!(spec.max_price_per_unit, 2_000_000_000_000);
		assert_eq!(
			(spec.replicas, spec.verification, spec.deadline),
			(1, Verification::SpotCheck, 200)
		);
		// And back: the same JSON.
		assert_eq!(
			serde_json::to_value(JobSpecJson::from(spec)).unwrap()["inputs"],
			matmul_json()["inputs"]
		);

		// polkadot.js' camelCase variant names, and left-out requirements.
		let spec: JobSpecJson = serde_json::from_value(json!({
			"workload": { "opaque": { "program": format!("0x{}", "ab".repeat(32)), "gpuSeconds": 60 } },
			"inputs": { "content": { "hash": format!("0x{}", "01".repeat(32)), "uri": "https://data.example/x", "size": 10 } },
			"maxPricePerUnit": 3,
			"replicas": 2,
			"verification": "replicated",
			"deadline": 500
		}))
		.unwrap();
		let spec = JobSpec::try_from(spec).unwrap();
		assert_eq!(
			spec.workload,
			Workload::Opaque { program: H256::repeat_byte(0xab), gpu_seconds: 60 }
		);
		let Inputs::Content { uri, size, .. } = &spec.inputs else { panic!("content inputs") };
		assert_eq!((&uri[..], *size), (&b"https://data.example/x"[..], 10));
		assert_eq!(spec.requirements, Requirements::default());
		assert_eq!(spec.verification, Verification::Replicated);

		// Typos are refused rather than ignored, and URIs are bounded.
		let mut typo = matmul_json();
		typo["requirements"]["minVram"] = json!(1);
		assert!(serde_json::from_value::<JobSpecJson>(typo).is_err());
		let mut long = serde_json::from_value::<JobSpecJson>(matmul_json()).unwrap();
		long.inputs = InputsJson::Content {
			hash: H256::zero(),
			uri: format!("https://{}", "a".repeat(300)),
			size: 1,
		};
		assert!(JobSpec::try_from(long).is_err());
	}

	#[test]
	fn provider_json() {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let info = pallet_providers::ProviderInfo {
			profile: pallet_providers::HardwareProfile {
				gpu: pallet_providers::GpuSpec {
					model: BoundedVec::truncate_from(b"NVIDIA H100 80GB HBM3".to_vec()),
					vram_mib: 81_559,
					count: 8,
					fp16_tflops: 989,
					int8_tops: 1_979,
				},
				cpu_cores: 64,
				ram_mib: 1_048_576,
				disk_gib: 8_000,
				bandwidth_mbps: 10_000,
				region: Region::Europe,
				capabilities: tessera_primitives::market::Capabilities {
					matmul_i8: true,
					..Default::default()
				},
			},
			price_per_unit: 2_000_000_000_000,
			max_jobs: 4,
			active_jobs: 1,
			endpoint: BoundedVec::truncate_from(b"https://gpu.example.org".to_vec()),
			worker: bob,
			status: pallet_providers::Status::Online,
			last_heartbeat: Some(12),
			heartbeat_deadline: 62,
			reputation: pallet_providers::Reputation { score: 525_000, updated_at: 3 },
			attested_until: None,
			indexed: true,
			tracked: true,
			registered_at: 2,
			deposit: tessera_runtime::UNIT,
		};
		let view = tessera_primitives::api::ProviderView {
			info,
			reputation: 524_999,
			bonded: 8_000 * tessera_runtime::UNIT,
		};
		let json = serde_json::to_value(ProviderJson::new(alice, view)).unwrap();
		assert_eq!(
			json,
			json!({
				"account": ALICE,
				"profile": {
					"gpu": {
						"model": "NVIDIA H100 80GB HBM3",
						"vramMib": 81559,
						"count": 8,
						"fp16Tflops": 989,
						"int8Tops": 1979
					},
					"cpuCores": 64,
					"ramMib": 1048576,
					"diskGib": 8000,
					"bandwidthMbps": 10000,
					"region": "Europe",
					"capabilities": { "matmulI8": true, "opaque": false, "enclave": false }
				},
				"pricePerUnit": "2000000000000",
				"maxJobs": 4,
				"activeJobs": 1,
				"endpoint": "https://gpu.example.org",
				"worker": "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
				"status": "Online",
				"lastHeartbeat": 12,
				"heartbeatDeadline": 62,
				"reputation": { "score": 525000, "updatedAt": 3, "current": 524999 },
				"attestedUntil": null,
				"indexed": true,
				"registeredAt": 2,
				"deposit": "1000000000000",
				"bonded": "8000000000000000"
			})
		);
	}

	#[test]
	fn job_json() {
		use pallet_jobs::{Job, JobState, Replica, ReplicaState};
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let spec: JobSpecJson = serde_json::from_value(matmul_json()).unwrap();
		let replica = |state| Replica {
			provider: bob.clone(),
			worker: alice.clone(),
			price_per_unit: 2,
			collateral: 0,
			state,
			receipt: None,
		};
		let mut paid = replica(ReplicaState::Paid { payment: 2, fee: 0 });
		paid.receipt = Some(Receipt {
			output_commitment: H256::repeat_byte(1),
			output_uri: BoundedVec::truncate_from(b"https://gpu.example.org/out/0".to_vec()),
			used_units: 1,
			enclave_signature: None,
		});
		let job: MarketJob = Job {
			client: alice.clone(),
			spec: JobSpec::try_from(spec.clone()).unwrap(),
			units: 1,
			escrow: 2_040_000_000_000,
			state: JobState::Active,
			replicas: BoundedVec::truncate_from(vec![
				replica(ReplicaState::AwaitingAck { until: 21 }),
				replica(ReplicaState::Running),
				paid,
			]),
			dropped: BoundedVec::truncate_from(vec![bob]),
			posted_at: 1,
			deposit: 100_000_000_000,
			closed_at: None,
		};
		let json = serde_json::to_value(JobJson::new(7, job)).unwrap();
		assert_eq!(json["id"], json!(7));
		assert_eq!(json["client"], json!(ALICE));
		assert_eq!(json["spec"], serde_json::to_value(&spec).unwrap());
		assert_eq!(json["escrow"], json!("2040000000000"));
		assert_eq!(json["state"], json!("Active"));
		assert_eq!(json["replicas"][0]["state"], json!({ "AwaitingAck": { "until": 21 } }));
		assert_eq!(json["replicas"][1]["state"], json!("Running"));
		assert_eq!(json["replicas"][2]["state"], json!({ "Paid": { "payment": "2", "fee": "0" } }));
		assert_eq!(
			json["replicas"][2]["receipt"],
			json!({
				"outputCommitment": format!("0x{}", "01".repeat(32)),
				"outputUri": "https://gpu.example.org/out/0",
				"usedUnits": 1
			})
		);
		assert_eq!(json["dropped"], json!(["5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"]));
		assert_eq!(json["postedAt"], json!(1));
		assert_eq!(json["deposit"], json!("100000000000"));
		assert_eq!(json["closedAt"], json!(null));
	}

	#[test]
	fn quote_stats_and_errors() {
		let quote = Quote {
			units: 1,
			escrow: 2_040_000_000_000,
			providers: vec![Candidate {
				provider: Sr25519Keyring::Bob.to_account_id(),
				worker: Sr25519Keyring::Charlie.to_account_id(),
				price_per_unit: 1_000_000_000_000,
			}],
			total: 1_020_000_000_000,
		};
		assert_eq!(
			serde_json::to_value(QuoteJson::from(quote)).unwrap(),
			json!({
				"units": 1,
				"escrow": "2040000000000",
				"providers": [{
					"provider": "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
					"worker": "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y",
					"pricePerUnit": "1000000000000"
				}],
				"total": "1020000000000"
			})
		);
		let stats = MarketStats { providers: 3, escrowed: u128::MAX, ..Default::default() };
		let json = serde_json::to_value(StatsJson::from(stats)).unwrap();
		assert_eq!(
			(json["providers"].clone(), json["escrowed"].clone()),
			(json!(3), json!(u128::MAX.to_string()))
		);
		assert_eq!(json["queueLength"], json!(0));

		let error = invalid_spec(QuoteError::InvalidSpec {
			error: sp_runtime::DispatchError::Other("x"),
			name: b"DeadlineTooSoon".to_vec(),
		});
		assert_eq!(error.code(), INVALID_SPEC);
		assert_eq!(error.message(), "Invalid job spec: DeadlineTooSoon");
		assert_eq!(error.data().map(|d| d.get()), Some(r#"{"error":"DeadlineTooSoon"}"#));
		assert_eq!((page(None), page(Some(5)), page(Some(1_000))), (MAX_PAGE, 5, MAX_PAGE));
	}
}

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

mod json;
pub use json::*;

#[cfg(test)]
mod tests;

//! The market's runtime API: what dApps, the node's `market_*` JSON-RPC methods and polkadot.js
//! (`api.call.marketApi.*`) ask the runtime about providers, jobs, prices and the market as a
//! whole.
//!
//! The API is generic over the view types so that this crate need not depend on the pallets:
//! the runtime plugs in its provider and job records. Every type here is in the runtime's
//! metadata (v15 and later), so polkadot.js decodes the answers without custom type definitions.

use crate::{
	jobs::{JobId, JobSpec},
	market::{Candidate, Requirements},
};
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;
use sp_runtime::DispatchError;

/// Most entries one page of [`MarketApi::providers`], [`MarketApi::jobs_by_client`] or
/// [`MarketApi::jobs_by_provider`] returns; a larger `limit` is capped to it, so that one call
/// reads a bounded part of the state.
pub const MAX_PAGE: u32 = 100;

/// A registered provider as the API returns it: the stored record, plus what a client wants to
/// know about it that the record does not say by itself.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ProviderView<Info, Balance> {
	/// The record as stored.
	pub info: Info,
	/// Its reputation now, after decay. The record's score is as of its last change, and the
	/// price index compares this one with a job's `min_reputation`.
	pub reputation: u32,
	/// Funds it has bonded (not counting funds that are unbonding).
	pub bonded: Balance,
}

/// What a job would cost and who would run it, if it were posted now.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Quote<AccountId, Balance> {
	/// Units of work of the job (tera-operations for `MatMulI8`, GPU-seconds otherwise).
	pub units: u64,
	/// What posting it holds from the client: `max_price_per_unit x units x replicas`, plus the
	/// protocol fee on that.
	pub escrow: Balance,
	/// The providers that fit now, cheapest first, at most `replicas` of them. A job is assigned
	/// to all its replicas at once or queued, so fewer than `replicas` means that posting it now
	/// queues it until enough providers fit (or its deadline passes and it is refunded).
	pub providers: Vec<Candidate<AccountId, Balance>>,
	/// What `providers` would be paid for the whole job, plus the protocol fee on each
	/// payment: the cost to the client if every replica is delivered at these prices. The rest
	/// of the escrow is refunded when the job ends.
	pub total: Balance,
}

/// Why a job spec cannot be quoted.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum QuoteError {
	/// `jobs.post` would refuse the spec. `error` is what it would return (a jobs pallet error,
	/// which polkadot.js names with `api.registry.findMetaError`) and `name` that error's name,
	/// e.g. `DeadlineTooSoon`, in UTF-8, for clients that read no metadata.
	InvalidSpec { error: DispatchError, name: Vec<u8> },
}

/// The market at a glance.
#[derive(Clone, Copy, PartialEq, Eq, Default, Encode, Decode, TypeInfo, Debug)]
pub struct MarketStats<Balance> {
	/// Registered providers, online or not.
	pub providers: u32,
	/// Providers online (sending heartbeats), matchable or not.
	pub providers_online: u32,
	/// GPUs that the online providers offer together.
	pub gpus_online: u32,
	/// Jobs ever posted (the next job's id).
	pub jobs_posted: u64,
	/// Jobs waiting for providers.
	pub jobs_queued: u32,
	/// Jobs assigned and running.
	pub jobs_active: u32,
	/// Jobs that ended with at least one replica paid.
	pub jobs_completed: u32,
	/// Jobs that ended with none paid.
	pub jobs_failed: u32,
	/// Jobs cancelled by their client.
	pub jobs_cancelled: u32,
	/// Jobs that expired in the queue.
	pub jobs_expired: u32,
	/// Funds held in escrow for open jobs.
	pub escrowed: Balance,
	/// Length of the matching queue (equal to `jobs_queued`; read from the queue itself).
	pub queue_length: u32,
}

sp_api::decl_runtime_apis! {
	/// The market's query surface. `Provider` and `Job` are the runtime's provider view and job
	/// record; the node's `market_*` RPC turns them into JSON.
	pub trait MarketApi<AccountId, Balance, BlockNumber, Provider, Job>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
		Provider: Codec,
		Job: Codec,
	{
		/// The provider registered with account `who`, if any.
		fn provider(who: AccountId) -> Option<Provider>;

		/// A page of registered providers, in storage order, starting after `start_after` (the
		/// last account of the previous page; `None` for the first page). With `requirements`,
		/// only those whose hardware, region, reputation and attestation meet them (whether or
		/// not they are online or bonded: `quote` says who would be matched). At most
		/// `min(limit, MAX_PAGE)` entries; fewer means the end was reached.
		fn providers(
			start_after: Option<AccountId>,
			limit: u32,
			requirements: Option<Requirements>,
		) -> Vec<(AccountId, Provider)>;

		/// The job with id `id`, if any.
		fn job(id: JobId) -> Option<Job>;

		/// A page of the ids of the jobs `client` posted, in storage order (not by id), starting
		/// after `start_after`. At most `min(limit, MAX_PAGE)` ids.
		fn jobs_by_client(client: AccountId, start_after: Option<JobId>, limit: u32) -> Vec<JobId>;

		/// A page of the ids of the jobs `provider` has an unfinished replica of (what its
		/// worker has to do), in storage order, starting after `start_after`. At most
		/// `min(limit, MAX_PAGE)` ids.
		fn jobs_by_provider(
			provider: AccountId,
			start_after: Option<JobId>,
			limit: u32,
		) -> Vec<JobId>;

		/// What `spec` would cost and which providers would run it if it were posted in the
		/// next block; an error names why `jobs.post` would refuse it.
		fn quote(spec: JobSpec<Balance, BlockNumber>) -> Result<Quote<AccountId, Balance>, QuoteError>;

		/// The market's counters.
		fn stats() -> MarketStats<Balance>;
	}
}

//! The runtime APIs: what the node (consensus, transaction pool, RPC) and clients (through
//! `state_call`, polkadot.js `api.call`) may ask of the runtime.
//!
//! `impl_runtime_apis!` lists every API here in [`RUNTIME_API_VERSIONS`] (the runtime version's
//! `apis`) and in the metadata (v15 and later), which is how polkadot.js finds them:
//! `api.call.marketApi.stats()` needs no custom types. The market API's functions live in
//! [`market`], where the runtime's tests call them.

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	view_functions::ViewFunctionDispatchError,
	weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use tessera_primitives::{
	api::{MarketStats, ProviderView, Quote, QuoteError},
	jobs::{JobId, JobSpec},
	market::Requirements,
};

use super::{
	genesis_config_presets, AccountId, Aura, Balance, Block, BlockNumber, Executive, Grandpa,
	InherentDataExt, Nonce, Runtime, RuntimeCall, RuntimeGenesisConfig, SessionKeys, System,
	TransactionPayment, VERSION,
};

/// A provider as the market API returns it: its record, reputation now and bond.
pub type MarketProvider = ProviderView<pallet_providers::ProviderInfoOf<Runtime>, Balance>;

/// A job as the market API returns it: the record as stored.
pub type MarketJob = pallet_jobs::JobOf<Runtime>;

/// The functions behind [`tessera_primitives::api::MarketApi`], outside `impl_runtime_apis!` so
/// that the runtime's tests call exactly what the API runs.
pub mod market {
	use super::*;
	use pallet_jobs::Pallet as Jobs;
	use pallet_providers::Pallet as Providers;
	use tessera_primitives::{api::MAX_PAGE, market::StakeInfo};

	fn view(
		info: pallet_providers::ProviderInfoOf<Runtime>,
		who: &AccountId,
		reputation: u32,
	) -> MarketProvider {
		let bonded = <pallet_stake::Pallet<Runtime> as StakeInfo<AccountId, Balance>>::bonded(who);
		ProviderView { info, reputation, bonded }
	}

	/// See [`tessera_primitives::api::MarketApi::provider`].
	pub fn provider(who: AccountId) -> Option<MarketProvider> {
		let (info, reputation) = Providers::<Runtime>::provider_with_reputation(&who)?;
		Some(view(info, &who, reputation))
	}

	/// See [`tessera_primitives::api::MarketApi::providers`].
	pub fn providers(
		start_after: Option<AccountId>,
		limit: u32,
		requirements: Option<Requirements>,
	) -> Vec<(AccountId, MarketProvider)> {
		Providers::<Runtime>::providers_page(
			start_after.as_ref(),
			limit.min(MAX_PAGE),
			requirements.as_ref(),
		)
		.into_iter()
		.map(|(who, info, reputation)| {
			let provider = view(info, &who, reputation);
			(who, provider)
		})
		.collect()
	}

	/// See [`tessera_primitives::api::MarketApi::job`].
	pub fn job(id: JobId) -> Option<MarketJob> {
		Jobs::<Runtime>::job_record(id)
	}

	/// See [`tessera_primitives::api::MarketApi::jobs_by_client`].
	pub fn jobs_by_client(client: AccountId, start_after: Option<JobId>, limit: u32) -> Vec<JobId> {
		Jobs::<Runtime>::client_jobs_page(&client, start_after, limit.min(MAX_PAGE))
	}

	/// See [`tessera_primitives::api::MarketApi::jobs_by_provider`].
	pub fn jobs_by_provider(
		provider: AccountId,
		start_after: Option<JobId>,
		limit: u32,
	) -> Vec<JobId> {
		Jobs::<Runtime>::provider_jobs_page(&provider, start_after, limit.min(MAX_PAGE))
	}

	/// See [`tessera_primitives::api::MarketApi::quote`].
	pub fn quote(
		spec: JobSpec<Balance, BlockNumber>,
	) -> Result<Quote<AccountId, Balance>, QuoteError> {
		Jobs::<Runtime>::quote(&spec).map_err(|error| {
			// A pallet error carries its variant's name until it is encoded; keep it.
			let name: &'static str = error.into();
			QuoteError::InvalidSpec { error, name: name.as_bytes().to_vec() }
		})
	}

	/// See [`tessera_primitives::api::MarketApi::stats`].
	pub fn stats() -> MarketStats<Balance> {
		let online = Providers::<Runtime>::online_stats();
		let jobs = Jobs::<Runtime>::job_stats();
		MarketStats {
			providers: Providers::<Runtime>::provider_count(),
			providers_online: online.providers,
			gpus_online: online.gpus,
			jobs_posted: Jobs::<Runtime>::jobs_posted(),
			jobs_queued: jobs.queued,
			jobs_active: jobs.active,
			jobs_completed: jobs.completed,
			jobs_failed: jobs.failed,
			jobs_cancelled: jobs.cancelled,
			jobs_expired: jobs.expired,
			escrowed: jobs.escrowed,
			queue_length: Jobs::<Runtime>::queue_length(),
		}
	}
}

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			// No key-ownership proofs exist on this chain (`KeyOwnerProof = Void`), so no report
			// can be built; see `configs::pallet_grandpa`.
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl tessera_primitives::api::MarketApi<Block, AccountId, Balance, BlockNumber, MarketProvider, MarketJob>
		for Runtime
	{
		fn provider(who: AccountId) -> Option<MarketProvider> {
			market::provider(who)
		}

		fn providers(
			start_after: Option<AccountId>,
			limit: u32,
			requirements: Option<Requirements>,
		) -> Vec<(AccountId, MarketProvider)> {
			market::providers(start_after, limit, requirements)
		}

		fn job(id: JobId) -> Option<MarketJob> {
			market::job(id)
		}

		fn jobs_by_client(client: AccountId, start_after: Option<JobId>, limit: u32) -> Vec<JobId> {
			market::jobs_by_client(client, start_after, limit)
		}

		fn jobs_by_provider(
			provider: AccountId,
			start_after: Option<JobId>,
			limit: u32,
		) -> Vec<JobId> {
			market::jobs_by_provider(provider, start_after, limit)
		}

		fn quote(
			spec: JobSpec<Balance, BlockNumber>,
		) -> Result<Quote<AccountId, Balance>, QuoteError> {
			market::quote(spec)
		}

		fn stats() -> MarketStats<Balance> {
			market::stats()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			crate::benchmarks::metadata(extra)
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			crate::benchmarks::dispatch(config)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			// A failed pre/post-upgrade check must stop try-runtime right here with a backtrace;
			// this API is only compiled into try-runtime builds, never into the chain's runtime.
			let checked = Executive::try_runtime_upgrade(checks);
			let weight = checked.expect("upgrade checks"); // qed: only in try-runtime builds
			(weight, super::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			// As above: only in try-runtime builds, where a failure must stop the run.
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.expect("execute-block failed") // qed: only in try-runtime builds
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			genesis_config_presets::preset_names()
		}
	}
}

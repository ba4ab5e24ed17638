//! The worker's view of the chain: a subxt client on one node's JSON-RPC, the storage it reads,
//! the calls it sends and the events it follows. Nothing here encodes a call by hand: subxt
//! encodes every argument against the metadata the node serves.

pub mod types;

use std::{sync::Arc, time::Duration};
use subxt::{
	config::{DefaultExtrinsicParamsBuilder, RpcConfigFor},
	dynamic,
	rpcs::{LegacyRpcMethods, RpcClient},
	utils::{AccountId32, Static, H256},
	OnlineClient, SubstrateConfig,
};
use subxt_signer::sr25519::Keypair;
use tessera_commitment::{Opening, Roots};
use tessera_primitives::jobs::{JobId, Receipt};
use tokio::sync::Mutex;
use types::*;

/// Any failure talking to the node: connection, RPC, metadata, encoding or decoding.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The client type: polkadot-sdk's standard configuration (AccountId32, MultiSignature,
/// blake2 hashes, u32 block numbers and the standard transaction extensions), which is ours.
pub type Client = OnlineClient<SubstrateConfig>;

/// The client at one block: its storage, constants and events.
pub type AtBlock = subxt::client::ClientAtBlock<
	SubstrateConfig,
	subxt::client::OnlineClientAtBlockImpl<SubstrateConfig>,
>;

/// A block from a block subscription.
pub type Block = subxt::client::Block<SubstrateConfig>;

/// A connection to one node, and the key that signs.
#[derive(Clone)]
pub struct Chain {
	client: Client,
	/// For `system_accountNextIndex`, the one nonce query that counts the transactions already
	/// in the node's pool: the runtime API subxt uses reads finalized state, which lags.
	rpc: LegacyRpcMethods<RpcConfigFor<SubstrateConfig>>,
	signer: Arc<Keypair>,
	/// Held while a transaction is signed and handed to the node, so that two transactions of
	/// this key never ask for the same nonce.
	submitting: Arc<Mutex<()>>,
}

/// How a sent transaction ended.
#[derive(Debug)]
pub enum Outcome {
	/// In a finalized block, dispatched without error.
	Success { block: H256 },
	/// In a finalized block, refused by the runtime (`Pallet::Error`), or dropped by the pool.
	Failed(String),
}

impl Outcome {
	/// Whether the runtime refused the transaction with `pallet`'s error `error` (subxt names a
	/// module error `Pallet::Error`).
	pub fn refused_with(&self, pallet: &str, error: &str) -> bool {
		match self {
			Outcome::Success { .. } => false,
			Outcome::Failed(e) => refused_with(e, pallet, error),
		}
	}
}

/// Whether the failure `message` is `pallet`'s error `error`: subxt writes a module error as
/// `Pallet::Error`, after its own text, and nothing else has that form.
fn refused_with(message: &str, pallet: &str, error: &str) -> bool {
	let name = format!("{pallet}::{error}");
	message.match_indices(&name).any(|(at, _)| {
		// Not a longer name that ends or starts with this one.
		let before = message[..at].chars().next_back();
		let after = message[at + name.len()..].chars().next();
		!before.is_some_and(|c| c.is_alphanumeric() || c == '_')
			&& !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
	})
}

impl Chain {
	/// Connects to `url` (`ws://` or `wss://`); plain `ws://` is allowed for any host, since
	/// providers commonly run the worker next to their own node.
	pub async fn connect(url: &str, signer: Keypair) -> Result<Self, Error> {
		let rpc = RpcClient::from_insecure_url(url).await?;
		let client = Client::from_rpc_client(rpc.clone()).await?;
		Ok(Self {
			client,
			rpc: LegacyRpcMethods::new(rpc),
			signer: Arc::new(signer),
			submitting: Arc::new(Mutex::new(())),
		})
	}

	/// The underlying subxt client.
	pub fn client(&self) -> &Client {
		&self.client
	}

	/// The number of the node's best block now.
	pub async fn best_number(&self) -> Result<u64, Error> {
		use subxt::config::Header;
		let header = self.rpc.chain_get_header(None).await?.ok_or("the node has no best block")?;
		Ok(header.number())
	}

	/// The number of the node's finalized block now.
	pub async fn finalized_number(&self) -> Result<u64, Error> {
		use subxt::config::Header;
		let hash = self.rpc.chain_get_finalized_head().await?;
		let header =
			self.rpc.chain_get_header(Some(hash)).await?.ok_or("the finalized block is unknown")?;
		Ok(header.number())
	}

	/// The account of the signing key.
	pub fn account(&self) -> AccountId32 {
		self.signer.public_key().to_account_id()
	}

	/// Sends `providers.register` signed by this key (the provider's) and waits until it is
	/// finalized.
	pub async fn register(
		&self,
		profile: HardwareProfileArg,
		price_per_unit: u128,
		max_jobs: u32,
		endpoint: &str,
		worker: AccountId32,
	) -> Result<Outcome, Error> {
		let call = dynamic::tx(
			"Providers",
			"register",
			(profile, price_per_unit, max_jobs, endpoint.as_bytes().to_vec(), worker),
		);
		self.send_and_wait(&call).await
	}

	/// Sends `stake.bond(value)` signed by this key (the provider's) and waits until it is
	/// finalized.
	pub async fn bond(&self, value: u128) -> Result<Outcome, Error> {
		self.send_and_wait(&dynamic::tx("Stake", "bond", (value,))).await
	}

	/// `jobs.acknowledge`.
	pub async fn acknowledge(&self, job: JobId, replica: u32) -> Result<Sent, Error> {
		self.send(&dynamic::tx("Jobs", "acknowledge", (job, replica))).await
	}

	/// `jobs.decline`: gives an assigned replica back while it awaits its acknowledgement; the
	/// provider loses nothing.
	pub async fn decline(&self, job: JobId, replica: u32) -> Result<Sent, Error> {
		self.send(&dynamic::tx("Jobs", "decline", (job, replica))).await
	}

	/// `jobs.submit_receipt`.
	pub async fn submit_receipt(
		&self,
		job: JobId,
		replica: u32,
		receipt: Receipt,
	) -> Result<Sent, Error> {
		self.send(&dynamic::tx("Jobs", "submit_receipt", (job, replica, Static(receipt)))).await
	}

	/// `proofs.respond` with the openings of some of the drawn samples.
	pub async fn respond(
		&self,
		job: JobId,
		replica: u32,
		roots: Roots,
		openings: Vec<(u32, Opening)>,
	) -> Result<Sent, Error> {
		let call =
			dynamic::tx("Proofs", "respond", (job, replica, Static(roots), Static(openings)));
		self.send(&call).await
	}

	/// `proofs.reveal`: the output commitment and salt under a replicated receipt's seal.
	pub async fn reveal(
		&self,
		job: JobId,
		replica: u32,
		output: tessera_commitment::H256,
		salt: tessera_commitment::H256,
	) -> Result<Sent, Error> {
		let call = dynamic::tx("Proofs", "reveal", (job, replica, Static(output), Static(salt)));
		self.send(&call).await
	}

	/// `proofs.reportReexecution`: the seal of an executor's result.
	pub async fn report_reexecution(
		&self,
		job: JobId,
		replica: u32,
		seal: tessera_commitment::H256,
	) -> Result<Sent, Error> {
		let call = dynamic::tx("Proofs", "report_reexecution", (job, replica, Static(seal)));
		self.send(&call).await
	}

	/// `proofs.revealReexecution`: the output commitment and salt under an executor's seal.
	pub async fn reveal_reexecution(
		&self,
		job: JobId,
		replica: u32,
		output: tessera_commitment::H256,
		salt: tessera_commitment::H256,
	) -> Result<Sent, Error> {
		let call = dynamic::tx(
			"Proofs",
			"reveal_reexecution",
			(job, replica, Static(output), Static(salt)),
		);
		self.send(&call).await
	}

	/// `providers.heartbeat`.
	pub async fn heartbeat(&self) -> Result<Sent, Error> {
		self.send(&dynamic::tx("Providers", "heartbeat", ())).await
	}

	/// Signs `call` and hands it to the node; the returned [`Sent`] follows it to finality.
	async fn send<C: subxt::tx::Payload>(&self, call: &C) -> Result<Sent, Error> {
		let _guard = self.submitting.lock().await;
		let nonce = self.rpc.system_account_next_index(&self.account()).await?;
		let params = DefaultExtrinsicParamsBuilder::<SubstrateConfig>::new().nonce(nonce).build();
		let mut tx = self.client.tx().await?;
		let progress = tx.sign_and_submit_then_watch(call, self.signer.as_ref(), params).await?;
		Ok(Sent { progress })
	}

	async fn send_and_wait<C: subxt::tx::Payload>(&self, call: &C) -> Result<Outcome, Error> {
		Ok(self.send(call).await?.outcome().await)
	}
}

/// A transaction the node accepted into its pool.
pub struct Sent {
	progress: subxt::tx::TransactionProgress<
		SubstrateConfig,
		subxt::client::OnlineClientAtBlockImpl<SubstrateConfig>,
	>,
}

impl Sent {
	/// Waits (at most five minutes) until the transaction is in a finalized block, and says
	/// whether the runtime dispatched it without error.
	pub async fn outcome(self) -> Outcome {
		let wait = async {
			let in_block = self.progress.wait_for_finalized().await.map_err(|e| e.to_string())?;
			let block = in_block.block_hash();
			match in_block.wait_for_success().await {
				Ok(_) => Ok(block),
				Err(e) => Err(e.to_string()),
			}
		};
		match tokio::time::timeout(Duration::from_secs(300), wait).await {
			Ok(Ok(block)) => Outcome::Success { block },
			Ok(Err(e)) => Outcome::Failed(e),
			Err(_) => Outcome::Failed("not finalized within 5 minutes".into()),
		}
	}
}

/// The provider a worker key signs for (`providers.workers`).
pub async fn provider_of(at: &AtBlock, worker: &AccountId32) -> Result<Option<AccountId32>, Error> {
	let addr = dynamic::storage::<(AccountId32,), AccountId32>("Providers", "Workers");
	Ok(at.storage().try_fetch(addr, (*worker,)).await?.map(|v| v.decode()).transpose()?)
}

/// Whether `provider` was banned for a proven fraud (`providers.banned`): it is never matched
/// or paid again.
pub async fn banned(at: &AtBlock, provider: &AccountId32) -> Result<bool, Error> {
	let addr = dynamic::storage::<(AccountId32,), u32>("Providers", "Banned");
	Ok(at.storage().try_fetch(addr, (*provider,)).await?.is_some())
}

/// A provider's record (`providers.providers`).
pub async fn provider(at: &AtBlock, provider: &AccountId32) -> Result<Option<ProviderView>, Error> {
	let addr = dynamic::storage::<(AccountId32,), ProviderView>("Providers", "Providers");
	Ok(at.storage().try_fetch(addr, (*provider,)).await?.map(|v| v.decode()).transpose()?)
}

/// The stake pallet's parameters (`stake.parameters`).
pub async fn stake_parameters(at: &AtBlock) -> Result<StakeParametersView, Error> {
	let addr = dynamic::storage::<(), StakeParametersView>("Stake", "Parameters");
	Ok(at.storage().fetch(addr, ()).await?.decode()?)
}

/// A job's record (`jobs.jobs`).
pub async fn job(at: &AtBlock, job: JobId) -> Result<JobView, Error> {
	let addr = dynamic::storage::<(JobId,), JobView>("Jobs", "Jobs");
	Ok(at.storage().fetch(addr, (job,)).await?.decode()?)
}

/// The check of a replica's receipt (`proofs.checks`), while there is one.
pub async fn check(at: &AtBlock, job: JobId, replica: u32) -> Result<Option<CheckView>, Error> {
	let addr = dynamic::storage::<(JobId, u32), CheckView>("Proofs", "Checks");
	Ok(at.storage().try_fetch(addr, (job, replica)).await?.map(|v| v.decode()).transpose()?)
}

/// The re-executions `provider` is booked for (`proofs.duties`), at `at`.
pub async fn duties(at: &AtBlock, provider: &AccountId32) -> Result<Vec<(JobId, u32)>, Error> {
	let addr = dynamic::storage::<(AccountId32, (JobId, u32)), ()>("Proofs", "Duties");
	let mut entries = at.storage().iter(addr, (*provider,)).await?;
	let mut out = Vec::new();
	while let Some(entry) = entries.next().await {
		let (_, duty) = entry?.key()?.decode()?;
		out.push(duty);
	}
	Ok(out)
}

/// The replicas assigned to `provider` that are not over (`jobs.providerJobs`), at `at`.
pub async fn provider_jobs(
	at: &AtBlock,
	provider: &AccountId32,
) -> Result<Vec<(JobId, u32)>, Error> {
	let addr = dynamic::storage::<(AccountId32, JobId), u32>("Jobs", "ProviderJobs");
	let mut entries = at.storage().iter(addr, (*provider,)).await?;
	let mut out = Vec::new();
	while let Some(entry) = entries.next().await {
		let entry = entry?;
		let (_, job) = entry.key()?.decode()?;
		out.push((job, entry.value().decode()?));
	}
	Ok(out)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_refusal_is_recognised_by_its_pallet_and_error_name() {
		let message = "The transaction failed with the following dispatch error: \
			Jobs::InsufficientCollateral";
		assert!(refused_with(message, "Jobs", "InsufficientCollateral"));
		assert!(Outcome::Failed(message.into()).refused_with("Jobs", "InsufficientCollateral"));
		assert!(!refused_with(message, "Jobs", "Insufficient"));
		assert!(!refused_with(message, "Stake", "InsufficientCollateral"));
		assert!(!refused_with("MyJobs::InsufficientCollateral", "Jobs", "InsufficientCollateral"));
		assert!(!refused_with("Jobs::InsufficientCollateralX", "Jobs", "InsufficientCollateral"));
		assert!(!Outcome::Success { block: H256::zero() }.refused_with("Jobs", "AckWindowClosed"));
	}
}

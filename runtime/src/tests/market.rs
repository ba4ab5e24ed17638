//! What the market tests share: the development genesis, providers registered and bonded
//! through the real calls, blocks run as the executive runs them, and the invariants of every
//! market pallet (and those between them) checked after each block.

use crate::*;
use frame_support::traits::{
	fungible::{Inspect, InspectHold},
	OnInitialize,
};
use sp_keyring::Sr25519Keyring;
use tessera_primitives::market::{Capabilities, Region};

pub fn account(key: Sr25519Keyring) -> AccountId {
	key.to_account_id()
}

/// The `development` genesis at block 1.
pub fn dev_ext() -> sp_io::TestExternalities {
	let mut ext = super::ext_from_preset("development");
	ext.execute_with(|| run_to(1));
	ext
}

/// One host with `count` GPUs of 24 GiB and 242 int8 TOPS each, 64 GiB of RAM, in Europe, that
/// runs matrix jobs.
pub fn profile(count: u32) -> pallet_providers::HardwareProfileOf<Runtime> {
	pallet_providers::HardwareProfile {
		gpu: pallet_providers::GpuSpec {
			model: sp_runtime::BoundedVec::truncate_from(b"NVIDIA L4".to_vec()),
			vram_mib: 24 * 1024,
			count,
			fp16_tflops: 121,
			int8_tops: 242,
		},
		cpu_cores: 16,
		ram_mib: 64 * 1024,
		disk_gib: 500,
		bandwidth_mbps: 1_000,
		region: Region::Europe,
		capabilities: Capabilities { matmul_i8: true, ..Default::default() },
	}
}

/// Registers `provider` with `worker` at `price` per unit, `slots` job slots and one GPU, and
/// bonds `bond` (the minimum for one GPU when `None`). Returns the bond.
pub fn provider(
	provider: &AccountId,
	worker: &AccountId,
	price: Balance,
	slots: u32,
	bond: Option<Balance>,
) -> Balance {
	assert_eq!(
		Providers::register(
			RuntimeOrigin::signed(provider.clone()),
			profile(1),
			price,
			slots,
			sp_runtime::BoundedVec::truncate_from(b"https://provider.example.org".to_vec()),
			worker.clone(),
		),
		Ok(())
	);
	let bond = bond.unwrap_or(genesis_config_presets::market_parameters().min_bond_per_gpu);
	assert_eq!(Stake::bond(RuntimeOrigin::signed(provider.clone()), bond), Ok(()));
	bond
}

/// Runs blocks up to `n` as the executive would: each block records its parent's hash (which
/// the proofs pallet draws samples from) and runs every pallet's `on_initialize`, and then
/// every invariant is checked ([`check_invariants`]). (`on_finalize` is left out: no market
/// pallet has one, and the timestamp pallet's would want an inherent.)
pub fn run_to(n: BlockNumber) {
	while System::block_number() < n {
		// The block's events go with `initialize`: count what it burnt first.
		let burnt = burnt_before() + burnt_in_events();
		frame_support::storage::unhashed::put(BURNT_KEY, &burnt);
		let next = System::block_number() + 1;
		let parent = sp_core::H256(sp_io::hashing::blake2_256(&next.to_le_bytes()));
		System::initialize(&next, &parent, &Default::default());
		<AllPalletsWithSystem as OnInitialize<BlockNumber>>::on_initialize(next);
		check_invariants();
	}
}

/// [`run_to`], with `workers` sending their heartbeats as a live worker does (an early one is
/// refused, and ignored here), so that their providers are not slashed for going quiet.
pub fn run_to_beating(n: BlockNumber, workers: &[AccountId]) {
	while System::block_number() < n {
		beat(workers);
		run_to(System::block_number() + 1);
	}
}

/// Each of `workers` sends a heartbeat if one is due.
pub fn beat(workers: &[AccountId]) {
	for worker in workers {
		let _ = Providers::heartbeat(RuntimeOrigin::signed(worker.clone()));
	}
}

/// Test-only storage keys (outside every pallet's prefix) that carry the issuance the test
/// started from and what the finished blocks burnt, so that every externalities has its own.
const ISSUANCE_KEY: &[u8] = b":tessera-test:issuance";
const BURNT_KEY: &[u8] = b":tessera-test:burnt";

/// Mints `amount` to `who` for a test's setup, and raises the issuance [`check_invariants`]
/// expects by it (a mint by the runtime itself would break it).
pub fn mint(who: &AccountId, amount: Balance) {
	use frame_support::traits::fungible::Mutate;
	assert_eq!(Balances::mint_into(who, amount), Ok(amount), "minted");
	if let Some(start) = frame_support::storage::unhashed::get::<Balance>(ISSUANCE_KEY) {
		frame_support::storage::unhashed::put(ISSUANCE_KEY, &(start + amount));
	}
}

/// What the finished blocks burnt (recorded by [`run_to`]).
fn burnt_before() -> Balance {
	frame_support::storage::unhashed::get(BURNT_KEY).unwrap_or_default()
}

/// What this block has burnt so far, by its events: transaction fees (this runtime drops
/// them, tips included, see `configs.rs`) and dust removed from reaped accounts. These are the
/// only documented burns; a mint or any other burn breaks [`check_invariants`].
fn burnt_in_events() -> Balance {
	System::events()
		.into_iter()
		.map(|record| match record.event {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { actual_fee, .. },
			) => actual_fee,
			RuntimeEvent::Balances(pallet_balances::Event::DustLost { amount, .. }) => amount,
			_ => 0,
		})
		.sum()
}

/// Every market pallet's own `try_state`, and what holds between them:
/// - each provider's taken job slots are its unfinished replicas plus its executor duties;
/// - each provider's collateral in the stake pallet is that of its running replicas plus that
///   of the re-executions it is booked for;
/// - the holds of each reason add up to the pallet's own total;
/// - the total issuance is the one the test started from less the fees and dust burnt since.
pub fn check_invariants() {
	let burnt = burnt_before() + burnt_in_events();
	let issuance = Balances::total_issuance();
	match frame_support::storage::unhashed::get::<Balance>(ISSUANCE_KEY) {
		Some(start) => assert_eq!(issuance + burnt, start, "issuance moved by more than burns"),
		None => frame_support::storage::unhashed::put(ISSUANCE_KEY, &(issuance + burnt)),
	}
	Providers::do_try_state().expect("providers' invariants");
	Stake::do_try_state().expect("stake's invariants");
	Jobs::do_try_state().expect("jobs' invariants");
	Proofs::do_try_state().expect("proofs' invariants");
	for (who, info) in pallet_providers::Providers::<Runtime>::iter() {
		let replicas = pallet_jobs::ProviderJobs::<Runtime>::iter_prefix(&who).count() as u32;
		let duties = pallet_proofs::Checks::<Runtime>::iter()
			.filter(|(_, _, check)| match &check.stage {
				pallet_proofs::Stage::Reexecution { executors, .. } => {
					executors.iter().any(|e| e.provider == who)
				},
				_ => false,
			})
			.count() as u32;
		assert_eq!(info.active_jobs, replicas + duties, "{who:?}: slots differ from duties");
		let replicas_collateral: Balance = pallet_jobs::Jobs::<Runtime>::iter()
			.flat_map(|(_, job)| job.replicas.into_iter())
			.filter(|replica| replica.provider == who)
			.map(|replica| replica.collateral)
			.sum();
		assert_eq!(
			<Stake as tessera_primitives::market::Collateral<_, _>>::committed(&who),
			replicas_collateral + Proofs::executor_collateral(&who),
			"{who:?}: collateral differs from its replicas' and its re-executions'"
		);
	}
	let escrow: Balance = pallet_jobs::Jobs::<Runtime>::iter().map(|(_, job)| job.escrow).sum();
	assert_eq!(escrow, pallet_jobs::Stats::<Runtime>::get().escrowed, "escrow total");
	let staked: Balance = frame_system::Account::<Runtime>::iter_keys()
		.map(|who| Balances::balance_on_hold(&stake_hold(), &who))
		.sum();
	assert_eq!(staked, pallet_stake::TotalStaked::<Runtime>::get(), "stake holds total");
}

/// The stake pallet's hold reason in this runtime.
pub fn stake_hold() -> RuntimeHoldReason {
	RuntimeHoldReason::Stake(pallet_stake::HoldReason::Staked)
}

/// What `who` has at stake: its stake hold (bonded, unbonding and collateral together).
pub fn stake_of(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&stake_hold(), who)
}

/// Free plus held balance of `who`.
pub fn total(who: &AccountId) -> Balance {
	Balances::total_balance(who)
}

pub fn jobs_events() -> Vec<pallet_jobs::Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Jobs(event) => Some(event),
			_ => None,
		})
		.collect()
}

pub fn proofs_events() -> Vec<pallet_proofs::Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Proofs(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// The storage deposits of the jobs and providers pallets against the records: every account's
/// job-deposit hold adds up to the deposits of its open jobs, and every account's registration
/// hold is its provider record's deposit (zero when it is not registered). The pallets'
/// `try_state` checks the accounts that have a record; this checks every account.
pub fn check_deposits() {
	let job_hold = RuntimeHoldReason::Jobs(pallet_jobs::HoldReason::JobDeposit);
	let registration_hold =
		RuntimeHoldReason::Providers(pallet_providers::HoldReason::RegistrationDeposit);
	for who in frame_system::Account::<Runtime>::iter_keys() {
		let open: Balance = pallet_jobs::ClientJobs::<Runtime>::iter_key_prefix(&who)
			.filter_map(pallet_jobs::Jobs::<Runtime>::get)
			.filter(|job| job.state.is_open())
			.map(|job| job.deposit)
			.sum();
		assert_eq!(Balances::balance_on_hold(&job_hold, &who), open, "{who:?}: job deposits");
		let registered =
			pallet_providers::Providers::<Runtime>::get(&who).map_or(0, |info| info.deposit);
		assert_eq!(
			Balances::balance_on_hold(&registration_hold, &who),
			registered,
			"{who:?}: registration deposit"
		);
	}
}

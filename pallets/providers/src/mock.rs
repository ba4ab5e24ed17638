//! A runtime with `frame_system`, `pallet_balances` (for the registration deposit) and this
//! pallet; the stake pallet is replaced by [`MockStake`], whose bonds and slashes the tests set
//! and read directly. Accounts `1..=FUNDED` start with [`INITIAL`].

use crate as pallet_providers;
use crate::{types::*, HardwareProfileOf};
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32},
};
use sp_runtime::{BoundedVec, BuildStorage, DispatchError};
use std::collections::BTreeMap;
use tessera_primitives::market::{
	Capabilities, Region, SlashOutcome, SlashReason, Slashing, StakeInfo,
};

pub type AccountId = u64;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Providers: pallet_providers,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Accounts `1..=FUNDED` start with [`INITIAL`] free.
pub const FUNDED: AccountId = 200;
pub const INITIAL: Balance = 1_000;
/// Held from each provider while it is registered.
pub const REGISTRATION_DEPOSIT: Balance = 10;

/// Bond needed per GPU offered.
pub const MIN_BOND_PER_GPU: Balance = 100;
pub const HEARTBEAT_INTERVAL: u64 = 10;
pub const HEARTBEAT_TIMEOUT: u64 = 30;
pub const MAX_LIVENESS_CHECKS: u32 = 3;
pub const MAX_INDEX_SCAN: u32 = 8;
pub const HALF_LIFE: u64 = 1_000;
/// Completed jobs worth less than this move no reputation.
pub const MIN_REPUTATION_VALUE: u128 = 100;
/// Completed jobs worth this much make the full reputation step.
pub const REPUTATION_VALUE_UNIT: u128 = 1_000;

parameter_types! {
	pub const HeartbeatInterval: u64 = HEARTBEAT_INTERVAL;
	pub const HeartbeatTimeout: u64 = HEARTBEAT_TIMEOUT;
	pub const ReputationHalfLife: u64 = HALF_LIFE;
	pub const MinReputationValue: u128 = MIN_REPUTATION_VALUE;
	pub const ReputationValueUnit: u128 = REPUTATION_VALUE_UNIT;
}

thread_local! {
	static BONDS: RefCell<BTreeMap<AccountId, Balance>> = const { RefCell::new(BTreeMap::new()) };
	static FREE: RefCell<BTreeMap<AccountId, Balance>> = const { RefCell::new(BTreeMap::new()) };
	static SLASHES: RefCell<Vec<(AccountId, SlashReason)>> = const { RefCell::new(Vec::new()) };
}

/// Stands in for the stake pallet.
pub struct MockStake;

impl MockStake {
	pub fn set_bond(who: AccountId, amount: Balance) {
		BONDS.with(|b| b.borrow_mut().insert(who, amount));
	}
	/// Sets `who`'s free stake (bond not set aside as collateral); until set, all of its bond
	/// is free.
	pub fn set_free_stake(who: AccountId, amount: Balance) {
		FREE.with(|f| f.borrow_mut().insert(who, amount));
	}
	/// Slashes recorded so far, oldest first.
	pub fn slashes() -> Vec<(AccountId, SlashReason)> {
		SLASHES.with(|s| s.borrow().clone())
	}
}

impl StakeInfo<AccountId, Balance> for MockStake {
	fn bonded(who: &AccountId) -> Balance {
		BONDS.with(|b| b.borrow().get(who).copied().unwrap_or(0))
	}
	fn free_stake(who: &AccountId) -> Balance {
		FREE.with(|f| f.borrow().get(who).copied()).unwrap_or_else(|| Self::bonded(who))
	}
	fn minimum_bond(gpus: u32) -> Balance {
		MIN_BOND_PER_GPU * Balance::from(gpus)
	}
}

impl Slashing<AccountId, Balance> for MockStake {
	fn slash(
		who: &AccountId,
		reason: SlashReason,
		_harmed: Option<&AccountId>,
		_watcher: Option<&AccountId>,
	) -> Result<SlashOutcome<Balance>, DispatchError> {
		SLASHES.with(|s| s.borrow_mut().push((*who, reason)));
		// A tenth of the bond, all to the treasury: enough for the registry's tests, which only
		// check that the slash was asked for and that a lower bond is noticed.
		let bond = Self::bonded(who);
		let slashed = bond / 10;
		Self::set_bond(*who, bond - slashed);
		Ok(SlashOutcome { slashed, to_treasury: slashed, ..Default::default() })
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockStake {
	fn bond(who: &AccountId, gpus: u32) {
		use frame_support::traits::fungible::Mutate;
		Self::set_bond(*who, Self::minimum_bond(gpus));
		// Enough free balance for the registration deposit.
		let _ = Balances::mint_into(who, INITIAL);
	}
}

impl pallet_providers::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegistrationDeposit = ConstU128<REGISTRATION_DEPOSIT>;
	type Stake = MockStake;
	type MaxModelLen = ConstU32<64>;
	type MaxEndpointLen = ConstU32<128>;
	type MaxJobSlots = ConstU32<4>;
	type HeartbeatInterval = HeartbeatInterval;
	type HeartbeatTimeout = HeartbeatTimeout;
	type MaxLivenessChecksPerBlock = ConstU32<MAX_LIVENESS_CHECKS>;
	type MaxIndexScan = ConstU32<MAX_INDEX_SCAN>;
	type ReputationHalfLife = ReputationHalfLife;
	type MinReputationValue = MinReputationValue;
	type ReputationValueUnit = ReputationValueUnit;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockStake;
}

/// A profile: `count` cards of `vram_gib` GiB in `region`, 100 int8 TOPS and 50 fp16 TFLOPS
/// each, 64 GiB of host memory, running `MatMulI8` and opaque jobs (no enclave).
pub fn profile(vram_gib: u32, count: u32, region: Region) -> HardwareProfileOf<Test> {
	HardwareProfile {
		gpu: GpuSpec {
			model: BoundedVec::truncate_from(b"NVIDIA GeForce RTX 4090".to_vec()),
			vram_mib: vram_gib * 1024,
			count,
			fp16_tflops: 50,
			int8_tops: 100,
		},
		cpu_cores: 16,
		ram_mib: 64 * 1024,
		disk_gib: 1_000,
		bandwidth_mbps: 1_000,
		region,
		capabilities: Capabilities { matmul_i8: true, opaque: true, enclave: false },
	}
}

pub fn endpoint(url: &str) -> BoundedVec<u8, ConstU32<128>> {
	BoundedVec::truncate_from(url.as_bytes().to_vec())
}

/// The worker key of provider `p` in these tests.
pub fn worker_of(p: AccountId) -> AccountId {
	p + 1_000
}

#[derive(Default)]
pub struct ExtBuilder {
	bonds: Vec<(AccountId, Balance)>,
}

impl ExtBuilder {
	/// Gives `who` a bond of `amount` in the mock stake pallet.
	pub fn bond(mut self, who: AccountId, amount: Balance) -> Self {
		self.bonds.push((who, amount));
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		BONDS.with(|b| b.borrow_mut().clear());
		FREE.with(|f| f.borrow_mut().clear());
		SLASHES.with(|s| s.borrow_mut().clear());
		for (who, amount) in self.bonds {
			MockStake::set_bond(who, amount);
		}
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: (1..=FUNDED).map(|who| (who, INITIAL)).collect(),
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Providers::do_try_state().expect("invariants hold after the test");
		});
	}
}

/// Runs the hooks of blocks up to `n`.
pub fn run_to_block(n: u64) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Providers::on_initialize(next);
		Providers::do_try_state().expect("invariants hold after every block");
	}
}

//! A runtime with `frame_system`, `pallet_balances` and this pallet; the provider registry is
//! replaced by [`MockObserver`], which records what it is told.

use crate as pallet_stake;
use crate::{HoldReason, StakeParameters};
use core::cell::RefCell;
use frame_support::{
	derive_impl,
	traits::{fungible::InspectHold, ConstU128, ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Perbill};
use tessera_primitives::market::StakeObserver;

pub type AccountId = u64;
pub type Balance = u128;
pub type BlockNumber = u64;
type Block = frame_system::mocking::MockBlock<Test>;

/// Small, so that shares below it are easy to make.
pub const ED: Balance = 10;
/// Receives the treasury's share of slashes; funded with [`ED`] at genesis.
pub const TREASURY: AccountId = 99;
/// Providers, funded at genesis.
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
/// A client and a watcher, funded at genesis.
pub const CLIENT: AccountId = 10;
pub const WATCHER: AccountId = 20;
/// Accounts that do not exist.
pub const NOBODY: AccountId = 30;
pub const NOBODY_ELSE: AccountId = 31;
/// Initial free balance of the funded accounts other than the treasury.
pub const INITIAL: Balance = 10_000;
pub const MAX_CHUNKS: u32 = 4;
pub const UNBONDING_PERIOD: BlockNumber = 10;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Stake: pallet_stake,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<ED>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// What the pallet told the registry.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Notice {
	StakeChanged(AccountId),
	FraudProven(AccountId),
}

thread_local! {
	static NOTICES: RefCell<Vec<Notice>> = const { RefCell::new(Vec::new()) };
	static BUSY: RefCell<Vec<AccountId>> = const { RefCell::new(Vec::new()) };
}

/// Stands in for the provider registry.
pub struct MockObserver;

impl MockObserver {
	/// Everything told so far, oldest first, and forgets it.
	pub fn take() -> Vec<Notice> {
		NOTICES.with(|n| n.take())
	}
}

impl StakeObserver<AccountId> for MockObserver {
	fn stake_changed(who: &AccountId) {
		NOTICES.with(|n| n.borrow_mut().push(Notice::StakeChanged(*who)));
	}
	fn fraud_proven(who: &AccountId) {
		NOTICES.with(|n| n.borrow_mut().push(Notice::FraudProven(*who)));
	}
	fn has_active_jobs(who: &AccountId) -> bool {
		BUSY.with(|b| b.borrow().contains(who))
	}
}

/// Marks `who` as having (`true`) or not having jobs assigned, for the observer.
pub fn set_busy(who: AccountId, busy: bool) {
	BUSY.with(|b| {
		let mut b = b.borrow_mut();
		b.retain(|w| *w != who);
		if busy {
			b.push(who);
		}
	});
}

impl pallet_stake::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Observer = MockObserver;
	type Treasury = ConstU64<TREASURY>;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MaxUnbondingChunks = ConstU32<MAX_CHUNKS>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

/// The parameters of the tests: round fractions, a different one per reason.
pub fn test_params() -> StakeParameters<Balance, BlockNumber> {
	StakeParameters {
		min_bond_per_gpu: 100,
		unbonding_period: UNBONDING_PERIOD,
		fraud_slash: Perbill::from_percent(50),
		dissent_slash: Perbill::from_percent(20),
		missed_deadline_slash: Perbill::from_percent(10),
		missed_heartbeats_slash: Perbill::from_percent(5),
		client_share: Perbill::from_percent(50),
		watcher_share: Perbill::from_percent(20),
	}
}

/// Free balance of `who`.
pub fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// What `who` has held as stake.
pub fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Stake(HoldReason::Staked), &who)
}

/// Total issuance.
pub fn issuance() -> Balance {
	Balances::total_issuance()
}

pub struct ExtBuilder {
	balances: Vec<(AccountId, Balance)>,
	params: StakeParameters<Balance, BlockNumber>,
	treasury_funded: bool,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			balances: vec![(ALICE, INITIAL), (BOB, INITIAL), (CLIENT, INITIAL), (WATCHER, INITIAL)],
			params: test_params(),
			treasury_funded: true,
		}
	}
}

impl ExtBuilder {
	/// Replaces the genesis balances (the treasury is funded regardless).
	pub fn balances(mut self, balances: Vec<(AccountId, Balance)>) -> Self {
		self.balances = balances;
		self
	}

	/// Replaces the genesis parameters.
	pub fn params(mut self, params: StakeParameters<Balance, BlockNumber>) -> Self {
		self.params = params;
		self
	}

	/// Leaves the treasury account unfunded, breaking the precondition of `Config::Treasury`.
	pub fn treasury_unfunded(mut self) -> Self {
		self.treasury_funded = false;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let mut balances = self.balances;
		if self.treasury_funded {
			balances.push((TREASURY, ED));
		}
		pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		pallet_stake::GenesisConfig::<Test> { params: self.params }
			.assimilate_storage(&mut storage)
			.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			// Events are only recorded from block 1 on.
			System::set_block_number(1);
			MockObserver::take();
			BUSY.with(|b| b.borrow_mut().clear());
		});
		ext
	}

	/// Runs `test`, then checks the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Stake::do_try_state().unwrap();
		});
	}
}

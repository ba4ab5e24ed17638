//! A runtime with `frame_system`, `pallet_balances` and this pallet. Its neighbours are mocks
//! that the tests set and read directly:
//!
//! - [`MockRegistry`] stands in for the provider registry: a table of providers (worker key,
//!   price, free job slots) and a log of the reputation outcomes it was told. It ignores a job's
//!   hardware requirements: every registered provider that asks at most the job's price fits
//!   (whether it has a free slot is `job_assigned`'s business, as in the real registry's race).
//! - [`MockAttestations`] stands in for the registry's attestation flag: a log of the
//!   `set_attested` calls; it refuses accounts that are not registered providers.
//! - [`MockJobs`] plays the jobs pallet: it hands receipts and challenges to the pallet, and
//!   is its [`VerdictSink`]: it records each verdict it is told (and the block) and then calls
//!   `closed`, exactly as `pallets/jobs/src/market_impls.rs` does. [`run_to_block`] runs the
//!   pallet's own hook, which looks at the checks due.
//!
//! Block hashes: [`run_to_block`] initialises every block with a parent hash that differs per
//! block ([`block_hash_of`]), since the pallet draws its samples from them.

use crate as pallet_proofs;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Get},
	weights::Weight,
};
use frame_system::EnsureRoot;
use sp_core::{sr25519, H256};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};
use std::collections::BTreeMap;
use tessera_primitives::{
	jobs::{JobId, JobSpec, Receipt, Verdict, VerdictSink, Verifier},
	market::{
		AttestationRegistry, Candidate, Collateral, Needs, Outcome, ProviderRegistry,
		ReputationRecorder, SlashOutcome, SlashReason,
	},
};

pub type AccountId = u64;
pub type Balance = u128;
pub type BlockNumber = u64;
type Block = frame_system::mocking::MockBlock<Test>;

/// Existential deposit: 1, so that any payment can open an account.
pub const ED: Balance = 1;

/// Clients and watchers, funded with [`INITIAL`].
pub const CLIENT: AccountId = 1;
pub const WATCHER: AccountId = 2;
/// Funded with [`POOR_BALANCE`]: less than a challenge bond.
pub const POOR: AccountId = 3;
/// Providers (cold accounts), funded with [`STAKE`] and registered by default at
/// [`ALICE_PRICE`] ..= [`EVE_PRICE`], each with worker key [`worker_of`] and [`SLOTS`] slots.
pub const ALICE: AccountId = 11;
pub const BOB: AccountId = 12;
pub const CHARLIE: AccountId = 13;
pub const DAVE: AccountId = 14;
pub const EVE: AccountId = 15;
/// Not funded, not a provider, not a worker.
pub const NOBODY: AccountId = 50;

pub const INITIAL: Balance = 1_000_000;
pub const STAKE: Balance = 10_000;
pub const POOR_BALANCE: Balance = 50;
pub const ALICE_PRICE: Balance = 5;
pub const BOB_PRICE: Balance = 6;
pub const CHARLIE_PRICE: Balance = 7;
pub const DAVE_PRICE: Balance = 8;
pub const EVE_PRICE: Balance = 9;
/// Job slots each provider of the default table has free.
pub const SLOTS: u32 = 2;

// The pallet's constants in this runtime.
pub const RANDOMNESS_DELAY: BlockNumber = 3;
pub const SPOT_CHECK_SAMPLES: u32 = 8;
pub const AUDIT_SAMPLES: u32 = 4;
pub const RESPONSE_WINDOW: BlockNumber = 10;
pub const CHALLENGE_WINDOW: BlockNumber = 10;
pub const CHALLENGE_BOND: Balance = 100;
pub const EXECUTORS: u32 = 3;
pub const REEXECUTION_WINDOW: BlockNumber = 20;
pub const EXECUTOR_TRIES: u32 = 8;
pub const EXECUTOR_COLLATERAL: Balance = 10;
pub const EXECUTOR_SHARE_PERCENT: u32 = 50;
pub const REPLICATION_POLL: BlockNumber = 5;
pub const REVEAL_WINDOW: BlockNumber = 3;
pub const DISPUTE_POLL: BlockNumber = 10;
/// Blocks after a job's deadline the dispute origin has to decide its disputes.
pub const DISPUTE_PERIOD: BlockNumber = 50;
pub const MAX_REPLICAS: u32 = 8;
pub const MAX_AUTHORITIES: u32 = 4;
pub const MAX_MEASUREMENTS: u32 = 4;

/// What [`MockRegistry`] says one `cheapest` query weighs.
pub const CHEAPEST_WEIGHT: Weight = Weight::from_parts(1_000, 10);

/// The worker key of provider `p` in these tests.
pub const fn worker_of(p: AccountId) -> AccountId {
	p + 100
}

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Proofs: pallet_proofs,
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

parameter_types! {
	pub const ExecutorShare: Perbill = Perbill::from_percent(EXECUTOR_SHARE_PERCENT);
}

thread_local! {
	static AUDIT_CHANCE: RefCell<Perbill> = const { RefCell::new(Perbill::zero()) };
}

/// [`crate::Config::AuditChance`]: 0% unless a test sets it ([`ExtBuilder::audit_chance`],
/// [`AuditChance::set`]).
pub struct AuditChance;

impl AuditChance {
	pub fn set(chance: Perbill) {
		AUDIT_CHANCE.with(|c| *c.borrow_mut() = chance);
	}
}

impl Get<Perbill> for AuditChance {
	fn get() -> Perbill {
		AUDIT_CHANCE.with(|c| *c.borrow())
	}
}

impl pallet_proofs::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = MockRegistry;
	type Collateral = MockCollateral;
	type Verdicts = MockJobs;
	type Attestations = MockAttestations;
	type AttestationOrigin = EnsureRoot<AccountId>;
	type DisputeOrigin = EnsureRoot<AccountId>;
	type RandomnessDelay = ConstU64<RANDOMNESS_DELAY>;
	type SpotCheckSamples = ConstU32<SPOT_CHECK_SAMPLES>;
	type AuditSamples = ConstU32<AUDIT_SAMPLES>;
	type AuditChance = AuditChance;
	type ResponseWindow = ConstU64<RESPONSE_WINDOW>;
	type ChallengeWindow = ConstU64<CHALLENGE_WINDOW>;
	type ChallengeBond = ConstU128<CHALLENGE_BOND>;
	type Executors = ConstU32<EXECUTORS>;
	type ExecutorDrawTries = ConstU32<EXECUTOR_TRIES>;
	type ExecutorCollateral = ConstU128<EXECUTOR_COLLATERAL>;
	type ReexecutionWindow = ConstU64<REEXECUTION_WINDOW>;
	type ExecutorShare = ExecutorShare;
	type ReplicationPoll = ConstU64<REPLICATION_POLL>;
	type RevealWindow = ConstU64<REVEAL_WINDOW>;
	type DisputePoll = ConstU64<DISPUTE_POLL>;
	type DisputePeriod = ConstU64<DISPUTE_PERIOD>;
	type MaxLooksPerBlock = ConstU32<64>;
	type MaxReplicas = ConstU32<MAX_REPLICAS>;
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxMeasurements = ConstU32<MAX_MEASUREMENTS>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockRegistry;
}

// ---- MockRegistry ----------------------------------------------------------------------------

/// A provider in [`MockRegistry`]'s table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MockProvider {
	pub worker: AccountId,
	pub price: Balance,
	/// Job slots not taken.
	pub free_slots: u32,
	/// Job slots taken (by `job_assigned`, given back by `job_released`).
	pub busy: u32,
	/// The block it registered in.
	pub registered_at: BlockNumber,
}

/// The arguments of one [`MockRegistry`] draw.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Draw {
	pub count: u32,
	pub tries: u32,
	pub exclude: Vec<AccountId>,
	pub registered_before: BlockNumber,
	pub seed: [u8; 32],
}

thread_local! {
	static DRAWS: RefCell<Vec<Draw>> = const { RefCell::new(Vec::new()) };
	static PROVIDERS: RefCell<BTreeMap<AccountId, MockProvider>> =
		const { RefCell::new(BTreeMap::new()) };
	static OUTCOMES: RefCell<Vec<(AccountId, Outcome)>> = const { RefCell::new(Vec::new()) };
}

/// Stands in for the provider registry.
pub struct MockRegistry;

impl MockRegistry {
	/// Registers (or replaces) `provider` with worker key [`worker_of`]`(provider)`, `price`
	/// and [`SLOTS`] free slots.
	pub fn add(provider: AccountId, price: Balance) {
		Self::insert(
			provider,
			MockProvider {
				worker: worker_of(provider),
				price,
				free_slots: SLOTS,
				busy: 0,
				registered_at: 0,
			},
		);
	}
	pub fn insert(provider: AccountId, entry: MockProvider) {
		PROVIDERS.with(|p| p.borrow_mut().insert(provider, entry));
	}
	/// Deregisters `provider`: its worker key no longer signs for it.
	pub fn remove(provider: AccountId) {
		PROVIDERS.with(|p| p.borrow_mut().remove(&provider));
	}
	pub fn get(provider: AccountId) -> Option<MockProvider> {
		PROVIDERS.with(|p| p.borrow().get(&provider).copied())
	}
	pub fn set_free_slots(provider: AccountId, free_slots: u32) {
		PROVIDERS.with(|p| {
			p.borrow_mut().get_mut(&provider).expect("a mock provider").free_slots = free_slots
		});
	}
	/// Slots `provider` has taken.
	pub fn busy(provider: AccountId) -> u32 {
		Self::get(provider).map_or(0, |p| p.busy)
	}
	/// Every provider's taken slots, by provider.
	pub fn all_busy() -> BTreeMap<AccountId, u32> {
		PROVIDERS.with(|p| p.borrow().iter().map(|(who, p)| (*who, p.busy)).collect())
	}
	/// Every executor draw so far, oldest first.
	pub fn draws() -> Vec<Draw> {
		DRAWS.with(|d| d.borrow().clone())
	}
	/// Every reputation outcome recorded so far, oldest first.
	pub fn outcomes() -> Vec<(AccountId, Outcome)> {
		OUTCOMES.with(|o| o.borrow().clone())
	}
	fn reset() {
		PROVIDERS.with(|p| p.borrow_mut().clear());
		OUTCOMES.with(|o| o.borrow_mut().clear());
		DRAWS.with(|d| d.borrow_mut().clear());
		MockCollateral::reset();
	}
}

impl ProviderRegistry<AccountId, Balance, BlockNumber> for MockRegistry {
	fn cheapest(
		_needs: &Needs<Balance, BlockNumber>,
		max_price_per_unit: Balance,
		count: u32,
		exclude: &[AccountId],
	) -> Vec<Candidate<AccountId, Balance>> {
		let mut fits: Vec<_> = PROVIDERS.with(|p| {
			p.borrow()
				.iter()
				.filter(|(who, p)| p.price <= max_price_per_unit && !exclude.contains(who))
				.map(|(who, p)| Candidate {
					provider: *who,
					worker: p.worker,
					price_per_unit: p.price,
				})
				.collect()
		});
		fits.sort_by_key(|c| (c.price_per_unit, c.provider));
		fits.truncate(count as usize);
		fits
	}

	fn cheapest_weight() -> Weight {
		CHEAPEST_WEIGHT
	}

	/// The first `count` that registered before `registered_before` of the `tries` cheapest,
	/// cheapest first (the random draw is the registry's, tested there); the arguments are
	/// logged ([`MockRegistry::draws`]).
	fn draw(
		needs: &Needs<Balance, BlockNumber>,
		max_price_per_unit: Balance,
		count: u32,
		tries: u32,
		exclude: &[AccountId],
		registered_before: BlockNumber,
		seed: &[u8; 32],
	) -> Vec<Candidate<AccountId, Balance>> {
		DRAWS.with(|d| {
			d.borrow_mut().push(Draw {
				count,
				tries,
				exclude: exclude.to_vec(),
				registered_before,
				seed: *seed,
			})
		});
		let mut drawn = Self::cheapest(needs, max_price_per_unit, tries, exclude);
		drawn
			.retain(|c| Self::get(c.provider).is_some_and(|p| p.registered_at < registered_before));
		drawn.truncate(count as usize);
		drawn
	}

	fn draw_weight(_tries: u32) -> Weight {
		CHEAPEST_WEIGHT
	}

	fn provider_of_worker(worker: &AccountId) -> Option<AccountId> {
		PROVIDERS
			.with(|p| p.borrow().iter().find(|(_, p)| p.worker == *worker).map(|(who, _)| *who))
	}

	fn worker_of(provider: &AccountId) -> Option<AccountId> {
		Self::get(*provider).map(|p| p.worker)
	}

	fn job_assigned(provider: &AccountId) -> DispatchResult {
		PROVIDERS.with(|p| {
			let mut p = p.borrow_mut();
			let entry = p.get_mut(provider).ok_or(DispatchError::Other("not a provider"))?;
			if entry.free_slots == 0 {
				return Err(DispatchError::Other("no free slot"));
			}
			entry.free_slots -= 1;
			entry.busy += 1;
			Ok(())
		})
	}

	fn job_released(provider: &AccountId) -> DispatchResult {
		PROVIDERS.with(|p| {
			let mut p = p.borrow_mut();
			let entry = p.get_mut(provider).ok_or(DispatchError::Other("not a provider"))?;
			if entry.busy == 0 {
				return Err(DispatchError::Other("no job to release"));
			}
			entry.busy -= 1;
			entry.free_slots += 1;
			Ok(())
		})
	}

	fn is_banned(_provider: &AccountId) -> bool {
		false
	}
}

impl ReputationRecorder<AccountId> for MockRegistry {
	fn record(provider: &AccountId, outcome: Outcome, _value: u128) {
		OUTCOMES.with(|o| o.borrow_mut().push((*provider, outcome)));
	}
}

/// Registers `count` providers `10_000 + i` with worker key `20_000 + i`, asking `max_price`,
/// each with one free slot, funded with [`STAKE`] (and their workers too).
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockRegistry {
	fn providers(count: u32, max_price: u128) -> Vec<(AccountId, AccountId)> {
		use frame_support::traits::fungible::Mutate;
		const BENCH_PROVIDER: AccountId = 10_000;
		const BENCH_WORKER: AccountId = 20_000;
		// The benchmark test suite runs several component values in one externality, whose
		// storage is reset between them but this table is not: start from none.
		PROVIDERS.with(|p| p.borrow_mut().retain(|account, _| *account < BENCH_PROVIDER));
		(0..count)
			.map(|i| {
				let provider = BENCH_PROVIDER + AccountId::from(i);
				let worker = BENCH_WORKER + AccountId::from(i);
				Self::insert(
					provider,
					MockProvider {
						worker,
						price: max_price,
						free_slots: 1,
						busy: 0,
						registered_at: 0,
					},
				);
				Balances::set_balance(&provider, STAKE);
				Balances::set_balance(&worker, STAKE);
				(provider, worker)
			})
			.collect()
	}
}

// ---- MockCollateral --------------------------------------------------------------------------

thread_local! {
	static COMMITTED: RefCell<BTreeMap<AccountId, Balance>> =
		const { RefCell::new(BTreeMap::new()) };
	static FREE_STAKE: RefCell<BTreeMap<AccountId, Balance>> =
		const { RefCell::new(BTreeMap::new()) };
	static COLLATERAL_SLASHES: RefCell<Vec<(AccountId, Balance, SlashReason)>> =
		const { RefCell::new(Vec::new()) };
}

/// The free stake every account has in [`MockCollateral`] unless a test sets another.
pub const FREE_STAKE_DEFAULT: Balance = 1_000;

/// Stands in for the stake pallet's collateral: what each account set aside, from a free stake
/// of [`FREE_STAKE_DEFAULT`] (or what [`MockCollateral::set_free_stake`] says), and the
/// collateral slashes taken. It moves no balances.
pub struct MockCollateral;

impl MockCollateral {
	pub fn set_free_stake(who: AccountId, amount: Balance) {
		FREE_STAKE.with(|f| f.borrow_mut().insert(who, amount));
	}
	/// Every collateral slash taken so far: (who, amount, reason), oldest first.
	pub fn slashes() -> Vec<(AccountId, Balance, SlashReason)> {
		COLLATERAL_SLASHES.with(|s| s.borrow().clone())
	}
	/// What every account has set aside, by account (none listed at zero).
	pub fn all_committed() -> BTreeMap<AccountId, Balance> {
		COMMITTED
			.with(|c| c.borrow().iter().filter(|(_, a)| **a > 0).map(|(w, a)| (*w, *a)).collect())
	}
	fn reset() {
		COMMITTED.with(|c| c.borrow_mut().clear());
		FREE_STAKE.with(|f| f.borrow_mut().clear());
		COLLATERAL_SLASHES.with(|s| s.borrow_mut().clear());
	}
}

impl Collateral<AccountId, Balance> for MockCollateral {
	fn reserve(who: &AccountId, amount: Balance) -> DispatchResult {
		let free = FREE_STAKE.with(|f| f.borrow().get(who).copied().unwrap_or(FREE_STAKE_DEFAULT));
		let committed = Self::committed(who);
		if free.saturating_sub(committed) < amount {
			return Err(DispatchError::Other("free stake below the collateral"));
		}
		COMMITTED.with(|c| *c.borrow_mut().entry(*who).or_default() += amount);
		Ok(())
	}
	fn release(who: &AccountId, amount: Balance) {
		COMMITTED.with(|c| {
			let mut c = c.borrow_mut();
			let entry = c.entry(*who).or_default();
			*entry = entry.saturating_sub(amount);
		});
	}
	fn slash_collateral(
		who: &AccountId,
		amount: Balance,
		reason: SlashReason,
		_harmed: Option<(&AccountId, Balance)>,
		_watcher: Option<&AccountId>,
	) -> Result<SlashOutcome<Balance>, DispatchError> {
		let taken = amount.min(Self::committed(who));
		Self::release(who, taken);
		COLLATERAL_SLASHES.with(|s| s.borrow_mut().push((*who, taken, reason)));
		Ok(SlashOutcome { slashed: taken, to_client: 0, to_watcher: 0, to_treasury: taken })
	}
	fn committed(who: &AccountId) -> Balance {
		COMMITTED.with(|c| c.borrow().get(who).copied().unwrap_or(0))
	}
}

// ---- MockAttestations ------------------------------------------------------------------------

thread_local! {
	static ATTESTED: RefCell<Vec<(AccountId, Option<BlockNumber>)>> =
		const { RefCell::new(Vec::new()) };
}

/// Stands in for the registry's attestation flag.
pub struct MockAttestations;

/// The error [`MockAttestations`] refuses accounts that are not providers with.
pub const NOT_A_PROVIDER: DispatchError = DispatchError::Other("not a provider");

impl MockAttestations {
	/// Every `set_attested` call that was taken, oldest first.
	pub fn calls() -> Vec<(AccountId, Option<BlockNumber>)> {
		ATTESTED.with(|a| a.borrow().clone())
	}
	fn reset() {
		ATTESTED.with(|a| a.borrow_mut().clear());
	}
}

impl AttestationRegistry<AccountId, BlockNumber> for MockAttestations {
	fn set_attested(provider: &AccountId, until: Option<BlockNumber>) -> DispatchResult {
		if MockRegistry::get(*provider).is_none() {
			return Err(NOT_A_PROVIDER);
		}
		ATTESTED.with(|a| a.borrow_mut().push((*provider, until)));
		Ok(())
	}
}

// ---- MockJobs --------------------------------------------------------------------------------

/// A verdict with this runtime's types.
pub type VerdictOf = Verdict<AccountId>;
/// A job spec with this runtime's types.
pub type SpecOf = JobSpec<Balance, BlockNumber>;

/// What [`MockJobs`] says a settlement weighs.
pub const DECIDED_WEIGHT: Weight = Weight::from_parts(5_000_000, 0);

thread_local! {
	/// The verdict of each replica and the block it was told in.
	static VERDICTS: RefCell<BTreeMap<(JobId, u32), (VerdictOf, BlockNumber)>> =
		const { RefCell::new(BTreeMap::new()) };
	/// Every `(job, replica)` a verdict was told for, oldest first.
	static TOLD: RefCell<Vec<(JobId, u32)>> = const { RefCell::new(Vec::new()) };
}

/// Plays the jobs pallet: see the module documentation.
pub struct MockJobs;

impl MockJobs {
	/// `provider` submits `receipt` for replica `replica` of `job`: hands it to the pallet.
	/// Returns the block the pallet first looks at it in.
	pub fn submit(
		job: JobId,
		replica: u32,
		provider: AccountId,
		spec: &SpecOf,
		receipt: &Receipt,
	) -> Result<BlockNumber, DispatchError> {
		<Proofs as Verifier<_, _, _>>::receipt_submitted(
			job, replica, &provider, &CLIENT, spec, receipt,
		)
	}

	/// `challenger` challenges replica `replica` of `job`: forwards it to the pallet. Returns
	/// the block the pallet looks at it next.
	pub fn challenge(
		job: JobId,
		replica: u32,
		challenger: AccountId,
	) -> Result<BlockNumber, DispatchError> {
		<Proofs as Verifier<_, _, _>>::challenge(job, replica, &challenger)
	}

	/// The client accepts replica `replica` of `job` early, as `jobs.accept` does: refused if
	/// the verifier refuses; otherwise the pallet is told the receipt is closed.
	pub fn accept(job: JobId, replica: u32) -> DispatchResult {
		<Proofs as Verifier<_, _, _>>::may_accept(job, replica)?;
		<Proofs as Verifier<_, _, _>>::closed(job, replica);
		Ok(())
	}

	/// The pallet's hook is behind: the next look at replica `replica` of `job` comes at `at`
	/// instead.
	pub fn postpone(job: JobId, replica: u32, at: BlockNumber) {
		crate::agenda::schedule::<Test>(job, replica, at);
	}

	/// The block the next look at replica `replica` of `job` is scheduled at, while it is open.
	pub fn due(job: JobId, replica: u32) -> Option<BlockNumber> {
		crate::NextLook::<Test>::get(job, replica)
	}

	/// The verdict told for replica `replica` of `job` and the block it was told in.
	pub fn verdict(job: JobId, replica: u32) -> Option<(VerdictOf, BlockNumber)> {
		VERDICTS.with(|v| v.borrow().get(&(job, replica)).cloned())
	}

	/// Every `(job, replica)` a verdict was told for so far, oldest first.
	pub fn told() -> Vec<(JobId, u32)> {
		TOLD.with(|t| t.borrow().clone())
	}

	/// Runs blocks until the verdict of replica `replica` of `job` is told; returns it.
	pub fn settle(job: JobId, replica: u32) -> VerdictOf {
		loop {
			if let Some((verdict, _)) = Self::verdict(job, replica) {
				return verdict;
			}
			let at = Self::due(job, replica).expect("a submitted replica");
			run_to_block(at);
		}
	}

	fn reset() {
		VERDICTS.with(|v| v.borrow_mut().clear());
		TOLD.with(|t| t.borrow_mut().clear());
	}
}

impl VerdictSink<AccountId> for MockJobs {
	fn decided(job: JobId, replica: u32, verdict: VerdictOf) -> Weight {
		let now = System::block_number();
		TOLD.with(|t| t.borrow_mut().push((job, replica)));
		VERDICTS.with(|v| v.borrow_mut().insert((job, replica), (verdict, now)));
		<Proofs as Verifier<_, _, _>>::closed(job, replica);
		DECIDED_WEIGHT
	}
	fn decided_weight() -> Weight {
		DECIDED_WEIGHT
	}
}

// ---- Externalities ---------------------------------------------------------------------------

/// The default externalities: funded clients and providers, Alice to Eve registered in
/// [`MockRegistry`], no attestation authority or measurement, audits at 0%.
pub struct ExtBuilder {
	balances: Vec<(AccountId, Balance)>,
	providers: Vec<(AccountId, Balance)>,
	authorities: Vec<sr25519::Public>,
	measurements: Vec<H256>,
	audit_chance: Perbill,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			balances: vec![
				(CLIENT, INITIAL),
				(WATCHER, INITIAL),
				(POOR, POOR_BALANCE),
				(ALICE, STAKE),
				(BOB, STAKE),
				(CHARLIE, STAKE),
				(DAVE, STAKE),
				(EVE, STAKE),
			],
			providers: vec![
				(ALICE, ALICE_PRICE),
				(BOB, BOB_PRICE),
				(CHARLIE, CHARLIE_PRICE),
				(DAVE, DAVE_PRICE),
				(EVE, EVE_PRICE),
			],
			authorities: vec![],
			measurements: vec![],
			audit_chance: Perbill::zero(),
		}
	}
}

impl ExtBuilder {
	/// Replaces the providers registered in [`MockRegistry`]: `(provider, price)`, each with
	/// worker key [`worker_of`]`(provider)` and [`SLOTS`] slots.
	pub fn providers(mut self, providers: Vec<(AccountId, Balance)>) -> Self {
		self.providers = providers;
		self
	}
	/// Attestation authorities at genesis.
	pub fn authorities(mut self, authorities: Vec<sr25519::Public>) -> Self {
		self.authorities = authorities;
		self
	}
	/// Allowed code measurements at genesis.
	pub fn measurements(mut self, measurements: Vec<H256>) -> Self {
		self.measurements = measurements;
		self
	}
	/// The chance of a random audit.
	pub fn audit_chance(mut self, chance: Perbill) -> Self {
		self.audit_chance = chance;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		MockRegistry::reset();
		MockAttestations::reset();
		MockJobs::reset();
		AuditChance::set(self.audit_chance);
		for (provider, price) in self.providers {
			MockRegistry::add(provider, price);
		}
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> { balances: self.balances, ..Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		pallet_proofs::GenesisConfig::<Test> {
			authorities: self.authorities,
			measurements: self.measurements,
			_marker: Default::default(),
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		// Events are only recorded from block 1 on.
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks the pallet's invariants, that no money was created or
	/// destroyed, and that every executor slot the pallet booked is still in use.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			let issuance = Balances::total_issuance();
			test();
			Proofs::do_try_state().expect("invariants hold after the test");
			assert_eq!(Balances::total_issuance(), issuance, "the test changed the issuance");
			assert_eq!(total_of_all_accounts(), issuance, "accounts do not add up to the issuance");
			assert_eq!(
				MockRegistry::all_busy(),
				booked_executor_slots(),
				"the slots taken differ from the executors of running re-executions"
			);
			let committed: BTreeMap<AccountId, Balance> = MockCollateral::all_committed();
			for (who, amount) in &committed {
				assert_eq!(Proofs::executor_collateral(who), *amount, "collateral of {who}");
			}
			for (who, _) in MockRegistry::all_busy() {
				assert_eq!(
					Proofs::executor_collateral(&who),
					committed.get(&who).copied().unwrap_or(0),
					"collateral of {who}"
				);
			}
		});
	}
}

/// The externalities of the benchmark test suite: the default accounts, no provider registered
/// (the benchmarks register theirs through [`crate::BenchmarkHelper`]).
pub fn new_test_ext() -> sp_io::TestExternalities {
	ExtBuilder::default().providers(vec![]).build()
}

/// Free plus reserved (held) balance of every account.
pub fn total_of_all_accounts() -> Balance {
	frame_system::Account::<Test>::iter().map(|(_, a)| a.data.free + a.data.reserved).sum()
}

/// For each registered provider, the executor slots running re-executions hold of it.
pub fn booked_executor_slots() -> BTreeMap<AccountId, u32> {
	let mut booked: BTreeMap<AccountId, u32> =
		MockRegistry::all_busy().into_keys().map(|who| (who, 0)).collect();
	for (_, _, check) in crate::Checks::<Test>::iter() {
		if let crate::Stage::Reexecution { executors, .. } = check.stage {
			for executor in executors {
				*booked.entry(executor.provider).or_default() += 1;
			}
		}
	}
	booked
}

/// The hash [`run_to_block`] gives block `b` (the parent hash of block `b + 1`).
pub fn block_hash_of(b: BlockNumber) -> H256 {
	H256(sp_io::hashing::blake2_256(&b.to_le_bytes()))
}

/// Builds every block up to `n`: initialises it with the previous block's hash
/// ([`block_hash_of`]), runs the jobs pallet's hook ([`MockJobs::on_initialize`]) and checks
/// the invariants.
pub fn run_to_block(n: BlockNumber) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		let parent = System::block_number();
		let b = parent + 1;
		System::initialize(&b, &block_hash_of(parent), &Default::default());
		Proofs::on_initialize(b);
		Proofs::do_try_state().expect("invariants hold after every block");
	}
}

//! A runtime with `frame_system`, `pallet_balances` and this pallet. Its neighbours are mocks
//! that the tests set and read directly:
//!
//! - [`MockRegistry`] stands in for the provider registry: a table of providers (worker key,
//!   price, free job slots, whether it is eligible) and a log of the reputation outcomes it was
//!   told. It ignores a job's hardware requirements: every eligible provider with a free slot
//!   fits.
//! - [`MockStake`] stands in for the stake pallet. A provider's "stake" is simply its free
//!   balance: a fraud slash moves [`FRAUD_SLASH`] (at most what the provider can pay and stay
//!   alive) from the provider to the harmed client (half), the watcher (a fifth) and the
//!   treasury (the rest), with real transfers, so that no money is created or destroyed, and
//!   bans the provider in [`MockRegistry`]. Collateral is a per-provider count of what is set
//!   aside out of that balance; taking collateral moves it the same way, with the client's
//!   half capped as the pallet asks.
//! - [`MockVerifier`] stands in for the proofs pallet, and like it pushes its verdicts: it
//!   schedules a look at each receipt `window` blocks after it (and `challenge_delay` after a
//!   challenge), and in its own hook, which [`run_to_block`] runs after the jobs pallet's as the
//!   runtime does, answers each look due with the replica's next scripted [`Look`] or the
//!   default one: pending (look again later) or a verdict, which it pushes to
//!   [`VerdictSink::decided`]. It also says whether it takes challenges, and logs what it was
//!   asked and every look.

use crate as pallet_jobs;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::{Fortitude, Preservation},
		ConstU128, ConstU32, ConstU64, Hooks,
	},
	weights::Weight,
};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};
use std::collections::{BTreeMap, VecDeque};
use tessera_primitives::{
	jobs::{JobId, JobSpec, Receipt, Verdict, VerdictSink, Verifier},
	market::{
		Candidate, Collateral, Needs, Outcome, ProviderRegistry, ReputationRecorder, SlashOutcome,
		SlashReason, Slashing,
	},
};

pub type AccountId = u64;
pub type Balance = u128;
pub type BlockNumber = u64;
type Block = frame_system::mocking::MockBlock<Test>;

/// Existential deposit: 1, so that any payment can open an account.
pub const ED: Balance = 1;
/// Receives the protocol fee and the treasury's share of slashes; funded with [`ED`].
pub const TREASURY: AccountId = 99;
/// Clients, funded with [`INITIAL`].
pub const CLIENT: AccountId = 1;
pub const CLIENT2: AccountId = 2;
/// Providers (cold accounts), funded with [`STAKE`]; [`ExtBuilder::market`] registers them in
/// [`MockRegistry`] at [`ALICE_PRICE`], [`BOB_PRICE`] and [`CHARLIE_PRICE`].
pub const ALICE: AccountId = 11;
pub const BOB: AccountId = 12;
pub const CHARLIE: AccountId = 13;
/// Not funded, not a worker; a provider only in the tests that register a fourth one.
pub const NOBODY: AccountId = 50;
/// Initial free balance of the clients.
pub const INITIAL: Balance = 1_000_000;
/// Initial free balance of the providers: what the mock slashes from.
pub const STAKE: Balance = 10_000;
pub const ALICE_PRICE: Balance = 5;
pub const BOB_PRICE: Balance = 6;
pub const CHARLIE_PRICE: Balance = 7;
/// Job slots each provider of the default table has.
pub const SLOTS: u32 = 2;

pub const ACK_TIMEOUT: BlockNumber = 5;
pub const MIN_DEADLINE: BlockNumber = 10;
pub const MAX_DEADLINE: BlockNumber = 1_000;
pub const MAX_REPLICAS: u32 = 3;
pub const MAX_QUEUED: u32 = 4;
pub const MAX_TIMEOUTS_PER_BLOCK: u32 = 3;
pub const MAX_QUEUE_MATCHES_PER_BLOCK: u32 = 2;
pub const FEE_PERCENT: u32 = 2;
pub const OPEN_JOBS_CAP: u32 = 8;
/// Blocks a closed job is kept before it is pruned.
pub const JOB_RETENTION: BlockNumber = 100;
pub const MAX_PRUNES_PER_BLOCK: u32 = 2;

/// What [`MockStake`] slashes for fraud (if the provider has it).
pub const FRAUD_SLASH: Balance = 1_000;
/// Collateral: 50% of a replica's value, at least [`MIN_COLLATERAL`].
pub const COLLATERAL_PERCENT: u32 = 50;
pub const MIN_COLLATERAL: Balance = 20;
/// A client receives at most this share of a replica's budget from its collateral.
pub const MAX_COMPENSATION_PERCENT: u32 = 50;
/// Milliseconds per block in the mock.
pub const MS_PER_BLOCK: u64 = 6_000;

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
		Jobs: pallet_jobs,
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
	pub const ProtocolFee: Perbill = Perbill::from_percent(FEE_PERCENT);
	pub const CollateralRatio: Perbill = Perbill::from_percent(COLLATERAL_PERCENT);
	pub const MaxCompensation: Perbill = Perbill::from_percent(MAX_COMPENSATION_PERCENT);
}

parameter_types! {
	/// Most jobs one provider has at once: [`SLOTS`], as the default table gives each provider,
	/// unless a test gives a provider more slots (and raises this with it).
	pub static MaxProviderJobs: u32 = SLOTS;
	/// The storage deposit of a job: none unless a test sets one (see `tests/deposits.rs`), so
	/// that the other tests' balances show the escrow alone.
	pub static JobDeposit: Balance = 0;
	/// Most open jobs per client.
	pub static MaxOpenJobsPerClient: u32 = OPEN_JOBS_CAP;
}

impl pallet_jobs::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = MockRegistry;
	type Slasher = MockStake;
	type Collateral = MockStake;
	type Verifier = MockVerifier;
	type Treasury = ConstU64<TREASURY>;
	type ProtocolFee = ProtocolFee;
	type CollateralRatio = CollateralRatio;
	type MinCollateral = ConstU128<MIN_COLLATERAL>;
	type MaxCompensation = MaxCompensation;
	type MillisecsPerBlock = ConstU64<MS_PER_BLOCK>;
	type MaxProviderJobs = MaxProviderJobs;
	type MaxReplicas = ConstU32<MAX_REPLICAS>;
	type AckTimeout = ConstU64<ACK_TIMEOUT>;
	type MinDeadline = ConstU64<MIN_DEADLINE>;
	type MaxDeadline = ConstU64<MAX_DEADLINE>;
	type MaxQueued = ConstU32<MAX_QUEUED>;
	type MaxTimeoutsPerBlock = ConstU32<MAX_TIMEOUTS_PER_BLOCK>;
	type MaxQueueMatchesPerBlock = ConstU32<MAX_QUEUE_MATCHES_PER_BLOCK>;
	type JobDeposit = JobDeposit;
	type MaxOpenJobsPerClient = MaxOpenJobsPerClient;
	type JobRetention = ConstU64<JOB_RETENTION>;
	type MaxPrunesPerBlock = ConstU32<MAX_PRUNES_PER_BLOCK>;
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
	/// Whether it may be matched (online, bonded, not banned).
	pub eligible: bool,
	/// Whether it was proven to have cheated (never matched or paid again).
	pub banned: bool,
}

thread_local! {
	static PROVIDERS: RefCell<BTreeMap<AccountId, MockProvider>> =
		const { RefCell::new(BTreeMap::new()) };
	static OUTCOMES: RefCell<Vec<(AccountId, Outcome, u128)>> =
		const { RefCell::new(Vec::new()) };
	static CHEAPEST_CALLS: RefCell<Vec<(u32, Vec<AccountId>)>> =
		const { RefCell::new(Vec::new()) };
	static LAST_NEEDS: RefCell<Option<Needs<Balance, BlockNumber>>> = const { RefCell::new(None) };
}

/// Stands in for the provider registry.
pub struct MockRegistry;

impl MockRegistry {
	/// Registers (or replaces) `provider` with worker key [`worker_of`]`(provider)`, `price`,
	/// [`SLOTS`] free slots, eligible.
	pub fn add(provider: AccountId, price: Balance) {
		Self::insert(
			provider,
			MockProvider {
				worker: worker_of(provider),
				price,
				free_slots: SLOTS,
				busy: 0,
				eligible: true,
				banned: false,
			},
		);
	}
	pub fn insert(provider: AccountId, entry: MockProvider) {
		PROVIDERS.with(|p| p.borrow_mut().insert(provider, entry));
	}
	/// Deregisters `provider`: its worker key no longer signs for it and its slots are gone.
	pub fn remove(provider: AccountId) {
		PROVIDERS.with(|p| p.borrow_mut().remove(&provider));
	}
	pub fn get(provider: AccountId) -> Option<MockProvider> {
		PROVIDERS.with(|p| p.borrow().get(&provider).copied())
	}
	fn update(provider: AccountId, f: impl FnOnce(&mut MockProvider)) {
		PROVIDERS.with(|p| f(p.borrow_mut().get_mut(&provider).expect("a mock provider")));
	}
	pub fn set_eligible(provider: AccountId, eligible: bool) {
		Self::update(provider, |p| p.eligible = eligible);
	}
	pub fn set_price(provider: AccountId, price: Balance) {
		Self::update(provider, |p| p.price = price);
	}
	pub fn set_free_slots(provider: AccountId, free_slots: u32) {
		Self::update(provider, |p| p.free_slots = free_slots);
	}
	pub fn set_worker(provider: AccountId, worker: AccountId) {
		Self::update(provider, |p| p.worker = worker);
	}
	/// Slots `provider` has taken.
	pub fn busy(provider: AccountId) -> u32 {
		Self::get(provider).map_or(0, |p| p.busy)
	}
	/// Bans `provider`, as the registry does when the stake pallet proves fraud.
	pub fn ban(provider: AccountId) {
		Self::update(provider, |p| {
			p.banned = true;
			p.eligible = false;
		});
	}
	/// Every reputation outcome recorded so far, oldest first.
	pub fn outcomes() -> Vec<(AccountId, Outcome)> {
		OUTCOMES.with(|o| o.borrow().iter().map(|(who, outcome, _)| (*who, *outcome)).collect())
	}
	/// Every reputation outcome recorded so far with the value it came with, oldest first.
	pub fn valued_outcomes() -> Vec<(AccountId, Outcome, u128)> {
		OUTCOMES.with(|o| o.borrow().clone())
	}
	/// The needs of the last `cheapest` call.
	pub fn last_needs() -> Option<Needs<Balance, BlockNumber>> {
		LAST_NEEDS.with(|n| n.borrow().clone())
	}
	/// `(count, exclude)` of every `cheapest` call so far, oldest first.
	pub fn cheapest_calls() -> Vec<(u32, Vec<AccountId>)> {
		CHEAPEST_CALLS.with(|c| c.borrow().clone())
	}
	fn reset() {
		PROVIDERS.with(|p| p.borrow_mut().clear());
		OUTCOMES.with(|o| o.borrow_mut().clear());
		CHEAPEST_CALLS.with(|c| c.borrow_mut().clear());
		LAST_NEEDS.with(|n| *n.borrow_mut() = None);
	}
}

impl ProviderRegistry<AccountId, Balance, BlockNumber> for MockRegistry {
	fn cheapest(
		needs: &Needs<Balance, BlockNumber>,
		max_price_per_unit: Balance,
		count: u32,
		exclude: &[AccountId],
	) -> Vec<Candidate<AccountId, Balance>> {
		CHEAPEST_CALLS.with(|c| c.borrow_mut().push((count, exclude.to_vec())));
		LAST_NEEDS.with(|n| *n.borrow_mut() = Some(needs.clone()));
		let mut fits: Vec<_> = PROVIDERS.with(|p| {
			p.borrow()
				.iter()
				.filter(|(who, p)| {
					p.eligible
						&& p.free_slots > 0
						&& p.price <= max_price_per_unit
						&& !exclude.contains(who)
				})
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

	/// The jobs pallet draws no executors: the first `count` of the pool, as cheapest.
	fn draw(
		needs: &Needs<Balance, BlockNumber>,
		max_price_per_unit: Balance,
		count: u32,
		_tries: u32,
		exclude: &[AccountId],
		_registered_before: BlockNumber,
		_seed: &[u8; 32],
	) -> Vec<Candidate<AccountId, Balance>> {
		Self::cheapest(needs, max_price_per_unit, count, exclude)
	}

	fn draw_weight(_tries: u32) -> Weight {
		Self::cheapest_weight()
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
			if !entry.eligible || entry.free_slots == 0 {
				return Err(DispatchError::Other("not matchable"));
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

	fn is_banned(provider: &AccountId) -> bool {
		Self::get(*provider).is_some_and(|p| p.banned)
	}
}

impl ReputationRecorder<AccountId> for MockRegistry {
	fn record(provider: &AccountId, outcome: Outcome, value: u128) {
		OUTCOMES.with(|o| o.borrow_mut().push((*provider, outcome, value)));
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockRegistry {
	fn providers(count: u32, max_price: u128) -> Vec<(AccountId, AccountId)> {
		// The benchmark test suite runs several component values in one externality, whose
		// storage is reset between them but this table is not: start from none, as the real
		// runtime's benchmarks do.
		PROVIDERS.with(|p| p.borrow_mut().retain(|account, _| *account < 10_000));
		(0..count)
			.map(|i| {
				let provider = 10_000 + AccountId::from(i);
				let worker = 20_000 + AccountId::from(i);
				Self::insert(
					provider,
					MockProvider {
						worker,
						price: max_price,
						free_slots: 1,
						busy: 0,
						eligible: true,
						banned: false,
					},
				);
				// Enough free stake for the collateral of any job at `max_price`.
				Balances::set_balance(&provider, STAKE.max(max_price.saturating_mul(1 << 30)));
				Balances::set_balance(&worker, STAKE);
				(provider, worker)
			})
			.collect()
	}
}

// ---- MockStake -------------------------------------------------------------------------------

/// A slash [`MockStake`] was asked for, and where the money went.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SlashRecord {
	pub who: AccountId,
	pub reason: SlashReason,
	pub harmed: Option<AccountId>,
	pub watcher: Option<AccountId>,
	pub outcome: SlashOutcome<Balance>,
}

thread_local! {
	static SLASHES: RefCell<Vec<SlashRecord>> = const { RefCell::new(Vec::new()) };
	static SLASH_FAILS: RefCell<bool> = const { RefCell::new(false) };
	static COMMITTED: RefCell<BTreeMap<AccountId, Balance>> =
		const { RefCell::new(BTreeMap::new()) };
}

/// The error [`MockStake`] fails with when told to.
pub const SLASH_FAILED: DispatchError = DispatchError::Other("slash failed");

/// Stands in for the stake pallet; see the module documentation.
pub struct MockStake;

impl MockStake {
	/// What the provider's stake (its balance) has free for new collateral.
	pub fn free_stake(who: AccountId) -> Balance {
		Balances::reducible_balance(&who, Preservation::Preserve, Fortitude::Polite)
			.saturating_sub(<Self as Collateral<_, _>>::committed(&who))
	}
	/// Moves `slashed` from `who` to the client, watcher (if any) and the treasury, and logs
	/// it; fails after moving the money when told to.
	fn take(
		who: &AccountId,
		reason: SlashReason,
		slashed: Balance,
		harmed: Option<(&AccountId, Balance)>,
		watcher: Option<&AccountId>,
	) -> Result<SlashOutcome<Balance>, DispatchError> {
		let to_client = harmed.map_or(0, |(_, cap)| (slashed / 2).min(cap));
		let to_watcher = if watcher.is_some() { slashed / 5 } else { 0 };
		let to_treasury = slashed - to_client - to_watcher;
		let shares = [
			(harmed.map(|(client, _)| *client), to_client),
			(watcher.copied(), to_watcher),
			(Some(TREASURY), to_treasury),
		];
		for (dest, amount) in shares {
			if let Some(dest) = dest {
				if amount > 0 {
					Balances::transfer(who, &dest, amount, Preservation::Preserve)?;
				}
			}
		}
		if SLASH_FAILS.with(|f| *f.borrow()) {
			return Err(SLASH_FAILED);
		}
		let outcome = SlashOutcome { slashed, to_client, to_watcher, to_treasury };
		SLASHES.with(|s| {
			s.borrow_mut().push(SlashRecord {
				who: *who,
				reason,
				harmed: harmed.map(|(client, _)| *client),
				watcher: watcher.copied(),
				outcome,
			})
		});
		Ok(outcome)
	}
	/// Every slash so far, oldest first.
	pub fn slashes() -> Vec<SlashRecord> {
		SLASHES.with(|s| s.borrow().clone())
	}
	/// Makes every later slash fail with [`SLASH_FAILED`] after it has moved the money, so
	/// that the caller must roll it back.
	pub fn set_failing(fails: bool) {
		SLASH_FAILS.with(|f| *f.borrow_mut() = fails);
	}
}

impl Slashing<AccountId, Balance> for MockStake {
	fn slash(
		who: &AccountId,
		reason: SlashReason,
		harmed: Option<&AccountId>,
		watcher: Option<&AccountId>,
	) -> Result<SlashOutcome<Balance>, DispatchError> {
		assert_eq!(reason, SlashReason::Fraud, "the jobs pallet slashes stake only for fraud");
		assert_eq!(
			<Self as Collateral<_, _>>::committed(who),
			0,
			"collateral is released before a fraud slash"
		);
		let available = Balances::reducible_balance(who, Preservation::Preserve, Fortitude::Polite);
		let slashed = FRAUD_SLASH.min(available);
		let outcome = Self::take(who, reason, slashed, harmed.map(|c| (c, Balance::MAX)), watcher)?;
		if MockRegistry::get(*who).is_some() {
			MockRegistry::ban(*who);
		}
		Ok(outcome)
	}
}

impl Collateral<AccountId, Balance> for MockStake {
	fn reserve(who: &AccountId, amount: Balance) -> DispatchResult {
		if Self::free_stake(*who) < amount {
			return Err(DispatchError::Other("free stake too low"));
		}
		COMMITTED.with(|c| *c.borrow_mut().entry(*who).or_default() += amount);
		Ok(())
	}

	fn release(who: &AccountId, amount: Balance) {
		COMMITTED.with(|c| {
			let mut c = c.borrow_mut();
			let committed = c.entry(*who).or_default();
			*committed = committed.saturating_sub(amount);
		});
	}

	fn slash_collateral(
		who: &AccountId,
		amount: Balance,
		reason: SlashReason,
		harmed: Option<(&AccountId, Balance)>,
		watcher: Option<&AccountId>,
	) -> Result<SlashOutcome<Balance>, DispatchError> {
		let taken = amount.min(Self::committed(who));
		Self::release(who, taken);
		Self::take(who, reason, taken, harmed, watcher)
	}

	fn committed(who: &AccountId) -> Balance {
		COMMITTED.with(|c| c.borrow().get(who).copied().unwrap_or(0))
	}
}

// ---- MockVerifier ----------------------------------------------------------------------------

/// A call the pallet made to [`MockVerifier`], or (`Verdict`) a look its hook took at a
/// receipt, which found the receipt's next [`Look`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum VerifierCall {
	Submitted { job: JobId, replica: u32, provider: AccountId, receipt: Receipt },
	Challenged { job: JobId, replica: u32, challenger: AccountId },
	Verdict { job: JobId, replica: u32 },
	Closed { job: JobId, replica: u32 },
	Abandoned { job: JobId, replica: u32 },
}

/// What [`MockVerifier`] finds when it looks at a receipt.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Look {
	/// Not decided yet: look again at this block (the next one if it is not in the future).
	Pending(BlockNumber),
	/// Decided: push this verdict to the jobs pallet.
	Decided(Verdict<AccountId>),
}

impl Look {
	/// The look that accepts the receipt.
	pub const ACCEPTED: Look = Look::Decided(Verdict::Accepted);
}

/// How [`MockVerifier`] behaves.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VerifierConfig {
	/// Its first look at a receipt is `window` blocks after it.
	pub window: BlockNumber,
	/// What it finds at a look when nothing is scripted for the replica.
	pub verdict: Look,
	/// `Some(delay)`: challenges are taken and the next look is `delay` blocks later;
	/// `None`: challenges are refused with [`CHALLENGE_REFUSED`].
	pub challenge_delay: Option<BlockNumber>,
	/// Whether receipts are refused with [`RECEIPT_REFUSED`].
	pub refuse_receipts: bool,
	/// Whether early acceptance is refused with [`ACCEPT_REFUSED`].
	pub refuse_accept: bool,
}

impl Default for VerifierConfig {
	fn default() -> Self {
		Self {
			window: 3,
			verdict: Look::ACCEPTED,
			challenge_delay: Some(10),
			refuse_receipts: false,
			refuse_accept: false,
		}
	}
}

/// What [`MockVerifier`] says each of its calls weighs, so that tests can see it charged.
pub const MOCK_VERIFIER_WEIGHT: Weight = Weight::from_parts(7_000_000, 0);

/// The error [`MockVerifier`] refuses challenges with.
pub const CHALLENGE_REFUSED: DispatchError = DispatchError::Other("challenge refused");
/// The error [`MockVerifier`] refuses early acceptance with.
pub const ACCEPT_REFUSED: DispatchError = DispatchError::Other("receipt under proof");
/// The error [`MockVerifier`] refuses receipts with.
pub const RECEIPT_REFUSED: DispatchError = DispatchError::Other("receipt refused");

thread_local! {
	static VERIFIER: RefCell<VerifierConfig> = RefCell::new(VerifierConfig::default());
	static SCRIPTED: RefCell<BTreeMap<(JobId, u32), VecDeque<Look>>> =
		const { RefCell::new(BTreeMap::new()) };
	/// The block of the next look at each receipt the verifier holds.
	static LOOKS: RefCell<BTreeMap<(JobId, u32), BlockNumber>> =
		const { RefCell::new(BTreeMap::new()) };
	static VERIFIER_CALLS: RefCell<Vec<VerifierCall>> = const { RefCell::new(Vec::new()) };
}

/// Stands in for the proofs pallet.
pub struct MockVerifier;

impl MockVerifier {
	pub fn configure(config: VerifierConfig) {
		VERIFIER.with(|v| *v.borrow_mut() = config);
	}
	pub fn config() -> VerifierConfig {
		VERIFIER.with(|v| v.borrow().clone())
	}
	/// Sets the default verdict: what a look finds when nothing is scripted.
	pub fn set_verdict(verdict: Verdict<AccountId>) {
		VERIFIER.with(|v| v.borrow_mut().verdict = Look::Decided(verdict));
	}
	/// Takes challenges (next look `delay` blocks later) or, with `None`, refuses them.
	pub fn set_challenge_delay(delay: Option<BlockNumber>) {
		VERIFIER.with(|v| v.borrow_mut().challenge_delay = delay);
	}
	/// What the next looks at replica `replica` of `job` find, one per look; the default after
	/// them.
	pub fn script(job: JobId, replica: u32, looks: Vec<Look>) {
		SCRIPTED.with(|s| s.borrow_mut().insert((job, replica), looks.into()));
	}
	/// The block of the next look at replica `replica` of `job`, if the verifier holds it.
	pub fn next_look(job: JobId, replica: u32) -> Option<BlockNumber> {
		LOOKS.with(|l| l.borrow().get(&(job, replica)).copied())
	}
	/// Every call so far, oldest first.
	pub fn calls() -> Vec<VerifierCall> {
		VERIFIER_CALLS.with(|c| c.borrow().clone())
	}
	/// How many times the verifier looked at replica `replica` of `job`.
	pub fn verdicts_asked(job: JobId, replica: u32) -> usize {
		Self::calls().iter().filter(|c| **c == VerifierCall::Verdict { job, replica }).count()
	}
	/// Pushes `verdict` on replica `replica` of `job` now, outside the hook and without a look,
	/// as the proofs pallet does from the call that decides it; returns what the jobs pallet
	/// says it weighed.
	pub fn decide(job: JobId, replica: u32, verdict: Verdict<AccountId>) -> Weight {
		<Jobs as VerdictSink<AccountId>>::decided(job, replica, verdict)
	}
	/// The verifier's hook at block `n`: takes every look due by `n`, oldest first (then by job
	/// and replica), and either schedules the next one or pushes the verdict. A look is taken
	/// out before it is answered, and the next due one found afresh each time, so that a
	/// verdict that abandons other receipts (a ban) drops their looks before they are taken.
	pub fn on_initialize(n: BlockNumber) {
		loop {
			let due = LOOKS.with(|l| {
				let mut looks = l.borrow_mut();
				let next = looks
					.iter()
					.filter(|(_, at)| **at <= n)
					.min_by_key(|(key, at)| (**at, **key))
					.map(|(key, _)| *key);
				if let Some(key) = next {
					looks.remove(&key);
				}
				next
			});
			let Some((job, replica)) = due else { break };
			Self::log(VerifierCall::Verdict { job, replica });
			let scripted = SCRIPTED
				.with(|s| s.borrow_mut().get_mut(&(job, replica)).and_then(|q| q.pop_front()));
			match scripted.unwrap_or_else(|| Self::config().verdict) {
				Look::Pending(at) => Self::schedule(job, replica, at.max(n + 1)),
				Look::Decided(verdict) => {
					<Jobs as VerdictSink<AccountId>>::decided(job, replica, verdict);
				},
			}
		}
	}
	fn schedule(job: JobId, replica: u32, at: BlockNumber) {
		LOOKS.with(|l| l.borrow_mut().insert((job, replica), at));
	}
	fn forget(job: JobId, replica: u32) {
		LOOKS.with(|l| l.borrow_mut().remove(&(job, replica)));
	}
	fn log(call: VerifierCall) {
		VERIFIER_CALLS.with(|c| c.borrow_mut().push(call));
	}
	fn reset(config: VerifierConfig) {
		Self::configure(config);
		SCRIPTED.with(|s| s.borrow_mut().clear());
		LOOKS.with(|l| l.borrow_mut().clear());
		VERIFIER_CALLS.with(|c| c.borrow_mut().clear());
	}
}

impl Verifier<AccountId, Balance, BlockNumber> for MockVerifier {
	fn receipt_submitted(
		job: JobId,
		replica: u32,
		provider: &AccountId,
		_client: &AccountId,
		_spec: &JobSpec<Balance, BlockNumber>,
		receipt: &Receipt,
	) -> Result<BlockNumber, DispatchError> {
		let config = Self::config();
		if config.refuse_receipts {
			return Err(RECEIPT_REFUSED);
		}
		Self::log(VerifierCall::Submitted {
			job,
			replica,
			provider: *provider,
			receipt: receipt.clone(),
		});
		let at = System::block_number() + config.window;
		Self::schedule(job, replica, at);
		Ok(at)
	}

	fn challenge(
		job: JobId,
		replica: u32,
		challenger: &AccountId,
	) -> Result<BlockNumber, DispatchError> {
		let delay = Self::config().challenge_delay.ok_or(CHALLENGE_REFUSED)?;
		Self::log(VerifierCall::Challenged { job, replica, challenger: *challenger });
		let at = System::block_number() + delay;
		Self::schedule(job, replica, at);
		Ok(at)
	}

	fn may_accept(_job: JobId, _replica: u32) -> DispatchResult {
		if Self::config().refuse_accept {
			return Err(ACCEPT_REFUSED);
		}
		Ok(())
	}

	fn closed(job: JobId, replica: u32) {
		Self::log(VerifierCall::Closed { job, replica });
		Self::forget(job, replica);
	}

	fn abandoned(job: JobId, replica: u32) {
		Self::log(VerifierCall::Abandoned { job, replica });
		Self::forget(job, replica);
	}

	fn receipt_weight() -> Weight {
		MOCK_VERIFIER_WEIGHT
	}

	fn challenge_weight() -> Weight {
		MOCK_VERIFIER_WEIGHT
	}

	fn abandoned_weight() -> Weight {
		MOCK_VERIFIER_WEIGHT
	}
}

// ---- Externalities ---------------------------------------------------------------------------

/// The default externalities have funded accounts but no provider in [`MockRegistry`] (what
/// the benchmarks start from); [`ExtBuilder::market`] adds Alice, Bob and Charlie.
pub struct ExtBuilder {
	balances: Vec<(AccountId, Balance)>,
	providers: Vec<(AccountId, Balance)>,
	verifier: VerifierConfig,
	issuance_may_change: bool,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			balances: vec![
				(CLIENT, INITIAL),
				(CLIENT2, INITIAL),
				(ALICE, STAKE),
				(BOB, STAKE),
				(CHARLIE, STAKE),
			],
			providers: vec![],
			verifier: VerifierConfig::default(),
			issuance_may_change: false,
		}
	}
}

impl ExtBuilder {
	/// The default accounts, with Alice, Bob and Charlie registered as providers at
	/// [`ALICE_PRICE`], [`BOB_PRICE`] and [`CHARLIE_PRICE`].
	pub fn market() -> Self {
		Self::default().providers(vec![
			(ALICE, ALICE_PRICE),
			(BOB, BOB_PRICE),
			(CHARLIE, CHARLIE_PRICE),
		])
	}

	/// Replaces the genesis balances (the treasury gets [`ED`] regardless).
	pub fn balances(mut self, balances: Vec<(AccountId, Balance)>) -> Self {
		self.balances = balances;
		self
	}
	/// Replaces the providers registered in [`MockRegistry`]: `(provider, price)`, each with
	/// worker key [`worker_of`]`(provider)` and [`SLOTS`] slots.
	pub fn providers(mut self, providers: Vec<(AccountId, Balance)>) -> Self {
		self.providers = providers;
		self
	}
	pub fn verifier(mut self, verifier: VerifierConfig) -> Self {
		self.verifier = verifier;
		self
	}
	/// Skips the check that the test left the total issuance unchanged.
	pub fn issuance_may_change(mut self) -> Self {
		self.issuance_may_change = true;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		MockRegistry::reset();
		SLASHES.with(|s| s.borrow_mut().clear());
		COMMITTED.with(|c| c.borrow_mut().clear());
		MockStake::set_failing(false);
		MaxProviderJobs::reset();
		JobDeposit::reset();
		MaxOpenJobsPerClient::reset();
		MockVerifier::reset(self.verifier);
		for (provider, price) in self.providers {
			MockRegistry::add(provider, price);
		}
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let mut balances = self.balances;
		balances.push((TREASURY, ED));
		pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		// Events are only recorded from block 1 on.
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks the pallet's invariants and that no money was created or
	/// destroyed.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		let issuance_may_change = self.issuance_may_change;
		self.build().execute_with(|| {
			let issuance = Balances::total_issuance();
			test();
			Jobs::do_try_state().expect("invariants hold after the test");
			if !issuance_may_change {
				assert_eq!(Balances::total_issuance(), issuance, "the test changed the issuance");
			}
		});
	}
}

/// Runs the hooks of every block up to `n`, checking the invariants after each: the jobs
/// pallet's, then [`MockVerifier::on_initialize`], as the proofs pallet comes after the jobs
/// pallet in the runtime.
pub fn run_to_block(n: BlockNumber) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Jobs::on_initialize(next);
		MockVerifier::on_initialize(next);
		Jobs::do_try_state().expect("invariants hold after every block");
	}
}

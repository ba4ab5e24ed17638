//! The pallet's tests against the mock runtime ([`crate::mock`]), by topic. Every test runs in
//! [`ExtBuilder::build_and_execute`], which checks the pallet's invariants (`try_state`) and
//! that the total issuance is unchanged when it ends; [`run_to_block`] checks the invariants
//! after every block.

use crate::{
	mock::*,
	pallet::{ClientJobs, NextJobId, ProviderJobs, Queue, Stats, TimeoutCursor, Timeouts},
	Error, Event, FailureReason, HoldReason, JobOf, JobSpecOf, JobState, JobStats, ReplicaState,
	Timeout,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks,
	},
	BoundedVec,
};
use sp_core::H256;
use tessera_primitives::{
	jobs::{
		Inputs, JobId, Receipt, Uri, Verdict, VerdictSink, Verification, Workload, MAX_MATRIX_DIM,
		MAX_OPENED_K,
	},
	market::{Capabilities, Collateral, Needs, Outcome, Requirements, SlashOutcome, SlashReason},
};

mod accept;
mod acknowledge;
mod attacks;
mod bans;
mod cancel;
mod challenge;
mod collateral;
mod decline;
mod deposits;
mod invariants;
mod post;
mod pruning;
mod queue;
mod receipt;
mod settlement;
mod timeouts;
mod verdicts;

// ---- the standard job ------------------------------------------------------------------------

/// Units of work of [`spec`].
const UNITS: u64 = 100;
/// Max price per unit of [`spec`].
const MAX_PRICE: Balance = 10;
/// Deadline of [`spec`]: 50 blocks after block 1.
const DEADLINE: BlockNumber = 51;
/// Escrow of [`spec`] with one replica: 10 x 100 plus 2%.
const ESCROW: Balance = 1_020;
/// The budget of one replica of [`spec`]: 10 x 100, what the client's compensation is capped
/// against (at [`MAX_COMPENSATION_PERCENT`] of it).
const REPLICA_BUDGET: Balance = 1_000;

/// Alice's collateral for a replica of [`spec`]: 50% of 5 x 100.
const ALICE_COLLATERAL: Balance = 250;
/// Bob's: 50% of 6 x 100.
const BOB_COLLATERAL: Balance = 300;

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// An opaque job of [`UNITS`] GPU-seconds at up to [`MAX_PRICE`], one replica, optimistic,
/// due at [`DEADLINE`].
fn spec() -> JobSpecOf<Test> {
	JobSpecOf::<Test> {
		workload: Workload::Opaque { program: H256::repeat_byte(7), gpu_seconds: UNITS },
		inputs: Inputs::Seed(H256::repeat_byte(1)),
		requirements: Requirements::default(),
		max_price_per_unit: MAX_PRICE,
		replicas: 1,
		verification: Verification::Optimistic,
		deadline: DEADLINE,
	}
}

fn spec_with(change: impl FnOnce(&mut JobSpecOf<Test>)) -> JobSpecOf<Test> {
	let mut spec = spec();
	change(&mut spec);
	spec
}

/// [`spec`] with `replicas` replicas.
fn replicated(replicas: u32) -> JobSpecOf<Test> {
	spec_with(|s| {
		s.replicas = replicas;
		if replicas > 1 {
			s.verification = Verification::Replicated;
		}
	})
}

/// A job of one GPU-second at up to [`MAX_PRICE`]: a budget of 10 (escrow 11), and a
/// collateral at the [`MIN_COLLATERAL`] floor for any provider.
fn tiny() -> JobSpecOf<Test> {
	spec_with(|s| s.workload = Workload::Opaque { program: H256::repeat_byte(7), gpu_seconds: 1 })
}

/// A spot-checked `MatMulI8` of `m x n x k` with content inputs of `size` bytes.
fn matmul_content(m: u32, n: u32, k: u32, size: u64) -> JobSpecOf<Test> {
	spec_with(|s| {
		s.workload = Workload::MatMulI8 { m, n, k };
		s.verification = Verification::SpotCheck;
		s.inputs = Inputs::Content {
			hash: H256::repeat_byte(3),
			uri: uri("https://inputs.example/ab"),
			size,
		};
	})
}

/// What the pallet holds for `max_price x units x replicas`: the budget plus 2%, rounded up.
fn escrow_of(max_price: Balance, units: u64, replicas: u32) -> Balance {
	let budget = max_price * Balance::from(units) * Balance::from(replicas);
	budget + (budget * Balance::from(FEE_PERCENT)).div_ceil(100)
}

/// The protocol fee on `payment`, rounded down.
fn fee_on(payment: Balance) -> Balance {
	payment * Balance::from(FEE_PERCENT) / 100
}

/// The collateral of a replica at `price` for `units`: 50% of its value, at least
/// [`MIN_COLLATERAL`].
fn collateral_of(price: Balance, units: u64) -> Balance {
	(price * Balance::from(units) * Balance::from(COLLATERAL_PERCENT) / 100).max(MIN_COLLATERAL)
}

/// The most a client receives from a replica's collateral: 50% of the replica's budget.
fn compensation_cap(max_price: Balance, units: u64) -> Balance {
	max_price * Balance::from(units) * Balance::from(MAX_COMPENSATION_PERCENT) / 100
}

fn uri(s: &str) -> Uri {
	BoundedVec::truncate_from(s.as_bytes().to_vec())
}

fn receipt(used_units: u64) -> Receipt {
	Receipt {
		output_commitment: H256::repeat_byte(0xaa),
		output_uri: uri("https://worker.example/out/1"),
		used_units,
		enclave_signature: None,
	}
}

// ---- calls -----------------------------------------------------------------------------------

/// Posts `spec` for `client` and returns the job's id.
fn post(client: AccountId, spec: JobSpecOf<Test>) -> JobId {
	let id = NextJobId::<Test>::get();
	assert_ok!(Jobs::post(signed(client), spec));
	id
}

/// The worker of `provider` acknowledges replica `replica` of `job`.
fn ack(provider: AccountId, job: JobId, replica: u32) {
	assert_ok!(Jobs::acknowledge(signed(worker_of(provider)), job, replica));
}

/// The worker of `provider` declines replica `replica` of `job`.
fn decline(provider: AccountId, job: JobId, replica: u32) {
	assert_ok!(Jobs::decline(signed(worker_of(provider)), job, replica));
}

/// The worker of `provider` submits a receipt of `used` units for replica `replica` of `job`.
fn submit(provider: AccountId, job: JobId, replica: u32, used: u64) {
	assert_ok!(Jobs::submit_receipt(signed(worker_of(provider)), job, replica, receipt(used)));
}

// ---- reading the state -----------------------------------------------------------------------

fn job(id: JobId) -> JobOf<Test> {
	crate::pallet::Jobs::<Test>::get(id).expect("the job exists")
}

fn replica_state(id: JobId, replica: u32) -> ReplicaState<Balance, BlockNumber> {
	job(id).replicas[replica as usize].state.clone()
}

fn stats() -> JobStats<Balance> {
	Stats::<Test>::get()
}

/// What the pallet holds from `who` for escrow.
fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Jobs(HoldReason::Escrow), &who)
}

/// What the pallet holds from `who` for the storage deposits of its open jobs.
fn deposit_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Jobs(HoldReason::JobDeposit), &who)
}

fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// Collateral `who` has set aside in [`MockStake`].
fn committed(who: AccountId) -> Balance {
	<MockStake as Collateral<AccountId, Balance>>::committed(&who)
}

/// Free plus held balance of all of `accounts`.
fn total(accounts: &[AccountId]) -> Balance {
	accounts.iter().map(Balances::total_balance).sum()
}

/// Every account that money can move between in these tests.
const EVERYONE: [AccountId; 7] = [CLIENT, CLIENT2, ALICE, BOB, CHARLIE, TREASURY, NOBODY];

/// This pallet's events since the last [`take_events`], oldest first; forgets them.
fn take_events() -> Vec<Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Jobs(e) = r.event { Some(e) } else { None })
		.collect();
	System::reset_events();
	events
}

fn has_timeout(at: BlockNumber, job: JobId, timeout: Timeout) -> bool {
	Timeouts::<Test>::contains_key(at, (job, timeout))
}

fn timeouts_at(at: BlockNumber) -> usize {
	Timeouts::<Test>::iter_prefix(at).count()
}

/// Every timeout of `job`, wherever it is due.
fn timeouts_of(job: JobId) -> Vec<(BlockNumber, Timeout)> {
	Timeouts::<Test>::iter_keys()
		.filter(|(_, (j, _))| *j == job)
		.map(|(at, (_, t))| (at, t))
		.collect()
}

fn paid(payment: Balance) -> ReplicaState<Balance, BlockNumber> {
	ReplicaState::Paid { payment, fee: fee_on(payment) }
}

fn assigned(job: JobId, replica: u32, provider: AccountId, price: Balance) -> Event<Test> {
	Event::Assigned { job, replica, provider, worker: worker_of(provider), price_per_unit: price }
}

fn failed(job: JobId, replica: u32, provider: AccountId, reason: FailureReason) -> Event<Test> {
	Event::ReplicaFailed { job, replica, provider, reason }
}

/// What taking `collateral` of `who` for `reason` moves: half to `client` (up to `cap`), a fifth
/// to `watcher`, the rest to the treasury.
fn collateral_slash(
	who: AccountId,
	reason: SlashReason,
	collateral: Balance,
	client: AccountId,
	cap: Balance,
	watcher: Option<AccountId>,
) -> SlashRecord {
	let to_client = (collateral / 2).min(cap);
	let to_watcher = if watcher.is_some() { collateral / 5 } else { 0 };
	SlashRecord {
		who,
		reason,
		harmed: Some(client),
		watcher,
		outcome: SlashOutcome {
			slashed: collateral,
			to_client,
			to_watcher,
			to_treasury: collateral - to_client - to_watcher,
		},
	}
}

/// The fraud slash [`MockStake`] makes of a provider with enough funds, half of it to `client`.
fn fraud_slash(who: AccountId, client: AccountId) -> SlashRecord {
	let slashed = FRAUD_SLASH;
	SlashRecord {
		who,
		reason: SlashReason::Fraud,
		harmed: Some(client),
		watcher: None,
		outcome: SlashOutcome {
			slashed,
			to_client: slashed / 2,
			to_watcher: 0,
			to_treasury: slashed - slashed / 2,
		},
	}
}

/// The verdict of a proven fraud, with no watcher.
fn fraud() -> Verdict<AccountId> {
	Verdict::Rejected { offence: SlashReason::Fraud, watcher: None }
}

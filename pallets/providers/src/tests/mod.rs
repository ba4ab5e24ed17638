//! The registry's tests, by topic; their shared setup is here.

mod deregister;
mod draw;
mod liveness;
mod matching;
mod outcomes;
mod profile;
mod registration;

use crate::{
	mock::*, price_index, Error, Event, HardwareProfileOf, OfflineReason, OnlineStats,
	ProviderInfoOf, Status, WeightInfo,
};
use frame_support::{assert_noop, assert_ok, dispatch::Pays};
use sp_runtime::BoundedVec;
use tessera_primitives::market::{Region::*, *};

const ALICE: AccountId = 1;
const BOB: AccountId = 2;
const CHARLIE: AccountId = 3;
const DAVE: AccountId = 4;

fn bond_for(gpus: u32) -> Balance {
	MIN_BOND_PER_GPU * Balance::from(gpus)
}

/// Registers `who` with one 24 GiB card in Europe at `price`, worker key `worker_of(who)`.
fn register(who: AccountId, price: Balance) {
	register_with(who, profile(24, 1, Europe), price);
}

fn register_with(who: AccountId, hw: HardwareProfileOf<Test>, price: Balance) {
	assert_ok!(Providers::register(
		RuntimeOrigin::signed(who),
		hw,
		price,
		2,
		endpoint("https://gpu.example.org"),
		worker_of(who),
	));
}

fn info(who: AccountId) -> ProviderInfoOf<Test> {
	crate::Providers::<Test>::get(who).expect("registered")
}

fn matched(requirements: &Requirements, max_price: Balance, count: u32) -> Vec<AccountId> {
	matched_for(&needs(requirements), max_price, count)
}

fn matched_for(needs: &Needs<Balance, u64>, max_price: Balance, count: u32) -> Vec<AccountId> {
	Providers::cheapest(needs, max_price, count, &[]).into_iter().map(|c| c.provider).collect()
}

fn any() -> Requirements {
	Requirements::default()
}

/// The needs of a job that asks for `requirements` and nothing else.
fn needs(requirements: &Requirements) -> Needs<Balance, u64> {
	Needs { requirements: requirements.clone(), ..Default::default() }
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

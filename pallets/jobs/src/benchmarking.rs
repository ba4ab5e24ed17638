//! Benchmarks of the jobs pallet's calls and hook, run against the real registry and stake
//! pallets of the runtime (set up through [`crate::BenchmarkHelper`]).
//!
//! Matching itself is charged separately, at the registry's worst case
//! ([`ProviderRegistry::cheapest_weight`]), so here the providers simply fit.

use super::*;
use crate::Pallet as Jobs;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, One};
use tessera_primitives::{
	jobs::{Inputs, Verification, Workload, MAX_OPENED_K},
	market::Requirements,
};

/// What the benchmark providers ask per unit, and the jobs' maximum.
const PRICE: u128 = 1_000_000;

fn spec<T: Config>(replicas: u32) -> JobSpecOf<T> {
	let now = frame_system::Pallet::<T>::block_number();
	JobSpec {
		workload: Workload::MatMulI8 { m: 65_536, n: 65_536, k: MAX_OPENED_K },
		// The size `post` requires of these dimensions: A (m x k) and B (k x n), a byte each.
		inputs: Inputs::Content {
			hash: Default::default(),
			uri: longest_url(),
			size: (65_536 + 65_536) * u64::from(MAX_OPENED_K),
		},
		requirements: Requirements::default(),
		max_price_per_unit: PRICE.try_into().unwrap_or_else(|_| Bounded::max_value()),
		replicas,
		verification: Verification::Optimistic,
		deadline: now.saturating_add(T::MaxDeadline::get()),
	}
}

/// An `https://` URL of the greatest length allowed.
fn longest_url() -> tessera_primitives::jobs::Uri {
	let mut url = b"https://".to_vec();
	url.resize(tessera_primitives::jobs::MAX_URI_LEN as usize, b'a');
	BoundedVec::truncate_from(url)
}

fn funded_client<T: Config>(index: u32) -> T::AccountId {
	let client: T::AccountId = account("client", index, 0);
	// A million times one job's escrow: plenty, and many clients still fit in the issuance.
	let funds: BalanceOf<T> =
		(PRICE * 1_000_000_000_000).try_into().unwrap_or_else(|_| Bounded::max_value());
	let _ = T::Currency::set_balance(&client, funds);
	client
}

fn receipt(used_units: u64) -> Receipt {
	Receipt {
		output_commitment: Default::default(),
		output_uri: longest_url(),
		used_units,
		enclave_signature: None,
	}
}

/// Posts a job for `replicas` providers that exist; returns its id.
fn posted<T: Config>(client: &T::AccountId, replicas: u32) -> JobId {
	let id = NextJobId::<T>::get();
	assert!(Jobs::<T>::post(RawOrigin::Signed(client.clone()).into(), spec::<T>(replicas)).is_ok());
	id
}

fn record<T: Config>(job: JobId) -> JobOf<T> {
	match crate::Jobs::<T>::get(job) {
		Some(record) => record,
		None => panic!("the benchmark's job exists"),
	}
}

fn worker_of<T: Config>(job: JobId, replica: u32) -> T::AccountId {
	match record::<T>(job).replicas.get(replica as usize) {
		Some(slot) => slot.worker.clone(),
		None => panic!("the benchmark's replica exists"),
	}
}

/// A job whose replica 0 is running (acknowledged).
fn running<T: Config>(client: &T::AccountId) -> JobId {
	let job = posted::<T>(client, 1);
	let worker = worker_of::<T>(job, 0);
	assert!(Jobs::<T>::acknowledge(RawOrigin::Signed(worker).into(), job, 0).is_ok());
	job
}

/// A job whose replica 0 has submitted its receipt.
fn submitted<T: Config>(client: &T::AccountId) -> JobId {
	let job = running::<T>(client);
	let worker = worker_of::<T>(job, 0);
	let units = record::<T>(job).units;
	assert!(
		Jobs::<T>::submit_receipt(RawOrigin::Signed(worker).into(), job, 0, receipt(units)).is_ok()
	);
	job
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Posting a job that is matched at once to `r` providers.
	#[benchmark]
	fn post(r: Linear<1, { T::MaxReplicas::get() }>) {
		T::BenchmarkHelper::providers(r, PRICE);
		let client = funded_client::<T>(0);
		let spec = spec::<T>(r);

		#[extrinsic_call]
		_(RawOrigin::Signed(client), spec);

		assert_eq!(record::<T>(0).state, JobState::Active);
		assert_eq!(record::<T>(0).replicas.len() as u32, r);
	}

	/// Cancelling the last of a full queue: the escrow and the deposit are released.
	#[benchmark]
	fn cancel() {
		T::BenchmarkHelper::providers(0, PRICE);
		// Each client has at most `MaxOpenJobsPerClient` open jobs: spread the queue over them.
		let per_client = T::MaxOpenJobsPerClient::get();
		let mut client = funded_client::<T>(0);
		for i in 0..T::MaxQueued::get() {
			if i > 0 && i % per_client == 0 {
				client = funded_client::<T>(i / per_client);
			}
			posted::<T>(&client, 1);
		}
		let last = NextJobId::<T>::get().saturating_sub(1);
		assert_eq!(record::<T>(last).state, JobState::Queued);

		#[extrinsic_call]
		_(RawOrigin::Signed(client), last);

		assert_eq!(record::<T>(last).state, JobState::Cancelled);
		assert!(record::<T>(last).deposit.is_zero());
	}

	#[benchmark]
	fn acknowledge() {
		T::BenchmarkHelper::providers(1, PRICE);
		let job = posted::<T>(&funded_client::<T>(0), 1);
		let worker = worker_of::<T>(job, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(worker), job, 0);

		assert_eq!(record::<T>(job).replicas[0].state, ReplicaState::Running);
	}

	/// Declining with another provider free: the replica is failed and re-matched.
	#[benchmark]
	fn decline() {
		T::BenchmarkHelper::providers(2, PRICE);
		let job = posted::<T>(&funded_client::<T>(0), 1);
		let worker = worker_of::<T>(job, 0);
		let declined = record::<T>(job).replicas[0].provider.clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(worker), job, 0);

		let record = record::<T>(job);
		assert!(matches!(record.replicas[0].state, ReplicaState::AwaitingAck { .. }));
		assert!(record.replicas[0].provider != declined);
	}

	#[benchmark]
	fn submit_receipt() {
		T::BenchmarkHelper::providers(1, PRICE);
		let job = running::<T>(&funded_client::<T>(0));
		let worker = worker_of::<T>(job, 0);
		let units = record::<T>(job).units;

		#[extrinsic_call]
		_(RawOrigin::Signed(worker), job, 0, receipt(units));

		assert!(matches!(record::<T>(job).replicas[0].state, ReplicaState::Submitted { .. }));
	}

	/// Accepting the last replica's receipt: the provider and the treasury are paid and the
	/// rest refunded.
	#[benchmark]
	fn accept() {
		T::BenchmarkHelper::providers(1, PRICE);
		let client = funded_client::<T>(0);
		let job = submitted::<T>(&client);

		#[extrinsic_call]
		_(RawOrigin::Signed(client), job, 0);

		assert_eq!(record::<T>(job).state, JobState::Completed);
	}

	/// A challenge as far as the configured verifier takes it (the proofs pallet's own work is
	/// benchmarked there).
	#[benchmark]
	fn challenge() {
		T::BenchmarkHelper::providers(1, PRICE);
		let job = submitted::<T>(&funded_client::<T>(0));
		let watcher = funded_client::<T>(1);

		#[block]
		{
			// The runtime's interim verifier refuses challenges; either way the cost is the
			// lookup, the verifier and (when accepted) the rescheduling.
			let _ = Jobs::<T>::challenge(RawOrigin::Signed(watcher).into(), job, 0);
		}

		assert!(matches!(record::<T>(job).replicas[0].state, ReplicaState::Submitted { .. }));
	}

	/// `t` acknowledgement windows ending in one block: each replica fails (no stake moves, the
	/// provider's reputation records it) and is re-matched to another provider, the most
	/// expensive timeout there is.
	#[benchmark]
	fn on_initialize_timeouts(t: Linear<0, { T::MaxTimeoutsPerBlock::get() }>) {
		// Every job has its own client and provider, and every re-match finds a provider of
		// its own, so that no storage item is shared between timeouts (each provider takes one
		// job at a time).
		T::BenchmarkHelper::providers(t.saturating_mul(2), PRICE);
		for i in 0..t {
			posted::<T>(&funded_client::<T>(i), 1);
		}
		let due = frame_system::Pallet::<T>::block_number().saturating_add(T::AckTimeout::get());
		frame_system::Pallet::<T>::set_block_number(due);
		TimeoutCursor::<T>::put(due);
		let handled;

		#[block]
		{
			handled = timeouts::run::<T>(due).handled;
		}

		assert_eq!(handled, t);
		for job in 0..u64::from(t) {
			let slot = &record::<T>(job).replicas[0];
			assert!(matches!(slot.state, ReplicaState::AwaitingAck { .. }));
			assert_eq!(record::<T>(job).dropped.len(), 1);
		}
	}

	/// `q` queued jobs matched by the hook once providers appear.
	#[benchmark]
	fn on_initialize_queue(q: Linear<0, { T::MaxQueueMatchesPerBlock::get() }>) {
		// No providers yet, so that the jobs queue.
		T::BenchmarkHelper::providers(0, PRICE);
		for i in 0..q {
			posted::<T>(&funded_client::<T>(i), 1);
		}
		T::BenchmarkHelper::providers(q, PRICE);
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(One::one()),
		);
		let tried;

		#[block]
		{
			tried = matching::match_queue::<T>();
		}

		assert_eq!(tried, q);
		assert!(Queue::<T>::get().is_empty());
	}

	/// `p` closed jobs pruned in one block, each with its own client: the record, the client's
	/// index entry and the schedule entry go.
	#[benchmark]
	fn on_initialize_prune(p: Linear<0, { T::MaxPrunesPerBlock::get() }>) {
		// Queued (no providers) and cancelled: records with the longest URL of the spec.
		T::BenchmarkHelper::providers(0, PRICE);
		for i in 0..p {
			let client = funded_client::<T>(i);
			let job = posted::<T>(&client, 1);
			assert!(Jobs::<T>::cancel(RawOrigin::Signed(client).into(), job).is_ok());
		}
		let due = frame_system::Pallet::<T>::block_number().saturating_add(T::JobRetention::get());
		frame_system::Pallet::<T>::set_block_number(due);
		PruneCursor::<T>::put(due);
		let pruned;

		#[block]
		{
			pruned = pruning::run::<T>(due);
		}

		assert_eq!(pruned, p);
		for job in 0..u64::from(p) {
			assert!(crate::Jobs::<T>::get(job).is_none());
		}
	}

	/// One whole job, for docs/benchmarks.md (not a weight): posted and matched, acknowledged,
	/// receipt submitted, accepted and settled. `./scripts/bench.sh --lifecycle` compares it
	/// with `balances.transfer_keep_alive`.
	#[benchmark(extra)]
	fn lifecycle() {
		T::BenchmarkHelper::providers(1, PRICE);
		let client = funded_client::<T>(0);
		let spec = spec::<T>(1);

		#[block]
		{
			let job = NextJobId::<T>::get();
			let posted = Jobs::<T>::post(RawOrigin::Signed(client.clone()).into(), spec);
			let worker = worker_of::<T>(job, 0);
			let units = record::<T>(job).units;
			let acked = Jobs::<T>::acknowledge(RawOrigin::Signed(worker.clone()).into(), job, 0);
			let reported =
				Jobs::<T>::submit_receipt(RawOrigin::Signed(worker).into(), job, 0, receipt(units));
			let accepted = Jobs::<T>::accept(RawOrigin::Signed(client).into(), job, 0);
			assert!(posted.is_ok() && acked.is_ok() && reported.is_ok() && accepted.is_ok());
		}

		assert_eq!(record::<T>(0).state, JobState::Completed);
	}

	impl_benchmark_test_suite!(Jobs, crate::mock::ExtBuilder::default().build(), crate::mock::Test);
}

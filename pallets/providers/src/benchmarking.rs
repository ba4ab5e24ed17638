//! Benchmarks of the registry's calls, its liveness hook and the functions other pallets call.
//!
//! Each runs its worst case: the provider matchable before and after (so both index entries are
//! rewritten), a change of stake that makes the provider both matchable and tracked by the
//! liveness hook, the liveness hook with every provider expiring and bonded (so each is
//! slashed), and matching with an index whose cheapest entries all pass every check but the last
//! (the free stake for the job's collateral), so that it visits its whole scan budget in every
//! memory tier and reads both stake figures of each entry.

use super::*;
use crate::Pallet as Providers;
use frame_benchmarking::v2::*;
use frame_support::traits::Hooks;
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, One, Zero};
use tessera_primitives::market::{
	Capabilities, Needs, ProviderRegistry, Region, ReputationRecorder, Requirements, StakeObserver,
};

/// Every capability: a provider that runs any job.
const ALL: Capabilities = Capabilities { matmul_i8: true, opaque: true, enclave: true };

fn profile<T: Config>(gpus: u32, vram_gib: u32, region: Region) -> HardwareProfileOf<T> {
	let model = alloc::vec![b'G'; T::MaxModelLen::get() as usize];
	HardwareProfile {
		gpu: GpuSpec {
			model: BoundedVec::truncate_from(model),
			vram_mib: vram_gib.saturating_mul(1024),
			count: gpus,
			fp16_tflops: 80,
			int8_tops: 600,
		},
		cpu_cores: 64,
		ram_mib: 512 * 1024,
		disk_gib: 8_000,
		bandwidth_mbps: 10_000,
		region,
		capabilities: ALL,
	}
}

/// An index entry of a provider with 8 GPUs of `vram_mib` each and every capability, attested
/// for good.
fn entry<T: Config>(
	worker: &T::AccountId,
	vram_mib: u32,
) -> IndexEntry<T::AccountId, BlockNumberFor<T>> {
	IndexEntry {
		worker: worker.clone(),
		gpus: 8,
		vram_mib,
		int8_tops: 600,
		fp16_tflops: 80,
		ram_mib: 512 * 1024,
		capabilities: ALL,
		attested_until: Some(BlockNumberFor::<T>::max_value()),
		reputation: reputation::initial(Zero::zero()),
	}
}

/// Needs that every entry of [`entry`] meets (checking each field) but for a collateral no free
/// stake covers.
fn hard_needs<T: Config>() -> Needs<BalanceOf<T>, BlockNumberFor<T>> {
	Needs {
		requirements: Requirements { min_gpus: 8, attestation: true, ..Default::default() },
		memory_mib: 1024,
		total_int8_tops: 8 * 600,
		capabilities: ALL,
		attested_through: One::one(),
		collateral: BalanceOf::<T>::max_value(),
	}
}

fn endpoint<T: Config>() -> EndpointOf<T> {
	let mut url = b"https://".to_vec();
	url.resize(T::MaxEndpointLen::get() as usize, b'a');
	BoundedVec::truncate_from(url)
}

fn price<T: Config>(p: u32) -> BalanceOf<T> {
	BalanceOf::<T>::from(p.saturating_add(1))
}

/// Registers a bonded (so matchable) provider with worker key `worker`.
fn matchable<T: Config>(
	provider: &T::AccountId,
	worker: &T::AccountId,
	region: Region,
	price: BalanceOf<T>,
) {
	T::BenchmarkHelper::bond(provider, 8);
	let registered = Providers::<T>::register(
		RawOrigin::Signed(provider.clone()).into(),
		profile::<T>(8, 80, region),
		price,
		T::MaxJobSlots::get(),
		endpoint::<T>(),
		worker.clone(),
	);
	assert!(registered.is_ok());
	assert!(info::<T>(provider).indexed);
}

fn info<T: Config>(provider: &T::AccountId) -> ProviderInfoOf<T> {
	match crate::Providers::<T>::get(provider) {
		Some(info) => info,
		None => panic!("the benchmark's provider is registered"),
	}
}

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(<T as Config>::RuntimeEvent::from(event).into());
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		let provider: T::AccountId = account("provider", 0, 0);
		let worker: T::AccountId = account("worker", 0, 0);
		T::BenchmarkHelper::bond(&provider, 8);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(provider.clone()),
			profile::<T>(8, 80, Region::Europe),
			price::<T>(10),
			T::MaxJobSlots::get(),
			endpoint::<T>(),
			worker.clone(),
		);

		assert!(info::<T>(&provider).indexed);
		let deposit = T::RegistrationDeposit::get();
		assert_eq!(
			T::Currency::balance_on_hold(&HoldReason::RegistrationDeposit.into(), &provider),
			deposit
		);
		assert_last_event::<T>(Event::Registered {
			provider,
			worker,
			price_per_unit: price::<T>(10),
			deposit,
		});
	}

	#[benchmark]
	fn update_profile() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));

		// Another region and tier: both index entries move.
		#[extrinsic_call]
		_(
			RawOrigin::Signed(provider.clone()),
			profile::<T>(8, 48, Region::Asia),
			T::MaxJobSlots::get(),
			endpoint::<T>(),
		);

		assert_eq!(info::<T>(&provider).profile.region, Region::Asia);
		assert_last_event::<T>(Event::ProfileUpdated { provider });
	}

	#[benchmark]
	fn set_price() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), price::<T>(20));

		assert_last_event::<T>(Event::PriceSet { provider, price_per_unit: price::<T>(20) });
	}

	#[benchmark]
	fn set_worker() {
		let provider: T::AccountId = account("provider", 0, 0);
		let old: T::AccountId = account("worker", 0, 0);
		let new: T::AccountId = account("worker", 1, 0);
		matchable::<T>(&provider, &old, Region::Europe, price::<T>(10));

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), new.clone());

		assert_last_event::<T>(Event::WorkerChanged { provider, old, new });
	}

	#[benchmark]
	fn go_offline() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()));

		assert_last_event::<T>(Event::WentOffline { provider, reason: OfflineReason::Requested });
	}

	#[benchmark]
	fn go_online() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));
		assert!(Providers::<T>::go_offline(RawOrigin::Signed(provider.clone()).into()).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()));

		assert!(info::<T>(&provider).indexed);
		assert_last_event::<T>(Event::WentOnline { provider });
	}

	#[benchmark]
	fn heartbeat() {
		let provider: T::AccountId = account("provider", 0, 0);
		let worker: T::AccountId = account("worker", 0, 0);
		matchable::<T>(&provider, &worker, Region::Europe, price::<T>(10));
		let now =
			frame_system::Pallet::<T>::block_number().saturating_add(T::HeartbeatInterval::get());
		frame_system::Pallet::<T>::set_block_number(now);

		#[extrinsic_call]
		_(RawOrigin::Signed(worker));

		let next_deadline = now.saturating_add(T::HeartbeatTimeout::get());
		assert_last_event::<T>(Event::Heartbeat { provider, next_deadline });
	}

	#[benchmark]
	fn deregister() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()));

		assert!(crate::Providers::<T>::get(&provider).is_none());
		assert!(T::Currency::balance_on_hold(&HoldReason::RegistrationDeposit.into(), &provider)
			.is_zero());
		assert_last_event::<T>(Event::Deregistered {
			provider,
			deposit: T::RegistrationDeposit::get(),
		});
	}

	/// `p` providers expire in the first of `b` deadline blocks the hook visits.
	#[benchmark]
	fn on_initialize(
		p: Linear<0, { T::MaxLivenessChecksPerBlock::get() }>,
		b: Linear<1, { T::MaxLivenessChecksPerBlock::get() }>,
	) {
		for i in 0..p {
			matchable::<T>(
				&account("provider", i, 0),
				&account("worker", i, 0),
				Region::Europe,
				price::<T>(i),
			);
		}
		// Every provider registered at the same block, so they share one deadline; the hook
		// starts `b - 1` blocks before it and walks up to it.
		let deadline =
			frame_system::Pallet::<T>::block_number().saturating_add(T::HeartbeatTimeout::get());
		let mut start = deadline;
		for _ in 1..b {
			start = start.saturating_sub(One::one());
		}
		LivenessCursor::<T>::put(start);
		frame_system::Pallet::<T>::set_block_number(deadline);

		#[block]
		{
			Providers::<T>::on_initialize(deadline);
		}

		for i in 0..p {
			let info = info::<T>(&account("provider", i, 0));
			assert_eq!(info.status, Status::Offline);
		}
	}

	/// Matching against a full index: more providers than the scan budget in every tier, all of
	/// them bonded and meeting every need but the free stake for the job's collateral, so the
	/// query visits its whole budget, reads the bond and the free stake of each entry, and finds
	/// nothing.
	#[benchmark]
	fn cheapest() {
		let entries = T::MaxIndexScan::get().saturating_add(1);
		for tier in 0..price_index::TIERS {
			for i in 0..entries {
				let provider: T::AccountId = account("bonded", u32::from(tier) * entries + i, 0);
				T::BenchmarkHelper::bond(&provider, 8);
				let entry = entry::<T>(&provider, price_index::VRAM_TIERS[usize::from(tier)]);
				let key = price_index::price_key::<T>(price::<T>(i));
				PriceIndex::<T>::insert((None::<Region>, tier, (key, provider)), entry);
			}
		}
		let needs = hard_needs::<T>();
		let found;

		#[block]
		{
			found = Providers::<T>::cheapest(&needs, BalanceOf::<T>::max_value(), 64, &[]);
		}

		assert!(found.is_empty());
	}

	/// The flat cost of matching: `p` providers in the index, the scan budget's worth of them
	/// cheapest and unbonded. Not part of the weights: `./scripts/bench.sh --matching` runs it
	/// to show that the time does not grow with `p`.
	#[benchmark(extra)]
	fn cheapest_with_providers(p: Linear<10, 100_000>) {
		for i in 0..p {
			let provider: T::AccountId = account("provider", i, 0);
			let entry = entry::<T>(&provider, 24 * 1024);
			let key = price_index::price_key::<T>(price::<T>(i));
			PriceIndex::<T>::insert(
				(None::<Region>, price_index::tier_of(entry.vram_mib), (key, provider)),
				entry,
			);
		}
		let needs = hard_needs::<T>();
		let found;

		#[block]
		{
			found = Providers::<T>::cheapest(&needs, BalanceOf::<T>::max_value(), 64, &[]);
		}

		assert!(found.is_empty());
	}

	/// An executor draw that looks at `t` providers: all of them matchable and meeting every
	/// need but the free stake for the duty's collateral, so that each try reads its roll entry,
	/// the record and both stake figures, and the draw finds nobody.
	#[benchmark]
	fn draw_executors(t: Linear<1, 128>) {
		for i in 0..t {
			matchable::<T>(
				&account("provider", i, 0),
				&account("worker", i, 0),
				Region::Europe,
				price::<T>(i),
			);
		}
		assert_eq!(DrawRollLen::<T>::get(), t);
		let needs = Needs {
			requirements: Requirements { min_gpus: 8, ..Default::default() },
			..hard_needs::<T>()
		};
		let found;

		#[block]
		{
			found = <Providers<T> as ProviderRegistry<_, _, _>>::draw(
				&needs,
				BalanceOf::<T>::max_value(),
				t,
				t,
				&[],
				BlockNumberFor::<T>::max_value(),
				&[7; 32],
			);
		}

		assert!(found.is_empty());
	}

	#[benchmark]
	fn job_assigned() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));

		#[block]
		{
			assert!(<Providers<T> as ProviderRegistry<_, _, _>>::job_assigned(&provider).is_ok());
		}

		assert_eq!(info::<T>(&provider).active_jobs, 1);
	}

	#[benchmark]
	fn job_released() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));
		// Full, so releasing a slot puts it back into the index.
		for _ in 0..T::MaxJobSlots::get() {
			assert!(<Providers<T> as ProviderRegistry<_, _, _>>::job_assigned(&provider).is_ok());
		}
		assert!(!info::<T>(&provider).indexed);

		#[block]
		{
			assert!(<Providers<T> as ProviderRegistry<_, _, _>>::job_released(&provider).is_ok());
		}

		assert!(info::<T>(&provider).indexed);
	}

	#[benchmark]
	fn record_outcome() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));

		#[block]
		{
			<Providers<T> as ReputationRecorder<_>>::record(
				&provider,
				Outcome::Completed,
				T::ReputationValueUnit::get(),
			);
		}

		assert!(
			info::<T>(&provider).reputation.score > tessera_primitives::market::REPUTATION_NEUTRAL
		);
	}

	/// A bond that now covers the provider's GPUs: it enters the price index and the liveness
	/// hook, with a fresh deadline since its old one passed while it was untracked.
	#[benchmark]
	fn stake_changed() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));
		// The state of an online provider the registry last saw without a bond, whatever the
		// stake pallet told it while bonding: out of the index and the liveness hook.
		let mut untracked = info::<T>(&provider);
		price_index::remove::<T>(
			&provider,
			untracked.profile.region,
			untracked.profile.gpu.vram_mib,
			untracked.price_per_unit,
		);
		LivenessDeadlines::<T>::remove(untracked.heartbeat_deadline, &provider);
		draw::leave::<T>(&provider);
		untracked.indexed = false;
		untracked.tracked = false;
		let late = untracked.heartbeat_deadline.saturating_add(One::one());
		crate::Providers::<T>::insert(&provider, untracked);
		frame_system::Pallet::<T>::set_block_number(late);

		#[block]
		{
			<Providers<T> as StakeObserver<_>>::stake_changed(&provider);
		}

		let info = info::<T>(&provider);
		assert!(info.indexed && info.tracked);
		assert_eq!(info.heartbeat_deadline, late.saturating_add(T::HeartbeatTimeout::get()));
		assert!(LivenessDeadlines::<T>::contains_key(info.heartbeat_deadline, &provider));
	}

	#[benchmark]
	fn fraud_proven() {
		let provider: T::AccountId = account("provider", 0, 0);
		matchable::<T>(&provider, &account("worker", 0, 0), Region::Europe, price::<T>(10));

		#[block]
		{
			<Providers<T> as StakeObserver<_>>::fraud_proven(&provider);
		}

		assert!(Banned::<T>::contains_key(&provider));
		assert!(!info::<T>(&provider).indexed);
	}

	impl_benchmark_test_suite!(
		Providers,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}

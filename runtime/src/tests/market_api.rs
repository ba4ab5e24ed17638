//! The market runtime API (`tessera_primitives::api::MarketApi`) on the development genesis:
//! each test calls the functions of [`crate::apis::market`], which the API runs unchanged, after
//! driving the market through its real calls.

use crate::{apis::market, *};
use codec::{Decode, Encode};
use sp_keyring::Sr25519Keyring;
use tessera_primitives::{
	api::{MarketStats, QuoteError, MAX_PAGE},
	jobs::{Inputs, JobSpec, Verification, Workload},
	market::{Region, Requirements, REPUTATION_NEUTRAL},
};

/// The `development` genesis, at block 1.
fn dev_ext() -> sp_io::TestExternalities {
	let mut ext = super::ext_from_preset("development");
	ext.execute_with(|| System::set_block_number(1));
	ext
}

fn account(key: Sr25519Keyring) -> AccountId {
	key.to_account_id()
}

fn profile(
	vram_gib: u32,
	count: u32,
	region: Region,
) -> pallet_providers::HardwareProfileOf<Runtime> {
	pallet_providers::HardwareProfile {
		gpu: pallet_providers::GpuSpec {
			model: sp_runtime::BoundedVec::truncate_from(b"NVIDIA RTX A6000".to_vec()),
			vram_mib: vram_gib * 1024,
			count,
			fp16_tflops: 155,
			int8_tops: 310,
		},
		cpu_cores: 32,
		ram_mib: 256 * 1024,
		disk_gib: 2_000,
		bandwidth_mbps: 1_000,
		region,
		capabilities: tessera_primitives::market::Capabilities {
			matmul_i8: true,
			..Default::default()
		},
	}
}

/// Registers `provider` with `worker` at `price` per unit and, if `bond`, bonds enough for its
/// GPUs so that it is matchable.
fn register(
	provider: &AccountId,
	worker: &AccountId,
	profile: pallet_providers::HardwareProfileOf<Runtime>,
	price: Balance,
	bond: bool,
) {
	let gpus = profile.gpu.count;
	assert_eq!(
		Providers::register(
			RuntimeOrigin::signed(provider.clone()),
			profile,
			price,
			4,
			sp_runtime::BoundedVec::truncate_from(b"https://gpu.example.org".to_vec()),
			worker.clone(),
		),
		Ok(())
	);
	if bond {
		let amount = Balance::from(gpus) * bond_per_gpu();
		assert_eq!(Stake::bond(RuntimeOrigin::signed(provider.clone()), amount), Ok(()));
	}
}

fn bond_per_gpu() -> Balance {
	genesis_config_presets::market_parameters().min_bond_per_gpu
}

/// A 4096^3 int8 matrix product (one tera-operation: one unit) from seed inputs.
fn matmul_spec(
	max_price: Balance,
	replicas: u32,
	deadline: BlockNumber,
) -> JobSpec<Balance, BlockNumber> {
	JobSpec {
		workload: Workload::MatMulI8 { m: 4096, n: 4096, k: 4096 },
		inputs: Inputs::Seed(sp_core::H256::repeat_byte(7)),
		requirements: Requirements::default(),
		max_price_per_unit: max_price,
		replicas,
		verification: Verification::SpotCheck,
		deadline,
	}
}

fn invalid_spec_name(result: Result<impl core::fmt::Debug, QuoteError>) -> String {
	match result {
		Err(QuoteError::InvalidSpec { name, .. }) => String::from_utf8(name).unwrap(),
		Ok(quote) => panic!("expected an invalid spec, got {quote:?}"),
	}
}

#[test]
fn providers_are_listed_paged_and_filtered() {
	dev_ext().execute_with(|| {
		let (bob, eve) = (account(Sr25519Keyring::Bob), account(Sr25519Keyring::Eve));
		assert_eq!(market::provider(bob.clone()), None);
		assert!(market::providers(None, 10, None).is_empty());

		register(
			&bob,
			&account(Sr25519Keyring::Charlie),
			profile(48, 2, Region::Europe),
			UNIT,
			true,
		);
		register(&eve, &account(Sr25519Keyring::Ferdie), profile(24, 1, Region::Asia), UNIT, false);

		let view = market::provider(bob.clone()).expect("Bob is registered");
		assert_eq!(view.info.worker, account(Sr25519Keyring::Charlie));
		assert_eq!(view.info.price_per_unit, UNIT);
		assert!(view.info.indexed, "bonded and online: matchable");
		assert_eq!(view.reputation, REPUTATION_NEUTRAL);
		assert_eq!(view.bonded, 2 * bond_per_gpu());
		let eve_view = market::provider(eve.clone()).expect("Eve is registered");
		assert_eq!((eve_view.bonded, eve_view.info.indexed), (0, false));

		// Everyone, then the same two one page at a time.
		let all: Vec<AccountId> =
			market::providers(None, 10, None).into_iter().map(|(who, _)| who).collect();
		assert_eq!(all.len(), 2);
		assert!(all.contains(&bob) && all.contains(&eve));
		let first = market::providers(None, 1, None);
		assert_eq!(first.len(), 1);
		let second = market::providers(Some(first[0].0.clone()), 1, None);
		assert_eq!(second.len(), 1);
		assert_eq!([first[0].0.clone(), second[0].0.clone()].to_vec(), all);
		assert!(market::providers(Some(second[0].0.clone()), 1, None).is_empty());
		// Each entry is what `provider` returns for the account.
		for (who, view) in market::providers(None, 10, None) {
			assert_eq!(Some(view), market::provider(who));
		}

		let only = |requirements: Requirements| -> Vec<AccountId> {
			market::providers(None, 10, Some(requirements)).into_iter().map(|(w, _)| w).collect()
		};
		assert_eq!(
			only(Requirements { region: Some(Region::Europe), ..Default::default() }),
			vec![bob.clone()]
		);
		assert_eq!(
			only(Requirements { min_vram_mib: 40 * 1024, ..Default::default() }),
			vec![bob.clone()]
		);
		assert_eq!(
			only(Requirements { region: Some(Region::Asia), ..Default::default() }),
			vec![eve.clone()]
		);
		assert!(only(Requirements { min_gpus: 3, ..Default::default() }).is_empty());
		assert!(only(Requirements { attestation: true, ..Default::default() }).is_empty());
		assert!(only(Requirements {
			min_reputation: REPUTATION_NEUTRAL + 1,
			..Default::default()
		})
		.is_empty());
		assert_eq!(
			only(Requirements { min_reputation: REPUTATION_NEUTRAL, ..Default::default() }).len(),
			2
		);
	});
}

#[test]
fn pages_are_capped() {
	dev_ext().execute_with(|| {
		for i in 0..=MAX_PAGE {
			// Distinct provider and worker accounts for every `i`; a provider needs the
			// registration deposit (and the existential deposit) to register.
			let (mut provider, mut worker) = ([0xaa; 32], [0xbb; 32]);
			provider[..4].copy_from_slice(&i.to_le_bytes());
			worker[..4].copy_from_slice(&i.to_le_bytes());
			let (provider, worker) = (AccountId::from(provider), AccountId::from(worker));
			let funds = configs::RegistrationDeposit::get() + EXISTENTIAL_DEPOSIT;
			super::market::mint(&provider, funds);
			register(&provider, &worker, profile(24, 1, Region::Oceania), UNIT, false);
		}
		assert_eq!(market::stats().providers, MAX_PAGE + 1);
		assert_eq!(market::providers(None, u32::MAX, None).len(), MAX_PAGE as usize);
		let first = market::providers(None, u32::MAX, None);
		let last = first.last().map(|(who, _)| who.clone());
		assert_eq!(market::providers(last, u32::MAX, None).len(), 1);
		assert!(market::providers(None, 0, None).is_empty());
	});
}

#[test]
fn quote_matches_what_post_holds_and_pays() {
	dev_ext().execute_with(|| {
		let (bob, dave) = (account(Sr25519Keyring::Bob), account(Sr25519Keyring::Dave));
		let now = System::block_number();
		// Bob asks 2 TSR per unit, Eve 3 TSR; both fit a job with default requirements.
		register(
			&bob,
			&account(Sr25519Keyring::Charlie),
			profile(48, 2, Region::Europe),
			2 * UNIT,
			true,
		);
		register(
			&account(Sr25519Keyring::Eve),
			&account(Sr25519Keyring::Ferdie),
			profile(80, 1, Region::Asia),
			3 * UNIT,
			true,
		);

		let spec = matmul_spec(4 * UNIT, 1, now + 100);
		let quote = market::quote(spec.clone()).expect("a valid spec");
		assert_eq!(quote.units, 1);
		// 4 TSR x 1 unit x 1 replica, plus the 2% protocol fee.
		assert_eq!(quote.escrow, 4 * UNIT + 4 * UNIT / 50);
		assert_eq!(quote.providers.len(), 1);
		assert_eq!(quote.providers[0].provider, bob);
		assert_eq!(quote.providers[0].price_per_unit, 2 * UNIT);
		assert_eq!(quote.total, 2 * UNIT + 2 * UNIT / 50);

		// Two replicas: both providers, cheapest first, and the total is both payments.
		let two = market::quote(matmul_spec(4 * UNIT, 2, now + 100)).expect("a valid spec");
		assert_eq!(two.escrow, 2 * quote.escrow);
		let prices: Vec<Balance> = two.providers.iter().map(|c| c.price_per_unit).collect();
		assert_eq!(prices, [2 * UNIT, 3 * UNIT]);
		assert_eq!(two.total, 5 * UNIT + 5 * UNIT / 50);
		// A price cap below Eve's leaves only Bob: posting this would queue it.
		let capped = market::quote(matmul_spec(5 * UNIT / 2, 2, now + 100)).expect("a valid spec");
		assert_eq!(capped.providers.len(), 1);

		// Posting the quoted spec holds exactly the quoted escrow and picks the quoted provider.
		assert_eq!(Jobs::post(RuntimeOrigin::signed(dave.clone()), spec.clone()), Ok(()));
		let job = market::job(0).expect("job 0 was posted");
		assert_eq!(job.client, dave);
		assert_eq!(job.spec, spec);
		assert_eq!((job.units, job.escrow), (quote.units, quote.escrow));
		assert_eq!(job.state, pallet_jobs::JobState::Active);
		assert_eq!(job.replicas.len(), 1);
		assert_eq!(job.replicas[0].provider, quote.providers[0].provider);
		assert_eq!(job.replicas[0].worker, quote.providers[0].worker);
		assert_eq!(market::job(1), None);
	});
}

#[test]
fn jobs_are_listed_by_client_and_provider_and_counted() {
	dev_ext().execute_with(|| {
		let (bob, dave) = (account(Sr25519Keyring::Bob), account(Sr25519Keyring::Dave));
		let now = System::block_number();
		assert_eq!(market::stats(), MarketStats::default());

		register(
			&bob,
			&account(Sr25519Keyring::Charlie),
			profile(48, 2, Region::Europe),
			2 * UNIT,
			true,
		);
		// Job 0 runs on Bob; job 1 needs 8 GPUs, which nobody offers, so it waits in the queue.
		let runs = matmul_spec(4 * UNIT, 1, now + 100);
		let mut waits = matmul_spec(4 * UNIT, 1, now + 100);
		waits.requirements.min_gpus = 8;
		let no_fit = market::quote(waits.clone()).expect("a valid spec");
		assert!(no_fit.providers.is_empty());
		assert_eq!(no_fit.total, 0);
		for spec in [runs, waits] {
			assert_eq!(Jobs::post(RuntimeOrigin::signed(dave.clone()), spec), Ok(()));
		}
		assert_eq!(market::job(1).map(|job| job.state), Some(pallet_jobs::JobState::Queued));

		let mut by_dave = market::jobs_by_client(dave.clone(), None, 10);
		by_dave.sort();
		assert_eq!(by_dave, [0, 1]);
		// Page by page, in storage order.
		let first = market::jobs_by_client(dave.clone(), None, 1);
		let second = market::jobs_by_client(dave.clone(), first.first().copied(), 1);
		assert_eq!(first.len() + second.len(), 2);
		assert_ne!(first, second);
		assert!(market::jobs_by_client(dave.clone(), second.first().copied(), 1).is_empty());
		assert!(market::jobs_by_client(bob.clone(), None, 10).is_empty());
		assert_eq!(market::jobs_by_provider(bob.clone(), None, 10), [0]);
		assert!(market::jobs_by_provider(bob.clone(), Some(0), 10).is_empty());
		assert!(market::jobs_by_provider(dave.clone(), None, 10).is_empty());

		let escrow = |id| market::job(id).map_or(0, |job| job.escrow);
		assert_eq!(
			market::stats(),
			MarketStats {
				providers: 1,
				providers_online: 1,
				gpus_online: 2,
				jobs_posted: 2,
				jobs_queued: 1,
				jobs_active: 1,
				escrowed: escrow(0) + escrow(1),
				queue_length: 1,
				..Default::default()
			}
		);

		// Cancelling the queued job moves it from queued to cancelled and frees its escrow.
		assert_eq!(Jobs::cancel(RuntimeOrigin::signed(dave.clone()), 1), Ok(()));
		let stats = market::stats();
		assert_eq!((stats.jobs_queued, stats.jobs_cancelled, stats.queue_length), (0, 1, 0));
		assert_eq!(stats.escrowed, escrow(0));
	});
}

#[test]
fn quote_names_what_post_would_refuse() {
	dev_ext().execute_with(|| {
		let now = System::block_number();
		let min = configs::MinDeadline::get();
		// A post sent now lands in the next block, so the deadline must be `MinDeadline` after
		// that one.
		assert_eq!(
			invalid_spec_name(market::quote(matmul_spec(UNIT, 1, now + min))),
			"DeadlineTooSoon"
		);
		assert!(market::quote(matmul_spec(UNIT, 1, now + 1 + min)).is_ok());
		let far = now + 1 + configs::MaxDeadline::get() + 1;
		assert_eq!(invalid_spec_name(market::quote(matmul_spec(UNIT, 1, far))), "DeadlineTooFar");
		assert_eq!(
			invalid_spec_name(market::quote(matmul_spec(UNIT, 0, now + 100))),
			"ZeroReplicas"
		);
		assert_eq!(
			invalid_spec_name(market::quote(matmul_spec(UNIT, 9, now + 100))),
			"TooManyReplicas"
		);
		assert_eq!(invalid_spec_name(market::quote(matmul_spec(0, 1, now + 100))), "ZeroPrice");
		let mut opaque = matmul_spec(UNIT, 1, now + 100);
		opaque.workload = Workload::Opaque { program: Default::default(), gpu_seconds: 60 };
		assert_eq!(
			invalid_spec_name(market::quote(opaque.clone())),
			"SpotCheckNeedsDeterministicWorkload"
		);
		opaque.verification = Verification::Optimistic;
		assert_eq!(market::quote(opaque).map(|quote| quote.units), Ok(60));
		assert_eq!(
			invalid_spec_name(market::quote(matmul_spec(Balance::MAX, 2, now + 100))),
			"BudgetOverflow"
		);

		// Through the API boundary (SCALE) the error keeps the pallet's index and its name.
		let Err(error) = market::quote(matmul_spec(UNIT, 0, now + 100)) else {
			panic!("zero replicas is invalid")
		};
		let decoded = QuoteError::decode(&mut &error.encode()[..]).unwrap();
		let QuoteError::InvalidSpec { error: sp_runtime::DispatchError::Module(module), name } =
			decoded
		else {
			panic!("a module error: {decoded:?}")
		};
		assert_eq!(module.index, 42);
		assert_eq!(name, b"ZeroReplicas");
	});
}

/// polkadot.js finds runtime APIs in the metadata (v15 and later): `api.call.marketApi.*`
/// exists only if `MarketApi` is there, with its methods and types.
#[test]
fn market_api_is_in_the_metadata() {
	use frame_support::__private::metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
	let bytes = Runtime::metadata_at_version(15).expect("v15 is offered");
	let prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).unwrap();
	let RuntimeMetadata::V15(metadata) = prefixed.1 else { panic!("not v15") };
	let api = metadata.apis.iter().find(|api| api.name == "MarketApi").expect("MarketApi listed");
	let methods: Vec<&str> = api.methods.iter().map(|m| m.name.as_str()).collect();
	assert_eq!(
		methods,
		["provider", "providers", "job", "jobs_by_client", "jobs_by_provider", "quote", "stats"]
	);
	for method in &api.methods {
		assert!(metadata.types.resolve(method.output.id).is_some(), "{} output", method.name);
		for input in &method.inputs {
			assert!(metadata.types.resolve(input.ty.id).is_some(), "{} input", method.name);
		}
	}
	// And the node sees it in the runtime version.
	use sp_api::RuntimeApiInfo;
	let id = <dyn tessera_primitives::api::MarketApi<
		Block,
		AccountId,
		Balance,
		BlockNumber,
		apis::MarketProvider,
		apis::MarketJob,
	>>::ID;
	assert!(VERSION.apis.iter().any(|(api_id, version)| *api_id == id && *version == 1));
}

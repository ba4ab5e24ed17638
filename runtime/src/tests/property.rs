//! A property test of the composed runtime: random sequences of calls from honest and hostile
//! actors, block after block, asserting after every block that nothing panicked, every
//! invariant of the four market pallets holds (money conserved, escrow = budget - payments -
//! fees, collateral = held, slots = duties: [`super::market::check_invariants`]), the total
//! issuance did not move, and no honest provider has less stake or less money than it started
//! with.
//!
//! The actors:
//! - two honest providers, whose workers acknowledge every job they are given (declining what
//!   their free stake cannot cover), submit the right output at once, answer every draw, and
//!   report honestly as executors;
//! - a hostile provider that, job by job, declines, stays silent, acknowledges and never
//!   delivers, or delivers a lazy output;
//! - clients that post jobs (some nobody can run), cancel, accept early and challenge any
//!   receipt, honest or not, and a watcher that challenges at random.
//!
//! The random source is splitmix64 from fixed seeds, so a failure replays exactly; CI runs
//! [`CASES`] cases of [`BLOCKS`] blocks.

use super::market::*;
use crate::*;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave, Eve, Ferdie, One, Two};
use std::collections::BTreeMap;
use tessera_commitment::{matmul_reference, seed_matrices, Dims, Opening, Prover};
use tessera_primitives::{
	jobs::{Inputs, JobSpec, Receipt, Verification, Workload},
	market::Requirements,
};

const CASES: u64 = 6;
const BLOCKS: u32 = 150;

struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n.max(1)
	}
	fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}
}

/// What the hostile provider does with a job it is given.
#[derive(Clone, Copy)]
enum Plan {
	Decline,
	Silence,
	NeverDeliver,
	Lazy,
}

struct World {
	honest: Vec<(AccountId, AccountId)>,
	hostile: (AccountId, AccountId),
	clients: Vec<AccountId>,
	watcher: AccountId,
	plans: BTreeMap<u64, Plan>,
}

fn dims_of(job: u64) -> Option<Dims> {
	let record = pallet_jobs::Jobs::<Runtime>::get(job)?;
	match record.spec.workload {
		Workload::MatMulI8 { m, n, k } => Some(Dims { m, n, k }),
		Workload::Opaque { .. } => None,
	}
}

fn seed_of(job: u64) -> Option<sp_core::H256> {
	match pallet_jobs::Jobs::<Runtime>::get(job)?.spec.inputs {
		Inputs::Seed(seed) => Some(seed),
		Inputs::Content { .. } => None,
	}
}

/// The prover of `job`'s right output, or of a lazy one (every other row zero).
fn prover(job: u64, lazy: bool) -> Option<Prover> {
	let (d, seed) = (dims_of(job)?, seed_of(job)?);
	let (a, b) = seed_matrices(&seed, d);
	let mut c = matmul_reference(d, &a, &b);
	if lazy {
		for (at, value) in c.iter_mut().enumerate() {
			if (at / d.n as usize) % 2 == 1 {
				*value ^= 1;
			}
		}
	}
	Prover::new(d, None, &c)
}

fn receipt(prover: &Prover, units: u64) -> Receipt {
	Receipt {
		output_commitment: prover.output_commitment(),
		output_uri: sp_runtime::BoundedVec::truncate_from(b"https://w.example.org/c".to_vec()),
		used_units: units,
		enclave_signature: None,
	}
}

/// One worker's turn for provider `provider` (worker `worker`): what an honest worker does,
/// or, with `lazy`, delivers a lazy output instead.
fn work(provider: &AccountId, worker: &AccountId, lazy: bool, plans: &BTreeMap<u64, Plan>) {
	let origin = || RuntimeOrigin::signed(worker.clone());
	let assigned: Vec<(u64, u32)> =
		pallet_jobs::ProviderJobs::<Runtime>::iter_prefix(provider).collect();
	for (job, replica) in assigned {
		let Some(record) = pallet_jobs::Jobs::<Runtime>::get(job) else { continue };
		let Some(slot) = record.replicas.get(replica as usize) else { continue };
		let plan = plans.get(&job).copied();
		match slot.state {
			pallet_jobs::ReplicaState::AwaitingAck { .. } => match plan {
				Some(Plan::Decline) => {
					let _ = Jobs::decline(origin(), job, replica);
				},
				Some(Plan::Silence) => {},
				_ => {
					if Jobs::acknowledge(origin(), job, replica).is_err() {
						let _ = Jobs::decline(origin(), job, replica);
					}
				},
			},
			pallet_jobs::ReplicaState::Running => {
				if matches!(plan, Some(Plan::NeverDeliver)) {
					continue;
				}
				let Some(prover) = prover(job, lazy) else { continue };
				// A refusal would be a missed deadline: the stake assertions would catch it.
				let _ =
					Jobs::submit_receipt(origin(), job, replica, receipt(&prover, record.units));
			},
			_ => {},
		}
	}
	// Answer every draw of its own receipts; report as an executor.
	let checks: Vec<_> = pallet_proofs::Checks::<Runtime>::iter().collect();
	for (job, replica, check) in checks {
		match &check.stage {
			pallet_proofs::Stage::Sampling { positions, .. } if check.provider == *provider => {
				let Some(prover) = prover(job, lazy) else { continue };
				let openings: Vec<(u32, Opening)> = positions
					.iter()
					.enumerate()
					.filter_map(|(s, p)| Some((s as u32, prover.open(*p)?)))
					.collect();
				let _ = Proofs::respond(
					origin(),
					job,
					replica,
					prover.roots(),
					sp_runtime::BoundedVec::truncate_from(openings),
				);
			},
			pallet_proofs::Stage::Reexecution { executors, .. }
				if executors.iter().any(|e| e.provider == *provider && e.result.is_none()) =>
			{
				let Some(prover) = prover(job, lazy) else { continue };
				let _ =
					Proofs::report_reexecution(origin(), job, replica, prover.output_commitment());
			},
			_ => {},
		}
	}
}

fn random_spec(rng: &mut Rng) -> JobSpec<Balance, BlockNumber> {
	let impossible = rng.chance(10);
	let workload = if impossible {
		Workload::MatMulI8 { m: 1 << 20, n: 1 << 20, k: 1 + rng.below(4) as u32 }
	} else {
		Workload::MatMulI8 {
			m: 1 + rng.below(40) as u32,
			n: 1 + rng.below(90) as u32,
			k: 1 + rng.below(40) as u32,
		}
	};
	let verification =
		if rng.chance(50) { Verification::SpotCheck } else { Verification::Optimistic };
	JobSpec {
		workload,
		inputs: Inputs::Seed(sp_core::H256::repeat_byte(rng.below(256) as u8)),
		requirements: Requirements { min_gpus: 1, ..Default::default() },
		max_price_per_unit: UNIT / 10 * (1 + rng.below(20) as u128),
		replicas: 1,
		verification,
		deadline: System::block_number()
			+ configs::MinDeadline::get()
			+ rng.below(60) as BlockNumber,
	}
}

fn act(world: &mut World, rng: &mut Rng) {
	for _ in 0..rng.below(4) {
		let client = world.clients[rng.below(world.clients.len() as u64) as usize].clone();
		let job = pallet_jobs::NextJobId::<Runtime>::get();
		if Jobs::post(RuntimeOrigin::signed(client), random_spec(rng)).is_ok() {
			let plan = match rng.below(5) {
				0 => Plan::Decline,
				1 => Plan::Silence,
				2 => Plan::NeverDeliver,
				3 => Plan::Lazy,
				_ => Plan::Lazy,
			};
			world.plans.insert(job, plan);
		}
	}
	// Clients and the watcher poke at whatever is open: cancel, accept, challenge.
	let open: Vec<u64> = pallet_jobs::Jobs::<Runtime>::iter()
		.filter(|(_, job)| job.state.is_open())
		.map(|(id, _)| id)
		.collect();
	for job in open {
		let Some(record) = pallet_jobs::Jobs::<Runtime>::get(job) else { continue };
		let client = RuntimeOrigin::signed(record.client.clone());
		match rng.below(10) {
			0 => {
				let _ = Jobs::cancel(client, job);
			},
			1 => {
				let _ = Jobs::accept(client, job, 0);
			},
			2 => {
				let _ = Jobs::challenge(client, job, 0);
			},
			3 => {
				let _ = Jobs::challenge(RuntimeOrigin::signed(world.watcher.clone()), job, 0);
			},
			_ => {},
		}
	}
	// Honest workers follow no plan: they run everything they are given.
	for (provider, worker) in world.honest.clone() {
		work(&provider, &worker, false, &BTreeMap::new());
	}
	let (provider, worker) = world.hostile.clone();
	let lazy_jobs: BTreeMap<u64, Plan> = world.plans.clone();
	// The hostile provider lies on the jobs planned lazy, and on the others follows its plan.
	let assigned: Vec<(u64, u32)> =
		pallet_jobs::ProviderJobs::<Runtime>::iter_prefix(&provider).collect();
	let lazy = assigned.iter().any(|(job, _)| matches!(lazy_jobs.get(job), Some(Plan::Lazy)));
	work(&provider, &worker, lazy, &lazy_jobs);
}

fn run_case(seed: u64) {
	dev_ext().execute_with(|| {
		let mut rng = Rng(seed);
		let key = |k: sp_keyring::Sr25519Keyring| account(k);
		let honest = vec![(key(Bob), key(Charlie)), (key(Eve), key(Ferdie))];
		let hostile = (key(One), key(Two));
		let watcher = AccountId::from([0x77; 32]);
		mint(&watcher, 10_000 * UNIT);
		for (i, (provider_account, worker)) in honest.iter().chain([&hostile]).enumerate() {
			mint(worker, UNIT);
			mint(provider_account, 10_000 * UNIT);
			// Cheapest first: the hostile provider undercuts the honest ones.
			let price = if i == 2 { UNIT / 20 } else { UNIT / 10 * (1 + i as u128) };
			provider(provider_account, worker, price, 4, None);
		}
		let mut world = World {
			honest: honest.clone(),
			hostile,
			clients: vec![key(Alice), key(Dave)],
			watcher: watcher.clone(),
			plans: BTreeMap::new(),
		};
		let issuance = Balances::total_issuance();
		let before: Vec<(Balance, Balance)> =
			honest.iter().map(|(p, _)| (stake_of(p), total(p))).collect();
		let workers: Vec<AccountId> =
			world.honest.iter().chain([&world.hostile]).map(|(_, w)| w.clone()).collect();
		for _ in 0..BLOCKS {
			beat(&workers);
			act(&mut world, &mut rng);
			run_to(System::block_number() + 1);
			assert_eq!(Balances::total_issuance(), issuance, "seed {seed}: issuance moved");
			for ((provider, _), (stake, money)) in honest.iter().zip(&before) {
				assert!(
					stake_of(provider) >= *stake,
					"seed {seed}: an honest stake fell at block {}: {:?}",
					System::block_number(),
					System::events()
				);
				assert!(total(provider) >= *money, "seed {seed}: an honest provider lost money");
			}
		}
	});
}

#[test]
fn honest_providers_never_lose_stake_whatever_the_others_do() {
	for case in 0..CASES {
		run_case(0x7E55_E8A0 + case);
	}
}

//! Spot-checks through the real pallets on the development genesis: a job is posted, matched,
//! acknowledged and receipted through the jobs pallet's calls, the proofs pallet draws its
//! samples from real block hashes, and the worker answers with the shared commitment crate.
//! An honest provider is paid; a cheating one is slashed for fraud, banned, and its client is
//! refunded and compensated, with every unit accounted for.

use super::market::{account, jobs_events, proofs_events, run_to};
use crate::*;
use frame_support::traits::fungible::{Inspect, InspectHold};
use sp_keyring::Sr25519Keyring;
use tessera_commitment::{matmul_reference, seed_matrices, Dims, Opening, Prover};
use tessera_primitives::{
	jobs::{Inputs, JobSpec, Receipt, Verification, Workload},
	market::Requirements,
};

const DIMS: Dims = Dims { m: 24, n: 70, k: 33 };
const SEED: [u8; 32] = [7; 32];

struct Market {
	provider: AccountId,
	worker: AccountId,
	client: AccountId,
	bond: Balance,
}

/// Bob registers one GPU with Charlie as worker and bonds for it; Dave is the client.
fn market() -> Market {
	let provider = account(Sr25519Keyring::Bob);
	let worker = account(Sr25519Keyring::Charlie);
	assert!(Providers::register(
		RuntimeOrigin::signed(provider.clone()),
		super::market::profile(1),
		UNIT,
		1,
		sp_runtime::BoundedVec::truncate_from(b"https://bob.example.org".to_vec()),
		worker.clone(),
	)
	.is_ok());
	let bond = genesis_config_presets::market_parameters().min_bond_per_gpu;
	assert!(Stake::bond(RuntimeOrigin::signed(provider.clone()), bond).is_ok());
	Market { provider, worker, client: account(Sr25519Keyring::Dave), bond }
}

fn spec() -> JobSpec<Balance, BlockNumber> {
	JobSpec {
		workload: Workload::MatMulI8 { m: DIMS.m, n: DIMS.n, k: DIMS.k },
		inputs: Inputs::Seed(sp_core::H256(SEED)),
		requirements: Requirements { min_gpus: 1, ..Default::default() },
		max_price_per_unit: 2 * UNIT,
		replicas: 1,
		verification: Verification::SpotCheck,
		deadline: 200,
	}
}

/// Posts the job, acknowledges it and submits a receipt committing to `c`; answers the drawn
/// samples with openings of `c`. Returns the job and the prover.
fn run_job(market: &Market, c: &[i32]) -> u64 {
	let job = pallet_jobs::NextJobId::<Runtime>::get();
	assert!(Jobs::post(RuntimeOrigin::signed(market.client.clone()), spec()).is_ok());
	assert!(Jobs::acknowledge(RuntimeOrigin::signed(market.worker.clone()), job, 0).is_ok());
	let prover = Prover::new(DIMS, None, c).expect("dimensions match");
	let receipt = Receipt {
		output_commitment: prover.output_commitment(),
		output_uri: sp_runtime::BoundedVec::truncate_from(b"https://bob.example.org/c".to_vec()),
		used_units: 1,
		enclave_signature: None,
	};
	assert!(
		Jobs::submit_receipt(RuntimeOrigin::signed(market.worker.clone()), job, 0, receipt).is_ok()
	);
	// The draw: RandomnessDelay blocks later, plus one.
	run_to(System::block_number() + configs::RandomnessDelay::get() + 1);
	let positions =
		proofs_events()
			.into_iter()
			.find_map(|event| match event {
				pallet_proofs::Event::SamplesDrawn {
					job: drawn, positions, audit: false, ..
				} if drawn == job => Some(positions),
				_ => None,
			})
			.expect("samples drawn");
	assert_eq!(positions.len(), 8);
	let openings: Vec<(u32, Opening)> = positions
		.iter()
		.enumerate()
		.map(|(sample, position)| (sample as u32, prover.open(*position).expect("in range")))
		.collect();
	assert!(Proofs::respond(
		RuntimeOrigin::signed(market.worker.clone()),
		job,
		0,
		prover.roots(),
		sp_runtime::BoundedVec::truncate_from(openings),
	)
	.is_ok());
	// The verdict comes with the last answer, in the same block.
	job
}

fn honest_output() -> Vec<i32> {
	let (a, b_cols) = seed_matrices(&sp_core::H256(SEED), DIMS);
	matmul_reference(DIMS, &a, &b_cols)
}

#[test]
fn an_honest_provider_passes_its_spot_check_and_is_paid() {
	super::market::dev_ext().execute_with(|| {
		let market = market();
		let issuance = Balances::total_issuance();
		let client_before = Balances::balance(&market.client);
		let provider_before = Balances::balance(&market.provider);
		let job = run_job(&market, &honest_output());
		assert!(
			proofs_events().contains(&pallet_proofs::Event::SpotCheckPassed { job, replica: 0 })
		);
		let record = pallet_jobs::Jobs::<Runtime>::get(job).expect("job exists");
		assert_eq!(record.state, pallet_jobs::JobState::Completed);
		// One unit at the provider's price of 1 TSR, and the 2% fee.
		assert_eq!(Balances::balance(&market.provider), provider_before + UNIT);
		assert_eq!(Balances::balance(&market.client), client_before - UNIT - UNIT / 50);
		assert_eq!(Balances::total_issuance(), issuance);
		assert!(!pallet_providers::Banned::<Runtime>::contains_key(&market.provider));
		assert_eq!(pallet_proofs::Checks::<Runtime>::iter().count(), 0);
	});
}

#[test]
fn a_provider_that_skipped_rows_is_slashed_banned_and_the_client_compensated() {
	super::market::dev_ext().execute_with(|| {
		let market = market();
		let treasury = configs::TreasuryAccount::get();
		let issuance = Balances::total_issuance();
		let client_before = Balances::balance(&market.client);
		let provider_before = Balances::total_balance(&market.provider);
		let treasury_before = Balances::balance(&treasury);
		// The cheater computes every other row and leaves the rest zero: half the work. Every
		// sample lands on a wrong row with probability 1/2, so 8 samples miss them all with
		// probability 1/256; this seed's draw catches it (the draw is deterministic here).
		let mut output = honest_output();
		for (at, value) in output.iter_mut().enumerate() {
			if (at / DIMS.n as usize) % 2 == 1 {
				*value = 0;
			}
		}
		let job = run_job(&market, &output);
		assert!(proofs_events().iter().any(|event| matches!(
			event,
			pallet_proofs::Event::SpotCheckFailed {
				job: failed,
				fault: pallet_proofs::Fault::Opening {
					error: tessera_commitment::OpeningError::WrongProduct,
					..
				},
				..
			} if *failed == job
		)));
		assert!(jobs_events().contains(&pallet_jobs::Event::ReplicaFailed {
			job,
			replica: 0,
			provider: market.provider.clone(),
			reason: pallet_jobs::FailureReason::Rejected,
		}));
		let record = pallet_jobs::Jobs::<Runtime>::get(job).expect("job exists");
		assert_eq!(record.state, pallet_jobs::JobState::Failed);
		assert_eq!(record.escrow, 0);
		// Fraud takes the whole bond: half to the client, the rest to the treasury. The
		// client's escrow came back whole.
		let to_client = market.bond / 2;
		assert_eq!(Balances::balance(&market.client), client_before + to_client);
		assert_eq!(
			Balances::balance_on_hold(
				&RuntimeHoldReason::Jobs(pallet_jobs::HoldReason::Escrow),
				&market.client
			),
			0
		);
		assert_eq!(Balances::total_balance(&market.provider), provider_before - market.bond);
		assert_eq!(Balances::balance(&treasury), treasury_before + market.bond - to_client);
		assert_eq!(Balances::total_issuance(), issuance);
		assert!(pallet_stake::Ledgers::<Runtime>::get(&market.provider).is_none());
		assert!(pallet_providers::Banned::<Runtime>::contains_key(&market.provider));
		assert!(pallet_jobs::ProviderJobs::<Runtime>::iter_prefix(&market.provider)
			.next()
			.is_none());
	});
}

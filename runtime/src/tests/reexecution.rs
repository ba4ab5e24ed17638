//! Attack 3 of protocol v2, captured re-execution, through the real pallets on the development
//! genesis: a client that also runs providers, and registers cheap ones after seeing an honest
//! receipt, challenges it hoping its own accounts re-execute it. The executors are drawn from
//! providers registered before the receipt, never the client or the challenger: honest ones,
//! who uphold the receipt. The honest provider keeps every unit of its stake and earns the
//! challenger's bond; the executors get their collateral back; the attacker loses its bond.

use super::market::*;
use crate::*;
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie};
use tessera_commitment::{matmul_reference, seed_matrices, Dims, Prover};
use tessera_primitives::{
	jobs::{sealed_output, Inputs, JobSpec, Receipt, Verification, Workload},
	market::Requirements,
};

const DIMS: Dims = Dims { m: 24, n: 70, k: 33 };
const SEED: [u8; 32] = [5; 32];

/// A funded account that no keyring names: `n` repeated.
fn fresh(n: u8) -> AccountId {
	let who = AccountId::new([n; 32]);
	assert_eq!(
		Balances::transfer_keep_alive(
			RuntimeOrigin::signed(account(Alice)),
			who.clone().into(),
			10_000 * UNIT
		),
		Ok(())
	);
	who
}

/// A provider and its worker, fresh accounts `n` and `n + 100`, at `price`.
fn fresh_provider(n: u8, price: Balance) -> (AccountId, AccountId) {
	let (provider, worker) = (fresh(n), fresh(n + 100));
	super::market::provider(&provider, &worker, price, 4, None);
	(provider, worker)
}

fn optimistic_spec() -> JobSpec<Balance, BlockNumber> {
	JobSpec {
		workload: Workload::MatMulI8 { m: DIMS.m, n: DIMS.n, k: DIMS.k },
		inputs: Inputs::Seed(H256(SEED)),
		requirements: Requirements { min_gpus: 1, ..Default::default() },
		max_price_per_unit: UNIT,
		replicas: 1,
		verification: Verification::Optimistic,
		deadline: System::block_number() + 400,
	}
}

fn honest_output() -> H256 {
	let (a, b_cols) = seed_matrices(&H256(SEED), DIMS);
	let c = matmul_reference(DIMS, &a, &b_cols);
	Prover::new(DIMS, None, &c).expect("dimensions match").output_commitment()
}

#[test]
fn a_challenger_cannot_pick_the_executors_of_an_honest_receipt() {
	dev_ext().execute_with(|| {
		let (bob, bobs) = (account(Bob), account(Charlie));
		let attacker = fresh(1);
		// The attacker runs a provider of its own from before the receipt too, cheaper than
		// the honest executors.
		let attackers_worker = fresh(2);
		super::market::provider(&attacker, &attackers_worker, UNIT / 80, 4, None);
		let honest: Vec<(AccountId, AccountId)> =
			(10..13).map(|n| fresh_provider(n, UNIT / 50)).collect();
		// Bob is the cheapest: the job is his.
		super::market::provider(&bob, &bobs, UNIT / 100, 4, None);
		let mut workers: Vec<AccountId> = honest.iter().map(|(_, w)| w.clone()).collect();
		workers.extend([bobs.clone(), attackers_worker.clone()]);
		run_to_beating(System::block_number() + 1, &workers);
		let bob_stake = stake_of(&bob);
		let bob_before = total(&bob);
		let attacker_before = total(&attacker);
		let job = pallet_jobs::NextJobId::<Runtime>::get();
		assert_eq!(Jobs::post(RuntimeOrigin::signed(attacker.clone()), optimistic_spec()), Ok(()));
		let record = pallet_jobs::Jobs::<Runtime>::get(job).expect("job");
		assert_eq!(record.replicas[0].provider, bob, "Bob runs the job");
		let output = honest_output();
		assert_eq!(Jobs::acknowledge(RuntimeOrigin::signed(bobs.clone()), job, 0), Ok(()));
		let receipt = Receipt {
			output_commitment: output,
			output_uri: sp_runtime::BoundedVec::truncate_from(
				b"https://bob.example.org/c".to_vec(),
			),
			used_units: 1,
			enclave_signature: None,
		};
		assert_eq!(
			Jobs::submit_receipt(RuntimeOrigin::signed(bobs.clone()), job, 0, receipt),
			Ok(())
		);
		// Having seen the receipt, the attacker registers three much cheaper providers in the
		// next block...
		run_to_beating(System::block_number() + 1, &workers);
		let sybils: Vec<(AccountId, AccountId)> =
			(20..23).map(|n| fresh_provider(n, UNIT / 10_000)).collect();
		workers.extend(sybils.iter().map(|(_, w)| w.clone()));
		// ...and challenges.
		assert_eq!(Jobs::challenge(RuntimeOrigin::signed(attacker.clone()), job, 0), Ok(()));
		let draw = System::block_number() + configs::RandomnessDelay::get() + 1;
		run_to_beating(draw, &workers);
		let Some(pallet_proofs::Stage::Reexecution { executors, .. }) =
			pallet_proofs::Checks::<Runtime>::get(job, 0).map(|c| c.stage)
		else {
			panic!("executors drawn")
		};
		let mut drawn: Vec<AccountId> = executors.iter().map(|e| e.provider.clone()).collect();
		drawn.sort();
		let mut expected: Vec<AccountId> = honest.iter().map(|(p, _)| p.clone()).collect();
		expected.sort();
		assert_eq!(drawn, expected, "neither the sybils, nor the client, nor Bob");
		let stakes: Vec<Balance> = honest.iter().map(|(p, _)| stake_of(p)).collect();
		for (provider, worker) in &honest {
			let salt = H256(sp_io::hashing::blake2_256(worker.as_ref()));
			let seal = sealed_output(job, 0, provider, &output, &salt);
			assert!(Proofs::report_reexecution(
				RuntimeOrigin::signed(worker.clone()),
				job,
				0,
				seal
			)
			.is_ok());
		}
		for (_, worker) in &honest {
			let salt = H256(sp_io::hashing::blake2_256(worker.as_ref()));
			assert!(Proofs::reveal_reexecution(
				RuntimeOrigin::signed(worker.clone()),
				job,
				0,
				output,
				salt
			)
			.is_ok());
		}
		// Settled in the block of the last reveal.
		assert!(matches!(
			pallet_jobs::Jobs::<Runtime>::get(job).expect("job").replicas[0].state,
			pallet_jobs::ReplicaState::Paid { .. }
		));
		let bond = pallet_proofs::Pallet::<Runtime>::bond_held(&attacker);
		assert_eq!(bond, 0);
		run_to_beating(System::block_number() + 1, &workers);
		let settled = proofs_events().into_iter().find_map(|e| match e {
			pallet_proofs::Event::ChallengeSettled {
				upheld, to_provider, to_executors, ..
			} => Some((upheld, to_provider, to_executors)),
			_ => None,
		});
		let Some((true, to_provider, to_executors)) = settled else {
			panic!("the challenge is settled for Bob: {settled:?}")
		};
		assert_eq!(to_provider + to_executors, configs::ChallengeBond::get());
		let pallet_jobs::ReplicaState::Paid { payment, .. } =
			pallet_jobs::Jobs::<Runtime>::get(job).expect("job").replicas[0].state
		else {
			panic!("paid")
		};
		assert_eq!(stake_of(&bob), bob_stake, "Bob's stake is untouched");
		assert_eq!(total(&bob), bob_before + payment + to_provider);
		for ((provider, _), stake) in honest.iter().zip(stakes) {
			assert_eq!(stake_of(provider), stake, "the executor's collateral came back");
			let committed =
				<Stake as tessera_primitives::market::Collateral<_, _>>::committed(provider);
			assert_eq!(committed, 0);
		}
		assert!(total(&attacker) <= attacker_before - configs::ChallengeBond::get());
	});
}

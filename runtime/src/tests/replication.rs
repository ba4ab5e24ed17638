//! Attack 5 of protocol v2, replication, through the real pallets on the development genesis:
//! a replica cannot copy another's sealed result, and an honest minority is paid, not slashed,
//! when the majority that outvoted it is proven wrong.

use super::market::*;
use crate::*;
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, AliceStash, Bob, Charlie, Dave, Eve, Ferdie};
use tessera_commitment::{matmul_reference, seed_matrices, Dims, Opening, Prover};
use tessera_primitives::{
	jobs::{sealed_output, Inputs, JobSpec, Receipt, Verification, Workload},
	market::Requirements,
};

const DIMS: Dims = Dims { m: 24, n: 70, k: 33 };
const SEED: [u8; 32] = [9; 32];
const PRICE: Balance = UNIT / 100;

/// A `MatMulI8` job on seed inputs, run by three replicas.
fn replicated_spec() -> JobSpec<Balance, BlockNumber> {
	JobSpec {
		workload: Workload::MatMulI8 { m: DIMS.m, n: DIMS.n, k: DIMS.k },
		inputs: Inputs::Seed(H256(SEED)),
		requirements: Requirements { min_gpus: 1, ..Default::default() },
		max_price_per_unit: UNIT,
		replicas: 3,
		verification: Verification::Replicated,
		deadline: System::block_number() + 400,
	}
}

fn honest() -> Prover {
	let (a, b_cols) = seed_matrices(&H256(SEED), DIMS);
	Prover::new(DIMS, None, &matmul_reference(DIMS, &a, &b_cols)).expect("dimensions match")
}

/// Every other row left zero: half the work, and a wrong result.
fn lazy() -> Prover {
	let (a, b_cols) = seed_matrices(&H256(SEED), DIMS);
	let mut c = matmul_reference(DIMS, &a, &b_cols);
	for (at, value) in c.iter_mut().enumerate() {
		if (at / DIMS.n as usize) % 2 == 1 {
			*value = 0;
		}
	}
	Prover::new(DIMS, None, &c).expect("dimensions match")
}

/// The salt `worker` seals with.
fn salt(worker: &AccountId) -> H256 {
	H256(sp_io::hashing::blake2_256(worker.as_ref()))
}

/// Three providers at the same price, each with its own worker: `(provider, worker)`.
fn three_providers() -> [(AccountId, AccountId); 3] {
	let pairs = [(Bob, Charlie), (Dave, Eve), (Ferdie, AliceStash)];
	pairs.map(|(p, w)| {
		let (provider, worker) = (account(p), account(w));
		super::market::provider(&provider, &worker, PRICE, 4, None);
		(provider, worker)
	})
}

/// The replica of `job` that `provider` runs.
fn replica_of(job: u64, provider: &AccountId) -> u32 {
	let record = pallet_jobs::Jobs::<Runtime>::get(job).expect("job");
	record.replicas.iter().position(|r| r.provider == *provider).expect("assigned") as u32
}

/// `worker` acknowledges replica `replica` of `job` and submits `seal` as its receipt.
fn seal(worker: &AccountId, job: u64, replica: u32, seal: H256) {
	assert_eq!(Jobs::acknowledge(RuntimeOrigin::signed(worker.clone()), job, replica), Ok(()));
	let receipt = Receipt {
		output_commitment: seal,
		output_uri: sp_runtime::BoundedVec::truncate_from(b"https://p.example.org/c".to_vec()),
		used_units: 1,
		enclave_signature: None,
	};
	assert_eq!(
		Jobs::submit_receipt(RuntimeOrigin::signed(worker.clone()), job, replica, receipt),
		Ok(())
	);
}

/// The seal `provider`'s replica `replica` of `job` makes of `prover`'s output.
fn seal_of(
	job: u64,
	replica: u32,
	provider: &AccountId,
	worker: &AccountId,
	prover: &Prover,
) -> H256 {
	sealed_output(job, replica, provider, &prover.output_commitment(), &salt(worker))
}

fn reveal(worker: &AccountId, job: u64, replica: u32, output: H256, salt: H256) -> bool {
	Proofs::reveal(RuntimeOrigin::signed(worker.clone()), job, replica, output, salt).is_ok()
}

/// `worker` opens every drawn sample of replica `replica` of `job` with `prover`.
fn answer(worker: &AccountId, job: u64, replica: u32, prover: &Prover) {
	let Some(pallet_proofs::Stage::Sampling { positions, .. }) =
		pallet_proofs::Checks::<Runtime>::get(job, replica).map(|c| c.stage)
	else {
		panic!("replica {replica} is not being sampled");
	};
	let openings: Vec<(u32, Opening)> = positions
		.iter()
		.enumerate()
		.map(|(sample, position)| (sample as u32, prover.open(*position).expect("in range")))
		.collect();
	assert!(Proofs::respond(
		RuntimeOrigin::signed(worker.clone()),
		job,
		replica,
		prover.roots(),
		sp_runtime::BoundedVec::truncate_from(openings),
	)
	.is_ok());
}

fn sampled(job: u64, replica: u32) -> bool {
	matches!(
		pallet_proofs::Checks::<Runtime>::get(job, replica).map(|c| c.stage),
		Some(pallet_proofs::Stage::Sampling { .. })
	)
}

fn replica_state(job: u64, replica: u32) -> pallet_jobs::ReplicaState<Balance, BlockNumber> {
	pallet_jobs::Jobs::<Runtime>::get(job).expect("job").replicas[replica as usize].state.clone()
}

/// Runs blocks (with every worker beating) until `done` holds, at most `limit` of them.
fn run_until(workers: &[AccountId], limit: BlockNumber, done: impl Fn() -> bool) {
	let end = System::block_number() + limit;
	while !done() {
		assert!(System::block_number() < end, "not reached in {limit} blocks");
		run_to_beating(System::block_number() + 1, workers);
	}
}

/// Ferdie copies Bob's seal instead of running the job. Bob's output and salt are public once
/// he reveals, but a seal binds its job, replica and provider: Ferdie cannot open it. His
/// replica fails as late, which costs him only its collateral; Bob and Dave are paid and keep
/// every unit of their stake.
#[test]
fn a_copied_seal_cannot_be_revealed_and_costs_the_copier_its_collateral() {
	dev_ext().execute_with(|| {
		let client = account(Alice);
		let [(bob, bobs), (dave, daves), (ferdie, ferdies)] = three_providers();
		let workers = [bobs.clone(), daves.clone(), ferdies.clone()];
		let stakes = [&bob, &dave, &ferdie].map(stake_of);
		let job = pallet_jobs::NextJobId::<Runtime>::get();
		assert_eq!(Jobs::post(RuntimeOrigin::signed(client.clone()), replicated_spec()), Ok(()));
		let [b, d, f] = [&bob, &dave, &ferdie].map(|p| replica_of(job, p));
		let prover = honest();
		let bobs_seal = seal_of(job, b, &bob, &bobs, &prover);
		seal(&bobs, job, b, bobs_seal);
		seal(&daves, job, d, seal_of(job, d, &dave, &daves, &prover));
		seal(&ferdies, job, f, bobs_seal);
		let output = prover.output_commitment();
		assert!(reveal(&bobs, job, b, output, salt(&bobs)));
		assert!(reveal(&daves, job, d, output, salt(&daves)));
		// Everything Bob revealed, replayed by Ferdie: refused.
		assert_eq!(
			Proofs::reveal(RuntimeOrigin::signed(ferdies.clone()), job, f, output, salt(&bobs)),
			Err(pallet_proofs::Error::<Runtime>::SealMismatch.into())
		);
		let collateral =
			pallet_jobs::Jobs::<Runtime>::get(job).expect("job").replicas[f as usize].collateral;
		run_until(&workers, 200, || {
			!pallet_jobs::Jobs::<Runtime>::get(job).expect("job").state.is_open()
		});
		assert!(matches!(replica_state(job, b), pallet_jobs::ReplicaState::Paid { .. }));
		assert!(matches!(replica_state(job, d), pallet_jobs::ReplicaState::Paid { .. }));
		assert_eq!(replica_state(job, f), pallet_jobs::ReplicaState::Failed);
		assert!(proofs_events().contains(&pallet_proofs::Event::RevealWithheld { job, replica: f }));
		assert_eq!(stake_of(&bob), stakes[0]);
		assert_eq!(stake_of(&dave), stakes[1]);
		assert_eq!(stake_of(&ferdie), stakes[2] - collateral);
		assert!(!pallet_providers::Banned::<Runtime>::contains_key(&ferdie));
	});
}

/// Dave and Ferdie collude on a lazy result and outvote Bob, who ran the job. Bob's dissent
/// makes both winners face a full spot-check; they cannot open their made-up output and are
/// proven frauds. Bob, who waited instead of being slashed for dissent, is spot-checked on his
/// own output and paid: his stake is untouched, and the colluders lose theirs.
#[test]
fn an_honest_minority_is_paid_and_the_colluding_majority_slashed() {
	dev_ext().execute_with(|| {
		let client = account(Alice);
		let [(bob, bobs), (dave, daves), (ferdie, ferdies)] = three_providers();
		let workers = [bobs.clone(), daves.clone(), ferdies.clone()];
		let bob_stake = stake_of(&bob);
		let bob_before = total(&bob);
		let colluders_stake = stake_of(&dave) + stake_of(&ferdie);
		let job = pallet_jobs::NextJobId::<Runtime>::get();
		assert_eq!(Jobs::post(RuntimeOrigin::signed(client.clone()), replicated_spec()), Ok(()));
		let [b, d, f] = [&bob, &dave, &ferdie].map(|p| replica_of(job, p));
		let (right, wrong) = (honest(), lazy());
		for (provider, worker, replica, prover) in
			[(&bob, &bobs, b, &right), (&dave, &daves, d, &wrong), (&ferdie, &ferdies, f, &wrong)]
		{
			seal(worker, job, replica, seal_of(job, replica, provider, worker, prover));
		}
		for (worker, replica, prover) in
			[(&bobs, b, &right), (&daves, d, &wrong), (&ferdies, f, &wrong)]
		{
			assert!(reveal(worker, job, replica, prover.output_commitment(), salt(worker)));
		}
		// The lazy output wins the tally, and both winners are drawn for a spot-check.
		run_until(&workers, 200, || sampled(job, d) && sampled(job, f));
		assert!(proofs_events().contains(&pallet_proofs::Event::Outvoted { job, replica: b }));
		answer(&daves, job, d, &wrong);
		answer(&ferdies, job, f, &wrong);
		// Proven wrong: Bob is spot-checked on his own output instead of slashed.
		run_until(&workers, 200, || sampled(job, b));
		answer(&bobs, job, b, &right);
		run_until(&workers, 50, || {
			!pallet_jobs::Jobs::<Runtime>::get(job).expect("job").state.is_open()
		});
		let pallet_jobs::ReplicaState::Paid { payment, .. } = replica_state(job, b) else {
			panic!("Bob is not paid: {:?}", replica_state(job, b));
		};
		assert_eq!(stake_of(&bob), bob_stake);
		assert_eq!(total(&bob), bob_before + payment);
		assert!(pallet_providers::Banned::<Runtime>::contains_key(&dave));
		assert!(pallet_providers::Banned::<Runtime>::contains_key(&ferdie));
		assert!(stake_of(&dave) + stake_of(&ferdie) < colluders_stake);
	});
}

/// Three honest replicas are paid in the block of the last reveal: the tally decides at once.
#[test]
fn honest_replicas_are_paid_in_the_block_of_the_last_reveal() {
	dev_ext().execute_with(|| {
		let client = account(Alice);
		let providers = three_providers();
		let job = pallet_jobs::NextJobId::<Runtime>::get();
		assert_eq!(Jobs::post(RuntimeOrigin::signed(client), replicated_spec()), Ok(()));
		let prover = honest();
		let replicas: Vec<u32> = providers.iter().map(|(p, _)| replica_of(job, p)).collect();
		for ((provider, worker), replica) in providers.iter().zip(&replicas) {
			seal(worker, job, *replica, seal_of(job, *replica, provider, worker, &prover));
		}
		// The workers reveal a block or two later, once they see the reveals open: by then the
		// blocks a random audit would draw from exist, and the roll is made at once.
		let workers: Vec<AccountId> = providers.iter().map(|(_, w)| w.clone()).collect();
		run_to_beating(System::block_number() + 2, &workers);
		let output = prover.output_commitment();
		for ((_, worker), replica) in providers.iter().zip(&replicas) {
			assert!(reveal(worker, job, *replica, output, salt(worker)));
		}
		for replica in replicas {
			assert!(
				matches!(replica_state(job, replica), pallet_jobs::ReplicaState::Paid { .. }),
				"replica {replica}: {:?}",
				replica_state(job, replica)
			);
		}
		assert!(!pallet_jobs::Jobs::<Runtime>::get(job).expect("job").state.is_open());
	});
}

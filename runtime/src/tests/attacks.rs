//! The attacks of protocol v2, each through the real pallets on the development genesis: what
//! the hostile party tries, what the honest party keeps (to the unit) and what the attacker
//! loses. Every block runs the invariants of all four market pallets ([`super::market`]).

use super::market::*;
use crate::*;
use codec::Encode;
use frame_support::{
	dispatch::DispatchClass,
	traits::fungible::{Inspect, InspectHold},
};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve, Ferdie};
use sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError};
use tessera_commitment::{matmul_reference, seed_matrices, Dims, Opening, Prover};
use tessera_primitives::{
	jobs::{Inputs, JobSpec, Receipt, Verification, Workload},
	market::{Requirements, REPUTATION_NEUTRAL},
};

const DIMS: Dims = Dims { m: 24, n: 70, k: 33 };
const SEED: [u8; 32] = [7; 32];

fn spec(max_price: Balance) -> JobSpec<Balance, BlockNumber> {
	JobSpec {
		workload: Workload::MatMulI8 { m: DIMS.m, n: DIMS.n, k: DIMS.k },
		inputs: Inputs::Seed(sp_core::H256(SEED)),
		requirements: Requirements { min_gpus: 1, ..Default::default() },
		max_price_per_unit: max_price,
		replicas: 1,
		verification: Verification::SpotCheck,
		deadline: System::block_number() + 200,
	}
}

fn honest_output() -> Vec<i32> {
	let (a, b_cols) = seed_matrices(&sp_core::H256(SEED), DIMS);
	matmul_reference(DIMS, &a, &b_cols)
}

/// Every other row left zero: half the work.
fn lazy_output() -> Vec<i32> {
	let mut output = honest_output();
	for (at, value) in output.iter_mut().enumerate() {
		if (at / DIMS.n as usize) % 2 == 1 {
			*value = 0;
		}
	}
	output
}

fn post(client: &AccountId, spec: JobSpec<Balance, BlockNumber>) -> u64 {
	let job = pallet_jobs::NextJobId::<Runtime>::get();
	assert_eq!(Jobs::post(RuntimeOrigin::signed(client.clone()), spec), Ok(()));
	job
}

/// Acknowledges and submits a receipt committing to `c`; returns the prover of `c`.
fn run_until_receipt(worker: &AccountId, job: u64, c: &[i32]) -> Prover {
	assert_eq!(Jobs::acknowledge(RuntimeOrigin::signed(worker.clone()), job, 0), Ok(()));
	let prover = Prover::new(DIMS, None, c).expect("dimensions match");
	let receipt = Receipt {
		output_commitment: prover.output_commitment(),
		output_uri: sp_runtime::BoundedVec::truncate_from(b"https://p.example.org/c".to_vec()),
		used_units: 1,
		enclave_signature: None,
	};
	assert_eq!(
		Jobs::submit_receipt(RuntimeOrigin::signed(worker.clone()), job, 0, receipt),
		Ok(())
	);
	prover
}

/// Runs to the draw of `job`'s samples and returns the `respond` call that answers them with
/// openings from `prover`.
fn draw_and_answer(job: u64, prover: &Prover) -> RuntimeCall {
	let draw = System::block_number() + configs::RandomnessDelay::get() + 1;
	run_to(draw);
	let positions = proofs_events()
		.into_iter()
		.find_map(|event| match event {
			pallet_proofs::Event::SamplesDrawn { job: drawn, positions, .. } if drawn == job => {
				Some(positions)
			},
			_ => None,
		})
		.expect("samples drawn");
	let openings: Vec<(u32, Opening)> = positions
		.iter()
		.enumerate()
		.map(|(sample, position)| (sample as u32, prover.open(*position).expect("in range")))
		.collect();
	RuntimeCall::Proofs(pallet_proofs::Call::respond {
		job,
		replica: 0,
		roots: prover.roots(),
		openings: sp_runtime::BoundedVec::truncate_from(openings),
	})
}

/// `call` signed by `key` with its next nonce and no tip, as a wallet would send it.
fn signed(call: RuntimeCall, key: Sr25519Keyring) -> UncheckedExtrinsic {
	let who = key.to_account_id();
	let extension: TxExtension = (
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckMortality::from(sp_runtime::generic::Era::Immortal),
		frame_system::CheckNonce::from(System::account_nonce(&who)),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
		frame_system::WeightReclaim::new(),
	);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("payload");
	let signature = payload.using_encoded(|bytes| key.sign(bytes));
	UncheckedExtrinsic::new_signed(call, who.into(), signature.into(), extension)
}

/// Attack 1, the report's: a client posts a job no honest provider can run (C alone is 4 TiB).
/// Before v2 it was assigned, the worker had to stay silent, and the provider lost 2% of its
/// stake. Now matching sees the job does not fit the provider's declared memory: it is never
/// assigned, and it expires with a full refund.
#[test]
fn a_job_nobody_can_run_is_never_assigned_and_costs_the_provider_nothing() {
	dev_ext().execute_with(|| {
		let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));
		let bond = provider(&bob, &charlie, UNIT / 100, 4, None);
		let (bob_before, dave_before) = (total(&bob), total(&dave));
		let huge = JobSpec {
			workload: Workload::MatMulI8 { m: 1 << 20, n: 1 << 20, k: 1 },
			verification: Verification::Optimistic,
			..spec(UNIT)
		};
		let job = post(&dave, huge);
		assert!(jobs_events().contains(&pallet_jobs::Event::Queued { job }));
		assert!(!jobs_events().iter().any(|e| matches!(e, pallet_jobs::Event::Assigned { .. })));
		let deadline = pallet_jobs::Jobs::<Runtime>::get(job).expect("job").spec.deadline;
		run_to_beating(deadline + 1, std::slice::from_ref(&charlie));
		let record = pallet_jobs::Jobs::<Runtime>::get(job).expect("job");
		assert_eq!(record.state, pallet_jobs::JobState::Expired);
		assert_eq!(stake_of(&bob), bond);
		assert_eq!(total(&bob), bob_before);
		assert_eq!(total(&dave), dave_before);
	});
}

/// Attack 1: a worker declines a job it will not run, explicitly; it loses nothing, not even
/// reputation, and the client is refunded whole when nobody else can take it.
#[test]
fn a_declined_job_costs_the_provider_nothing() {
	dev_ext().execute_with(|| {
		let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));
		let bond = provider(&bob, &charlie, UNIT / 100, 4, None);
		let (bob_before, dave_before) = (total(&bob), total(&dave));
		let reputation = pallet_providers::Providers::<Runtime>::get(&bob).expect("bob").reputation;
		let job = post(&dave, spec(UNIT));
		assert_eq!(Jobs::decline(RuntimeOrigin::signed(charlie.clone()), job, 0), Ok(()));
		assert!(jobs_events().contains(&pallet_jobs::Event::ReplicaFailed {
			job,
			replica: 0,
			provider: bob.clone(),
			reason: pallet_jobs::FailureReason::Declined,
		}));
		let record = pallet_jobs::Jobs::<Runtime>::get(job).expect("job");
		assert_eq!(record.state, pallet_jobs::JobState::Failed);
		assert_eq!(stake_of(&bob), bond);
		assert_eq!(total(&bob), bob_before);
		assert_eq!(total(&dave), dave_before);
		let info = pallet_providers::Providers::<Runtime>::get(&bob).expect("bob");
		assert_eq!(info.reputation, reputation);
		assert_eq!(info.active_jobs, 0);
	});
}

/// Attack 1: a worker that is down when a job comes (it neither acknowledges nor declines)
/// loses no stake; only a little reputation. The job goes to the next provider.
#[test]
fn silence_costs_no_stake_and_the_job_moves_on() {
	dev_ext().execute_with(|| {
		let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));
		let (eve, ferdie) = (account(Eve), account(Ferdie));
		let bond = provider(&bob, &charlie, UNIT / 100, 4, None);
		provider(&eve, &ferdie, UNIT / 50, 4, None);
		let bob_before = total(&bob);
		let job = post(&dave, spec(UNIT));
		run_to(System::block_number() + configs::AckTimeout::get() + 1);
		let record = pallet_jobs::Jobs::<Runtime>::get(job).expect("job");
		assert_eq!(record.replicas[0].provider, eve, "re-matched to the next cheapest");
		assert_eq!(stake_of(&bob), bond);
		assert_eq!(total(&bob), bob_before);
		let score = pallet_providers::Providers::<Runtime>::get(&bob).expect("bob").reputation;
		assert!(score.score < REPUTATION_NEUTRAL, "silence costs a little reputation");
		assert!(score.score >= REPUTATION_NEUTRAL - REPUTATION_NEUTRAL / 100);
	});
}

/// Attack 2: a provider that acknowledged and missed its deadline loses the replica's
/// collateral (the 1 TSR floor here), not a share of its whole stake; and the client, whose
/// budget for it was 0.01 TSR, gets at most half of that: it cannot profit from the failure.
#[test]
fn a_missed_deadline_costs_only_the_collateral_and_the_client_gains_at_most_half_its_budget() {
	dev_ext().execute_with(|| {
		let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));
		let treasury = configs::TreasuryAccount::get();
		let price = UNIT / 100;
		let bond = provider(&bob, &charlie, price, 4, None);
		let dave_before = total(&dave);
		let treasury_before = total(&treasury);
		let job = post(&dave, spec(price));
		assert_eq!(Jobs::acknowledge(RuntimeOrigin::signed(charlie.clone()), job, 0), Ok(()));
		let collateral = configs::MinCollateral::get();
		assert_eq!(
			pallet_jobs::Jobs::<Runtime>::get(job).expect("job").replicas[0].collateral,
			collateral
		);
		let deadline = pallet_jobs::Jobs::<Runtime>::get(job).expect("job").spec.deadline;
		run_to_beating(deadline + 1, std::slice::from_ref(&charlie));
		assert_eq!(stake_of(&bob), bond - collateral);
		// The client's budget for the replica is 0.01 TSR: it gets 50% of it, 0.005 TSR.
		let cap = price / 2;
		assert_eq!(total(&dave), dave_before + cap);
		assert_eq!(total(&treasury), treasury_before + collateral - cap);
		assert_eq!(
			Balances::balance_on_hold(
				&RuntimeHoldReason::Jobs(pallet_jobs::HoldReason::Escrow),
				&dave
			),
			0
		);
	});
}

/// Attack 2: collateral caps what a provider puts at risk at once: once the collateral of
/// the jobs it runs leaves too little free stake for another, it is not matched to more.
#[test]
fn a_provider_cannot_take_more_jobs_than_its_bond_covers() {
	use tessera_primitives::market::StakeInfo;
	dev_ext().execute_with(|| {
		let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));
		let bond = provider(&bob, &charlie, UNIT, 4, None);
		// 1,126 units at 1 TSR: 563 TSR of collateral, more than half the 1,000 TSR bond.
		let big = || JobSpec {
			workload: Workload::MatMulI8 { m: 1 << 15, n: 1 << 15, k: 1 << 19 },
			verification: Verification::Optimistic,
			deadline: System::block_number() + 2_000,
			..spec(UNIT)
		};
		let first = post(&dave, big());
		assert_eq!(Jobs::acknowledge(RuntimeOrigin::signed(charlie.clone()), first, 0), Ok(()));
		let collateral =
			pallet_jobs::Jobs::<Runtime>::get(first).expect("job").replicas[0].collateral;
		assert_eq!(collateral, 563 * UNIT);
		assert_eq!(<Stake as StakeInfo<_, _>>::free_stake(&bob), bond - collateral);
		assert_eq!(stake_of(&bob), bond, "collateral stays in the stake hold");
		let second = post(&dave, big());
		assert!(jobs_events().contains(&pallet_jobs::Event::Queued { job: second }));
	});
}

/// Attack 4: the worker's answer to a spot-check is free and lands even when ordinary
/// transactions fill the block; and the honest job is paid in that very block.
#[test]
fn spot_check_answers_are_free_and_land_in_a_full_block() {
	dev_ext().execute_with(|| {
		let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));
		provider(&bob, &charlie, UNIT / 100, 4, None);
		let job = post(&dave, spec(UNIT));
		let receipt_block = System::block_number();
		let prover = run_until_receipt(&charlie, job, &honest_output());
		let respond = draw_and_answer(job, &prover);

		// A spammer has filled the normal class of this block.
		let limits = <Runtime as frame_system::Config>::BlockWeights::get();
		let normal = limits.get(DispatchClass::Normal).max_total.expect("normal limit");
		frame_system::BlockWeight::<Runtime>::mutate(|used| {
			used.set(normal, DispatchClass::Normal)
		});
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![0; 8] });
		assert_eq!(
			Executive::apply_extrinsic(signed(remark, Alice)),
			Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources)),
			"the normal class is full"
		);
		let worker_before = Balances::balance(&charlie);
		let bob_before = total(&bob);
		assert_eq!(Executive::apply_extrinsic(signed(respond, Charlie)), Ok(Ok(())));
		assert_eq!(Balances::balance(&charlie), worker_before, "an honest answer is free");
		assert!(jobs_events()
			.iter()
			.any(|e| matches!(e, pallet_jobs::Event::Paid { job: j, .. } if *j == job)));
		assert!(System::block_number() <= receipt_block + 5, "paid within 5 blocks");
		assert_eq!(total(&bob), bob_before + UNIT / 100);
		assert_eq!(
			pallet_jobs::Jobs::<Runtime>::get(job).expect("job").state,
			pallet_jobs::JobState::Completed
		);
	});
}

/// Attack 6: a fraud proven on one job fails the cheater's other open jobs at once, so their
/// clients are refunded (or re-matched) instead of waiting on a banned provider that is never
/// paid again.
#[test]
fn fraud_fails_every_other_open_job_of_the_cheater_at_once() {
	dev_ext().execute_with(|| {
		let (bob, charlie, dave, alice) =
			(account(Bob), account(Charlie), account(Dave), account(Alice));
		let bond = provider(&bob, &charlie, UNIT / 100, 4, None);
		let alice_before = total(&alice);
		let dave_before = total(&dave);
		let other = post(&alice, spec(UNIT));
		assert_eq!(Jobs::acknowledge(RuntimeOrigin::signed(charlie.clone()), other, 0), Ok(()));
		let job = post(&dave, spec(UNIT));
		let prover = run_until_receipt(&charlie, job, &lazy_output());
		let respond = draw_and_answer(job, &prover);
		assert_eq!(
			Executive::apply_extrinsic(signed(respond, Charlie)).map(|r| r.is_ok()),
			Ok(true)
		);
		assert!(jobs_events().contains(&pallet_jobs::Event::ReplicaFailed {
			job: other,
			replica: 0,
			provider: bob.clone(),
			reason: pallet_jobs::FailureReason::ProviderBanned,
		}));
		assert!(pallet_providers::Banned::<Runtime>::contains_key(&bob));
		// Alice's job had nobody else: refunded whole. Dave got half the cheater's bond.
		assert_eq!(
			pallet_jobs::Jobs::<Runtime>::get(other).expect("job").state,
			pallet_jobs::JobState::Failed
		);
		assert_eq!(total(&alice), alice_before);
		assert_eq!(total(&dave), dave_before + bond / 2);
		assert_eq!(stake_of(&bob), 0);
		let outcomes = pallet_providers::Providers::<Runtime>::get(&bob).expect("bob");
		assert_eq!(outcomes.active_jobs, 0);
	});
}

/// Attack 8: a provider that posts tiny jobs to itself gets no reputation for them (each pays
/// less than `MinReputationValue`, 0.001 TSR), pays the protocol fee on every one, and cannot hide its
/// load by dropping its job slots below the jobs it runs.
#[test]
fn self_dealt_tiny_jobs_farm_no_reputation() {
	dev_ext().execute_with(|| {
		let (bob, charlie, dave) = (account(Bob), account(Charlie), account(Dave));
		let price = MILLI_UNIT / 10;
		provider(&bob, &charlie, price, 4, None);
		let treasury = configs::TreasuryAccount::get();
		let treasury_before = total(&treasury);
		let dealers_before = total(&bob) + total(&dave);
		let score = |who: &AccountId| {
			pallet_providers::Providers::<Runtime>::get(who).expect("provider").reputation
		};
		let before = score(&bob);
		let job = post(&dave, spec(price));
		let other = post(&dave, spec(price));
		// Running two jobs, Bob cannot drop to one slot; declining the second costs nothing.
		assert_eq!(
			Providers::update_profile(
				RuntimeOrigin::signed(bob.clone()),
				profile(1),
				1,
				sp_runtime::BoundedVec::truncate_from(b"https://provider.example.org".to_vec()),
			),
			Err(pallet_providers::Error::<Runtime>::SlotsBelowActiveJobs.into())
		);
		assert_eq!(Jobs::decline(RuntimeOrigin::signed(charlie.clone()), other, 0), Ok(()));
		let prover = run_until_receipt(&charlie, job, &honest_output());
		let respond = draw_and_answer(job, &prover);
		assert_eq!(Executive::apply_extrinsic(signed(respond, Charlie)), Ok(Ok(())));
		assert_eq!(
			pallet_jobs::Jobs::<Runtime>::get(job).expect("job").state,
			pallet_jobs::JobState::Completed
		);
		assert_eq!(score(&bob), before, "a job below the minimum value moves no reputation");
		assert_eq!(before.score, REPUTATION_NEUTRAL);
		// The protocol fee (2% of the payment) left the pair for the treasury.
		let fee = price * 2 / 100;
		assert_eq!(total(&bob) + total(&dave), dealers_before - fee);
		assert_eq!(total(&treasury), treasury_before + fee);
	});
}

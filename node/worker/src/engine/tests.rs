//! The loop's decisions, the transaction batching and the seals, without a chain.

use super::*;

#[test]
fn a_seal_is_made_over_the_providers_account_as_the_chain_encodes_it() {
	// The chain seals over `SCALE(AccountId32)`: its 32 bytes, which the worker passes.
	let provider = AccountId32([7; 32]);
	assert_eq!(provider.encode(), provider.0.to_vec());
	let salt = fresh_salt().expect("a random source");
	assert_ne!(salt, fresh_salt().expect("a random source"));
	assert_eq!(parse_salt(&hex::encode(salt.as_bytes())), Some(salt));
	assert_eq!(parse_salt("5a"), None);
}

#[test]
fn openings_are_sent_in_batches_that_fit_a_block() {
	use tessera_commitment::seed_matrices;
	let d = Dims { m: 2, n: 2, k: 300_000 };
	let (a, b_cols) = seed_matrices(&H256::repeat_byte(1), d);
	let c = vec![0; 4];
	let prover = Prover::new(d, Some((&a, &b_cols)), &c).unwrap();
	let openings: Vec<(u32, Opening)> =
		(0..8).map(|s| (s, prover.open((s % 2, s / 4)).unwrap())).collect();
	// Each opening carries 600 kB of inputs: one per call.
	let split = batches(openings.clone());
	assert_eq!(split.len(), 8);
	assert!(split.iter().all(|b| b.len() == 1 && b.encoded_size() <= RESPONSE_BYTES + 8));
	let small = Dims { m: 2, n: 2, k: 3 };
	let (a, b_cols) = seed_matrices(&H256::repeat_byte(1), small);
	let prover = Prover::new(small, Some((&a, &b_cols)), &c).unwrap();
	let few: Vec<(u32, Opening)> = (0..8).map(|s| (s, prover.open((0, 1)).unwrap())).collect();
	assert_eq!(batches(few.clone()), vec![few]);
	assert!(batches(Vec::new()).is_empty());
}

fn test_worker(name: &str) -> (Arc<Worker>, std::path::PathBuf) {
	use std::str::FromStr;
	let base = std::env::temp_dir().join(format!("tessera-engine-{name}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&base);
	let config = Config {
		node: "ws://127.0.0.1:1".into(),
		public_url: None,
		threads: 1,
		fetch_timeout: Duration::from_secs(1),
		keep_outputs: Duration::from_secs(1),
	};
	let key =
		Keypair::from_uri(&subxt_signer::SecretUri::from_str("//Bob//worker").unwrap()).unwrap();
	let worker = Worker::new(
		config,
		Store::open(&base).unwrap(),
		Metrics::new().unwrap(),
		Arc::new(crate::gemm::Cpu::new()),
		key,
	);
	(worker, base)
}

fn job(workload: WorkloadView, verification: VerificationView, attestation: bool) -> JobView {
	JobView {
		spec: SpecView {
			workload,
			inputs: InputsView::Seed(subxt::utils::H256::zero()),
			requirements: RequirementsView { attestation },
			verification,
			deadline: 200,
		},
		units: 1,
		replicas: Vec::new(),
	}
}

fn failed(attempts: u32, permanent: bool) -> Stage {
	Stage::Failed(Failure {
		at: Instant::now(),
		attempts,
		permanent,
		error: "input commitment differs".into(),
	})
}

#[test]
fn jobs_this_worker_cannot_run_are_refused_with_their_reason() {
	let small = WorkloadView::MatMulI8 { m: 64, n: 64, k: 64 };
	let spot = VerificationView::SpotCheck;
	assert_eq!(runnable(&job(small.clone(), spot, false)), Ok(Dims { m: 64, n: 64, k: 64 }));
	let opaque = WorkloadView::Opaque { program: subxt::utils::H256::zero(), gpu_seconds: 1 };
	assert_eq!(runnable(&job(opaque, spot, false)), Err(Refusal::Opaque));
	assert_eq!(
		runnable(&job(small.clone(), VerificationView::Attested, true)),
		Err(Refusal::Attested)
	);
	// An enclave required by the requirements alone is refused too.
	assert_eq!(runnable(&job(small, spot, true)), Err(Refusal::Attested));
	// The report's job: C alone is 4 TiB.
	let huge = WorkloadView::MatMulI8 { m: 1 << 20, n: 1 << 20, k: 1 };
	assert!(matches!(runnable(&job(huge, spot, false)), Err(Refusal::Memory { .. })));
}

#[test]
fn an_unacknowledged_replica_is_declined_for_good_reasons_only() {
	let (worker, base) = test_worker("refusal");
	let key = (7, 0);
	let ok: Result<Dims, Refusal> = Ok(Dims { m: 2, n: 2, k: 2 });
	let until = 100;
	// Not started, or preparing, well before the window closes: wait.
	assert_eq!(refusal(&worker, key, &ok, until, 80), None);
	worker.set_stage(key, Stage::Preparing);
	assert_eq!(refusal(&worker, key, &ok, until, 80), None);
	// Still not ready DECLINE_MARGIN blocks before the end: declined rather than ignored.
	assert_eq!(refusal(&worker, key, &ok, until, until - DECLINE_MARGIN - 1), None);
	assert_eq!(refusal(&worker, key, &ok, until, until - DECLINE_MARGIN), Some(Refusal::NotReady));
	// Ready: acknowledged, however late.
	worker.set_stage(key, Stage::Computing);
	assert_eq!(refusal(&worker, key, &ok, until, until - 1), None);
	// A download that failed is tried again, up to MAX_ATTEMPTS times.
	worker.set_stage(key, failed(MAX_ATTEMPTS - 1, false));
	assert_eq!(refusal(&worker, key, &ok, until, 80), None);
	worker.set_stage(key, failed(MAX_ATTEMPTS, false));
	assert!(matches!(refusal(&worker, key, &ok, until, 80), Some(Refusal::Failing(_))));
	// Inputs that can never be used: at once.
	worker.set_stage(key, failed(1, true));
	let why = refusal(&worker, key, &ok, until, 80).unwrap();
	assert_eq!(why, Refusal::BadInputs("input commitment differs".into()));
	assert_eq!(why.label(), "inputs");
	// A job it cannot run, whatever the stage.
	assert_eq!(refusal(&worker, key, &Err(Refusal::Opaque), until, 80), Some(Refusal::Opaque));
	// An acknowledgement refused for want of free stake, even with C computed.
	worker.set_stage(key, Stage::Computing);
	worker.collateral_refused.lock().unwrap().insert(key);
	assert_eq!(refusal(&worker, key, &ok, until, 80), Some(Refusal::Collateral));
	// Forgotten once the replica leaves the provider's list.
	forget_ended(&worker, &HashSet::new());
	assert!(worker.collateral_refused.lock().unwrap().is_empty());
	std::fs::remove_dir_all(base).unwrap();
}

#[test]
fn a_failed_replica_is_retried_after_a_delay_with_its_tries_counted() {
	assert_eq!(next_attempt(None), Some(1));
	assert_eq!(next_attempt(Some(&Stage::Preparing)), None);
	assert_eq!(next_attempt(Some(&Stage::Computing)), None);
	assert_eq!(next_attempt(Some(&failed(1, false))), None, "too soon");
	let old = |permanent, ago| {
		Stage::Failed(Failure {
			at: Instant::now() - ago,
			attempts: 2,
			permanent,
			error: String::new(),
		})
	};
	assert_eq!(next_attempt(Some(&old(false, RETRY_AFTER))), Some(3));
	assert_eq!(next_attempt(Some(&old(true, RETRY_AFTER))), None);
	assert_eq!(next_attempt(Some(&old(true, RETRY_PERMANENT_AFTER))), Some(3));
	// MAX_ATTEMPTS tries fit in the dev chain's 2-minute acknowledgement window.
	assert!(RETRY_AFTER * (MAX_ATTEMPTS - 1) < Duration::from_secs(60));
}

#[test]
fn a_best_block_is_acted_on_once_and_a_sibling_too() {
	use subxt::utils::H256 as Hash;
	let (a, b) = (Hash::repeat_byte(1), Hash::repeat_byte(2));
	assert!(is_new_best(None, 5, 5, a));
	assert!(!is_new_best(None, 5, 3, a), "an older block the subscription starts with");
	assert!(is_new_best(Some((5, a)), 5, 6, b));
	assert!(!is_new_best(Some((5, a)), 5, 5, a), "the same block again");
	assert!(is_new_best(Some((5, a)), 5, 5, b), "a re-org to a sibling");
	assert!(!is_new_best(Some((5, a)), 3, 4, b), "a re-org to a lower block");
}

#[test]
fn each_finalized_block_is_counted_once_per_chain() {
	use subxt::utils::H256 as Hash;
	let (chain, other) = (Hash::repeat_byte(1), Hash::repeat_byte(2));
	// A worker's first connection: what was finalized before it is not its earnings.
	assert_eq!(first_counted(None, chain, 40), 40);
	// A reconnection to the same chain: from where it left off, catching up.
	assert_eq!(first_counted(Some((chain, 30)), chain, 40), 30);
	assert_eq!(first_counted(Some((chain, 45)), chain, 40), 45);
	assert_eq!(first_counted(Some((chain, 1)), chain, 10_000), 10_000 - MAX_CATCH_UP);
	// Another chain (a dev chain started afresh): from now.
	assert_eq!(first_counted(Some((other, 500)), chain, 40), 40);
}

#[test]
fn a_transaction_is_sent_again_only_after_the_resend_delay() {
	assert!(may_send(None, 5));
	assert!(!may_send(Some(5), 5));
	assert!(!may_send(Some(5), 5 + RESEND_AFTER - 1));
	assert!(may_send(Some(5), 5 + RESEND_AFTER));
	// A mark just ahead (blocks seen out of order) holds; one far ahead, left by another
	// chain on the same store, does not.
	assert!(!may_send(Some(21), 20));
	assert!(may_send(Some(500), 20));
}

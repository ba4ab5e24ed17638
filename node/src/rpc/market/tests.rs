//! The JSON forms and the methods' refusals, without a node.

use super::*;
use serde_json::json;
use sp_keyring::Sr25519Keyring;

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

#[test]
fn balances_are_decimal_strings() {
	let big = Amount(u128::MAX);
	assert_eq!(serde_json::to_value(big).unwrap(), json!(u128::MAX.to_string()));
	let parsed: Amount = serde_json::from_value(json!("1000000000000000000000000")).unwrap();
	assert_eq!(parsed, Amount(10u128.pow(24)));
	assert_eq!(serde_json::from_value::<Amount>(json!(5)).unwrap(), Amount(5));
	for bad in [json!("-1"), json!("+1"), json!("1.5"), json!(""), json!("0x10"), json!(-1)] {
		assert!(serde_json::from_value::<Amount>(bad.clone()).is_err(), "{bad}");
	}
	let too_big = format!("{}0", u128::MAX);
	assert!(serde_json::from_value::<Amount>(json!(too_big)).is_err());
}

#[test]
fn accounts_are_ss58() {
	let alice = Sr25519Keyring::Alice.to_account_id();
	assert_eq!(serde_json::to_value(Account(alice.clone())).unwrap(), json!(ALICE));
	let parsed: Account = serde_json::from_value(json!(ALICE)).unwrap();
	assert_eq!(parsed.0, alice);
	// A public key in hex, and Alice's address on Polkadot (prefix 0), are the same account.
	let hex = sp_core::bytes::to_hex(alice.as_ref(), false);
	assert_eq!(serde_json::from_value::<Account>(json!(hex)).unwrap().0, alice);
	let polkadot = alice.to_ss58check_with_version(Ss58AddressFormat::custom(0));
	assert_eq!(serde_json::from_value::<Account>(json!(polkadot)).unwrap().0, alice);
	for bad in ["", "0x1234", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ", "alice"] {
		assert!(serde_json::from_value::<Account>(json!(bad)).is_err(), "{bad}");
	}
}

#[test]
fn text_is_utf8_or_hex() {
	assert_eq!(text(b"https://gpu.example.org"), "https://gpu.example.org");
	assert_eq!(text(&[0xff, 0x00]), "0xff00");
}

fn matmul_json() -> serde_json::Value {
	json!({
		"workload": { "MatMulI8": { "m": 4096, "n": 4096, "k": 4096 } },
		"inputs": { "Seed": format!("0x{}", "07".repeat(32)) },
		"requirements": { "minVramMib": 24576, "region": "Europe" },
		"maxPricePerUnit": "2000000000000",
		"replicas": 1,
		"verification": "SpotCheck",
		"deadline": 200
	})
}

#[test]
fn specs_are_read_from_json() {
	let spec: JobSpecJson = serde_json::from_value(matmul_json()).unwrap();
	let spec = JobSpec::try_from(spec).unwrap();
	assert_eq!(spec.workload, Workload::MatMulI8 { m: 4096, n: 4096, k: 4096 });
	assert_eq!(spec.inputs, Inputs::Seed(H256::repeat_byte(7)));
	assert_eq!(
		spec.requirements,
		Requirements {
			min_vram_mib: 24 * 1024,
			region: Some(Region::Europe),
			..Default::default()
		}
	);
	assert_eq!(spec.max_price_per_unit, 2_000_000_000_000);
	assert_eq!(
		(spec.replicas, spec.verification, spec.deadline),
		(1, Verification::SpotCheck, 200)
	);
	// And back: the same JSON.
	assert_eq!(
		serde_json::to_value(JobSpecJson::from(spec)).unwrap()["inputs"],
		matmul_json()["inputs"]
	);

	// polkadot.js' camelCase variant names, and left-out requirements.
	let spec: JobSpecJson = serde_json::from_value(json!({
		"workload": { "opaque": { "program": format!("0x{}", "ab".repeat(32)), "gpuSeconds": 60 } },
		"inputs": { "content": { "hash": format!("0x{}", "01".repeat(32)), "uri": "https://data.example/x", "size": 10 } },
		"maxPricePerUnit": 3,
		"replicas": 2,
		"verification": "replicated",
		"deadline": 500
	}))
	.unwrap();
	let spec = JobSpec::try_from(spec).unwrap();
	assert_eq!(
		spec.workload,
		Workload::Opaque { program: H256::repeat_byte(0xab), gpu_seconds: 60 }
	);
	let Inputs::Content { uri, size, .. } = &spec.inputs else { panic!("content inputs") };
	assert_eq!((&uri[..], *size), (&b"https://data.example/x"[..], 10));
	assert_eq!(spec.requirements, Requirements::default());
	assert_eq!(spec.verification, Verification::Replicated);

	// Typos are refused rather than ignored, and URIs are bounded.
	let mut typo = matmul_json();
	typo["requirements"]["minVram"] = json!(1);
	assert!(serde_json::from_value::<JobSpecJson>(typo).is_err());
	let mut long = serde_json::from_value::<JobSpecJson>(matmul_json()).unwrap();
	long.inputs = InputsJson::Content {
		hash: H256::zero(),
		uri: format!("https://{}", "a".repeat(300)),
		size: 1,
	};
	assert!(JobSpec::try_from(long).is_err());
}

#[test]
fn provider_json() {
	let alice = Sr25519Keyring::Alice.to_account_id();
	let bob = Sr25519Keyring::Bob.to_account_id();
	let info = pallet_providers::ProviderInfo {
		profile: pallet_providers::HardwareProfile {
			gpu: pallet_providers::GpuSpec {
				model: BoundedVec::truncate_from(b"NVIDIA H100 80GB HBM3".to_vec()),
				vram_mib: 81_559,
				count: 8,
				fp16_tflops: 989,
				int8_tops: 1_979,
			},
			cpu_cores: 64,
			ram_mib: 1_048_576,
			disk_gib: 8_000,
			bandwidth_mbps: 10_000,
			region: Region::Europe,
			capabilities: tessera_primitives::market::Capabilities {
				matmul_i8: true,
				..Default::default()
			},
		},
		price_per_unit: 2_000_000_000_000,
		max_jobs: 4,
		active_jobs: 1,
		endpoint: BoundedVec::truncate_from(b"https://gpu.example.org".to_vec()),
		worker: bob,
		status: pallet_providers::Status::Online,
		last_heartbeat: Some(12),
		heartbeat_deadline: 62,
		reputation: pallet_providers::Reputation { score: 525_000, updated_at: 3 },
		attested_until: None,
		indexed: true,
		tracked: true,
		registered_at: 2,
		deposit: tessera_runtime::UNIT,
	};
	let view = tessera_primitives::api::ProviderView {
		info,
		reputation: 524_999,
		bonded: 8_000 * tessera_runtime::UNIT,
	};
	let json = serde_json::to_value(ProviderJson::new(alice, view)).unwrap();
	assert_eq!(
		json,
		json!({
			"account": ALICE,
			"profile": {
				"gpu": {
					"model": "NVIDIA H100 80GB HBM3",
					"vramMib": 81559,
					"count": 8,
					"fp16Tflops": 989,
					"int8Tops": 1979
				},
				"cpuCores": 64,
				"ramMib": 1048576,
				"diskGib": 8000,
				"bandwidthMbps": 10000,
				"region": "Europe",
				"capabilities": { "matmulI8": true, "opaque": false, "enclave": false }
			},
			"pricePerUnit": "2000000000000",
			"maxJobs": 4,
			"activeJobs": 1,
			"endpoint": "https://gpu.example.org",
			"worker": "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
			"status": "Online",
			"lastHeartbeat": 12,
			"heartbeatDeadline": 62,
			"reputation": { "score": 525000, "updatedAt": 3, "current": 524999 },
			"attestedUntil": null,
			"indexed": true,
			"registeredAt": 2,
			"deposit": "1000000000000",
			"bonded": "8000000000000000"
		})
	);
}

#[test]
fn job_json() {
	use pallet_jobs::{Job, JobState, Replica, ReplicaState};
	let alice = Sr25519Keyring::Alice.to_account_id();
	let bob = Sr25519Keyring::Bob.to_account_id();
	let spec: JobSpecJson = serde_json::from_value(matmul_json()).unwrap();
	let replica = |state| Replica {
		provider: bob.clone(),
		worker: alice.clone(),
		price_per_unit: 2,
		collateral: 0,
		state,
		receipt: None,
	};
	let mut paid = replica(ReplicaState::Paid { payment: 2, fee: 0 });
	paid.receipt = Some(Receipt {
		output_commitment: H256::repeat_byte(1),
		output_uri: BoundedVec::truncate_from(b"https://gpu.example.org/out/0".to_vec()),
		used_units: 1,
		enclave_signature: None,
	});
	let job: MarketJob = Job {
		client: alice.clone(),
		spec: JobSpec::try_from(spec.clone()).unwrap(),
		units: 1,
		escrow: 2_040_000_000_000,
		state: JobState::Active,
		replicas: BoundedVec::truncate_from(vec![
			replica(ReplicaState::AwaitingAck { until: 21 }),
			replica(ReplicaState::Running),
			paid,
		]),
		dropped: BoundedVec::truncate_from(vec![bob]),
		posted_at: 1,
		deposit: 100_000_000_000,
		closed_at: None,
	};
	let json = serde_json::to_value(JobJson::new(7, job)).unwrap();
	assert_eq!(json["id"], json!(7));
	assert_eq!(json["client"], json!(ALICE));
	assert_eq!(json["spec"], serde_json::to_value(&spec).unwrap());
	assert_eq!(json["escrow"], json!("2040000000000"));
	assert_eq!(json["state"], json!("Active"));
	assert_eq!(json["replicas"][0]["state"], json!({ "AwaitingAck": { "until": 21 } }));
	assert_eq!(json["replicas"][1]["state"], json!("Running"));
	assert_eq!(json["replicas"][2]["state"], json!({ "Paid": { "payment": "2", "fee": "0" } }));
	assert_eq!(
		json["replicas"][2]["receipt"],
		json!({
			"outputCommitment": format!("0x{}", "01".repeat(32)),
			"outputUri": "https://gpu.example.org/out/0",
			"usedUnits": 1
		})
	);
	assert_eq!(json["dropped"], json!(["5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"]));
	assert_eq!(json["postedAt"], json!(1));
	assert_eq!(json["deposit"], json!("100000000000"));
	assert_eq!(json["closedAt"], json!(null));
}

#[test]
fn quote_stats_and_errors() {
	let quote = Quote {
		units: 1,
		escrow: 2_040_000_000_000,
		providers: vec![Candidate {
			provider: Sr25519Keyring::Bob.to_account_id(),
			worker: Sr25519Keyring::Charlie.to_account_id(),
			price_per_unit: 1_000_000_000_000,
		}],
		total: 1_020_000_000_000,
	};
	assert_eq!(
		serde_json::to_value(QuoteJson::from(quote)).unwrap(),
		json!({
			"units": 1,
			"escrow": "2040000000000",
			"providers": [{
				"provider": "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
				"worker": "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y",
				"pricePerUnit": "1000000000000"
			}],
			"total": "1020000000000"
		})
	);
	let stats = MarketStats { providers: 3, escrowed: u128::MAX, ..Default::default() };
	let json = serde_json::to_value(StatsJson::from(stats)).unwrap();
	assert_eq!(
		(json["providers"].clone(), json["escrowed"].clone()),
		(json!(3), json!(u128::MAX.to_string()))
	);
	assert_eq!(json["queueLength"], json!(0));

	let error = invalid_spec(QuoteError::InvalidSpec {
		error: sp_runtime::DispatchError::Other("x"),
		name: b"DeadlineTooSoon".to_vec(),
	});
	assert_eq!(error.code(), INVALID_SPEC);
	assert_eq!(error.message(), "Invalid job spec: DeadlineTooSoon");
	assert_eq!(error.data().map(|d| d.get()), Some(r#"{"error":"DeadlineTooSoon"}"#));
	assert_eq!((page(None), page(Some(5)), page(Some(1_000))), (MAX_PAGE, 5, MAX_PAGE));
}

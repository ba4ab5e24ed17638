//! Runtime-level checks: the genesis presets build, and the token and fee facts that wallets
//! and providers rely on hold.

mod attacks;
mod deposits;
mod market;
mod market_api;
mod property;
mod reexecution;
mod replication;
mod spot_checks;

use super::*;
use frame_support::traits::fungible::{Inspect, InspectHold};
use sp_keyring::Sr25519Keyring;

/// Applies a preset patch over the default genesis config, as the node's chain-spec builder does.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

fn ext_from_preset(name: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&name.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, serde_json::from_slice(&patch).unwrap());
	let config: RuntimeGenesisConfig = serde_json::from_value(config).unwrap();
	config.build_storage().unwrap().into()
}

#[test]
fn presets_are_listed() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(names, vec!["development".to_string(), "local_testnet".to_string()]);
	assert!(genesis_config_presets::get_preset(&"nonsense".into()).is_none());
}

#[test]
fn development_preset_has_one_validator_and_funds_dev_accounts() {
	ext_from_preset("development").execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		let endowed = Sr25519Keyring::well_known().count() as u128;
		assert_eq!(
			Balances::total_issuance(),
			endowed * genesis_config_presets::DEV_ENDOWMENT + EXISTENTIAL_DEPOSIT
		);
		assert_eq!(Balances::balance(&configs::TreasuryAccount::get()), EXISTENTIAL_DEPOSIT);
		assert_eq!(
			pallet_stake::Parameters::<Runtime>::get(),
			genesis_config_presets::market_parameters()
		);
		assert_eq!(
			Balances::balance(&Sr25519Keyring::Bob.to_account_id()),
			genesis_config_presets::DEV_ENDOWMENT
		);
	});
}

#[test]
fn local_testnet_preset_has_four_validators() {
	ext_from_preset("local_testnet").execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(grandpa.len(), 4);
		// GRANDPA finalizes with > 2/3 of the weight: 3 of 4 equal voters suffice.
		assert!(grandpa.iter().all(|(_, weight)| *weight == 1));
	});
}

#[test]
fn token_and_block_time_facts() {
	assert_eq!(currency::UNIT, 10u128.pow(currency::TOKEN_DECIMALS as u32));
	assert_eq!(currency::TOKEN_SYMBOL, "TSR");
	assert_eq!(Aura::slot_duration(), 6_000);
	assert_eq!(VERSION.spec_name, "tessera");
}

#[test]
fn metadata_is_v15_or_later() {
	let versions = Runtime::metadata_versions();
	assert!(versions.iter().any(|v| *v >= 15), "metadata versions: {versions:?}");
}

/// The market pallets wired together: a provider registers and bonds through the real calls,
/// becomes matchable, is slashed for fraud through the stake pallet's trait, and the registry
/// bans it, with every unit accounted for.
#[test]
fn market_pallets_work_together() {
	use tessera_primitives::market::{
		Needs, ProviderRegistry, Region, Requirements, SlashReason, Slashing,
	};
	ext_from_preset("development").execute_with(|| {
		System::set_block_number(1);
		let provider = Sr25519Keyring::Bob.to_account_id();
		let worker = Sr25519Keyring::Charlie.to_account_id();
		let client = Sr25519Keyring::Dave.to_account_id();
		let treasury = configs::TreasuryAccount::get();
		let issuance = Balances::total_issuance();
		let profile = pallet_providers::HardwareProfile {
			gpu: pallet_providers::GpuSpec {
				model: sp_runtime::BoundedVec::truncate_from(b"NVIDIA RTX A6000".to_vec()),
				vram_mib: 48 * 1024,
				count: 2,
				fp16_tflops: 155,
				int8_tops: 310,
			},
			cpu_cores: 32,
			ram_mib: 256 * 1024,
			disk_gib: 2_000,
			bandwidth_mbps: 1_000,
			region: Region::Europe,
			capabilities: tessera_primitives::market::Capabilities {
				matmul_i8: true,
				..Default::default()
			},
		};
		assert!(Providers::register(
			RuntimeOrigin::signed(provider.clone()),
			profile,
			2 * UNIT,
			1,
			sp_runtime::BoundedVec::truncate_from(b"https://bob.example.org".to_vec()),
			worker.clone(),
		)
		.is_ok());
		// Not matchable until the bond covers both GPUs.
		let any = Needs {
			requirements: Requirements { region: Some(Region::Europe), ..Default::default() },
			..Default::default()
		};
		assert!(Providers::cheapest(&any, 10 * UNIT, 1, &[]).is_empty());
		let bond = 2 * genesis_config_presets::market_parameters().min_bond_per_gpu;
		assert!(Stake::bond(RuntimeOrigin::signed(provider.clone()), bond).is_ok());
		let found = Providers::cheapest(&any, 10 * UNIT, 1, &[]);
		assert_eq!(found.len(), 1);
		assert_eq!((&found[0].provider, &found[0].worker), (&provider, &worker));

		let client_before = Balances::balance(&client);
		let treasury_before = Balances::balance(&treasury);
		let outcome = Stake::slash(&provider, SlashReason::Fraud, Some(&client), None).unwrap();
		// Fraud takes the whole bond: half to the client, the rest (no watcher) to the treasury.
		assert_eq!(outcome.slashed, bond);
		assert_eq!(outcome.to_client, bond / 2);
		assert_eq!(outcome.to_client + outcome.to_watcher + outcome.to_treasury, bond);
		assert_eq!(Balances::balance(&client), client_before + outcome.to_client);
		assert_eq!(Balances::balance(&treasury), treasury_before + outcome.to_treasury);
		assert_eq!(Balances::total_issuance(), issuance);
		assert!(pallet_providers::Banned::<Runtime>::contains_key(&provider));
		assert!(Providers::cheapest(&any, 10 * UNIT, 1, &[]).is_empty());
		assert!(pallet_stake::Ledgers::<Runtime>::get(&provider).is_none());
		assert_eq!(
			Balances::balance_on_hold(
				&RuntimeHoldReason::Stake(pallet_stake::HoldReason::Staked),
				&provider
			),
			0
		);
	});
}

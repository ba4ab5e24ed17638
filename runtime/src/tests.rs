//! Runtime-level checks: the genesis presets build, and the token and fee facts that wallets
//! and providers rely on hold.

use super::*;
use frame_support::traits::fungible::Inspect;
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
		assert_eq!(Balances::total_issuance(), endowed * genesis_config_presets::DEV_ENDOWMENT);
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

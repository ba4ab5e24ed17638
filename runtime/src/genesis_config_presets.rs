//! Genesis presets: the chain specs of `tessera-node --dev` and `--chain local` are built from
//! these, so the node holds no genesis logic of its own.
//!
//! - `development`: one validator (Alice), sudo Alice, the well-known dev accounts funded.
//! - `local_testnet`: four validators (Alice, Bob, Charlie, Dave). GRANDPA needs more than 2/3
//!   of the voters, so with four it keeps finalizing while any one of them is down.
//!
//! Both start the market with [`market_parameters`] and fund the treasury account with the
//! existential deposit.

use crate::{
	configs::TreasuryAccount, time::MINUTES, AccountId, BalancesConfig, RuntimeGenesisConfig,
	StakeConfig, SudoConfig, EXISTENTIAL_DEPOSIT, UNIT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::Perbill;

/// What each endowed dev account starts with: one million TSR.
pub const DEV_ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// The staking policy the test chains start with (root can change it with
/// `stake.setParameters`). Unbonding takes 10 minutes so that it can be tried out; a public
/// network would use days.
pub fn market_parameters() -> pallet_stake::StakeParameters<crate::Balance, crate::BlockNumber> {
	pallet_stake::StakeParameters {
		min_bond_per_gpu: 1_000 * UNIT,
		unbonding_period: 10 * MINUTES,
		fraud_slash: Perbill::from_percent(100),
		dissent_slash: Perbill::from_percent(10),
		missed_deadline_slash: Perbill::from_percent(2),
		missed_heartbeats_slash: Perbill::from_percent(1),
		client_share: Perbill::from_percent(50),
		watcher_share: Perbill::from_percent(20),
	}
}

fn genesis(
	authorities: Vec<(AuraId, GrandpaId)>,
	endowed: Vec<AccountId>,
	root: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed
				.into_iter()
				.map(|k| (k, DEV_ENDOWMENT))
				.chain([(TreasuryAccount::get(), EXISTENTIAL_DEPOSIT)])
				.collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: authorities.iter().map(|(aura, _)| aura.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: authorities.into_iter().map(|(_, g)| (g, 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		stake: StakeConfig { params: market_parameters() },
	})
}

/// Aura (sr25519) and GRANDPA (ed25519) keys of a well-known dev identity.
fn authority(name: (Sr25519Keyring, Ed25519Keyring)) -> (AuraId, GrandpaId) {
	(name.0.public().into(), name.1.public().into())
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// One validator, Alice.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![authority((Sr25519Keyring::Alice, Ed25519Keyring::Alice))],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// Four validators, Alice to Dave.
pub fn local_config_genesis() -> Value {
	genesis(
		vec![
			authority((Sr25519Keyring::Alice, Ed25519Keyring::Alice)),
			authority((Sr25519Keyring::Bob, Ed25519Keyring::Bob)),
			authority((Sr25519Keyring::Charlie, Ed25519Keyring::Charlie)),
			authority((Sr25519Keyring::Dave, Ed25519Keyring::Dave)),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The preset of the given name, as JSON, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	serde_json::to_vec(&patch).ok()
}

/// Names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}

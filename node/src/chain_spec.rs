//! The built-in chain specs. Their genesis state comes from the runtime's presets, so the node
//! and the runtime can never disagree about what `--dev` or `--chain local` means.

use sc_service::{ChainType, Properties};
use tessera_primitives::currency::{TOKEN_DECIMALS, TOKEN_SYMBOL};
use tessera_runtime::WASM_BINARY;

/// A chain spec of this node: no extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// What wallets show for the token: symbol, decimals and the SS58 address format.
fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

/// A spec whose genesis is the runtime's preset `preset`, with the token properties.
fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	let wasm = WASM_BINARY.ok_or_else(|| {
		"The runtime's Wasm blob is missing: this node was built with SKIP_WASM_BUILD".to_string()
	})?;
	Ok(ChainSpec::builder(wasm, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `--dev`: a single validator (Alice) with the dev accounts funded.
pub fn development() -> Result<ChainSpec, String> {
	from_preset(
		"Tessera Development",
		"tessera_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// `--chain local`: four validators, Alice to Dave. Its id, `tessera_local`, names the
/// directory of every node's database and keystore (zombienet writes keys there).
pub fn local_testnet() -> Result<ChainSpec, String> {
	from_preset(
		"Tessera Local Testnet",
		"tessera_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

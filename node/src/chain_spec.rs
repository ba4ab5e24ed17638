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

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"The runtime's Wasm blob is missing: this node was built with SKIP_WASM_BUILD".to_string()
	})
}

/// `--dev`: a single validator (Alice) with the dev accounts funded.
pub fn development() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Tessera Development")
		.with_id("tessera_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: four validators, Alice to Dave.
pub fn local_testnet() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Tessera Local Testnet")
		.with_id("tessera_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

//! Builds the runtime's Wasm blob (embedded in the native crate as `WASM_BINARY`).
//! `SKIP_WASM_BUILD=1` skips it for pallet and runtime unit tests, which do not need it.

fn main() {
	#[cfg(feature = "std")]
	{
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}

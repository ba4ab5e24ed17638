# Shared by the scripts: where the repo and the cargo target directory are.
# The target directory lives outside the checkout and is shared by every clone, CI run and
# session on the machine, so that the ~22 minute dependency build happens once.

TESSERA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
# The runtime's build script compiles the Wasm runtime as a separate cargo project under the
# target directory; this tells it where our workspace (and its Cargo.lock) is, which it cannot
# find by itself when the target directory is outside the checkout.
export WASM_BUILD_WORKSPACE_HINT="$TESSERA_ROOT"
export TESSERA_NODE="${TESSERA_NODE:-$CARGO_TARGET_DIR/release/tessera-node}"

# Prints a timestamped step header, so CI logs show where the time goes.
step() {
	printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"
}

# Our own crates are compiled by clippy-driver with warnings denied, exactly as `cargo clippy`
# would run it (RUSTC_WORKSPACE_WRAPPER + CLIPPY_ARGS), but as part of the real build: the
# dependency tree is compiled once, never a second time in check mode. dev.sh and test.sh both
# use it so that neither rebuilds what the other built. See docs/build.md.
use_clippy_as_compiler() {
	RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
	export RUSTC_WORKSPACE_WRAPPER
	export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
}

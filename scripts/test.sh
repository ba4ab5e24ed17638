#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   setup, rustfmt check, build, clippy (warnings denied), Rust tests, polkadot.js end-to-end
#   tests against a dev node, and the zombienet multi-validator test.
# `--no-zombienet` skips the last one (about 3 minutes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TESSERA_ROOT"

zombienet=1
for arg in "$@"; do
	case "$arg" in
		--no-zombienet) zombienet=0 ;;
		*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done

started=$(date +%s)
"$TESSERA_ROOT/scripts/setup.sh"

step "cargo fmt --check"
cargo fmt --all -- --check

# One build of the whole workspace in the release profile; everything below reuses it, and
# clippy (warnings denied) is the compiler of our own crates in it (lib.sh).
use_clippy_as_compiler

step "cargo build --release --workspace --all-targets (clippy -D warnings on our crates)"
cargo build --release --workspace --all-targets --locked

step "cargo test --release --workspace"
cargo test --release --workspace --locked

step "end-to-end tests (polkadot.js against tessera-node --dev)"
(cd scripts/e2e && npm test)

if [ "$zombienet" -eq 1 ]; then
	step "zombienet: four validators + one RPC node"
	"$TESSERA_ROOT/scripts/zombienet.sh"
fi

step "all tests passed in $(( $(date +%s) - started )) s"

#!/usr/bin/env bash
# Builds tessera-node and runs a development chain in the foreground:
#   ws://127.0.0.1:9944, one validator (Alice), dev accounts funded, state in a temp dir.
# Point polkadot.js Apps at it: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:9944
# Extra arguments go to the node, e.g. `./scripts/dev.sh --rpc-external`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$TESSERA_ROOT/scripts/setup.sh"
use_clippy_as_compiler
step "cargo build --release --workspace (first run: ~22 minutes on 2 cores)"
(cd "$TESSERA_ROOT" && cargo build --release --workspace --locked)

step "tessera-node --dev on ws://127.0.0.1:9944 (Ctrl-C stops it)"
exec "$TESSERA_NODE" --dev --tmp --rpc-port 9944 --rpc-cors all "$@"

#!/usr/bin/env bash
# Builds the workspace and runs a development chain with a worker ready to take jobs:
#   - tessera-node --dev on ws://127.0.0.1:9944 (one validator, Alice; dev accounts funded;
#     state in a temp dir; its log in $DEV_DIR/node.log);
#   - Eve registered and bonded as a provider through `tessera-worker register` and `bond`
#     (one declared GPU, int8 throughput measured on the CPU backend, 0.01 TSR per unit), with
#     Ferdie's key as her worker key;
#   - tessera-worker computing on the CPU backend, serving outputs, /metrics and /health on
#     http://127.0.0.1:9955, its store in $DEV_DIR/worker.
# Post a job from polkadot.js Apps (https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:9944):
# Developer > Extrinsics > jobs.post, as in docs/dapp-guide.md, or from a script:
#   (cd scripts/e2e && node post-job.mjs). Ctrl-C stops both.
# Extra arguments go to the node, e.g. `./scripts/dev.sh --rpc-external`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$TESSERA_ROOT/scripts/setup.sh"
use_clippy_as_compiler
step "cargo build --release --workspace (first run: ~20 minutes on 2 cores)"
(cd "$TESSERA_ROOT" && cargo build --release --workspace --locked)

WORKER="$CARGO_TARGET_DIR/release/tessera-worker"
DEV_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tessera-dev.XXXXXX")"
NODE_URL="ws://127.0.0.1:9944"
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

step "tessera-node --dev on $NODE_URL (log: $DEV_DIR/node.log)"
"$TESSERA_NODE" --dev --tmp --rpc-port 9944 --rpc-cors all "$@" >"$DEV_DIR/node.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
	if curl -sf -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"chain_getFinalizedHead","params":[]}' \
		http://127.0.0.1:9944 >/dev/null; then
		break
	fi
	kill -0 "${pids[0]}" 2>/dev/null || { echo "the node exited; see $DEV_DIR/node.log" >&2; exit 1; }
	sleep 1
done

step "registering Eve as a provider (worker key: Ferdie) and bonding her stake"
"$WORKER" register --node "$NODE_URL" --provider-key //Eve --worker //Ferdie \
	--endpoint http://127.0.0.1:9955 --price 0.01 --max-jobs 2 --region Europe \
	--gpu-model "Tessera dev worker (CPU backend)" --vram-mib 16384 --gpus 1 --fp16-tflops 1
"$WORKER" bond --node "$NODE_URL" --provider-key //Eve

step "tessera-worker on http://127.0.0.1:9955 (Ctrl-C stops the worker and the node)"
"$WORKER" run --node "$NODE_URL" --key //Ferdie --base-path "$DEV_DIR/worker" \
	--listen 127.0.0.1:9955 &
pids+=($!)
wait -n "${pids[@]}"

#!/usr/bin/env bash
# Runs the runtime's benchmarks on this machine and writes the weights they measure.
#
#   ./scripts/bench.sh                       # every benchmarked pallet of the runtime
#   ./scripts/bench.sh pallet_stake ...      # only these
#   ./scripts/bench.sh --list                # what can be benchmarked
#   ./scripts/bench.sh --matching            # matching cost with 10 to 100,000 providers
#   ./scripts/bench.sh --lifecycle           # one whole job against a balance transfer
#
# The market pallets' weights are written over `pallets/<name>/src/weights.rs` (with
# scripts/pallet-weight-template.hbs): commit them. polkadot-sdk's pallets in this runtime use the
# weights they ship with; theirs go to $CARGO_TARGET_DIR/weights/<pallet>.rs, for comparing
# them with this machine.
#
# Not part of CI: the node is rebuilt with `--features runtime-benchmarks`. The first time, that
# recompiles the ~120 crates the feature touches (about 5 minutes on 2 cores); both builds then
# stay in the target directory, but the Wasm runtime is rebuilt at each switch between them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TESSERA_ROOT"

"$TESSERA_ROOT/scripts/setup.sh"
use_clippy_as_compiler

step "cargo build --release -p tessera-node --features runtime-benchmarks"
cargo build --release -p tessera-node --features runtime-benchmarks --locked
bench_node="$CARGO_TARGET_DIR/release/tessera-node-benchmarks"
cp "$CARGO_TARGET_DIR/release/tessera-node" "$bench_node"
# Put the ordinary node back in place (a no-op build that re-links it), so the tests and
# ./scripts/dev.sh never run the benchmarking build by accident.
cargo build --release -p tessera-node --locked

if [ "${1:-}" = "--list" ]; then
	exec "$bench_node" benchmark pallet --chain dev --list
fi

if [ "${1:-}" = "--matching" ]; then
	# The price index's query against indexes of 10 to 100,000 providers (docs/benchmarks.md).
	# Few steps and repeats: each run first writes up to 100,000 index entries.
	mkdir -p "$CARGO_TARGET_DIR/weights"
	step "benchmark pallet_providers::cheapest_with_providers"
	exec "$bench_node" benchmark pallet \
		--chain dev \
		--pallet pallet_providers \
		--extrinsic cheapest_with_providers \
		--extra \
		--steps 5 \
		--repeat 5 \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--json-file "$CARGO_TARGET_DIR/weights/matching.json"
fi

if [ $# -gt 0 ]; then
	pallets=("$@")
else
	mapfile -t pallets < <("$bench_node" benchmark pallet --chain dev --list=pallets | tail -n +2)
fi

if [ "${1:-}" = "--lifecycle" ]; then
	# A whole job (post, acknowledge, receipt, accept) and a transfer, measured alike
	# (docs/benchmarks.md).
	mkdir -p "$CARGO_TARGET_DIR/weights"
	for what in "pallet_jobs lifecycle" "pallet_balances transfer_keep_alive"; do
		read -r pallet extrinsic <<<"$what"
		step "benchmark $pallet::$extrinsic"
		"$bench_node" benchmark pallet \
			--chain dev \
			--pallet "$pallet" \
			--extrinsic "$extrinsic" \
			--extra \
			--steps 50 \
			--repeat 20 \
			--wasm-execution compiled \
			--heap-pages 4096 \
			--json-file "$CARGO_TARGET_DIR/weights/$extrinsic.json"
	done
	exit 0
fi

mkdir -p "$CARGO_TARGET_DIR/weights"
for pallet in "${pallets[@]}"; do
	# pallet_foo -> pallets/foo, for the pallets of this repository.
	own="$TESSERA_ROOT/pallets/${pallet#pallet_}"
	if [ "$pallet" != "${pallet#pallet_}" ] && [ -d "$own" ]; then
		output="$own/src/weights.rs"
		template=(--template "$TESSERA_ROOT/scripts/pallet-weight-template.hbs")
	else
		output="$CARGO_TARGET_DIR/weights/$pallet.rs"
		template=()
	fi
	step "benchmark $pallet -> $output"
	"$bench_node" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps 50 \
		--repeat 20 \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--header "$TESSERA_ROOT/scripts/weights-header.txt" \
		"${template[@]}" \
		--output "$output"
done

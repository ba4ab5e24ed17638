#!/usr/bin/env bash
# Runs the runtime's benchmarks on this machine and writes the weights they measure.
#
#   ./scripts/bench.sh                       # every benchmarked pallet of the runtime
#   ./scripts/bench.sh pallet_balances ...   # only these
#   ./scripts/bench.sh --list                # what can be benchmarked
#
# Weights are written to $CARGO_TARGET_DIR/weights/<pallet>.rs, in the runtime-side form
# (`impl pallet_x::WeightInfo for WeightInfo<T>`). polkadot-sdk's pallets in this runtime use the
# weights they ship with; these files are for comparing them with this machine. (The market
# pallets will add a pallet-side template and write their own `weights.rs`.)
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

if [ $# -gt 0 ]; then
	pallets=("$@")
else
	mapfile -t pallets < <("$bench_node" benchmark pallet --chain dev --list=pallets | tail -n +2)
fi

mkdir -p "$CARGO_TARGET_DIR/weights"
for pallet in "${pallets[@]}"; do
	output="$CARGO_TARGET_DIR/weights/$pallet.rs"
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
		--output "$output"
done

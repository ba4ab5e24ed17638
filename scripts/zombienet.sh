#!/usr/bin/env bash
# Multi-validator test of tessera-node under zombienet (native provider): four Aura + GRANDPA
# validators and one RPC node on 127.0.0.1, driven by zombienet/smoke.zndsl.
#
#   ./scripts/zombienet.sh            # needs a release build and `npm ci` in scripts/e2e
#
# Environment:
#   CARGO_TARGET_DIR   where the node was built (default: $HOME/.cache/tessera/target)
#   TESSERA_NODE       the node binary (default: $CARGO_TARGET_DIR/release/tessera-node)
#   ZOMBIENET_DIR      where zombienet puts this run's files and node logs
#                      (default: $CARGO_TARGET_DIR/zombienet/run-<date>-<pid>; must not exist)
#
# Runs without a terminal (CI): no prompts, plain-text log. Exits with zombienet's status.
# Needs bash, ps, awk, grep, wc and kill on PATH (Debian: procps, gawk or mawk, coreutils).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$TESSERA_ROOT"
TARGET="$CARGO_TARGET_DIR"
NODE="$TESSERA_NODE"
ZOMBIENET="$ROOT/scripts/e2e/node_modules/.bin/zombienet"

if [[ ! -x "$NODE" ]]; then
	echo "error: no tessera-node binary at $NODE" >&2
	echo "       build it first: ./scripts/test.sh, or cargo build --release -p tessera-node" >&2
	echo "       (CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-<unset, using $HOME/.cache/tessera/target>})" >&2
	exit 1
fi
if [[ ! -x "$ZOMBIENET" ]]; then
	echo "error: zombienet is not installed at $ZOMBIENET" >&2
	echo "       install it first: (cd scripts/e2e && npm ci)" >&2
	exit 1
fi
for tool in ps awk grep wc kill; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "error: zombienet's native provider needs '$tool' on PATH (Debian: procps, gawk, coreutils)" >&2
		exit 1
	fi
done

# Absolute path: zombienet runs the chain-spec command and the nodes from its own directories.
TESSERA_NODE="$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE")"
export TESSERA_NODE

# zombienet creates the run directory itself (one level only) and, given an existing one,
# would ask before reusing it, so use a fresh one under a parent that exists.
RUN_DIR="${ZOMBIENET_DIR:-$TARGET/zombienet/run-$(date +%Y%m%d-%H%M%S)-$$}"
mkdir -p "$(dirname "$RUN_DIR")"

echo "zombienet: node $TESSERA_NODE"
echo "zombienet: files and node logs in $RUN_DIR (logs/<node>.log)"

cd "$ROOT"
status=0
# -p native: nodes are local processes; -l text: plain log lines, not tables;
# -f: never prompt; -d: keep the run's files (chain specs, node logs) where we can find them.
"$ZOMBIENET" -p native -l text -f -d "$RUN_DIR" test zombienet/smoke.zndsl </dev/null || status=$?

if [[ $status -ne 0 ]]; then
	echo "zombienet: FAILED (exit $status); node logs: $RUN_DIR/logs/ and $RUN_DIR/<node>.log" >&2
elif [[ -z "${ZOMBIENET_DIR:-}" ]]; then
	# A passing run's databases and logs are of no further use; failed runs are kept.
	rm -rf "$RUN_DIR"
fi
exit "$status"

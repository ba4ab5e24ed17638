#!/usr/bin/env bash
# Installs whatever a fresh machine lacks to build and test Tessera. Idempotent: on a machine
# that has everything it only checks, in a few seconds.
#
#   Debian packages: protobuf-compiler (libp2p's build scripts), clang (C parts of some crates)
#   Rust: the Wasm targets the runtime builds for, and rust-src
#   npm: the end-to-end test client (@polkadot/api) and the zombienet CLI
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
command -v protoc >/dev/null || missing+=(protobuf-compiler)
command -v clang >/dev/null || missing+=(clang)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	step "installing Debian packages: ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
	echo "cargo not found: install Rust with rustup (https://rustup.rs) first" >&2
	exit 1
fi

installed_targets=$(rustup target list --installed)
# wasm32v1-none is what substrate-wasm-builder prefers on Rust >= 1.84; wasm32-unknown-unknown
# is the fallback it uses otherwise.
for target in wasm32v1-none wasm32-unknown-unknown; do
	if ! grep -qx "$target" <<<"$installed_targets"; then
		step "rustup target add $target"
		rustup target add "$target"
	fi
done
if ! rustup component list --installed | grep -q '^rust-src'; then
	step "rustup component add rust-src"
	rustup component add rust-src
fi

# npm packages, from the lock file. Reinstalled only when the lock file changed.
e2e="$TESSERA_ROOT/scripts/e2e"
stamp="$e2e/node_modules/.tessera-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$e2e/package-lock.json" "$stamp"; then
	step "npm ci (scripts/e2e)"
	(cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
	cp "$e2e/package-lock.json" "$stamp"
fi

mkdir -p "$CARGO_TARGET_DIR"

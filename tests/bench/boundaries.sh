#!/usr/bin/env bash
# serde-wasm-bindgen against JSON text at each boundary of the facade (one command:
# `bash tests/bench/boundaries.sh`). Builds the facade with the never-shipped feature
# `bench-serde-wasm-bindgen` at the package's opt-level (TOOLGATE_GATEWAY_OPT_LEVEL, default 3),
# then runs tests/bench/boundaries.mjs on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export PATH="$ROOT/.tools/node/node_modules/.bin:$HOME/.cargo/bin:$PATH"
OUT="$ROOT/target/bench-boundaries"
CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL="${TOOLGATE_GATEWAY_OPT_LEVEL:-3}" \
  cargo build --quiet -p toolgate-wasm --target wasm32-unknown-unknown --profile wasm-release --features bench-serde-wasm-bindgen
rm -rf "$OUT" && mkdir -p "$OUT"
wasm-bindgen --target nodejs --out-dir "$OUT" --out-name boundaries target/wasm32-unknown-unknown/wasm-release/toolgate_wasm.wasm
wasm-opt -O3 "$OUT/boundaries_bg.wasm" -o "$OUT/boundaries_bg.wasm"
uptime
node tests/bench/boundaries.mjs "$OUT/boundaries.js"

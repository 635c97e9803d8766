#!/usr/bin/env bash
# The one test command: installs what a fresh machine lacks, then runs every test.
#   bash scripts/test.sh            everything (Rust, npm package under Node and Chromium, browser end-to-end)
#   TOOLGATE_QUICK=1 bash scripts/test.sh   Rust only (no wasm builds, no browser)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ -z "${TOOLGATE_QUICK:-}" ]; then
  step "install tools (skips what is present)"
  bash scripts/install-tools.sh
fi
export PATH="$ROOT/.tools/node/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (engine, CLI, app state)"
cargo test --workspace --locked

if [ -n "${TOOLGATE_QUICK:-}" ]; then
  exit 0
fi

if [ -f scripts/test-pkg.sh ]; then
  step "npm package: build, Node parity tests, types, wasm-bindgen tests (Node + Chromium)"
  bash scripts/test-pkg.sh
fi

step "MCP gateway: real SDK, server-everything, redis-server"; bash scripts/test-gateway.sh

if [ -f scripts/test-e2e.sh ]; then
  step "browser app: release build + end-to-end tests in headless Chromium"
  bash scripts/test-e2e.sh
fi

step "all tests passed"

#!/usr/bin/env bash
# Tests the npm package (one command: `bash scripts/test-pkg.sh`):
#   1. the facade crate's (wasm/, `toolgate-wasm`) Rust tests and lints (native, and each module for wasm32);
#   2. builds pkg/ (scripts/build-pkg.sh), packs it with `npm pack` and installs the tarball into
#      tests/js and examples — what a gateway author gets from the registry;
#   3. builds the native CLI (the reference host for the parity tests);
#   4. `node --test`: the whole conformance corpus (ESM and CommonJS), CLI parity, the API on real
#      fixtures, bad input across the boundary, the README's gateway hook, the browser entry in
#      headless Chromium (the MCP gateway itself is tested by scripts/test-gateway.sh);
#   5. `tsc --noEmit --strict` of tests/js/consumer.ts against the packed types;
#   6. wasm-bindgen-test of the facade under Node and in headless Chromium (a run that reports
#      "0 passed" is a failure: browser tests are skipped silently when misconfigured).
# Needs the tools of scripts/install-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NODE_BIN="$ROOT/.tools/node/node_modules/.bin"
export PATH="$NODE_BIN:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1m--> %s\033[0m\n' "$*"; }
die() { printf 'test-pkg: %s\n' "$*" >&2; exit 1; }

step "facade: fmt, clippy (native and wasm32), unit tests"
# The facade only (the whole workspace is checked by scripts/test.sh).
cargo fmt -p toolgate-wasm -- --check
cargo clippy -p toolgate-wasm --all-targets --locked -- -D warnings
# Each module alone, as scripts/build-pkg.sh builds it.
for feature in gateway tools; do
  cargo clippy -p toolgate-wasm --no-default-features --features "$feature" --target wasm32-unknown-unknown --locked -- -D warnings
done
cargo test -p toolgate-wasm --locked
cargo fmt --manifest-path tests/wasm/Cargo.toml -- --check

step "build pkg/ and install the packed package"
bash scripts/build-pkg.sh
rm -rf target/npm && mkdir -p target/npm
(cd pkg && npm pack --silent --pack-destination "$ROOT/target/npm" >/dev/null)
TARBALL=$(ls "$ROOT"/target/npm/toolgate-*.tgz)
(cd examples && npm ci --no-audit --no-fund >/dev/null)
for dir in tests/js examples; do
  rm -rf "$dir/node_modules/toolgate"
  (cd "$dir" && npm install --no-save --no-audit --no-fund --no-package-lock "$TARBALL" >/dev/null)
done
printf 'packed %s (%s bytes)\n' "$(basename "$TARBALL")" "$(stat -c %s "$TARBALL")"

step "native CLI (reference host for parity)"
cargo build -p toolgate --locked
export TOOLGATE_CLI="$ROOT/target/debug/toolgate"

step "node --test tests/js"
node --test tests/js/*.test.mjs tests/js/*.test.cjs

step "tsc --noEmit --strict tests/js/consumer.ts"
tsc -p tests/js/tsconfig.json

step "wasm-bindgen-test: facade under Node and in headless Chromium"
export CARGO_TARGET_DIR="$ROOT/target/wasm-tests"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# Chromium started by chromedriver leaves ~46 MB per test binary in TMPDIR.
export TMPDIR="$ROOT/target/wasm-tests/tmp"
mkdir -p "$TMPDIR"
# tests/wasm has its own Cargo.lock (not a workspace member); it is updated, not enforced, when the
# engine gains a dependency.
run_wasm_tests() {
  local name=$1; shift
  local log="$ROOT/target/wasm-tests/$name.log"
  "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || die "$name: wasm-bindgen tests failed"
  grep -Eq 'test result: ok\. [1-9][0-9]* passed' "$log" || die "$name: no wasm-bindgen test ran (\"0 passed\" is a failure)"
}
run_wasm_tests node wasm-pack test --mode no-install --node tests/wasm --test node
WASM_BINDGEN_USE_BROWSER=1 run_wasm_tests chromium \
  wasm-pack test --mode no-install --headless --chrome --chromedriver "$CHROMEDRIVER" tests/wasm --test browser
rm -rf "$TMPDIR"

step "npm package: all tests passed"

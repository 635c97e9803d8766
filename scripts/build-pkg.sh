#!/usr/bin/env bash
# Builds the npm package `toolgate` into pkg/ (one command: `bash scripts/build-pkg.sh`).
#
#   1. wasm-pack builds engine/ (feature `wasm`, profile `wasm-release`: LTO, panic=abort) twice —
#      `--target web` (ES module glue, async or sync init) and `--target nodejs` (CommonJS glue,
#      synchronous load). Both glues load the same .wasm, which is checked byte for byte.
#      The package is built at opt-level 3, not the profile's "z": measured on the benchmark
#      (tests/bench), "z" is 15% smaller (gzip) but ~1.8x slower per decision and ~2x slower to
#      simulate, and a gateway spends its time in `evaluate`. TOOLGATE_PKG_OPT_LEVEL overrides it.
#   2. npm binaryen's wasm-opt 132 optimises it (-O3; TOOLGATE_WASM_OPT_FLAGS overrides).
#      Never Debian's wasm-opt: it breaks the output.
#   3. The hand-written sources in npm/ (entries, API layer, types, package.json) are copied next to it.
#
# Needs the tools of scripts/install-tools.sh (wasm-pack 0.15.1, wasm-bindgen 0.2.130, npm binaryen 132).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NODE_BIN="$ROOT/.tools/node/node_modules/.bin"
export PATH="$NODE_BIN:$HOME/.cargo/bin:$PATH"

die() { printf 'build-pkg: %s\n' "$*" >&2; exit 1; }
log() { printf 'build-pkg: %s\n' "$*"; }

WASM_OPT="$NODE_BIN/wasm-opt"
[ -x "$WASM_OPT" ] || die "missing $WASM_OPT (npm binaryen@132): run scripts/install-tools.sh"
"$WASM_OPT" --version | grep -q 'version 132' || die "$WASM_OPT is not binaryen 132: $("$WASM_OPT" --version)"
command -v wasm-pack >/dev/null || die "missing wasm-pack: run scripts/install-tools.sh"
[ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen 0.2.130" ] \
  || die "wasm-bindgen 0.2.130 must be on PATH (found: $(wasm-bindgen --version 2>/dev/null || echo none))"

export CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL="${TOOLGATE_PKG_OPT_LEVEL:-3}"
BUILD="$ROOT/target/pkg-build"
rm -rf "$BUILD"
for target in web nodejs; do
  log "wasm-pack build --target $target"
  # --no-opt: wasm-opt runs once below, from the pinned binaryen. Out dirs are relative to engine/.
  wasm-pack --quiet build --mode no-install --no-pack --no-opt --target "$target" \
    --profile wasm-release --out-dir "../target/pkg-build/$target" --out-name toolgate \
    engine --features wasm
done
cmp -s "$BUILD/web/toolgate_bg.wasm" "$BUILD/nodejs/toolgate_bg.wasm" \
  || die "the web and nodejs builds produced different .wasm files; the package ships one"

log "assemble pkg/"
mkdir -p pkg
find pkg -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
mkdir -p pkg/wasm
"$WASM_OPT" ${TOOLGATE_WASM_OPT_FLAGS:--O3} "$BUILD/web/toolgate_bg.wasm" -o pkg/wasm/toolgate_bg.wasm
cp "$BUILD/web/toolgate.js" pkg/wasm/toolgate.mjs
cp "$BUILD/web/toolgate.d.ts" pkg/wasm/toolgate.d.ts
cp "$BUILD/nodejs/toolgate.js" pkg/wasm/toolgate.cjs
cp npm/index.cjs npm/index.mjs npm/browser.mjs npm/index.d.ts npm/api.mjs pkg/
# The API layer in CommonJS form: its one `export` becomes `module.exports`.
grep -c '^export ' npm/api.mjs | grep -qx 1 || die "npm/api.mjs must have exactly one top-level export"
{
  echo "'use strict';"
  sed 's/^export function createApi(/function createApi(/' npm/api.mjs
  echo 'module.exports = { createApi };'
} > pkg/api.cjs
[ -f pkg/README.md ] || die "pkg/README.md is missing (it is tracked in git)"

VERSION=$(cargo metadata --no-deps --format-version 1 --offline 2>/dev/null \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="toolgate-engine");process.stdout.write(p.version)})')
[ -n "$VERSION" ] || die "could not read the engine's version"
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("npm/package.json", "utf8"));
  p.version = process.argv[1];
  fs.writeFileSync("pkg/package.json", JSON.stringify(p, null, 2) + "\n");
' "$VERSION"

RAW=$(stat -c %s pkg/wasm/toolgate_bg.wasm)
GZ=$(gzip -9c pkg/wasm/toolgate_bg.wasm | wc -c)
log "pkg/ is ready: toolgate@$VERSION, wasm $RAW bytes ($GZ gzip -9), opt-level $CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL"

#!/usr/bin/env bash
# Builds the npm package `toolgate` into pkg/ (one command: `bash scripts/build-pkg.sh`).
#
#   1. wasm-pack builds the facade crate wasm/ (`toolgate-wasm`, profile `wasm-release`: LTO,
#      panic=abort) once per module, each with `--target web` (ES module glue, async or sync
#      init) and `--target nodejs` (CommonJS glue, synchronous load); both glues load the same
#      .wasm, which is checked byte for byte:
#        - feature `gateway` → wasm/toolgate_bg.wasm: what a gateway loads (PolicyEngine);
#        - feature `tools`   → wasm/toolgate_tools_bg.wasm: validate with lint, simulate, diff,
#          runTests — loaded on first use (Node) or by `init()` (browsers).
#      opt-level per module (measured in pkg/README.md § Size and speed): TOOLGATE_GATEWAY_OPT_LEVEL
#      and TOOLGATE_TOOLS_OPT_LEVEL override the defaults below.
#   2. npm binaryen's wasm-opt 132 optimises each (TOOLGATE_WASM_OPT_FLAGS overrides the flags).
#      Never Debian's wasm-opt: it breaks the output.
#   3. The hand-written sources in npm/ (entries, API layer, types, package.json) are copied next to them.
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

GATEWAY_OPT_LEVEL="${TOOLGATE_GATEWAY_OPT_LEVEL:-3}"
TOOLS_OPT_LEVEL="${TOOLGATE_TOOLS_OPT_LEVEL:-3}"
BUILD="$ROOT/target/pkg-build"
rm -rf "$BUILD"
# build <feature> <out-name> <opt-level>
build() {
  local feature=$1 name=$2 opt=$3
  for target in web nodejs; do
    log "wasm-pack build --target $target --features $feature (opt-level $opt)"
    # --no-opt: wasm-opt runs once below, from the pinned binaryen. Out dirs are relative to wasm/.
    CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL="$opt" \
      wasm-pack --quiet build --mode no-install --no-pack --no-opt --target "$target" \
      --profile wasm-release --out-dir "../target/pkg-build/$name/$target" --out-name "$name" \
      wasm --no-default-features --features "$feature"
  done
  cmp -s "$BUILD/$name/web/${name}_bg.wasm" "$BUILD/$name/nodejs/${name}_bg.wasm" \
    || die "the web and nodejs builds of $name produced different .wasm files; the package ships one"
}
build gateway toolgate "$GATEWAY_OPT_LEVEL"
build tools toolgate_tools "$TOOLS_OPT_LEVEL"

log "assemble pkg/"
mkdir -p pkg
find pkg -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
mkdir -p pkg/wasm
for name in toolgate toolgate_tools; do
  "$WASM_OPT" ${TOOLGATE_WASM_OPT_FLAGS:--O3} "$BUILD/$name/web/${name}_bg.wasm" -o "pkg/wasm/${name}_bg.wasm"
  cp "$BUILD/$name/web/$name.js" "pkg/wasm/$name.mjs"
  cp "$BUILD/$name/web/$name.d.ts" "pkg/wasm/$name.d.ts"
  cp "$BUILD/$name/nodejs/$name.js" "pkg/wasm/$name.cjs"
done
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
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="toolgate-wasm");process.stdout.write(p.version)})')
[ -n "$VERSION" ] || die "could not read the engine's version"
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("npm/package.json", "utf8"));
  p.version = process.argv[1];
  fs.writeFileSync("pkg/package.json", JSON.stringify(p, null, 2) + "\n");
' "$VERSION"

for name in toolgate toolgate_tools; do
  RAW=$(stat -c %s "pkg/wasm/${name}_bg.wasm")
  GZ=$(gzip -9c "pkg/wasm/${name}_bg.wasm" | wc -c)
  log "wasm/${name}_bg.wasm: $RAW bytes ($GZ gzip -9)"
done
log "pkg/ is ready: toolgate@$VERSION (opt-level: gateway $GATEWAY_OPT_LEVEL, tools $TOOLS_OPT_LEVEL)"

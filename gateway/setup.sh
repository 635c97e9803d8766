#!/usr/bin/env bash
# Makes gateway/ runnable from a clone of the repository (one command: `bash gateway/setup.sh`):
# packs the `toolgate` engine package (scripts/build-pkg.sh, unless target/npm already holds a
# packed one), installs gateway/'s locked dependencies (npm ci) and the packed engine beside them.
# Then: node gateway/bin/toolgate-gateway.mjs --policy policy.json -- <server command…>
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH="$ROOT/.tools/node/node_modules/.bin:$HOME/.cargo/bin:$PATH"

TARBALL=$(ls "$ROOT"/target/npm/toolgate-[0-9]*.tgz 2>/dev/null | head -n 1 || true)
if [ -z "$TARBALL" ]; then
  bash scripts/build-pkg.sh
  mkdir -p target/npm
  (cd pkg && npm pack --silent --pack-destination "$ROOT/target/npm" >/dev/null)
  TARBALL=$(ls "$ROOT"/target/npm/toolgate-[0-9]*.tgz | head -n 1)
fi
(cd gateway && npm ci --no-audit --no-fund >/dev/null)
rm -rf gateway/node_modules/toolgate
(cd gateway && npm install --no-save --no-audit --no-fund --no-package-lock "$TARBALL" >/dev/null)
printf 'gateway/ is ready (engine %s): node gateway/bin/toolgate-gateway.mjs --help\n' "$(basename "$TARBALL")"

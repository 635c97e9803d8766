#!/usr/bin/env bash
# Tests the MCP gateway `toolgate-gateway` (gateway/; one command: `bash scripts/test-gateway.sh`):
#   1. installs gateway/'s locked dependencies (npm ci: the MCP SDK, node-redis, server-everything)
#      and the packed `toolgate` package (target/npm, left by scripts/test-pkg.sh; built and packed
#      here when absent) — what a user gets from the registry;
#   2. `node --test gateway/test`: SDK clients → gateway → the real server-everything over stdio and
#      Streamable HTTP; counters shared through real redis-server processes (one per test, on a unix
#      socket), and the differential Redis-vs-memory test;
#   3. packs gateway/ and runs the packed `toolgate-gateway --version` (the published shape).
# Needs node ≥ 20, redis-server (scripts/install-tools.sh) and, without target/npm, the tools of
# scripts/build-pkg.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH="$ROOT/.tools/node/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1m--> %s\033[0m\n' "$*"; }
die() { printf 'test-gateway: %s\n' "$*" >&2; exit 1; }

command -v redis-server >/dev/null || die "redis-server is missing (apt-get install -y redis-server, or scripts/install-tools.sh)"

step "the packed toolgate package"
TARBALL=$(ls "$ROOT"/target/npm/toolgate-[0-9]*.tgz 2>/dev/null | head -n 1 || true)
if [ -z "$TARBALL" ]; then
  bash scripts/build-pkg.sh
  mkdir -p target/npm
  (cd pkg && npm pack --silent --pack-destination "$ROOT/target/npm" >/dev/null)
  TARBALL=$(ls "$ROOT"/target/npm/toolgate-[0-9]*.tgz | head -n 1)
fi
printf 'using %s\n' "$(basename "$TARBALL")"

step "gateway/: npm ci, then the packed toolgate"
(cd gateway && npm ci --no-audit --no-fund >/dev/null)
rm -rf gateway/node_modules/toolgate
(cd gateway && npm install --no-save --no-audit --no-fund --no-package-lock "$TARBALL" >/dev/null)

step "node --test gateway/test (real SDK, server-everything, redis-server)"
node --test --test-concurrency=2 --test-timeout=120000 gateway/test/*.test.mjs

step "npm pack gateway/ and run the packed command"
SMOKE="$ROOT/target/gateway-pack"
rm -rf "$SMOKE" && mkdir -p "$SMOKE"
(cd gateway && npm pack --silent --pack-destination "$SMOKE" >/dev/null)
GW_TARBALL=$(ls "$SMOKE"/toolgate-gateway-*.tgz)
(cd "$SMOKE" && echo '{"private":true}' > package.json \
  && npm install --no-audit --no-fund --prefer-offline --no-package-lock "$TARBALL" "$GW_TARBALL" >/dev/null)
"$SMOKE/node_modules/.bin/toolgate-gateway" --version
rm -rf "$SMOKE"

step "gateway: all tests passed"

#!/usr/bin/env bash
# Tests the MCP gateway `toolgate-gateway` (gateway/; one command: `bash scripts/test-gateway.sh`):
#   1. gateway/setup.sh: gateway/'s locked dependencies (npm ci: the MCP SDK, node-redis,
#      server-everything) and the packed `toolgate` package (target/npm, left by scripts/test-pkg.sh;
#      built and packed when absent) — what a user gets from the registry;
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

step "gateway/: npm ci and the packed toolgate (gateway/setup.sh)"
bash gateway/setup.sh
TARBALL=$(ls "$ROOT"/target/npm/toolgate-[0-9]*.tgz | head -n 1)

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

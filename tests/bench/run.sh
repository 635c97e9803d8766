#!/usr/bin/env bash
# The npm package's benchmark in one command: bash tests/bench/run.sh
# Builds pkg/ (skip with TOOLGATE_BENCH_NO_BUILD=1), installs the packed package and Cedar (a dev
# dependency of the benchmark only) into tests/bench, and prints the figures and ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
if [ "${TOOLGATE_BENCH_NO_BUILD:-}" != 1 ] || [ ! -f pkg/package.json ]; then
  bash scripts/build-pkg.sh
fi
rm -rf target/npm-bench && mkdir -p target/npm-bench
(cd pkg && npm pack --silent --pack-destination "$ROOT/target/npm-bench" >/dev/null)
cd tests/bench
npm ci --no-audit --no-fund >/dev/null
rm -rf node_modules/toolgate
npm install --no-save --no-audit --no-fund --no-package-lock "$ROOT"/target/npm-bench/toolgate-*.tgz >/dev/null
node bench.mjs

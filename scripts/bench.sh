#!/usr/bin/env bash
# Every benchmark in one command (benchmarks, never timed tests): bash scripts/bench.sh
#   1. the engine, native (criterion; CPU time of the bench thread, as the machine may be shared)
#   2. the npm package against @cedar-policy/cedar-wasm 4.13, sizes and cold start (tests/bench)
#   3. the gateway: added latency per call, in memory and with Redis (gateway/bench; needs redis-server)
# Set TOOLGATE_BENCH_ONLY=engine|npm|gateway to run one of them. Figures: README.md ("Figures").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH="$ROOT/.tools/node/node_modules/.bin:$HOME/.cargo/bin:$PATH"
only="${TOOLGATE_BENCH_ONLY:-}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
if [ -z "$only" ] || [ "$only" = engine ]; then
  printf '\n==> engine (criterion, CPU time)\n'
  TOOLGATE_BENCH_CLOCK=cpu cargo bench -p toolgate-engine --bench engine
fi
if [ -z "$only" ] || [ "$only" = npm ]; then
  printf '\n==> npm package vs cedar-wasm\n'
  bash tests/bench/run.sh
fi
if [ -z "$only" ] || [ "$only" = gateway ]; then
  printf '\n==> gateway\n'
  [ -d gateway/node_modules/toolgate ] || bash gateway/setup.sh
  node gateway/bench/run.mjs
fi

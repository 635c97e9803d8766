#!/usr/bin/env bash
# Browser end-to-end tests of the web app: the release build in real headless Chromium
# (Debian's /usr/bin/chromium driven by npm playwright-core). Screenshots and measured timings
# land in target/e2e-screenshots/ and target/e2e-report.json.
#
#   TOOLGATE_E2E_SKIP_BUILD=1   use dist/ as it is
#   CHROMIUM=/path/to/chromium  another Chromium binary
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# Rebuild dist/ when it is missing or older than anything it is built from.
if [[ "${TOOLGATE_E2E_SKIP_BUILD:-0}" != 1 ]]; then
    if [[ ! -f dist/index.html ]] || [[ -n "$(find web engine/src index.html Trunk.toml Cargo.toml Cargo.lock tests/fixtures -newer dist/index.html -print -quit)" ]]; then
        scripts/serve.sh --build-only
    else
        echo "[e2e] dist/ is up to date"
    fi
fi

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
    echo "[e2e] $CHROMIUM not found: run scripts/install-tools.sh (apt chromium)" >&2
    exit 1
fi
export CHROMIUM

if [[ ! -f tests/e2e/node_modules/playwright-core/package.json ]]; then
    (cd tests/e2e && npm ci --no-audit --no-fund)
fi

# Chromium profiles go to a folder under target/, removed afterwards.
export TMPDIR="$REPO/target/e2e-tmp"
mkdir -p "$TMPDIR" target/e2e-screenshots
trap 'rm -rf "$REPO/target/e2e-tmp"' EXIT

cd tests/e2e
node --test --test-concurrency=1

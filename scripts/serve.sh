#!/usr/bin/env bash
# The browser app: build it for release and serve it at http://127.0.0.1:8080 (README's first command).
#
#   scripts/serve.sh                install what is missing, build dist/, serve it on 127.0.0.1:8080
#   scripts/serve.sh --build-only   install what is missing and build dist/ (used by scripts/test-e2e.sh)
#   PORT=9000 scripts/serve.sh      another port
#
# Everything runs in the browser; the server only hands out the static files of dist/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PORT="${PORT:-8080}"
BUILD_ONLY=0
case "${1:-}" in
    --build-only) BUILD_ONLY=1 ;;
    "") ;;
    *) echo "usage: scripts/serve.sh [--build-only]" >&2; exit 2 ;;
esac

# npm binaryen's wasm-opt (version 132) must come first: Debian's binaryen breaks the output.
NODE_BIN="$REPO/.tools/node/node_modules/.bin"
export PATH="$NODE_BIN:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

missing=()
command -v trunk >/dev/null 2>&1 || missing+=(trunk)
command -v wasm-bindgen >/dev/null 2>&1 || missing+=(wasm-bindgen-cli)
[[ -x "$NODE_BIN/wasm-opt" ]] || missing+=("wasm-opt (npm binaryen)")
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || missing+=(wasm32-unknown-unknown)
if ((${#missing[@]})); then
    echo "[serve] missing: ${missing[*]} -> scripts/install-tools.sh"
    # The browser tests need Chromium from apt; serving does not.
    TOOLGATE_SKIP_APT="${TOOLGATE_SKIP_APT:-1}" "$REPO/scripts/install-tools.sh"
fi

# Leptos: type-erase the view code (about 13% less wasm).
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components"
echo "[serve] trunk build --release (first build on a fresh machine: a few minutes)"
trunk build --release

echo "[serve] dist/ (sizes as transferred with gzip -9):"
total=0
for f in dist/index.html dist/*.js dist/*.wasm dist/*.css; do
    raw=$(stat -c %s "$f")
    gz=$(gzip -9c "$f" | wc -c)
    total=$((total + gz))
    printf '[serve]   %-48s %9d bytes  %8d gzip\n' "${f#dist/}" "$raw" "$gz"
done
printf '[serve]   %-48s %9s        %8d gzip (samples/ load only when picked)\n' "total" "" "$total"

if ((BUILD_ONLY)); then
    exit 0
fi

echo "[serve] toolgate is at http://127.0.0.1:$PORT/  (Ctrl-C stops)"
exec node - "$REPO/dist" "$PORT" <<'JS'
// Static files of dist/ on 127.0.0.1 (wasm with its own MIME type for streaming compilation).
const http = require('node:http'), fs = require('node:fs'), path = require('node:path');
const [root, port] = process.argv.slice(2);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.jsonl': 'application/x-ndjson' };
http.createServer((req, res) => {
  let file = path.normalize(path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
  fs.readFile(file, (err, body) => {
    if (err) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' }).end(body);
  });
}).listen(Number(port), '127.0.0.1');
JS

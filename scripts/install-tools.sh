#!/usr/bin/env bash
# Install every tool toolgate needs on a fresh Debian 12 machine (root, rustup + Node 20 present).
# Idempotent: each step checks first and skips what is already there at the right version,
# so a re-run on a complete machine does nothing and takes a few seconds.
#
# Network assumptions (see TOOLCHAIN notes): crates.io index, npm, Debian apt, static.rust-lang.org.
# Nothing is fetched from GitHub releases.
#
# Environment knobs:
#   TOOLGATE_INSTALL_FUZZ=1   also install cargo-fuzz (and a nightly toolchain if none is present)
#   TOOLGATE_SKIP_APT=1       do not touch apt (chromium, chromium-driver, redis-server)
#   CARGO_HOME / RUSTUP_HOME  honoured as usual
set -euo pipefail

# ---------------------------------------------------------------- pinned versions
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml (=0.2.130)
WASM_PACK_VERSION=0.15.1
TRUNK_VERSION=0.21.14          # 0.22 needs rustc >= 1.96.1
CARGO_FUZZ_VERSION=0.13.2
BINARYEN_NPM_VERSION=132.0.0   # wasm-opt 132; Debian's binaryen (108) silently breaks wasm output
PLAYWRIGHT_CORE_VERSION=1.65.1
TYPESCRIPT_VERSION=5.9.3
APT_PACKAGES=(chromium chromium-driver redis-server)

# ---------------------------------------------------------------- helpers
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
NODE_TOOLS="$REPO/.tools/node"
NODE_BIN="$NODE_TOOLS/node_modules/.bin"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"

# Tools installed below must be visible to the checks in this run.
case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac

SCRIPT_START=$SECONDS
SUMMARY=()

log()  { printf '[install-tools] %s\n' "$*"; }
warn() { printf '[install-tools] WARNING: %s\n' "$*" >&2; }
die()  { printf '[install-tools] ERROR: %s\n' "$*" >&2; exit 1; }
step() { printf '\n[install-tools] ==== %s ====\n' "$*"; }
note() { SUMMARY+=("$*"); }

# First whitespace-separated token after the program name of `<cmd> --version`, e.g. "trunk 0.21.14" -> 0.21.14
version_of() {
    local out
    out="$("$@" --version 2>/dev/null | head -n1)" || return 0
    awk '{print $2}' <<<"$out"
}

# cargo_install <binary> <wanted version> <cargo install args...>
cargo_install() {
    local bin="$1" want="$2"; shift 2
    local have=""
    if command -v "$bin" >/dev/null 2>&1; then have="$(version_of "$bin")"; fi
    if [[ "$have" == "$want" ]]; then
        log "$bin $want already installed ($(command -v "$bin")) - skipping"
        note "$bin $want: present"
        return 0
    fi
    log "$bin: found '${have:-none}', want $want -> cargo install $*"
    local t0=$SECONDS
    # Plain (non-tty) cargo output prints one 'Compiling ...' line per crate: visible progress in CI logs.
    # LTO off + 16 codegen units roughly halves build time of these tools; their speed does not matter.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install "$@"
    local dt=$((SECONDS - t0))
    have="$(version_of "$bin")"
    [[ "$have" == "$want" ]] || die "$bin --version reports '${have}' after install, expected $want (PATH order? $(command -v "$bin"))"
    log "$bin $want installed in ${dt}s"
    note "$bin $want: installed in ${dt}s"
}

# ---------------------------------------------------------------- 0. prerequisites
step "prerequisites"
command -v rustup >/dev/null 2>&1 || die "rustup not found (install it from https://rustup.rs first)"
command -v cargo  >/dev/null 2>&1 || die "cargo not found"
command -v node   >/dev/null 2>&1 || die "node not found (Node >= 20 required)"
command -v npm    >/dev/null 2>&1 || die "npm not found"
log "repo: $REPO"
log "$(rustc --version), $(cargo --version), node $(node --version), npm $(npm --version 2>/dev/null)"

# ---------------------------------------------------------------- 1. rustup target + components
step "rust target and components"
# Run from the repo so a rust-toolchain.toml there (if any) selects the toolchain being modified.
pushd "$REPO" >/dev/null
installed_targets="$(rustup target list --installed)"
if grep -qx 'wasm32-unknown-unknown' <<<"$installed_targets"; then
    log "target wasm32-unknown-unknown already installed - skipping"
    note "wasm32-unknown-unknown: present"
else
    t0=$SECONDS
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
    note "wasm32-unknown-unknown: installed in $((SECONDS - t0))s"
fi
installed_components="$(rustup component list --installed)"
for comp in rustfmt clippy; do
    if grep -q "^${comp}\(-\|$\)" <<<"$installed_components"; then
        log "component $comp already installed - skipping"
    else
        log "rustup component add $comp"
        rustup component add "$comp"
        note "rustup component $comp: installed"
    fi
done
popd >/dev/null

# ---------------------------------------------------------------- 2-4. cargo-installed tools
step "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
# No --locked: the crate's lockfile wants a webpki-roots version the registry does not have.
cargo_install wasm-bindgen "$WASM_BINDGEN_VERSION" "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"

step "wasm-pack $WASM_PACK_VERSION"
cargo_install wasm-pack "$WASM_PACK_VERSION" --locked "wasm-pack@$WASM_PACK_VERSION"

step "trunk $TRUNK_VERSION"
cargo_install trunk "$TRUNK_VERSION" --locked "trunk@$TRUNK_VERSION"

# ---------------------------------------------------------------- 5. apt packages
step "apt: ${APT_PACKAGES[*]}"
if [[ "${TOOLGATE_SKIP_APT:-0}" == 1 ]]; then
    log "TOOLGATE_SKIP_APT=1 - skipping apt packages"
    note "apt: skipped (TOOLGATE_SKIP_APT=1)"
else
    missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            log "apt package $pkg already installed - skipping"
        else
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]})); then
        [[ "$(id -u)" == 0 ]] || die "apt packages missing (${missing[*]}) and not running as root; install them or set TOOLGATE_SKIP_APT=1"
        command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by other means"
        t0=$SECONDS
        export DEBIAN_FRONTEND=noninteractive
        log "apt-get update"
        apt-get update
        log "apt-get install -y ${missing[*]}"
        apt-get install -y "${missing[@]}"
        note "apt ${missing[*]}: installed in $((SECONDS - t0))s"
    else
        note "apt ${APT_PACKAGES[*]}: present"
    fi
    if dpkg-query -W -f='${Status}' binaryen 2>/dev/null | grep -q 'install ok installed'; then
        warn "Debian package 'binaryen' is installed: its wasm-opt (108) breaks wasm output."
        warn "Keep $NODE_BIN first on PATH (or: apt-get remove binaryen)."
    fi
fi

# ---------------------------------------------------------------- 6. project-local npm tools
step "npm tools in $NODE_TOOLS"
NPM_SPECS=(
    "binaryen@$BINARYEN_NPM_VERSION"
    "playwright-core@$PLAYWRIGHT_CORE_VERSION"
    "typescript@$TYPESCRIPT_VERSION"
)
# One node process checks every package's installed version (fast path for re-runs).
# shellcheck disable=SC2016  # the single-quoted text is JavaScript, not shell
npm_missing="$(NODE_TOOLS="$NODE_TOOLS" node -e '
    const fs = require("fs"), path = require("path");
    const bad = [];
    for (const spec of process.argv.slice(1)) {
        const at = spec.lastIndexOf("@"), name = spec.slice(0, at), want = spec.slice(at + 1);
        let have = "none";
        try {
            have = JSON.parse(fs.readFileSync(path.join(process.env.NODE_TOOLS, "node_modules", name, "package.json"), "utf8")).version;
        } catch (e) {}
        if (have !== want) bad.push(`${name} (have ${have}, want ${want})`);
    }
    process.stdout.write(bad.join(", "));
' "${NPM_SPECS[@]}")"
if [[ -z "$npm_missing" && -x "$NODE_BIN/wasm-opt" && -x "$NODE_BIN/tsc" ]]; then
    log "npm tools already installed (${NPM_SPECS[*]}) - skipping"
    note "npm ${NPM_SPECS[*]}: present"
else
    log "npm: ${npm_missing:-bin links missing} -> npm install --prefix $NODE_TOOLS ${NPM_SPECS[*]}"
    t0=$SECONDS
    mkdir -p "$NODE_TOOLS"
    npm install --prefix "$NODE_TOOLS" --save-exact --no-audit --no-fund "${NPM_SPECS[@]}"
    note "npm ${NPM_SPECS[*]}: installed in $((SECONDS - t0))s"
fi
wasm_opt_version="$("$NODE_BIN/wasm-opt" --version 2>/dev/null || true)"
[[ "$wasm_opt_version" == *"version ${BINARYEN_NPM_VERSION%%.*}"* ]] \
    || die "$NODE_BIN/wasm-opt --version reports '$wasm_opt_version', expected version ${BINARYEN_NPM_VERSION%%.*}"
log "wasm-opt: $wasm_opt_version"

# ---------------------------------------------------------------- 7. optional: cargo-fuzz + nightly
step "cargo-fuzz (optional)"
if [[ "${TOOLGATE_INSTALL_FUZZ:-0}" == 1 ]]; then
    # Nightly problems only produce warnings: fuzzing is optional for this project.
    if rustup toolchain list | grep -q '^nightly'; then
        log "nightly toolchain present: $(rustup run nightly rustc --version 2>/dev/null || echo '?') - not updating"
        note "nightly: present"
    else
        log "rustup toolchain install nightly --profile minimal"
        t0=$SECONDS
        if rustup toolchain install nightly --profile minimal; then
            note "nightly: installed in $((SECONDS - t0))s"
        else
            warn "could not install a nightly toolchain; 'cargo +nightly fuzz' will not work here"
            note "nightly: NOT available"
        fi
    fi
    have=""
    if command -v cargo-fuzz >/dev/null 2>&1; then have="$(cargo fuzz --version 2>/dev/null | awk '{print $2}')"; fi
    if [[ "$have" == "$CARGO_FUZZ_VERSION" ]]; then
        log "cargo-fuzz $CARGO_FUZZ_VERSION already installed - skipping"
        note "cargo-fuzz $CARGO_FUZZ_VERSION: present"
    else
        log "cargo-fuzz: found '${have:-none}', want $CARGO_FUZZ_VERSION -> cargo install --locked cargo-fuzz@$CARGO_FUZZ_VERSION"
        t0=$SECONDS
        if CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
            cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"; then
            note "cargo-fuzz $CARGO_FUZZ_VERSION: installed in $((SECONDS - t0))s"
        else
            warn "cargo install cargo-fuzz failed; fuzzing unavailable"
            note "cargo-fuzz: FAILED"
        fi
    fi
else
    log "TOOLGATE_INSTALL_FUZZ is not 1 - skipping cargo-fuzz"
fi

# ---------------------------------------------------------------- summary
step "summary ($((SECONDS - SCRIPT_START))s total)"
for line in "${SUMMARY[@]}"; do log "  $line"; done

path_wasm_opt="$(command -v wasm-opt || true)"
if [[ -n "$path_wasm_opt" && "$path_wasm_opt" != "$NODE_BIN/wasm-opt" ]]; then
    warn "wasm-opt on the current PATH is $path_wasm_opt, not $NODE_BIN/wasm-opt - fix PATH as below"
fi
cat <<EOF

[install-tools] Done. Add this to your shell (and CI env) - the npm .bin folder must come FIRST
[install-tools] so npm binaryen's wasm-opt $BINARYEN_NPM_VERSION wins over any other wasm-opt:

export PATH="$NODE_BIN:$CARGO_BIN:\$PATH"

EOF

#!/usr/bin/env bash
# Installs what building (`setup.sh build`) or testing (`setup.sh test`) Berth needs, skipping
# whatever is already there. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}

say() { printf '==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        say "Installing Debian packages: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# --- building: Rust's wasm target and the wasm-bindgen CLI matching Cargo.lock exactly ---------
if ! have cargo; then
    echo "cargo is missing: install Rust with rustup (https://rustup.rs) and run this again." >&2
    exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "Adding the Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi
wbg_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg_version" ]; then
    say "Installing wasm-bindgen-cli $wbg_version (must match the wasm-bindgen crate in Cargo.lock)"
    cargo install wasm-bindgen-cli --version "$wbg_version" --quiet
fi

# Node.js for the npm tools (wasm-opt from Binaryen) and brotli for the precompressed bundle.
apt_install brotli
if ! have node || ! have npm; then
    apt_install nodejs npm
fi
if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
    say "Installing wasm-opt (Binaryen, from npm) for the browser bundle"
    (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi

[ "$what" = test ] || exit 0

# --- testing: Chromium, Node packages for Playwright, a real SMTP server, and the registry's real
# clients: Docker's engine (docker.io), skopeo, busybox for an image made offline, and the CNCF
# reference registry (docker-registry) and the load generator (wrk) of the benchmarks; git (its
# git-daemon serves the build tests' repositories) and curl (their post-receive hook) --------------
apt_install chromium docker.io skopeo busybox-static docker-registry wrk git curl
if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "Installing Playwright's Node packages (no browser download: tests use Debian's Chromium)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "Installing aiosmtpd from PyPI (the SMTP server the mail tests send to)"
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd
fi

# --- testing at scale: PostgreSQL's server binaries (the tests start a throwaway cluster of their
# own) and Garage, an S3-compatible object store published on crates.io, built from source with
# the C libraries it links --------------------------------------------------------------------
apt_install postgresql libsodium-dev libzstd-dev libsqlite3-dev pkg-config
garage_version=2.5.0
if ! garage --version 2>/dev/null | grep -q "cargo:$garage_version "; then
    say "Building Garage $garage_version from crates.io (the S3 server of the PostgreSQL+S3 test pass; takes several minutes once)"
    cargo install garage --version "$garage_version" --locked --quiet \
        --no-default-features --features sqlite,system-libs
fi

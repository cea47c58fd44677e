#!/usr/bin/env bash
# Builds the hydration bundle into target/site and the `berth` binary.
#   build.sh release -> target/release/berth      build.sh dev -> target/debug/berth
# The wasm bundle is always optimised for size (profile wasm-release): it is what browsers load.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-release}
site=target/site

echo "==> Building the browser bundle (frontend, wasm32)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
mkdir -p "$site/pkg"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$site/pkg" --out-name berth \
    target/wasm32-unknown-unknown/wasm-release/frontend.wasm
cp style/main.css "$site/pkg/berth.css"
cp -r public/. "$site/"
# Served precompressed when the browser accepts gzip (about a third of the size).
gzip -9 -k -f "$site/pkg/berth_bg.wasm" "$site/pkg/berth.js" "$site/pkg/berth.css"

if [ "$mode" = release ]; then
    echo "==> Building the server (release)"
    cargo build -p server --release
    echo "==> Built target/release/berth and $site"
else
    echo "==> Building the server (debug)"
    cargo build -p server
    echo "==> Built target/debug/berth and $site"
fi

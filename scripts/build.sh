#!/usr/bin/env bash
# Builds the hydration bundle into target/site and the `berth` binary.
#   build.sh release -> target/release/berth      build.sh dev -> target/debug/berth
# The wasm bundle is always optimised for size (profile wasm-release): it is what browsers load.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-release}
site=target/site

echo "==> Building the browser bundle (frontend, wasm32; only the islands hydrate)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$out" --out-name berth \
    target/wasm32-unknown-unknown/wasm-release/frontend.wasm
# Binaryen's optimiser, for size; the features are those rustc's wasm32 output uses.
tools/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/berth_bg.wasm" -o "$out/berth_bg.wasm"
cp style/main.css "$out/berth.css"
# File names carry a hash of the contents, so browsers may cache them for a year; the server
# reads the hash from pkg/assets.hash.
hash=$(cat "$out/berth.js" "$out/berth_bg.wasm" "$out/berth.css" | sha256sum | cut -c1-16)
mkdir -p "$site/pkg"
rm -f "$site"/pkg/berth*
cp "$out/berth.js" "$site/pkg/berth.$hash.js"
cp "$out/berth_bg.wasm" "$site/pkg/berth.${hash}_bg.wasm"
cp "$out/berth.css" "$site/pkg/berth.$hash.css"
echo "$hash" >"$site/pkg/assets.hash"
cp -r public/. "$site/"
# Served precompressed by content negotiation: brotli, else gzip.
for f in "$site"/pkg/berth.*; do
    brotli -q 11 -k -f "$f"
    gzip -9 -k -f "$f"
done
echo "==> Bundle: $(du -b "$site/pkg/berth.${hash}_bg.wasm" | cut -f1) bytes of wasm; compressed (brotli) wasm + js + css: $(cat "$site"/pkg/berth.*.br | wc -c) bytes"

if [ "$mode" = release ]; then
    echo "==> Building the server (release)"
    cargo build -p server --release
    echo "==> Built target/release/berth and $site"
else
    echo "==> Building the server (debug)"
    cargo build -p server
    echo "==> Built target/debug/berth and $site"
fi

# Berth: `make run` serves the hub on http://127.0.0.1:3000; `make test` runs every test.
# Both install what is missing first (scripts/setup.sh says what it does, and skips what is there).

SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help run build build-dev test test-rust test-scale test-e2e bench setup-build setup-test lint fmt clean

help:
	@echo "make run    - install what is missing, build, serve the hub at http://127.0.0.1:3000"
	@echo "make test   - install what is missing, build, run unit, integration and browser tests"
	@echo "make build  - release binary target/release/berth and site assets under target/site"
	@echo "make bench  - registry, page, docker, first-visit, search and garbage-collection benchmarks (registry ones beside the CNCF reference registry)"
	@echo "make lint   - rustfmt check and clippy (per package, -D warnings)"

setup-build:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

# Release build: the binary and the hydration bundle it serves.
build: setup-build
	@scripts/build.sh release

# Debug server build used by the tests (faster to compile, same site assets).
build-dev: setup-build
	@scripts/build.sh dev

run: build
	@echo "==> Serving Berth at http://127.0.0.1:3000 (data in ./data, mail in ./data/outbox; Ctrl-C stops)"
	./target/release/berth serve

test: setup-test build-dev test-rust test-scale test-e2e
	@echo "==> All tests passed"

test-rust:
	@echo "==> Rust tests on SQLite and the data folder: domain (berth_core), web app (app, ssr), server (HTTP, SMTP, registry with docker and skopeo)"
	@# One invocation: the three server-side packages share one build. `frontend` (hydrate) stays out.
	cargo test -p berth_core -p app -p server

test-scale:
	@echo "==> Rust tests again on PostgreSQL and S3 (throwaway PostgreSQL and Garage servers), then two replicas behind a proxy, and migrate-data"
	@scripts/test-scale.sh

test-e2e:
	@echo "==> Browser tests: Playwright driving Debian's Chromium"
	cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx playwright test

bench: setup-test build
	@echo "==> Registry benchmark (release build): Berth and Debian's docker-registry 2.8.2, same workload"
	cargo bench -p server --bench registry
	@echo "==> Page benchmark (release build): wrk at 64 connections on the pages of a repository with 10,000 tags"
	cargo bench -p server --bench pages
	@echo "==> Docker benchmark (release build): docker push and pull with a real engine, Berth and the reference registry in alternating rounds"
	cargo bench -p server --bench docker
	@echo "==> First visit of a repository page in Chromium (empty cache; loopback and a throttled link)"
	cd end2end && node bench/first-visit.mjs
	@echo "==> Search benchmark (release build): 100,000 repositories on SQLite, then on a throwaway PostgreSQL;"
	@echo "==> garbage-collection benchmark: throughput and a push storm, on SQLite and the data folder, then PostgreSQL and Garage"
	@dir=$$(mktemp -d); trap 'scripts/test-services.sh stop "$$dir"; rm -rf "$$dir"' EXIT; \
	scripts/test-services.sh start "$$dir" && . "$$dir/env" && cargo bench -p server --bench search && cargo bench -p server --bench gc

lint:
	cargo fmt --all -- --check
	cargo clippy -p berth_core --all-targets -- -D warnings
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/test-results end2end/.tmp end2end/screenshots

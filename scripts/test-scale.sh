#!/usr/bin/env bash
# `make test`'s second pass: the domain and server suites again on PostgreSQL and S3 storage
# (a throwaway PostgreSQL cluster and a one-node Garage, started here and stopped at the end),
# then the tests that need them: two replicas behind a proxy, and migrate-data.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/berth-services.XXXXXX)
trap 'scripts/test-services.sh stop "$dir"; rm -rf "$dir"' EXIT
scripts/test-services.sh start "$dir"
# shellcheck disable=SC1091
source "$dir/env"
export BERTH_TEST_BACKEND=postgres-s3
cargo test -p berth_core -p server
cargo test -p server --test it -- --ignored replicas:: migrate_data::

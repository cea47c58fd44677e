#!/usr/bin/env bash
# Throwaway PostgreSQL and Garage (S3) servers on loopback for the test suite's second pass.
#   scripts/test-services.sh start DIR   starts both under DIR and writes DIR/env (shell exports)
#   scripts/test-services.sh stop DIR    stops them; DIR can then be removed
# Tests create one database and one key prefix each from what DIR/env names.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?folder for the servers}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
garage() { command garage -c "$dir/garage.toml" "$@"; }

case "$cmd" in
start)
    mkdir -p "$dir/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$dir" "$dir/pg"
    pg_port=$(free_port)
    as_pg "$pgbin/initdb" -D "$dir/pg" -U berth --auth=trust -E UTF8 --no-locale >"$dir/initdb.log"
    # fsync off: the cluster lives for one test run.
    as_pg "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir/pg -c fsync=off -c synchronous_commit=off -c max_connections=600" \
        start >/dev/null

    s3_port=$(free_port)
    rpc_port=$(free_port)
    admin_port=$(free_port)
    mkdir -p "$dir/garage/meta" "$dir/garage/data"
    cat >"$dir/garage.toml" <<EOF
metadata_dir = "$dir/garage/meta"
data_dir = "$dir/garage/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$(openssl rand -hex 32)"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3_port"
root_domain = ".s3.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin_port"
admin_token = "$(openssl rand -hex 16)"
EOF
    RUST_LOG=warn nohup garage -c "$dir/garage.toml" server >"$dir/garage.log" 2>&1 &
    echo $! >"$dir/garage.pid"
    for _ in $(seq 100); do
        garage status >/dev/null 2>&1 && break
        sleep 0.1
    done
    node=$(garage node id -q | cut -d@ -f1)
    garage layout assign -z test -c 1G "$node" >/dev/null
    garage layout apply --version 1 >/dev/null
    key_id="GK$(openssl rand -hex 12)"
    secret=$(openssl rand -hex 32)
    garage key import --yes -n berth-test "$key_id" "$secret" >/dev/null
    garage bucket create berth-test >/dev/null
    garage bucket allow --read --write --owner berth-test --key berth-test >/dev/null

    cat >"$dir/env" <<EOF
export BERTH_TEST_POSTGRES_URL=postgres://berth@127.0.0.1:$pg_port/postgres
export BERTH_TEST_S3_URL='s3://berth-test?endpoint=http://127.0.0.1:$s3_port&region=garage'
export AWS_ACCESS_KEY_ID=$key_id
export AWS_SECRET_ACCESS_KEY=$secret
EOF
    echo "==> PostgreSQL on 127.0.0.1:$pg_port and Garage S3 on 127.0.0.1:$s3_port (in $dir)"
    ;;
stop)
    [ -f "$dir/garage.pid" ] && kill "$(cat "$dir/garage.pid")" 2>/dev/null || true
    [ -d "$dir/pg" ] && as_pg "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac

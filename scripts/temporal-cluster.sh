#!/usr/bin/env bash
# Runs a production-shaped Temporal in the foreground: the pinned go.temporal.io/server (the version
# the CLI's dev server embeds) on its own PostgreSQL cluster from Debian's packages, schema set up and
# migrated with temporal-sql-tool, the `default` namespace registered. What docker-compose.yml runs,
# with the same config files (deploy/temporal/config). Stopping this script stops both servers.
#   TEMPORAL_PORT (7233): frontend gRPC; the other services take the next ports (+1 history, +2
#     matching, +6 worker, membership at +10000-ish) so two clusters never collide
#   TEMPORAL_PG_PORT (5433): the PostgreSQL port (loopback only)
#   TEMPORAL_CLUSTER_DIR (.runtime/temporal-cluster): database files, password, logs; "fresh" starts
#     from an empty database in a temporary folder removed on exit
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bins="$("$here/scripts/install-temporal-server.sh")"
cli="$("$here/scripts/install-temporal.sh")"
port="${TEMPORAL_PORT:-7233}"
pg_port="${TEMPORAL_PG_PORT:-5433}"
dir="${TEMPORAL_CLUSTER_DIR:-$here/.runtime/temporal-cluster}"
if [ "$dir" = "fresh" ]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/temporal-cluster.XXXXXX")"
  fresh=1
fi
say() { echo "temporal-cluster: $*" >&2; }

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/postgres" ]; then
  say "no PostgreSQL server found (/usr/lib/postgresql/*/bin): run scripts/install-postgres.sh"
  exit 1
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user the Debian
# package created.
as_pg=()
if [ "$(id -u)" = "0" ]; then as_pg=(runuser -u postgres --); fi
mkdir -p "$dir"
data="$dir/pgdata"
password_file="$dir/pg-password"
if [ ! -s "$password_file" ]; then
  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$password_file")
fi
if [ ${#as_pg[@]} -gt 0 ]; then chown -R postgres "$dir"; fi
if [ ! -f "$data/PG_VERSION" ]; then
  say "initialising PostgreSQL in $data"
  "${as_pg[@]}" "$pg_bin/initdb" -D "$data" -U temporal --pwfile="$password_file" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { say "initdb failed: see $dir/initdb.log"; exit 1; }
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${fresh:-}" ]; then rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

"${as_pg[@]}" "$pg_bin/postgres" -D "$data" -p "$pg_port" -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories="$dir" -c max_connections=200 -c fsync=on >>"$dir/postgres.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
  kill -0 "${pids[0]}" 2>/dev/null || { say "PostgreSQL exited: see $dir/postgres.log"; exit 1; }
  sleep 0.5
done

SQL_PASSWORD="$(cat "$password_file")"
TEMPORAL_SQL_TOOL="$bins/temporal-sql-tool" SQL_HOST=127.0.0.1 SQL_PORT="$pg_port" SQL_USER=temporal \
  SQL_PASSWORD="$SQL_PASSWORD" sh "$here/deploy/temporal/setup-schema.sh" >>"$dir/schema.log" 2>&1 \
  || { say "schema setup failed: see $dir/schema.log"; exit 1; }

export POSTGRES_SEEDS=127.0.0.1 DB_PORT="$pg_port" POSTGRES_USER=temporal POSTGRES_PWD="$SQL_PASSWORD"
export TEMPORAL_BIND_IP=127.0.0.1 TEMPORAL_BROADCAST_ADDRESS=127.0.0.1
export FRONTEND_GRPC_PORT="$port" HISTORY_GRPC_PORT=$((port + 1)) MATCHING_GRPC_PORT=$((port + 2))
export WORKER_GRPC_PORT=$((port + 6)) FRONTEND_HTTP_PORT=$((port + 10))
export FRONTEND_MEMBERSHIP_PORT=$((port - 300)) HISTORY_MEMBERSHIP_PORT=$((port - 299))
export MATCHING_MEMBERSHIP_PORT=$((port - 298)) WORKER_MEMBERSHIP_PORT=$((port - 294))
export DYNAMIC_CONFIG_FILE_PATH="$here/deploy/temporal/config/dynamicconfig/production.yaml"
say "starting temporal-server on 127.0.0.1:$port (PostgreSQL on 127.0.0.1:$pg_port, files in $dir)"
"$bins/temporal-server" --root "$here/deploy/temporal" --config config --env production --allow-no-auth \
  start >>"$dir/temporal-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  "$cli" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1 && break
  kill -0 "${pids[1]}" 2>/dev/null || { say "temporal-server exited: see $dir/temporal-server.log"; exit 1; }
  sleep 0.5
done
if ! "$cli" operator namespace describe -n default --address "127.0.0.1:$port" >/dev/null 2>&1; then
  "$cli" operator namespace create -n default --retention 72h --address "127.0.0.1:$port" >/dev/null
fi
say "ready on 127.0.0.1:$port"
wait "${pids[1]}"

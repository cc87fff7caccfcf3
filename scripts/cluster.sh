#!/usr/bin/env bash
# A city on one machine, for a newcomer (issue 16): PostgreSQL, Redis, Mosquitto and three Sharpeyes
# nodes on loopback, everything under .cluster/ in the repository.
#   scripts/cluster.sh up     start (again) and print where each node listens
#   scripts/cluster.sh down   stop everything started by `up` (data stays in .cluster/)
#   scripts/cluster.sh clean  down, then remove .cluster/
# Ports (loopback only): PostgreSQL 55432, Redis 56379, Mosquitto 51883, nodes 18081-18083; override
# with CLUSTER_PG_PORT, CLUSTER_REDIS_PORT, CLUSTER_MQTT_PORT, CLUSTER_HTTP_BASE (node n: base + n).
# Needs the Debian packages postgresql-15, redis-server, mosquitto (mosquitto_passwd).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.cluster"
PG_PORT="${CLUSTER_PG_PORT:-55432}"
REDIS_PORT="${CLUSTER_REDIS_PORT:-56379}"
MQTT_PORT="${CLUSTER_MQTT_PORT:-51883}"
HTTP_BASE="${CLUSTER_HTTP_BASE:-18080}"
PG_BIN="${SHARPEYES_PG_BIN:-/usr/lib/postgresql/15/bin}"
NODES=3
SERVICE_PASSWORD_FILE="$DIR/service.password"

log() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# PostgreSQL refuses to run as root: run its programs as the postgres user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # what, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what did not start (see $DIR/*.log)"
}

start_postgres() {
  mkdir -p "$DIR/pg-run"
  if [ ! -d "$DIR/pg/base" ]; then
    mkdir -p "$DIR/pg"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$DIR/pg" "$DIR/pg-run" && chmod 700 "$DIR/pg"
    as_pg "$PG_BIN/initdb" -D "$DIR/pg" -U sharpeyes --auth=trust -E UTF8 >"$DIR/initdb.log"
  fi
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg-run"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
    touch "$DIR/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres: "$DIR/postgres.log"
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/postgres.log" -w start \
      -o "-p $PG_PORT -k $DIR/pg-run -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
  fi
  wait_for PostgreSQL 30 "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U sharpeyes -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'sharpeyes'" | grep -q 1 ||
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U sharpeyes sharpeyes
  log "PostgreSQL on 127.0.0.1:$PG_PORT (database sharpeyes)"
}

start_redis() {
  mkdir -p "$DIR/redis"
  alive "$DIR/redis.pid" ||
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR/redis" \
      --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
  wait_for Redis 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT"
  log "Redis on 127.0.0.1:$REDIS_PORT"
}

start_mosquitto() {
  mkdir -p "$DIR/mosquitto"
  [ -f "$SERVICE_PASSWORD_FILE" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$SERVICE_PASSWORD_FILE"
  chmod 600 "$SERVICE_PASSWORD_FILE"
  # One line per panel of the demo city (its id, its secret), plus the nodes' service account.
  : >"$DIR/mosquitto/passwd"
  chmod 600 "$DIR/mosquitto/passwd"
  mosquitto_passwd -b "$DIR/mosquitto/passwd" sharpeyes-core "$(cat "$SERVICE_PASSWORD_FILE")"
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { parse } from "yaml";
    for (const p of parse(readFileSync(process.argv[1], "utf8")).panels ?? []) console.log(`${p.id}\t${p.secret}`);
  ' "$ROOT/config/demo.yaml" | while IFS=$'\t' read -r id secret; do
    mosquitto_passwd -b "$DIR/mosquitto/passwd" "$id" "$secret"
  done
  cat >"$DIR/mosquitto/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous false
password_file $DIR/mosquitto/passwd
persistence true
persistence_location $DIR/mosquitto/
# A burst queued for the nodes while one restarts must not be dropped (default 1000).
max_queued_messages 0
max_queued_bytes 268435456
max_inflight_messages 100
max_packet_size 65536
log_dest file $DIR/mosquitto.log
EOF
  [ "$(id -u)" = 0 ] && chown -R mosquitto: "$DIR/mosquitto" 2>/dev/null || true
  if ! alive "$DIR/mosquitto.pid"; then
    mosquitto -c "$DIR/mosquitto/mosquitto.conf" >>"$DIR/mosquitto.log" 2>&1 &
    echo $! >"$DIR/mosquitto.pid"
  fi
  wait_for Mosquitto 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MQTT_PORT"
  log "Mosquitto on 127.0.0.1:$MQTT_PORT (panels log in as their id with their secret)"
}

node_config() { # n
  local n=$1
  node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import { parse, stringify } from "yaml";
    const [demo, out, n, http, mqtt, pg, redis, password, dir] = process.argv.slice(1);
    const c = parse(readFileSync(demo, "utf8"));
    c.http = { ...c.http, host: "127.0.0.1", port: Number(http) };
    c.mqtt = { url: `mqtt://127.0.0.1:${mqtt}`, username: "sharpeyes-core", password, clientId: `sharpeyes-node-${n}` };
    c.storage = { dataDir: `${dir}/node-${n}`, database: { kind: "postgres", url: `postgres://sharpeyes@127.0.0.1:${pg}/sharpeyes`, poolSize: 10 } };
    c.realtime = { redis: `redis://127.0.0.1:${redis}` };
    c.cluster = { nodeId: `node-${n}`, leaseSeconds: 10 };
    if (c.dc09) c.dc09 = { ...c.dc09, port: 0 };
    writeFileSync(out, stringify(c));
  ' "$ROOT/config/demo.yaml" "$DIR/node-$n.yaml" "$n" "$((HTTP_BASE + n))" "$MQTT_PORT" "$PG_PORT" "$REDIS_PORT" \
    "$(cat "$SERVICE_PASSWORD_FILE")" "$DIR"
  chmod 600 "$DIR/node-$n.yaml"
}

start_nodes() {
  for n in $(seq 1 $NODES); do
    node_config "$n"
    if ! alive "$DIR/node-$n.pid"; then
      (cd "$ROOT" && exec npx sharpeyes start --config "$DIR/node-$n.yaml" --no-demo) >"$DIR/node-$n.log" 2>&1 &
      echo $! >"$DIR/node-$n.pid"
    fi
  done
  for n in $(seq 1 $NODES); do
    wait_for "node-$n" 120 curl -fsS "http://127.0.0.1:$((HTTP_BASE + n))/api/health"
    log "node-$n on http://127.0.0.1:$((HTTP_BASE + n)) (log: $DIR/node-$n.log)"
  done
}

stop_pidfile() { # file
  local f=$1
  if alive "$f"; then
    local pid; pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

up() {
  mkdir -p "$DIR"
  start_postgres
  start_redis
  start_mosquitto
  start_nodes
  log "up. Add a user: npx sharpeyes user add --config $DIR/node-1.yaml --username admin --password 'a-long-password' --role admin --scope city"
}

down() {
  for n in $(seq 1 $NODES); do stop_pidfile "$DIR/node-$n.pid"; done
  stop_pidfile "$DIR/mosquitto.pid"
  if [ -f "$DIR/redis.pid" ]; then stop_pidfile "$DIR/redis.pid"; fi
  if [ -d "$DIR/pg" ] && as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null
  fi
  log "down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  clean) down; rm -rf "$DIR"; log "removed $DIR" ;;
  *) die "usage: scripts/cluster.sh up|down|clean" ;;
esac

# shellcheck shell=bash
# The production topology (`scripts/infra.sh up|status|down --topology production`):
# what docker-compose.yml runs, without Docker, on loopback:
#   - PostgreSQL from the machine's own packages (Debian: /usr/lib/postgresql/<v>/bin),
#     data in $STATE_DIR/postgres, user/password temporal/temporal as in docker-compose.yml;
#   - the real Temporal server (go.temporal.io/server, not the CLI's dev server) with
#     persistence AND SQL visibility on that PostgreSQL (plugin postgres12), as
#     temporalio/auto-setup runs it; its schemas set up with temporal-sql-tool;
#   - the `default` namespace and the StoryboardId/ShotId search attributes, as
#     docker-compose.yml's temporal-setup does;
#   - the Temporal Web UI (ui-server, built with `go install` like the rest), as temporal-ui.
# Its ports differ from the dev topology's, so both run side by side from one state dir.
# Sourced by scripts/infra.sh after its own helpers (log, die, go_install, wait_healthy, ...).
#
# Inputs (all optional):
#   SEEDANCE_PG_BIN_DIR      PostgreSQL's bin dir (default: the newest /usr/lib/postgresql/*/bin)
#   SEEDANCE_PG_PORT (5433)  SEEDANCE_PROD_TEMPORAL_PORT (7243): the frontend's gRPC port; the
#     server's other services take the next four ports (HTTP API, history, matching, worker) and
#     their membership ports sit 300 below each.
#   SEEDANCE_PROD_UI_PORT (8243): the Temporal Web UI
#   SEEDANCE_GO_BUILD_FLAGS  GOFLAGS for the server's build (e.g. -p=1 on a busy 2-core machine)

SERVER_MODULE=go.temporal.io/server
SERVER_PKG=go.temporal.io/server/cmd/server
SQL_TOOL_PKG=go.temporal.io/server/cmd/tools/sql
# The server release the temporalio/auto-setup:1.29.x image of docker-compose.yml runs.
SERVER_VERSION=v1.29.1
TEMPORAL_SERVER_BIN=$BIN_DIR/temporal-server
# The Web UI's server (github.com/temporalio/ui-server: Go, the UI's assets embedded). 2.50.1:
# the module proxy has no v2.51.0, the tag of docker-compose.yml's temporalio/ui image.
UI_MODULE=github.com/temporalio/ui-server/v2
UI_PKG=github.com/temporalio/ui-server/v2/cmd/server
UI_VERSION=v2.50.1
TEMPORAL_UI_BIN=$BIN_DIR/temporal-ui-server
TEMPORAL_SQL_TOOL_BIN=$BIN_DIR/temporal-sql-tool

# Ports: an explicit setting wins; otherwise those of the last start (production.ports), so a
# restart keeps the addresses the env file advertises; otherwise the defaults. A default that
# is busy (another checkout's topology, a CI run) is replaced by a free one at start.
PROD_PORTS_FILE=$STATE_DIR/production.ports
SAVED_PG_PORT='' SAVED_TEMPORAL_PORT='' SAVED_UI_PORT=''
if [[ -f "$PROD_PORTS_FILE" ]]; then read -r SAVED_PG_PORT SAVED_TEMPORAL_PORT SAVED_UI_PORT <"$PROD_PORTS_FILE" || true; fi
PG_PORT=${SEEDANCE_PG_PORT:-${SAVED_PG_PORT:-5433}}
PG_USER=temporal
PG_PASSWORD=temporal
PG_DATA=$STATE_DIR/postgres
PG_LOG=$STATE_DIR/postgres.log
# The postgres user must reach its data dir. A state dir under a private folder (a CI clone in
# a 700 mktemp dir, a home directory) cannot be: the data then goes to a folder of its own
# named after the state dir, so each state dir still has exactly one.
# Judged on the state dir's parent, which exists before the first `up` creates the state dir.
if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$(dirname "$STATE_DIR")" 2>/dev/null; then
  PG_DATA=/var/tmp/seedance-flow-postgres-$(printf '%s' "$STATE_DIR" | cksum | cut -d' ' -f1)
  PG_LOG=$PG_DATA.log
fi
PROD_TEMPORAL_PORT=${SEEDANCE_PROD_TEMPORAL_PORT:-${SAVED_TEMPORAL_PORT:-7243}}
PROD_UI_PORT=${SEEDANCE_PROD_UI_PORT:-${SAVED_UI_PORT:-8243}}
UI_DIR=$STATE_DIR/temporal-ui # its config; the pid marker
UI_LOG=$STATE_DIR/temporal-ui.log
SERVER_DIR=$STATE_DIR/temporal-server # config (production.yaml, dynamic config); the pid marker
SERVER_LOG=$STATE_DIR/temporal-server.log
PROD_ENV_FILE=$STATE_DIR/production.env

save_production_ports() { printf '%s %s %s\n' "$PG_PORT" "$PROD_TEMPORAL_PORT" "$PROD_UI_PORT" >"$PROD_PORTS_FILE"; }

# all_free TRIES PORT...: every one can be bound on 127.0.0.1, looking TRIES times 0.2 s apart.
all_free() {
  local tries=$1 i p busy
  shift
  for ((i = 0; i < tries; i++)); do
    ((i == 0)) || sleep 0.2
    busy=''
    for p in "$@"; do port_free "$p" || busy=$p; done
    [[ -z "$busy" ]] && return 0
  done
  return 1
}

# settle_port NAME EXPLICIT_VAR CURRENT STEP -> prints a port whose block (see block_of) is free:
# CURRENT, or (unless the port was set explicitly) CURRENT + k*STEP for the first free k <= 20.
settle_port() {
  local name=$1 var=$2 port=$3 step=$4 k tries
  for ((k = 0; k <= 20; k++)); do
    # The port of the last start, right after its server was SIGKILLed, may stay bound for a few
    # hundred ms more: wait up to 10 s for it, so a restart keeps the address clients know.
    tries=1
    ((k == 0)) && [[ -f "$PROD_PORTS_FILE" ]] && tries=50
    # shellcheck disable=SC2046 # block_of prints a list of ports
    if all_free "$tries" $(block_of "$name" $((port + k * step))); then
      ((k == 0)) || log "port $port ($name) is in use by something else; using $((port + k * step)) instead"
      printf '%s' $((port + k * step))
      return 0
    fi
    [[ -z "${!var:-}" ]] || die "port $port ($var) is in use on 127.0.0.1; set $var to a free one or unset it"
  done
  die "no free ports for $name near $port"
}

# The ports a service listens on, from its base port.
block_of() {
  local p=$2
  case "$1" in
    temporal-server) printf '%s ' "$p" $((p + 1)) $((p + 2)) $((p + 3)) $((p + 4)) $((p - 300)) $((p - 298)) $((p - 297)) $((p - 296)) ;;
    *) printf '%s' "$p" ;;
  esac
}

pg_bin_dir() {
  if [[ -n "${SEEDANCE_PG_BIN_DIR:-}" ]]; then
    printf '%s' "$SEEDANCE_PG_BIN_DIR"
    return
  fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  # A fresh Debian machine without it: install Debian's package (root only; never sudo behind
  # the user's back). Its own cluster is not used: ours lives in the state dir.
  if [[ -z "$d" && $(id -u) == 0 ]] && have apt-get; then
    log "PostgreSQL is not installed: apt-get install postgresql (first time only)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 ||
      { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; } || true
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  [[ -n "$d" && -x "$d/postgres" ]] || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin); apt-get install postgresql, or set SEEDANCE_PG_BIN_DIR"
  printf '%s' "$d"
}

# PostgreSQL refuses to run as root: run its tools as the `postgres` system user.
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install_production() {
  # The CLI (health checks, namespace, search attributes) and the server's two binaries.
  cmd_install temporal
  GOFLAGS=${SEEDANCE_GO_BUILD_FLAGS:-${GOFLAGS:-}} go_install temporal-server "$SERVER_PKG" "$SERVER_MODULE" "$SERVER_VERSION" "$TEMPORAL_SERVER_BIN" server
  GOFLAGS=${SEEDANCE_GO_BUILD_FLAGS:-${GOFLAGS:-}} go_install temporal-sql-tool "$SQL_TOOL_PKG" "$SERVER_MODULE" "$SERVER_VERSION" "$TEMPORAL_SQL_TOOL_BIN" sql
  GOFLAGS=${SEEDANCE_GO_BUILD_FLAGS:-${GOFLAGS:-}} go_install temporal-ui-server "$UI_PKG" "$UI_MODULE" "$UI_VERSION" "$TEMPORAL_UI_BIN" server
}

# The schema files ship in the server module's source, which `go install` left in the module cache.
schema_dir() { # temporal|visibility
  local modcache d
  modcache=$(GOWORK=off go env GOMODCACHE)
  d="$modcache/$SERVER_MODULE@$SERVER_VERSION/schema/postgresql/v12/$1/versioned"
  if [[ ! -d "$d" ]]; then
    (cd "$CACHE_DIR" && GOWORK=off GOFLAGS=-mod=mod go mod download "$SERVER_MODULE@$SERVER_VERSION") >/dev/null 2>&1 || true
  fi
  [[ -d "$d" ]] || die "Temporal schema dir $d is missing (go mod download $SERVER_MODULE@$SERVER_VERSION failed?)"
  printf '%s' "$d"
}

# --- postgres ------------------------------------------------------------------------

postgres_pid() { # our postmaster's pid, if alive
  local pid
  pid=$(read_pid "$PG_DATA/postmaster.pid")
  if [[ -n "$pid" ]] && pid_is_ours "$pid" "$PG_DATA"; then printf '%s' "$pid"; fi
}

postgres_healthy() { "$(pg_bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$1" -t 3 >/dev/null 2>&1; }

init_postgres() {
  local bin=$1 pw
  log "initialising PostgreSQL data in $PG_DATA (superuser $PG_USER, as docker-compose.yml's POSTGRES_USER)"
  [[ "$PG_DATA" == "$STATE_DIR/postgres" ]] || log "  (the postgres user cannot reach $STATE_DIR, so the data lives in $PG_DATA)"
  mkdir -p "$PG_DATA"
  chown postgres: "$PG_DATA" 2>/dev/null || true
  chmod 700 "$PG_DATA"
  pw=$(mktemp)
  printf '%s\n' "$PG_PASSWORD" >"$pw"
  chmod 644 "$pw"
  # Passwords over TCP (as the image does for non-local hosts); peer auth on the socket.
  as_postgres "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pw" -E UTF8 --locale=C.UTF-8 \
    --auth-host=scram-sha-256 --auth-local=peer >>"$PG_LOG" 2>&1 || {
    rm -f "$pw"
    tail_log "$PG_LOG"
    die "initdb failed; log: $PG_LOG"
  }
  rm -f "$pw"
}

start_postgres() {
  local bin
  bin=$(pg_bin_dir)
  touch "$PG_LOG"
  chown postgres: "$PG_LOG" 2>/dev/null || true
  [[ -f "$PG_DATA/PG_VERSION" ]] || init_postgres "$bin"
  PG_PORT=$(settle_port postgres SEEDANCE_PG_PORT "$PG_PORT" 1)
  save_production_ports
  # Loopback TCP only and no unix socket (its default dir is the system's PostgreSQL's):
  # nothing of the machine's own PostgreSQL is touched. setsid and closed lock fds as
  # spawn_detached: the server must outlive this shell and never hold infra.sh's locks.
  setsid runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null 8>&- 9>&- ||
    {
      tail_log "$PG_LOG"
      die "PostgreSQL did not start; log: $PG_LOG"
    }
  log "started PostgreSQL (pid $(postgres_pid)) on 127.0.0.1:$PG_PORT; log: $PG_LOG"
}

stop_postgres() {
  local pid
  pid=$(postgres_pid)
  if [[ -z "$pid" ]]; then
    log "postgres: not running"
    return 0
  fi
  log "stopping postgres (pid $pid)"
  # fast: roll back open transactions and shut down cleanly (the Temporal server is stopped first).
  as_postgres "$(pg_bin_dir)/pg_ctl" -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT" stop >/dev/null 2>&1 ||
    stop_pid "$pid" postgres "$STOP_TIMEOUT" || die "could not stop postgres (pid $pid)"
  log "postgres stopped"
}

pg_query() { # DB SQL -> rows, unaligned
  PGPASSWORD=$PG_PASSWORD "$(pg_bin_dir)/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$1" -tAq -c "$2"
}

sql_tool() { # DB ARGS...
  local db=$1
  shift
  "$TEMPORAL_SQL_TOOL_BIN" --plugin postgres12 --endpoint 127.0.0.1 --port "$PG_PORT" \
    --user "$PG_USER" --password "$PG_PASSWORD" --database "$db" "$@"
}

# What auto-setup does for each database, idempotently: create it, lay the base schema,
# then update-schema to the newest version the server release ships (a no-op when current).
ensure_schema() {
  local db dir
  for db in temporal temporal_visibility; do
    if [[ "$db" == temporal ]]; then dir=$(schema_dir temporal); else dir=$(schema_dir visibility); fi
    if [[ "$(pg_query postgres "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
      log "creating database $db"
      sql_tool "$db" create-database >>"$SERVER_LOG" 2>&1 || die "temporal-sql-tool create-database $db failed; log: $SERVER_LOG"
    fi
    if [[ "$(pg_query "$db" "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'")" != 1 ]]; then
      log "setting up schema of $db"
      sql_tool "$db" setup-schema -v 0.0 >>"$SERVER_LOG" 2>&1 || die "temporal-sql-tool setup-schema $db failed; log: $SERVER_LOG"
    fi
    sql_tool "$db" update-schema -d "$dir" >>"$SERVER_LOG" 2>&1 || die "temporal-sql-tool update-schema $db failed; log: $SERVER_LOG"
  done
  log "schemas of temporal and temporal_visibility are current ($SERVER_VERSION)"
}

# --- temporal server -------------------------------------------------------------------

temporal_server_pid() {
  local pid
  pid=$(read_pid "$STATE_DIR/temporal-server.pid")
  if [[ -n "$pid" ]] && pid_is_ours "$pid" "$SERVER_DIR"; then printf '%s' "$pid"; fi
}

# The server's config, shaped like the release's config/development-postgres12.yaml (what
# auto-setup renders from docker/config_template.yaml for DB=postgres12): default store and
# visibility store both SQL on PostgreSQL, so custom search attributes and list filters work.
write_server_config() {
  local p=$PROD_TEMPORAL_PORT
  mkdir -p "$SERVER_DIR"
  cat >"$SERVER_DIR/production.yaml" <<YAML
# Written by scripts/infra.sh up --topology production; regenerated at every start.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal"
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: "tcp"
        user: "$PG_USER"
        password: "$PG_PASSWORD"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: "1h"
    postgres-visibility:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal_visibility"
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: "tcp"
        user: "$PG_USER"
        password: "$PG_PASSWORD"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: "1h"

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"

services:
  frontend:
    rpc:
      grpcPort: $p
      membershipPort: $((p - 300))
      httpPort: $((p + 1))
      bindOnLocalHost: true
  history:
    rpc:
      grpcPort: $((p + 2))
      membershipPort: $((p - 298))
      bindOnLocalHost: true
  matching:
    rpc:
      grpcPort: $((p + 3))
      membershipPort: $((p - 297))
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: $((p + 4))
      membershipPort: $((p - 296))
      bindOnLocalHost: true

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:$p"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "$SERVER_DIR/dynamicconfig.yaml"
  pollInterval: "10s"
YAML
  # As the image's dynamicconfig/docker.yaml: a search attribute created a moment ago is
  # usable at once (our setup creates them right before the workers start).
  cat >"$SERVER_DIR/dynamicconfig.yaml" <<'YAML'
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
YAML
}

start_temporal_server() {
  PROD_TEMPORAL_PORT=$(settle_port temporal-server SEEDANCE_PROD_TEMPORAL_PORT "$PROD_TEMPORAL_PORT" 100)
  save_production_ports
  write_server_config
  printf '\n==== %s temporal-server --root %s --config . --env production start\n' \
    "$(date '+%Y-%m-%dT%H:%M:%S%z')" "$SERVER_DIR" >>"$SERVER_LOG"
  # Its own minimal environment: the caller's TEMPORAL_* variables must not configure it.
  spawn_detached "$STATE_DIR/temporal-server.pid" "$SERVER_LOG" \
    env -i PATH="$PATH" HOME="$HOME" "$TEMPORAL_SERVER_BIN" --root "$SERVER_DIR" --config . --env production --allow-no-auth start
  log "started Temporal server $SERVER_VERSION (pid $(read_pid "$STATE_DIR/temporal-server.pid")) on 127.0.0.1:$PROD_TEMPORAL_PORT; log: $SERVER_LOG"
}

# --- web ui ---------------------------------------------------------------------------------

temporal_ui_pid() {
  local pid
  pid=$(read_pid "$STATE_DIR/temporal-ui.pid")
  if [[ -n "$pid" ]] && pid_is_ours "$pid" "$UI_DIR"; then printf '%s' "$pid"; fi
}

ui_healthy() { http_ok "http://127.0.0.1:$1/"; }

# What docker-compose.yml's temporal-ui service sets (TEMPORAL_ADDRESS, TEMPORAL_CORS_ORIGINS),
# as the ui-server's own config file.
start_temporal_ui() {
  PROD_UI_PORT=$(settle_port temporal-ui SEEDANCE_PROD_UI_PORT "$PROD_UI_PORT" 1)
  save_production_ports
  mkdir -p "$UI_DIR"
  cat >"$UI_DIR/production.yaml" <<YAML
# Written by scripts/infra.sh up --topology production; regenerated at every start.
temporalGrpcAddress: 127.0.0.1:$PROD_TEMPORAL_PORT
host: 127.0.0.1
port: $PROD_UI_PORT
enableUi: true
defaultNamespace: default
disableNewsFetch: true
cors:
  allowOrigins:
    - http://127.0.0.1:$PROD_UI_PORT
YAML
  printf '\n==== %s temporal-ui-server --root %s --config . --env production start\n' "$(date '+%Y-%m-%dT%H:%M:%S%z')" "$UI_DIR" >>"$UI_LOG"
  spawn_detached "$STATE_DIR/temporal-ui.pid" "$UI_LOG" \
    env -i PATH="$PATH" HOME="$HOME" "$TEMPORAL_UI_BIN" --root "$UI_DIR" --config . --env production start
  log "started Temporal UI $UI_VERSION (pid $(read_pid "$STATE_DIR/temporal-ui.pid")) on http://127.0.0.1:$PROD_UI_PORT; log: $UI_LOG"
}

# `default` is not created by the server itself: auto-setup registers it.
ensure_default_namespace() {
  local port=$1 start=$SECONDS
  local t=("$TEMPORAL_BIN" operator namespace --address "127.0.0.1:$port")
  "${t[@]}" describe --namespace default --command-timeout 10s >/dev/null 2>&1 && return 0
  log "creating namespace default (retention 72h, as auto-setup)"
  "${t[@]}" create --namespace default --retention 72h --command-timeout 10s >/dev/null 2>&1 ||
    log "  namespace default: create answered an error (created concurrently?); checking"
  until "${t[@]}" describe --namespace default --command-timeout 5s >/dev/null 2>&1; do
    ((SECONDS - start < 60)) || die "namespace default is not served 60 s after it was created"
    sleep 0.5
  done
  # The operator service reads namespaces through a cache refreshed every few seconds: until it
  # knows the new one, listing its search attributes answers "not found".
  until "$TEMPORAL_BIN" operator search-attribute list --address "127.0.0.1:$port" --namespace default \
    --command-timeout 5s >/dev/null 2>&1; do
    ((SECONDS - start < 60)) || die "namespace default: search attributes not listable 60 s after it was created"
    sleep 0.5
  done
}

write_production_env() {
  local tmp
  tmp=$(mktemp "$STATE_DIR/.production-env.XXXXXX")
  {
    printf '# Written by scripts/infra.sh up --topology production on %s. Source it: . %s\n' "$(date '+%Y-%m-%dT%H:%M:%S%z')" "$PROD_ENV_FILE"
    printf '# No S3 here: point AWS_* / STORAGE_URL at your storage (or the dev topology'"'"'s MinIO).\n'
    printf 'export %s=%q\n' \
      TEMPORAL_ADDRESS "127.0.0.1:$PROD_TEMPORAL_PORT" \
      TEMPORAL_NAMESPACE default \
      TEMPORAL_UI_URL "http://127.0.0.1:$PROD_UI_PORT" \
      TEMPORAL_CLI_PATH "$TEMPORAL_BIN" \
      TEMPORAL_SERVER_PIDFILE "$STATE_DIR/temporal-server.pid" \
      SEEDANCE_PG_PIDFILE "$PG_DATA/postmaster.pid" \
      SEEDANCE_PG_URL "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/temporal"
  } >"$tmp"
  mv -f "$tmp" "$PROD_ENV_FILE"
}

# --- commands ------------------------------------------------------------------------------

cmd_up_production() {
  install_production
  lock_state
  local pgpid tpid started_p=no started_t=no
  pgpid=$(postgres_pid)
  if [[ -n "$pgpid" ]]; then
    log "reusing PostgreSQL already running from $PG_DATA (pid $pgpid, 127.0.0.1:$PG_PORT)"
  else
    start_postgres
    pgpid=$(postgres_pid)
    started_p=yes
    record_started postgres
  fi
  wait_healthy PostgreSQL "$pgpid" "$PG_LOG" postgres_healthy "$PG_PORT"
  ensure_schema

  tpid=$(temporal_server_pid)
  if [[ -n "$tpid" ]]; then
    log "reusing Temporal server already running from $SERVER_DIR (pid $tpid, 127.0.0.1:$PROD_TEMPORAL_PORT)"
  else
    start_temporal_server
    tpid=$(read_pid "$STATE_DIR/temporal-server.pid")
    started_t=yes
    record_started temporal-server
  fi
  wait_healthy 'Temporal server' "$tpid" "$SERVER_LOG" temporal_healthy "$PROD_TEMPORAL_PORT"
  ensure_default_namespace "$PROD_TEMPORAL_PORT"
  ensure_search_attributes "$PROD_TEMPORAL_PORT"

  local upid started_u=no
  upid=$(temporal_ui_pid)
  if [[ -n "$upid" ]]; then
    log "reusing Temporal UI already running from $UI_DIR (pid $upid, http://127.0.0.1:$PROD_UI_PORT)"
  else
    start_temporal_ui
    upid=$(read_pid "$STATE_DIR/temporal-ui.pid")
    started_u=yes
    record_started temporal-ui
  fi
  wait_healthy 'Temporal UI' "$upid" "$UI_LOG" ui_healthy "$PROD_UI_PORT"
  write_production_env
  log "production topology ready (started: postgres=$started_p temporal-server=$started_t temporal-ui=$started_u). Env file: $PROD_ENV_FILE"
  cat "$PROD_ENV_FILE"
}

# stop_detached NAME PIDFILE PID: SIGTERM (then SIGKILL) a server spawn_detached started.
stop_detached() {
  local name=$1 pidfile=$2 pid=$3
  if [[ -z "$pid" ]]; then
    log "$name: not running"
    rm -f "$pidfile"
    return 0
  fi
  log "stopping $name (pid $pid)"
  stop_pid "$pid" "$name" "$STOP_TIMEOUT" || die "could not stop $name (pid $pid)"
  rm -f "$pidfile"
  log "$name stopped"
}

cmd_down_production() {
  [[ -d "$STATE_DIR" ]] || {
    log "nothing to stop ($STATE_DIR does not exist)"
    return 0
  }
  local services=("$@") s
  for s in "${services[@]+"${services[@]}"}"; do
    case "$s" in
      temporal-ui | temporal-server | postgres) ;;
      *) die "down --topology production: unknown service '$s' (expected temporal-ui, temporal-server or postgres)" ;;
    esac
  done
  lock_state
  ((${#services[@]})) || services=(temporal-ui temporal-server postgres)
  # Clients before the server, the server before its database: stopping PostgreSQL under a
  # running server would only fill its log with errors.
  for s in temporal-ui temporal-server postgres; do
    [[ " ${services[*]} " == *" $s "* ]] || continue
    case "$s" in
      temporal-ui) stop_detached temporal-ui "$STATE_DIR/temporal-ui.pid" "$(temporal_ui_pid)" ;;
      temporal-server) stop_detached temporal-server "$STATE_DIR/temporal-server.pid" "$(temporal_server_pid)" ;;
      postgres) stop_postgres ;;
    esac
  done
}

cmd_status_production() {
  local ok=0 pid
  pid=$(postgres_pid)
  if [[ -z "$pid" ]]; then
    echo "postgres:        stopped"
    ok=1
  elif postgres_healthy "$PG_PORT"; then
    echo "postgres:        running, healthy (pid $pid, 127.0.0.1:$PG_PORT, data $PG_DATA)"
  else
    echo "postgres:        running, NOT healthy (pid $pid, 127.0.0.1:$PG_PORT); log: $PG_LOG"
    ok=1
  fi
  pid=$(temporal_server_pid)
  if [[ -z "$pid" ]]; then
    echo "temporal-server: stopped"
    ok=1
  elif [[ -x "$TEMPORAL_BIN" ]] && temporal_healthy "$PROD_TEMPORAL_PORT"; then
    echo "temporal-server: running, healthy (pid $pid, 127.0.0.1:$PROD_TEMPORAL_PORT)"
  else
    echo "temporal-server: running, NOT healthy (pid $pid, 127.0.0.1:$PROD_TEMPORAL_PORT); log: $SERVER_LOG"
    ok=1
  fi
  pid=$(temporal_ui_pid)
  if [[ -z "$pid" ]]; then
    echo "temporal-ui:     stopped"
    ok=1
  elif ui_healthy "$PROD_UI_PORT"; then
    echo "temporal-ui:     running, healthy (pid $pid, http://127.0.0.1:$PROD_UI_PORT)"
  else
    echo "temporal-ui:     running, NOT healthy (pid $pid, http://127.0.0.1:$PROD_UI_PORT); log: $UI_LOG"
    ok=1
  fi
  local s q u
  s=$(cat "$BIN_DIR/.temporal-server.version" 2>/dev/null || echo 'not installed')
  q=$(cat "$BIN_DIR/.temporal-sql-tool.version" 2>/dev/null || echo 'not installed')
  u=$(cat "$BIN_DIR/.temporal-ui-server.version" 2>/dev/null || echo 'not installed')
  echo "binaries: $s, $q, $u ($BIN_DIR)"
  echo "state:    $STATE_DIR (env file $PROD_ENV_FILE)"
  return "$ok"
}

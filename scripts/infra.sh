#!/usr/bin/env bash
# Local infrastructure for seedance-flow: a Temporal dev server (SQLite-backed,
# so state survives restarts) and a MinIO S3 server, both on loopback only.
#
#   scripts/infra.sh install [NAME...]  build/refresh the pinned binaries (cached): temporal,
#                                       minio, or both when none is named; test-server (the
#                                       Java time-skipping server, from Maven Central) on request
#   scripts/infra.sh up                 install, start (or reuse) both, write env file
#   scripts/infra.sh down [SERVICE...]  stop what this state dir started (temporal, minio)
#   scripts/infra.sh restart-temporal   restart only Temporal, same db file and ports
#   scripts/infra.sh status             what is running, exit 0 only if both are healthy
#   scripts/infra.sh env                print the env file (export lines)
#   scripts/infra.sh nexus-endpoint NAME TASK_QUEUE [NAMESPACE]
#                                       create the Nexus endpoint NAME targeting TASK_QUEUE in
#                                       NAMESPACE (default: default), or retarget it; idempotent
#   scripts/infra.sh nexus-endpoint-delete NAME   delete it (nothing to do if it is absent)
#   scripts/infra.sh up|status|down|install|env --topology production
#                                       the production topology instead: PostgreSQL (5433), the
#                                       Temporal server (7243) with SQL visibility and its UI
#                                       (8243), as docker-compose.yml runs them, without Docker;
#                                       env file .infra/production.env (scripts/lib/production.sh)
#
# Only Go and node are required. The binaries are built with `go install` once
# and cached outside the work tree, so a fresh clone or `git clean` does not
# pay the multi-minute build again.
#
# Inputs (all optional):
#   SEEDANCE_CACHE_DIR   (~/.cache/seedance-flow)  binaries live in $SEEDANCE_CACHE_DIR/bin
#   SEEDANCE_STATE_DIR   (<repo>/.infra)           pids, logs, temporal.db, minio data, env
#   TEMPORAL_PORT (7233) TEMPORAL_UI_PORT (8233) S3_PORT (9000) S3_CONSOLE_PORT (9001)
#     A default port that is busy is replaced by a free one; a port you set
#     explicitly that is busy is an error (you asked for that one).
#   S3_BUCKET (seedance-flow)  MINIO_ROOT_USER (seedance)  MINIO_ROOT_PASSWORD (seedance-secret)
#   SEEDANCE_TEMPORAL_EXTRA_ARGS  extra start-dev flags, split on whitespace, e.g.
#     "--dynamic-config-value limit.historyCount.suggestContinueAsNew=200"
#   SEEDANCE_INFRA_TIMEOUT (90)  seconds to wait for each server to become healthy
#   SEEDANCE_INFRA_STARTED_FILE  if set, `up` appends the names of the services it
#     actually started (not reused) to this file; scripts/test.sh uses it to stop
#     only what it started.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=scripts/lib/test-server.sh
source "$SCRIPT_DIR/lib/test-server.sh"

# --- pins ----------------------------------------------------------------------
# Changing a pin changes the stamp, which triggers a rebuild on the next run.
TEMPORAL_MODULE=github.com/temporalio/cli
TEMPORAL_PKG=github.com/temporalio/cli/cmd/temporal
TEMPORAL_VERSION=v1.5.1
# MinIO publishes no semver module tags, so this is a Go pseudo-version of a
# master commit (7aac2a2c5b7c, 2026-02-12).
MINIO_MODULE=github.com/minio/minio
MINIO_PKG=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

CACHE_DIR=${SEEDANCE_CACHE_DIR:-$HOME/.cache/seedance-flow}
BIN_DIR=$CACHE_DIR/bin
TEMPORAL_BIN=$BIN_DIR/temporal
MINIO_BIN=$BIN_DIR/minio

STATE_DIR=${SEEDANCE_STATE_DIR:-$REPO_ROOT/.infra}
TIMEOUT=${SEEDANCE_INFRA_TIMEOUT:-90}
STOP_TIMEOUT=15

S3_BUCKET=${S3_BUCKET:-seedance-flow}
MINIO_ROOT_USER=${MINIO_ROOT_USER:-seedance}
MINIO_ROOT_PASSWORD=${MINIO_ROOT_PASSWORD:-seedance-secret}
S3_REGION=us-east-1
SEARCH_ATTRIBUTES=(StoryboardId ShotId) # all of type Keyword
# Namespaces besides `default` (where seedance-flow runs): team-a stands for another team's
# namespace, the caller in the cross-namespace Nexus test (test/integration/nexus.test.ts).
EXTRA_NAMESPACES=(team-a)

# --- install -------------------------------------------------------------------

# go_install NAME PKG MODULE VERSION BINARY [BUILT_NAME]
# BUILT_NAME: the name `go install` gives the binary (the package's last path element) when
# BINARY is to be called otherwise (the server's `server` becomes temporal-server).
# Skips when the stamp matches the pin. A binary without a stamp (e.g. built by
# hand with the same `go install`) is accepted if its embedded module version
# (`go version -m`) matches the pin.
go_install() {
  local name=$1 pkg=$2 module=$3 version=$4 bin=$5 built=${6:-$(basename "$5")}
  local want="$pkg@$version" stamp="$BIN_DIR/.$name.version"
  if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  have go || die "Go is required to build $name ($want) but 'go' is not on PATH. Install Go (https://go.dev/dl/) and re-run."
  if [[ -x "$bin" ]] && go version -m "$bin" 2>/dev/null |
    awk -v m="$module" -v v="$version" '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'; then
    printf '%s\n' "$want" >"$stamp"
    return 0
  fi

  mkdir -p "$BIN_DIR" "$CACHE_DIR/logs"
  local buildlog="$CACHE_DIR/logs/$name-install.log" tmpbin
  # Build into a scratch dir and move into place, so an interrupted build never
  # leaves a half-written binary that looks installed.
  tmpbin=$(mktemp -d "$BIN_DIR/.build-$name.XXXXXX")
  log "building $name $version with 'go install' (first time only; this takes several minutes, cached in $BIN_DIR)"
  log "  build log: $buildlog"
  local start=$SECONDS
  # -v prints each package as it compiles: that is our progress counter.
  (cd "$CACHE_DIR" && GOBIN="$tmpbin" GOWORK=off exec go install -v "$want") >"$buildlog" 2>&1 &
  local gopid=$!
  # Do not leave a go build running if we are interrupted.
  trap 'kill "$gopid" 2>/dev/null; rm -rf "$tmpbin"; exit 130' INT TERM
  local next=$((SECONDS + 15)) rc=0
  while pid_alive "$gopid"; do
    if ((SECONDS >= next)); then
      local dl pk
      dl=$(grep -c '^go: downloading' "$buildlog" 2>/dev/null || true)
      pk=$(grep -vc '^go: ' "$buildlog" 2>/dev/null || true)
      log "  still building $name: $(fmt_duration $((SECONDS - start))) elapsed, ${dl:-0} modules downloaded, ${pk:-0} packages compiled (linking is silent)"
      next=$((SECONDS + 15))
    fi
    sleep 1
  done
  wait "$gopid" || rc=$?
  trap - INT TERM
  if ((rc != 0)) || [[ ! -x "$tmpbin/$built" ]]; then
    tail -n 30 "$buildlog" >&2 || true
    rm -rf "$tmpbin"
    die "building $name failed (exit $rc); full log: $buildlog"
  fi
  mv -f "$tmpbin/$built" "$bin"
  rm -rf "$tmpbin"
  printf '%s\n' "$want" >"$stamp"
  log "built $name in $(fmt_duration $((SECONDS - start))): $bin"
}

# cmd_install [temporal|minio]...: only the binaries named (both when none is), so a
# command that needs only Temporal (the demo) never waits for the MinIO build.
cmd_install() {
  local names=("$@") n
  ((${#names[@]})) || names=(temporal minio)
  for n in "${names[@]}"; do
    case "$n" in
      temporal | minio | test-server) ;;
      *) die "install: unknown binary '$n' (expected temporal, minio or test-server)" ;;
    esac
  done
  mkdir -p "$BIN_DIR"
  # Serialize concurrent installs (two terminals running `npm test`); flock is
  # Linux-only, elsewhere we simply go ahead.
  if have flock; then
    exec 8>"$CACHE_DIR/.install.lock"
    if ! flock -n 8; then
      log "another install is running; waiting for it"
      flock 8
    fi
  fi
  for n in "${names[@]}"; do
    case "$n" in
      temporal) go_install temporal "$TEMPORAL_PKG" "$TEMPORAL_MODULE" "$TEMPORAL_VERSION" "$TEMPORAL_BIN" ;;
      minio) go_install minio "$MINIO_PKG" "$MINIO_MODULE" "$MINIO_VERSION" "$MINIO_BIN" ;;
      test-server) test_server_install ;;
    esac
  done
  if have flock; then exec 8>&-; fi
}

# --- state helpers ---------------------------------------------------------------

temporal_pidfile() { printf '%s' "$STATE_DIR/temporal.pid"; }
minio_pidfile() { printf '%s' "$STATE_DIR/minio.pid"; }

# Ports actually used by the last start are stored next to the pid, so reuse
# and restart-temporal keep the addresses that the env file advertises.
save_ports() { printf '%s %s\n' "$2" "$3" >"$STATE_DIR/$1.ports"; }
load_ports() {
  local f="$STATE_DIR/$1.ports" a='' b=''
  [[ -f "$f" ]] && read -r a b <"$f"
  printf '%s %s' "$a" "$b"
}

# Marker each of our server command lines contains (see pid_is_ours).
temporal_marker() { printf '%s' "$STATE_DIR/temporal.db"; }
minio_marker() { printf '%s' "$STATE_DIR/minio"; }

running_pid() { # running_pid temporal|minio -> pid if our server is alive
  local name=$1 pid
  pid=$(read_pid "$STATE_DIR/$name.pid")
  if [[ -n "$pid" ]] && pid_is_ours "$pid" "$("${name}_marker")"; then
    printf '%s' "$pid"
  fi
}

# choose_port VAR DEFAULT [EXCLUDE...]: honour an explicit setting, otherwise
# use the default or, if that is busy, any free port.
CHOSEN_PORT=''
choose_port() {
  local var=$1 def=$2
  shift 2
  local explicit=${!var:-} p
  if [[ -n "$explicit" ]]; then
    [[ "$explicit" =~ ^[0-9]+$ ]] || die "$var must be a port number, got '$explicit'"
    port_free "$explicit" || die "$var=$explicit is already in use on 127.0.0.1; unset it to let infra.sh pick a free port"
    CHOSEN_PORT=$explicit
    return
  fi
  p=$def
  if ! port_free "$p" || [[ " $* " == *" $p "* ]]; then
    while :; do
      p=$(free_port)
      [[ " $* " == *" $p "* ]] || break
    done
    log "port $def ($var) is in use by something else; using free port $p instead"
  fi
  CHOSEN_PORT=$p
}

tail_log() {
  local f=$1
  [[ -f "$f" ]] || return 0
  printf '[infra] ---- last 30 lines of %s ----\n' "$f" >&2
  tail -n 30 "$f" >&2 || true
  printf '[infra] ---- end of %s ----\n' "$f" >&2
}

# --- health ----------------------------------------------------------------------

temporal_healthy() { # PORT
  "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$1" --command-timeout 3s 2>/dev/null | grep -q SERVING
}
minio_healthy() { # PORT
  http_ok "http://127.0.0.1:$1/minio/health/live"
}

# wait_healthy NAME PID LOGFILE CHECK ARG: bounded wait, progress every 5 s,
# fail fast if the process dies, log tail on failure.
wait_healthy() {
  local name=$1 pid=$2 logfile=$3 check=$4 arg=$5
  local start=$SECONDS next=$((SECONDS + 5))
  while ! "$check" "$arg"; do
    if ! pid_alive "$pid"; then
      tail_log "$logfile"
      die "$name (pid $pid) exited during startup; log: $logfile"
    fi
    if ((SECONDS - start >= TIMEOUT)); then
      tail_log "$logfile"
      die "$name did not become healthy within ${TIMEOUT}s (pid $pid still running; set SEEDANCE_INFRA_TIMEOUT to wait longer); log: $logfile"
    fi
    if ((SECONDS >= next)); then
      log "  waiting for $name to become healthy ($(fmt_duration $((SECONDS - start)))/${TIMEOUT}s)"
      next=$((SECONDS + 5))
    fi
    sleep 0.5
  done
  log "$name is healthy ($(fmt_duration $((SECONDS - start))))"
}

# --- temporal ------------------------------------------------------------------------

TEMPORAL_SA_FLAG=''
temporal_supports_sa_flag() {
  if [[ -z "$TEMPORAL_SA_FLAG" ]]; then
    if "$TEMPORAL_BIN" server start-dev --help 2>/dev/null | grep -q -- '--search-attribute'; then
      TEMPORAL_SA_FLAG=yes
    else
      TEMPORAL_SA_FLAG=no
    fi
  fi
  [[ "$TEMPORAL_SA_FLAG" == yes ]]
}

# SQLite's default rollback journal fsyncs every transaction; on a shared disk
# that made each child-workflow start wait ~1.8 s (p50) once 50 shots ran at
# once (bench/, scenario 1). A write-ahead log with synchronous=normal syncs
# at checkpoints only: still safe if the server process dies, may lose the
# last transactions on a power cut, which a local dev server can afford.
TEMPORAL_SQLITE_PRAGMAS=(--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal)

# start_temporal PORT UI_PORT
start_temporal() {
  local port=$1 ui=$2 logfile="$STATE_DIR/temporal.log"
  local args=(server start-dev
    --ip 127.0.0.1 --port "$port" --ui-port "$ui"
    --db-filename "$STATE_DIR/temporal.db"
    --namespace default
    --log-level warn
    "${TEMPORAL_SQLITE_PRAGMAS[@]}")
  local sa ns
  for ns in "${EXTRA_NAMESPACES[@]}"; do args+=(--namespace "$ns"); done
  if temporal_supports_sa_flag; then
    for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa=Keyword"); done
  fi
  local extra=()
  # Word splitting is intended: the variable holds a list of flags.
  if [[ -n "${SEEDANCE_TEMPORAL_EXTRA_ARGS:-}" ]]; then
    read -r -a extra <<<"$SEEDANCE_TEMPORAL_EXTRA_ARGS"
    args+=(${extra[@]+"${extra[@]}"})
  fi
  printf '\n==== %s temporal %s\n' "$(date '+%Y-%m-%dT%H:%M:%S%z')" "${args[*]}" >>"$logfile"
  spawn_detached "$(temporal_pidfile)" "$logfile" "$TEMPORAL_BIN" "${args[@]}"
  save_ports temporal "$port" "$ui"
  log "started Temporal dev server (pid $(read_pid "$(temporal_pidfile)")) on 127.0.0.1:$port, UI :$ui; log: $logfile"
}

# Register the custom search attributes if they are missing. With the
# --search-attribute flag they already exist and this is a single list call;
# without it, this is the fallback. Idempotent either way.
ensure_search_attributes() {
  local port=$1 list sa
  list=$("$TEMPORAL_BIN" operator search-attribute list --address "127.0.0.1:$port" --namespace default --command-timeout 10s 2>&1) ||
    die "could not list Temporal search attributes: $list"
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    if ! grep -qw -- "$sa" <<<"$list"; then
      log "registering search attribute $sa (Keyword)"
      "$TEMPORAL_BIN" operator search-attribute create --address "127.0.0.1:$port" --namespace default \
        --name "$sa" --type Keyword --command-timeout 10s >/dev/null ||
        die "could not create search attribute $sa"
    fi
  done
}

# A server started before EXTRA_NAMESPACES grew (reused by `up`) lacks them: create what is
# missing, then wait until the frontend serves it. Idempotent.
ensure_namespaces() {
  local port=$1 ns start
  for ns in "${EXTRA_NAMESPACES[@]}"; do
    "$TEMPORAL_BIN" operator namespace describe --address "127.0.0.1:$port" --namespace "$ns" --command-timeout 10s >/dev/null 2>&1 &&
      continue
    log "creating namespace $ns"
    "$TEMPORAL_BIN" operator namespace create --address "127.0.0.1:$port" --namespace "$ns" --command-timeout 10s >/dev/null 2>&1 ||
      log "  namespace $ns: create answered an error (another infra.sh may have created it); checking"
    start=$SECONDS
    until "$TEMPORAL_BIN" operator namespace describe --address "127.0.0.1:$port" --namespace "$ns" --command-timeout 5s >/dev/null 2>&1; do
      ((SECONDS - start < 30)) || die "namespace $ns is not served 30 s after it was created"
      sleep 0.5
    done
  done
}

# --- nexus endpoints -------------------------------------------------------------------------

# The port of this state dir's running Temporal, or an error that says to start it.
running_temporal_port() {
  local ports
  [[ -n "$(running_pid temporal)" ]] || die "no Temporal dev server is running from $STATE_DIR; run 'scripts/infra.sh up' first"
  ports=$(load_ports temporal)
  printf '%s' "${ports% *}"
}

# cmd_nexus_endpoint NAME TASK_QUEUE [NAMESPACE]: the endpoint exists and targets exactly
# TASK_QUEUE in NAMESPACE afterwards, whatever was there before (absent, same, other target).
cmd_nexus_endpoint() {
  (($# == 2 || $# == 3)) || die "usage: scripts/infra.sh nexus-endpoint NAME TASK_QUEUE [NAMESPACE]"
  local name=$1 queue=$2 ns=${3:-default} port current
  port=$(running_temporal_port)
  local t=("$TEMPORAL_BIN" operator nexus endpoint --address "127.0.0.1:$port" --command-timeout 10s)
  current=$("${t[@]}" get --name "$name" -o json 2>/dev/null || true)
  if [[ -z "$current" ]]; then
    if "${t[@]}" create --name "$name" --target-namespace "$ns" --target-task-queue "$queue" >/dev/null 2>&1; then
      log "created Nexus endpoint $name -> $ns/$queue"
      return 0
    fi
    # Lost a race with another create of the same name: judge what is there now.
    current=$("${t[@]}" get --name "$name" -o json 2>/dev/null) || die "could not create Nexus endpoint $name"
  fi
  if endpoint_targets "$current" "$ns" "$queue"; then
    log "Nexus endpoint $name already targets $ns/$queue"
    return 0
  fi
  "${t[@]}" update --name "$name" --target-namespace "$ns" --target-task-queue "$queue" >/dev/null ||
    die "could not retarget Nexus endpoint $name to $ns/$queue"
  log "retargeted Nexus endpoint $name -> $ns/$queue"
}

# endpoint_targets JSON NAMESPACE TASK_QUEUE: does `endpoint get -o json` name this worker target?
endpoint_targets() {
  node -e '
    const e = JSON.parse(process.argv[1]);
    const w = e?.spec?.target?.worker ?? {};
    process.exit(w.namespace === process.argv[2] && w.taskQueue === process.argv[3] ? 0 : 1);
  ' "$1" "$2" "$3"
}

cmd_nexus_endpoint_delete() {
  (($# == 1)) || die "usage: scripts/infra.sh nexus-endpoint-delete NAME"
  local name=$1 port
  port=$(running_temporal_port)
  local t=("$TEMPORAL_BIN" operator nexus endpoint --address "127.0.0.1:$port" --command-timeout 10s)
  if ! "${t[@]}" get --name "$name" >/dev/null 2>&1; then
    log "Nexus endpoint $name does not exist"
    return 0
  fi
  "${t[@]}" delete --name "$name" >/dev/null || die "could not delete Nexus endpoint $name"
  log "deleted Nexus endpoint $name"
}

# --- minio -------------------------------------------------------------------------------

start_minio() {
  local port=$1 console=$2 logfile="$STATE_DIR/minio.log"
  mkdir -p "$STATE_DIR/minio"
  printf '\n==== %s minio server %s --address 127.0.0.1:%s --console-address 127.0.0.1:%s\n' \
    "$(date '+%Y-%m-%dT%H:%M:%S%z')" "$STATE_DIR/minio" "$port" "$console" >>"$logfile"
  # MINIO_UPDATE=off: no phoning home for update checks (offline machines, CI).
  MINIO_ROOT_USER=$MINIO_ROOT_USER MINIO_ROOT_PASSWORD=$MINIO_ROOT_PASSWORD MINIO_UPDATE=off \
    spawn_detached "$(minio_pidfile)" "$logfile" \
    "$MINIO_BIN" server "$STATE_DIR/minio" --address "127.0.0.1:$port" --console-address "127.0.0.1:$console"
  save_ports minio "$port" "$console"
  log "started MinIO (pid $(read_pid "$(minio_pidfile)")) on 127.0.0.1:$port, console :$console; log: $logfile"
}

# Create the bucket. 409 BucketAlreadyOwnedByYou means it is already there.
# Retried briefly: right after /minio/health/live, MinIO can still answer 503
# while it initialises.
ensure_bucket() {
  local port=$1 out status start=$SECONDS
  while :; do
    out=$(s3_put_bucket "http://127.0.0.1:$port" "$S3_BUCKET" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" "$S3_REGION")
    status=$(head -n 1 <<<"$out")
    case "$status" in
      200)
        log "created bucket $S3_BUCKET"
        return 0
        ;;
      409)
        if grep -q BucketAlreadyOwnedByYou <<<"$out"; then
          log "bucket $S3_BUCKET already exists"
          return 0
        fi
        die "bucket $S3_BUCKET: HTTP 409 $(tail -n +2 <<<"$out")"
        ;;
    esac
    if ((SECONDS - start >= 30)); then
      die "could not create bucket $S3_BUCKET (last HTTP status $status): $(tail -n +2 <<<"$out")"
    fi
    sleep 1
  done
}

# --- env file ------------------------------------------------------------------------------

ENV_FILE=$STATE_DIR/env

# The env file always describes the servers of this state dir; it is a file the
# caller sources, so nothing in the caller's environment is changed unless they
# choose to source it. TEMPORAL_CLI_PATH and MINIO_CLI_PATH point at the cached
# binaries so that tests can start private servers of their own (to restart,
# pause or kill them without disturbing the shared ones).
write_env() {
  local tport=$1 tui=$2 sport=$3 tmp
  tmp=$(mktemp "$STATE_DIR/.env.XXXXXX")
  {
    printf '# Written by scripts/infra.sh up on %s. Source it: . %s\n' "$(date '+%Y-%m-%dT%H:%M:%S%z')" "$ENV_FILE"
    printf 'export %s=%q\n' \
      TEMPORAL_ADDRESS "127.0.0.1:$tport" \
      TEMPORAL_NAMESPACE default \
      TEMPORAL_UI_URL "http://127.0.0.1:$tui" \
      TEMPORAL_CLI_PATH "$TEMPORAL_BIN" \
      MINIO_CLI_PATH "$MINIO_BIN" \
      AWS_ENDPOINT_URL_S3 "http://127.0.0.1:$sport" \
      AWS_ACCESS_KEY_ID "$MINIO_ROOT_USER" \
      AWS_SECRET_ACCESS_KEY "$MINIO_ROOT_PASSWORD" \
      AWS_REGION "$S3_REGION" \
      S3_BUCKET "$S3_BUCKET" \
      STORAGE_URL "s3://$S3_BUCKET/renders"
  } >"$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# --- commands ----------------------------------------------------------------------------------

lock_state() {
  mkdir -p "$STATE_DIR"
  # Two concurrent `up`s on one state dir would both start servers.
  if have flock; then
    exec 9>"$STATE_DIR/.lock"
    if ! flock -n 9; then
      log "another infra.sh is working on $STATE_DIR; waiting for it"
      flock 9
    fi
  fi
}

record_started() {
  if [[ -n "${SEEDANCE_INFRA_STARTED_FILE:-}" ]]; then
    printf '%s\n' "$1" >>"$SEEDANCE_INFRA_STARTED_FILE"
  fi
}

cmd_up() {
  cmd_install
  lock_state
  local tpid mpid tport tui sport scons ports started_t=no started_m=no

  tpid=$(running_pid temporal)
  if [[ -n "$tpid" ]]; then
    ports=$(load_ports temporal)
    tport=${ports% *} tui=${ports#* }
    log "reusing Temporal dev server already running from $STATE_DIR (pid $tpid, 127.0.0.1:$tport)"
  else
    choose_port TEMPORAL_PORT 7233
    tport=$CHOSEN_PORT
    choose_port TEMPORAL_UI_PORT 8233 "$tport"
    tui=$CHOSEN_PORT
    start_temporal "$tport" "$tui"
    tpid=$(read_pid "$(temporal_pidfile)")
    started_t=yes
    record_started temporal
  fi

  mpid=$(running_pid minio)
  if [[ -n "$mpid" ]]; then
    ports=$(load_ports minio)
    sport=${ports% *} scons=${ports#* }
    log "reusing MinIO already running from $STATE_DIR (pid $mpid, 127.0.0.1:$sport)"
  else
    choose_port S3_PORT 9000 "$tport" "$tui"
    sport=$CHOSEN_PORT
    choose_port S3_CONSOLE_PORT 9001 "$tport" "$tui" "$sport"
    scons=$CHOSEN_PORT
    start_minio "$sport" "$scons"
    mpid=$(read_pid "$(minio_pidfile)")
    started_m=yes
    record_started minio
  fi

  # Both were started before waiting on either, so their startups overlap.
  # A reused server is checked too: it may be a concurrent `up` still starting.
  wait_healthy Temporal "$tpid" "$STATE_DIR/temporal.log" temporal_healthy "$tport"
  wait_healthy MinIO "$mpid" "$STATE_DIR/minio.log" minio_healthy "$sport"
  ensure_search_attributes "$tport"
  ensure_namespaces "$tport"
  ensure_bucket "$sport"
  write_env "$tport" "$tui" "$sport"
  log "ready (started: temporal=$started_t minio=$started_m). Env file: $ENV_FILE"
  cat "$ENV_FILE"
}

# stop_service NAME: only a pid from our pid file whose command line points at
# our state dir is signalled; anything else is left alone.
stop_service() {
  local name=$1 pidfile="$STATE_DIR/$1.pid" pid
  pid=$(read_pid "$pidfile")
  if [[ -z "$pid" ]]; then
    log "$name: not running (no pid file)"
    return 0
  fi
  if ! pid_is_ours "$pid" "$("${name}_marker")"; then
    log "$name: pid $pid from $pidfile is gone or is not ours; removing stale pid file"
    rm -f "$pidfile"
    return 0
  fi
  log "stopping $name (pid $pid)"
  stop_pid "$pid" "$name" "$STOP_TIMEOUT" || die "could not stop $name (pid $pid)"
  rm -f "$pidfile"
  log "$name stopped"
}

cmd_down() {
  [[ -d "$STATE_DIR" ]] || {
    log "nothing to stop ($STATE_DIR does not exist)"
    return 0
  }
  lock_state
  local services=("$@") s
  ((${#services[@]})) || services=(temporal minio)
  for s in "${services[@]}"; do
    case "$s" in
      temporal | minio) stop_service "$s" ;;
      *) die "down: unknown service '$s' (expected temporal or minio)" ;;
    esac
  done
}

cmd_restart_temporal() {
  cmd_install temporal
  lock_state
  local ports tport tui tpid
  ports=$(load_ports temporal)
  tport=${ports% *} tui=${ports#* }
  [[ -n "$tport" && -n "$tui" ]] || die "no recorded Temporal ports in $STATE_DIR; run 'scripts/infra.sh up' first"
  stop_service temporal
  # Same ports as before, so the env file and connected clients stay valid.
  local i
  for ((i = 0; i < 50; i++)); do
    port_free "$tport" && port_free "$tui" && break
    sleep 0.2
  done
  port_free "$tport" || die "port $tport is still in use after stopping Temporal"
  port_free "$tui" || die "UI port $tui is still in use after stopping Temporal"
  start_temporal "$tport" "$tui"
  tpid=$(read_pid "$(temporal_pidfile)")
  wait_healthy Temporal "$tpid" "$STATE_DIR/temporal.log" temporal_healthy "$tport"
  ensure_search_attributes "$tport"
  ensure_namespaces "$tport"
}

cmd_status() {
  local ok=0 pid ports p1 p2
  pid=$(running_pid temporal)
  ports=$(load_ports temporal)
  p1=${ports% *} p2=${ports#* }
  if [[ -z "$pid" ]]; then
    echo "temporal: stopped"
    ok=1
  elif [[ -x "$TEMPORAL_BIN" ]] && temporal_healthy "$p1"; then
    echo "temporal: running, healthy (pid $pid, 127.0.0.1:$p1, UI http://127.0.0.1:$p2)"
  else
    echo "temporal: running, NOT healthy (pid $pid, 127.0.0.1:$p1); log: $STATE_DIR/temporal.log"
    ok=1
  fi
  pid=$(running_pid minio)
  ports=$(load_ports minio)
  p1=${ports% *} p2=${ports#* }
  if [[ -z "$pid" ]]; then
    echo "minio:    stopped"
    ok=1
  elif minio_healthy "$p1"; then
    echo "minio:    running, healthy (pid $pid, http://127.0.0.1:$p1, console http://127.0.0.1:$p2)"
  else
    echo "minio:    running, NOT healthy (pid $pid, 127.0.0.1:$p1); log: $STATE_DIR/minio.log"
    ok=1
  fi
  local t m
  t=$(cat "$BIN_DIR/.temporal.version" 2>/dev/null || echo 'not installed')
  m=$(cat "$BIN_DIR/.minio.version" 2>/dev/null || echo 'not installed')
  echo "binaries: $t, $m ($BIN_DIR)"
  echo "state:    $STATE_DIR"
  return "$ok"
}

cmd_env() {
  [[ -f "$ENV_FILE" ]] || die "no env file at $ENV_FILE; run 'scripts/infra.sh up' first"
  cat "$ENV_FILE"
}

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# The production topology's commands (PostgreSQL + the Temporal server); they use the helpers above.
# shellcheck source=scripts/lib/production.sh
source "$SCRIPT_DIR/lib/production.sh"

main() {
  # --topology dev|production may stand anywhere among the arguments.
  local topology=${SEEDANCE_TOPOLOGY:-dev} args=()
  while (($#)); do
    case "$1" in
      --topology)
        (($# >= 2)) || die "--topology needs a value: dev or production"
        topology=$2
        shift 2
        ;;
      --topology=*)
        topology=${1#--topology=}
        shift
        ;;
      *)
        args+=("$1")
        shift
        ;;
    esac
  done
  set -- ${args[@]+"${args[@]}"}
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case "$topology" in
    dev) ;;
    production)
      case "$cmd" in
        up) cmd_up_production ;;
        down) cmd_down_production "$@" ;;
        status) cmd_status_production ;;
        install) install_production ;;
        env)
          [[ -f "$PROD_ENV_FILE" ]] || die "no env file at $PROD_ENV_FILE; run 'scripts/infra.sh up --topology production' first"
          cat "$PROD_ENV_FILE"
          ;;
        *) die "with --topology production: up, down [temporal-ui|temporal-server|postgres], status, install or env" ;;
      esac
      return
      ;;
    *) die "--topology: expected dev or production, got '$topology'" ;;
  esac
  case "$cmd" in
    install) cmd_install "$@" ;;
    up) cmd_up ;;
    down) cmd_down "$@" ;;
    restart-temporal) cmd_restart_temporal ;;
    status) cmd_status ;;
    env) cmd_env ;;
    nexus-endpoint) cmd_nexus_endpoint "$@" ;;
    nexus-endpoint-delete) cmd_nexus_endpoint_delete "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"

#!/usr/bin/env bash
# `npm test`: bring up the local Temporal dev server and MinIO (building them
# the first time), run jest against them, and afterwards stop the servers if a
# test run started them. Servers that were already up (e.g. `npm run infra -- up`
# in another terminal) are reused and left running.
#
#   npm test                          all jest projects, then the production topology's tests
#   npm test -- --selectProjects unit extra args go to jest (and only those run)
#
# Exits with jest's exit code, after one plain "tests: N passed, N failed" line.
#
# Concurrent runs on one state dir (two terminals, an editor's test runner) are
# safe: each run holds a lease in $STATE_DIR/test-leases, and servers that a test
# run started are stopped only by the last run to leave, so one run's cleanup
# never pulls the servers out from under another that is still testing.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
STATE_DIR=${SEEDANCE_STATE_DIR:-$REPO_ROOT/.infra}
export SEEDANCE_STATE_DIR=$STATE_DIR
# shellcheck source=scripts/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

LEASES=$STATE_DIR/test-leases
# Names of the servers started by test runs (not by a person's `infra.sh up`),
# shared by concurrent runs: whoever leaves last stops exactly these.
TEST_STARTED=$STATE_DIR/test-started
mkdir -p "$LEASES"

# infra.sh appends the names of the servers it actually started to this file.
STARTED_FILE=$(mktemp "${TMPDIR:-/tmp}/seedance-test-started.XXXXXX")
RESULTS=$(mktemp "${TMPDIR:-/tmp}/seedance-jest-results.XXXXXX")
export SEEDANCE_INFRA_STARTED_FILE=$STARTED_FILE
JEST_RC=''

# Serialize lease bookkeeping (and the `up` that goes with it) between runs.
# fd 7 is closed for infra.sh so the servers it spawns never inherit the lock.
# flock is Linux-only; elsewhere concurrent runs are simply not coordinated.
lock() {
  mkdir -p "$LEASES"
  if have flock; then exec 7>"$STATE_DIR/.test.lock" && flock 7; fi
}
unlock() { if have flock; then exec 7>&-; fi; }

# shellcheck disable=SC2317 # only reached from the EXIT trap
print_server_logs() {
  local f
  for f in "$STATE_DIR/temporal.log" "$STATE_DIR/minio.log"; do
    [[ -f "$f" ]] || continue
    echo "---- last 50 lines of $f ----"
    tail -n 50 "$f" || true
  done
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
  local rc=$?
  # Prefer jest's code; $? covers failures before jest ran (e.g. infra up).
  [[ -n "$JEST_RC" ]] && rc=$JEST_RC
  trap - EXIT INT TERM
  if [[ "${CI:-}" == "true" && "$rc" != 0 ]]; then
    print_server_logs >&2
  fi
  rm -f "$RESULTS"

  lock
  rm -f "$LEASES/$$" "$STARTED_FILE"
  local others=0 f pid
  for f in "$LEASES"/*; do
    [[ -e "$f" ]] || continue
    pid=$(read_pid "$f")
    # A lease whose run died without cleanup (kill -9) must not keep servers up forever.
    if [[ -n "$pid" ]] && pid_is_ours "$pid" test.sh; then
      others=$((others + 1))
    else
      rm -f "$f"
    fi
  done
  if ((others > 0)); then
    [[ -s "$TEST_STARTED" ]] && echo "[test] leaving the servers running for $others other test run(s); the last one stops them" >&2
  elif [[ -s "$TEST_STARTED" ]]; then
    local started=() s
    while read -r s; do
      [[ -n "$s" ]] && started+=("$s")
    done < <(sort -u "$TEST_STARTED")
    rm -f "$TEST_STARTED"
    echo "[test] stopping the servers a test run started: ${started[*]}" >&2
    bash "$SCRIPT_DIR/infra.sh" down "${started[@]}" 7>&- || echo "[test] WARNING: infra.sh down failed" >&2
  fi
  unlock
  exit "$rc"
}
trap cleanup EXIT
# Make Ctrl-C / kill run the EXIT trap (and so stop the servers).
trap 'exit 130' INT
trap 'exit 143' TERM

lock
echo "$$" >"$LEASES/$$"
bash "$SCRIPT_DIR/infra.sh" up 7>&- >/dev/null || {
  cat "$STARTED_FILE" >>"$TEST_STARTED"
  exit 1
}
cat "$STARTED_FILE" >>"$TEST_STARTED"
unlock
# shellcheck source=/dev/null
source "$STATE_DIR/env"

cd "$REPO_ROOT"
# See bin/seedance-flow.js: the SDK warns about its own future releases on Node 20.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}
set +e
# --no-install: never fetch a jest from the registry; `npm ci` provides it.
npx --no-install jest --runInBand --json --outputFile="$RESULTS" "$@"
JEST_RC=$?
set -e
# One plain closing line that any CI reader understands, whatever jest printed above.
if [[ -s "$RESULTS" ]]; then
  # shellcheck disable=SC2016 # a JS template literal, not shell
  node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$RESULTS"
fi
# A plain `npm test` runs every test: then the production topology's too (scripts/test-topology.sh,
# its own servers on other ports). With jest arguments (a project, a file) only those run;
# SEEDANCE_TEST_TOPOLOGY=false skips it.
if [[ $# -eq 0 && "$JEST_RC" == 0 && "${SEEDANCE_TEST_TOPOLOGY:-true}" == true ]]; then
  set +e
  bash "$SCRIPT_DIR/test-topology.sh" 7>&-
  JEST_RC=$?
  set -e
fi
exit "$JEST_RC"

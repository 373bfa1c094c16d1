#!/usr/bin/env bash
# `npm test`: bring up the local Temporal dev server and MinIO (building them
# the first time), run jest against them, and stop afterwards whatever this run
# started. Servers that were already up (e.g. `npm run infra -- up` in another
# terminal) are reused and left running.
#
#   npm test                          all jest projects
#   npm test -- --selectProjects unit extra args go to jest
#
# Exits with jest's exit code.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
STATE_DIR=${SEEDANCE_STATE_DIR:-$REPO_ROOT/.infra}
export SEEDANCE_STATE_DIR=$STATE_DIR

# infra.sh appends the names of the servers it actually started to this file,
# so the trap stops exactly those and never ones someone else started.
STARTED_FILE=$(mktemp "${TMPDIR:-/tmp}/seedance-test-started.XXXXXX")
export SEEDANCE_INFRA_STARTED_FILE=$STARTED_FILE
JEST_RC=''

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
  local started=()
  local s
  while read -r s; do
    [[ -n "$s" ]] && started+=("$s")
  done <"$STARTED_FILE"
  rm -f "$STARTED_FILE"
  if ((${#started[@]})); then
    echo "[test] stopping servers this run started: ${started[*]}" >&2
    bash "$SCRIPT_DIR/infra.sh" down "${started[@]}" || echo "[test] WARNING: infra.sh down failed" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
# Make Ctrl-C / kill run the EXIT trap (and so stop the servers).
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$SCRIPT_DIR/infra.sh" up >/dev/null
# shellcheck source=/dev/null
source "$STATE_DIR/env"

cd "$REPO_ROOT"
set +e
# --no-install: never fetch a jest from the registry; `npm ci` provides it.
RESULTS="$STATE_DIR/jest-results.json"
rm -f "$RESULTS"
npx --no-install jest --runInBand --json --outputFile="$RESULTS" "$@"
JEST_RC=$?
set -e
# One plain closing line that any CI reader understands, whatever jest printed above.
if [[ -f "$RESULTS" ]]; then
  node -e 'const r=require(process.argv[1]);console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$RESULTS"
fi
exit "$JEST_RC"

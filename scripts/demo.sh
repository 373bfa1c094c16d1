#!/usr/bin/env bash
# `npm run demo`: render the example storyboard end to end on this machine, nothing
# configured: Temporal dev server + MinIO (scripts/infra.sh), the built-in Seedance simulator
# unless GPTPROTO_API_KEY is set, a worker, and `seedance-flow render --wait`. Stops what it
# started. Extra arguments go to `seedance-flow render` (e.g. --json, --window 4).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export SEEDANCE_STATE_DIR=${SEEDANCE_STATE_DIR:-$ROOT/.infra}
STARTED_FILE=$(mktemp "${TMPDIR:-/tmp}/seedance-demo-started.XXXXXX")
export SEEDANCE_INFRA_STARTED_FILE=$STARTED_FILE
PIDS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  mapfile -t started <"$STARTED_FILE" || true
  rm -f "$STARTED_FILE"
  if ((${#started[@]})); then bash scripts/infra.sh down "${started[@]}" >&2 || true; fi
  exit "$rc"
}
trap cleanup EXIT INT TERM

bash scripts/infra.sh up >/dev/null
# shellcheck disable=SC1091
source "$SEEDANCE_STATE_DIR/env"

if [[ -z "${GPTPROTO_API_KEY:-}" ]]; then
  port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  echo "[demo] GPTPROTO_API_KEY is not set: rendering against the built-in SIMULATOR (not a real Seedance render)" >&2
  SIMULATOR_PORT=$port SIMULATOR_RENDER_MS=${SIMULATOR_RENDER_MS:-4000} node bin/seedance-flow.js simulator >"$SEEDANCE_STATE_DIR/demo-simulator.log" 2>&1 &
  PIDS+=($!)
  export GPTPROTO_API_KEY=sk-simulator SEEDANCE_API_BASE_URL=http://127.0.0.1:$port
  export SEEDANCE_POLL_INITIAL_MS=${SEEDANCE_POLL_INITIAL_MS:-2000} SEEDANCE_POLL_MAX_INTERVAL_MS=${SEEDANCE_POLL_MAX_INTERVAL_MS:-2000}
fi
export SEEDANCE_TASK_QUEUE=${SEEDANCE_TASK_QUEUE:-seedance-flow-demo}
# Demo videos go to the local MinIO bucket (see .infra/env); the simulator forgets its tasks
# when it stops, so a re-run re-renders only what is missing from storage.

# The worker's own logs go to a file so the progress display stays readable.
WORKER_LOG=$SEEDANCE_STATE_DIR/demo-worker.log
node bin/seedance-flow.js worker >"$WORKER_LOG" 2>&1 &
PIDS+=($!)
echo "[demo] worker log: $WORKER_LOG" >&2

echo "[demo] Temporal UI: ${TEMPORAL_UI_URL:-http://127.0.0.1:8233}" >&2
STORYBOARD=${DEMO_STORYBOARD:-examples/lighthouse-keeper.yaml}
node bin/seedance-flow.js render "$STORYBOARD" --wait "$@"

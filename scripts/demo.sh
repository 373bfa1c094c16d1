#!/usr/bin/env bash
# `npm run demo`: render one video end to end on this machine, nothing configured:
# Temporal dev server + MinIO (scripts/infra.sh), the built-in Seedance simulator unless
# GPTPROTO_API_KEY is set, a worker, and `seedance-flow video`. Stops what it started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export SEEDANCE_STATE_DIR=${SEEDANCE_STATE_DIR:-$ROOT/.infra}
STARTED_FILE=$(mktemp "${TMPDIR:-/tmp}/seedance-demo-started.XXXXXX")
export SEEDANCE_INFRA_STARTED_FILE=$STARTED_FILE
PIDS=()
DEMO_ARGS=()

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
  SIMULATOR_PORT=$port SIMULATOR_RENDER_MS=${SIMULATOR_RENDER_MS:-4000} node bin/seedance-flow.js simulator &
  PIDS+=($!)
  export GPTPROTO_API_KEY=sk-simulator SEEDANCE_API_BASE_URL=http://127.0.0.1:$port
  # The simulator forgets its tasks when it stops; a fresh workflow id keeps a later demo
  # from attaching to an earlier run's workflow whose task this simulator never saw.
  DEMO_ARGS=(--workflow-id "demo-$(date +%Y%m%d-%H%M%S)-$$")
  export SEEDANCE_POLL_INITIAL_MS=${SEEDANCE_POLL_INITIAL_MS:-2000} SEEDANCE_POLL_MAX_INTERVAL_MS=${SEEDANCE_POLL_MAX_INTERVAL_MS:-2000}
fi
export SEEDANCE_TASK_QUEUE=${SEEDANCE_TASK_QUEUE:-seedance-flow-demo}

node bin/seedance-flow.js worker &
PIDS+=($!)

echo "[demo] Temporal UI: ${TEMPORAL_UI_URL:-http://127.0.0.1:8233}" >&2
node bin/seedance-flow.js video "${DEMO_ARGS[@]}" "$@" \
  --prompt "${DEMO_PROMPT:-A paper boat drifts down a rain-soaked street at dusk, cinematic, shallow depth of field}" \
  --image test/fixtures/first-frame.png --role first_frame

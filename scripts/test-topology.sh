#!/usr/bin/env bash
# `npm run test:topology`: bring up the production topology (scripts/infra.sh up --topology
# production: PostgreSQL + the Temporal server, no Docker), run the topology tests
# (jest.topology.config.js: worker processes split by role, killed at random) against it, and
# afterwards stop what this run started. A topology that was already up is reused and left
# running. S3 is a MinIO of the test's own (test/helpers/private-minio.ts), so the dev
# topology's servers are never touched.
#
#   npm run test:topology                  every topology test
#   npm run test:topology -- -t outage     extra args go to jest
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
STATE_DIR=${SEEDANCE_STATE_DIR:-$REPO_ROOT/.infra}
export SEEDANCE_STATE_DIR=$STATE_DIR
# shellcheck source=scripts/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

STARTED_FILE=$(mktemp "${TMPDIR:-/tmp}/seedance-topology-started.XXXXXX")
export SEEDANCE_INFRA_STARTED_FILE=$STARTED_FILE

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
  local rc=$? started=()
  trap - EXIT INT TERM
  if [[ -s "$STARTED_FILE" ]]; then
    local s
    while read -r s; do [[ -n "$s" ]] && started+=("$s"); done < <(sort -u "$STARTED_FILE")
    echo "[test:topology] stopping what this run started: ${started[*]}" >&2
    bash "$SCRIPT_DIR/infra.sh" down --topology production "${started[@]}" || echo "[test:topology] WARNING: infra.sh down failed" >&2
  fi
  rm -f "$STARTED_FILE"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$SECONDS
bash "$SCRIPT_DIR/infra.sh" up --topology production >/dev/null
echo "[test:topology] production topology up in $((SECONDS - start)) s" >&2
# MinIO for the tests' private S3 servers: the same cached binary and credentials as the dev topology.
bash "$SCRIPT_DIR/infra.sh" install minio
# shellcheck source=/dev/null
source "$STATE_DIR/production.env"
export MINIO_CLI_PATH=${SEEDANCE_CACHE_DIR:-$HOME/.cache/seedance-flow}/bin/minio
export AWS_ACCESS_KEY_ID=${MINIO_ROOT_USER:-seedance} AWS_SECRET_ACCESS_KEY=${MINIO_ROOT_PASSWORD:-seedance-secret}
export AWS_REGION=us-east-1 S3_BUCKET=${S3_BUCKET:-seedance-flow}
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}

cd "$REPO_ROOT"
npx --no-install jest -c jest.topology.config.js --runInBand "$@"

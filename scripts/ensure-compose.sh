#!/usr/bin/env bash
# Prints the command that runs a docker compose client ("docker compose" or "docker-compose"),
# installing Debian's docker-compose when neither exists. Only `config` is ever run here:
# validating docker-compose.yml needs the client, not a Docker engine.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then
  echo "docker compose"
  exit 0
fi
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "[compose] installing Debian's docker-compose client (validation only)" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo -n"
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq docker-compose >&2
fi
echo "docker-compose"

#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium is at /usr/bin/chromium (the report test
# opens report.html in it). Idempotent: does nothing when it is already there.
#
#   bash scripts/ensure-chromium.sh        # exit 0: /usr/bin/chromium runs; non-zero: why not
#
# Installs with apt-get (non-interactive, after `apt-get update`); needs root or sudo.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

say() { echo "ensure-chromium: $*"; }
die() {
  echo "ensure-chromium: ERROR: $*" >&2
  exit 1
}

if [ -x "$CHROMIUM" ]; then
  say "$CHROMIUM is present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 ||
  die "$CHROMIUM is missing and apt-get is not available: install Chromium yourself (a Debian/Ubuntu 'chromium' package provides $CHROMIUM)"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    die "$CHROMIUM is missing and installing it needs root: run 'sudo apt-get update && sudo apt-get install -y chromium' (or run this script as root)"
  fi
fi

export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
start=$(date +%s)
say "$CHROMIUM is missing: running apt-get update"
"${SUDO[@]}" apt-get update -q ||
  die "apt-get update failed (no access to the Debian package mirror?)"
say "installing Debian packages chromium and fonts-liberation with apt-get (a few minutes on a fresh machine)"
"${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium fonts-liberation ||
  die "apt-get install chromium failed; see the apt-get output above"

[ -x "$CHROMIUM" ] || die "apt-get installed 'chromium' but $CHROMIUM is still missing"
"$CHROMIUM" --version >/dev/null 2>&1 || die "$CHROMIUM was installed but does not run ('$CHROMIUM --version' failed)"
say "installed $("$CHROMIUM" --version) in $(($(date +%s) - start)) s"

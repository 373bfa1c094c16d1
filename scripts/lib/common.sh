# shellcheck shell=bash
# Small helpers shared by scripts/infra.sh and scripts/test.sh.
#
# Written for bash >= 3.2 (macOS still ships 3.2 as /bin/bash), so no mapfile,
# no ${x,,}, and empty arrays are expanded with the ${a[@]+"${a[@]}"} idiom.
# Needs nothing beyond bash, coreutils-ish basics and node; curl is optional.

# Progress goes to stderr so that stdout of `infra.sh up` / `infra.sh env` is
# exactly the sourceable env (usable as `eval "$(scripts/infra.sh up)"`).
log() { printf '[infra] %s\n' "$*" >&2; }
warn() { printf '[infra] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[infra] ERROR: %s\n' "$*" >&2
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# "1m05s" style durations for progress lines.
fmt_duration() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# --- processes -------------------------------------------------------------

# Alive and not a zombie. A zombie still answers kill -0, and in containers
# whose PID 1 does not reap, one could linger and make `down` wait forever.
pid_alive() {
  local pid=$1 state
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)
    [[ "$state" != "Z" ]] || return 1
  fi
  return 0
}

# The command line of a pid, from /proc (minimal Debian images have no ps) or
# ps (macOS has no /proc).
pid_args() {
  local pid=$1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true
  elif have ps; then
    ps -p "$pid" -o args= 2>/dev/null || true
  fi
}

# read_pid FILE -> prints the pid stored there, or nothing.
read_pid() {
  local f=$1 pid=''
  if [[ -f "$f" ]]; then read -r pid <"$f" 2>/dev/null || true; fi
  [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s' "$pid"
  return 0
}

# A pid from our pid file is only "ours" if it is alive AND its command line
# mentions our state dir: a recycled pid (reboot, long-dead server) must never
# be signalled.
pid_is_ours() {
  local pid=$1 marker=$2
  pid_alive "$pid" || return 1
  case "$(pid_args "$pid")" in
    *"$marker"*) return 0 ;;
    *) return 1 ;;
  esac
}

# Start "$@" detached, appending to LOG, with the real pid written to PIDFILE.
# The inner bash writes its own pid and then execs the server, so the pid is
# right even when setsid has to fork. setsid puts the server in its own session
# so a Ctrl-C in the terminal that ran `up` does not reach it later; where
# setsid is missing (macOS), nohup keeps it alive when the terminal closes.
spawn_detached() {
  local pidfile=$1 logfile=$2
  shift 2
  local launcher=(nohup)
  have setsid && launcher=(setsid)
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # $$ and $@ are for the inner bash.
  # 8>&- 9>&-: do not let the server inherit infra.sh's lock files, or it would
  # hold the lock for its whole life and block every later infra.sh call.
  "${launcher[@]}" bash -c 'echo "$$" >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 8>&- 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  die "could not start $1 (no pid file after 5s); see $logfile"
}

# stop_pid PID NAME TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 timeout=$3 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while pid_alive "$pid"; do
    if ((waited >= timeout * 10)); then
      warn "$name (pid $pid) did not exit ${timeout}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      local j
      for ((j = 0; j < 50; j++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
      done
      warn "$name (pid $pid) still present after SIGKILL"
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  return 0
}

# --- ports -------------------------------------------------------------------
# node is a prerequisite of the project anyway, and is portable where ss/lsof
# /netstat differ between distributions and macOS.

# port_free PORT: can we bind 127.0.0.1:PORT right now?
port_free() {
  node -e '
    const s = require("net").createServer();
    s.once("error", () => process.exit(1));
    s.listen(Number(process.argv[1]), "127.0.0.1", () => s.close(() => process.exit(0)));
  ' "$1" 2>/dev/null
}

# free_port: an unused loopback port chosen by the kernel.
free_port() {
  node -e '
    const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => console.log(p)); });
  '
}

# --- http ----------------------------------------------------------------------

# http_ok URL: 2xx within 3 s. curl when present, else node's fetch.
http_ok() {
  if have curl; then
    curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null
  else
    node -e '
      fetch(process.argv[1], { signal: AbortSignal.timeout(3000) })
        .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));
    ' "$1" 2>/dev/null
  fi
}

# s3_put_bucket ENDPOINT BUCKET KEY SECRET REGION
# Prints "<http status>" on the first line and the response body after it.
# Uses curl's built-in SigV4 (curl >= 7.75) so no mc/aws client is needed;
# falls back to a few lines of SigV4 in node where curl is missing or too old.
s3_put_bucket() {
  local endpoint=$1 bucket=$2 key=$3 secret=$4 region=$5
  if have curl && curl --help all 2>/dev/null | grep -q -- '--aws-sigv4'; then
    local body status
    body=$(mktemp)
    status=$(curl -sS -o "$body" -w '%{http_code}' --max-time 10 \
      --aws-sigv4 "aws:amz:${region}:s3" --user "${key}:${secret}" \
      -X PUT "${endpoint}/${bucket}" 2>/dev/null) || status=000
    printf '%s\n' "$status"
    cat "$body"
    rm -f "$body"
  else
    node - "$endpoint" "$bucket" "$key" "$secret" "$region" <<'JS'
const crypto = require('crypto');
const [endpoint, bucket, key, secret, region] = process.argv.slice(2);
const url = new URL('/' + bucket, endpoint);
const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
const day = amzDate.slice(0, 8);
const sha = (d) => crypto.createHash('sha256').update(d).digest('hex');
const hmac = (k, d) => crypto.createHmac('sha256', k).update(d).digest();
const payload = sha('');
const signed = 'host;x-amz-content-sha256;x-amz-date';
const canonical = ['PUT', url.pathname, '',
  `host:${url.host}\nx-amz-content-sha256:${payload}\nx-amz-date:${amzDate}\n`, signed, payload].join('\n');
const scope = `${day}/${region}/s3/aws4_request`;
const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha(canonical)].join('\n');
const kSig = hmac(hmac(hmac(hmac('AWS4' + secret, day), region), 's3'), 'aws4_request');
const sig = crypto.createHmac('sha256', kSig).update(toSign).digest('hex');
fetch(url, {
  method: 'PUT',
  signal: AbortSignal.timeout(10000),
  headers: {
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payload,
    authorization: `AWS4-HMAC-SHA256 Credential=${key}/${scope}, SignedHeaders=${signed}, Signature=${sig}`,
  },
}).then(async (r) => console.log(`${r.status}\n${await r.text()}`), () => console.log('000'));
JS
  fi
}

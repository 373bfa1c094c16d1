# shellcheck shell=bash
# The Temporal time-skipping test server (Java, io.temporal:temporal-test-server) that the
# workflow tests in test/workflows/ run on, installed by `scripts/infra.sh install test-server`.
#
# The SDK would download a native build of it from temporal.download, which machines with
# only package registries cannot reach; Maven Central publishes the same server as a jar.
# mvn fetches it and its runtime dependencies once into $CACHE_DIR/test-server/<version>/lib
# (its local repository stays in $CACHE_DIR/m2, so a re-install after a pin change downloads
# only what changed), and $BIN_DIR/temporal-test-server is a wrapper that `exec`s java, so the
# pid the SDK starts and later kills is the server itself.
#
# Startup matters: the SDK gives the server a fixed 5 s to open its port. A JVM with the
# serial collector and C1 only opens it in ~0.8 s on 2 cores; an application class-data
# archive written at install (Java's CDS) halves that, which leaves headroom on a busy machine.
#
# Needs a Java runtime ($JAVA_HOME/bin/java when set, else java on PATH) and mvn ($SEEDANCE_MVN
# when set). Sourced by scripts/infra.sh after scripts/lib/common.sh; uses its CACHE_DIR and
# BIN_DIR.

TEST_SERVER_VERSION=1.38.0
# The server logs through SLF4J 1.7; the no-op binding keeps it from printing a warning at start.
TEST_SERVER_SLF4J_NOP_VERSION=1.7.36
TEST_SERVER_MAIN=io.temporal.testserver.TestServer

test_server_java() { printf '%s' "${JAVA_HOME:+$JAVA_HOME/bin/}java"; }

# test_server_install: fetch, write the wrapper, smoke-start it once (which also writes the
# class-data archive), then stamp. Skips when the stamp matches the pins.
test_server_install() {
  local want="io.temporal:temporal-test-server:$TEST_SERVER_VERSION org.slf4j:slf4j-nop:$TEST_SERVER_SLF4J_NOP_VERSION"
  local stamp="$BIN_DIR/.test-server.version" bin="$BIN_DIR/temporal-test-server"
  local dir="$CACHE_DIR/test-server/$TEST_SERVER_VERSION"
  if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$dir/lib" ]]; then
    return 0
  fi
  local java mvn=${SEEDANCE_MVN:-mvn}
  java=$(test_server_java)
  have "$java" || die "the Temporal test server is a Java program, but '$java' is not found. Install a Java runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME, and re-run."
  have "$mvn" || die "the Temporal test server is fetched from Maven Central with mvn, but '$mvn' is not found. Install Maven (e.g. apt-get install maven) and re-run."

  mkdir -p "$BIN_DIR" "$CACHE_DIR/logs" "$CACHE_DIR/test-server"
  local buildlog="$CACHE_DIR/logs/test-server-install.log" scratch start=$SECONDS
  # Fetch into a scratch dir and move into place, so an interrupted install never leaves a
  # half-filled lib/ that looks installed.
  scratch=$(mktemp -d "$CACHE_DIR/test-server/.install.XXXXXX")
  trap 'rm -rf "$scratch"; exit 130' INT TERM
  log "installing the Temporal test server $TEST_SERVER_VERSION from Maven Central (first time only, ~40 MB, cached in $dir)"
  log "  install log: $buildlog"
  cat >"$scratch/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <!-- Throwaway project: only its dependencies matter (written by scripts/lib/test-server.sh). -->
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.seedance-flow</groupId>
  <artifactId>test-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TEST_SERVER_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>$TEST_SERVER_SLF4J_NOP_VERSION</version></dependency>
  </dependencies>
</project>
POM
  if ! (cd "$scratch" && "$mvn" -B -ntp -Dmaven.repo.local="$CACHE_DIR/m2" dependency:copy-dependencies \
    -DoutputDirectory="$scratch/lib" -DincludeScope=runtime) >"$buildlog" 2>&1; then
    tail -n 30 "$buildlog" >&2 || true
    rm -rf "$scratch"
    trap - INT TERM
    die "fetching the Temporal test server failed; full log: $buildlog"
  fi
  ls "$scratch/lib/temporal-test-server-$TEST_SERVER_VERSION.jar" >/dev/null 2>&1 || {
    rm -rf "$scratch"
    trap - INT TERM
    die "mvn finished but temporal-test-server-$TEST_SERVER_VERSION.jar is not among the fetched jars; log: $buildlog"
  }
  rm -f "$stamp"
  rm -rf "$dir"
  mkdir -p "$dir"
  mv "$scratch/lib" "$dir/lib"
  rm -rf "$scratch"
  trap - INT TERM

  # An explicit, sorted class path: the class-data archive is valid only for the exact class
  # path it was written with, which a `lib/*` wildcard does not promise.
  local cp='' jar
  for jar in "$dir"/lib/*.jar; do cp+="${cp:+:}$jar"; done
  local tmpbin
  tmpbin=$(mktemp "$BIN_DIR/.temporal-test-server.XXXXXX")
  cat >"$tmpbin" <<WRAPPER
#!/usr/bin/env bash
# Temporal time-skipping test server $TEST_SERVER_VERSION, written by scripts/infra.sh install test-server.
# Usage: temporal-test-server PORT (the SDK's TestWorkflowEnvironment.createTimeSkipping starts it so).
# exec: the pid the SDK starts, and later kills, is the JVM itself.
archive=$(printf '%q' "$dir/server.jsa")
cds=()
if [[ -n "\${SEEDANCE_TEST_SERVER_WRITE_ARCHIVE:-}" ]]; then
  cds=(-XX:ArchiveClassesAtExit="\$archive")
elif [[ -f "\$archive" ]]; then
  cds=(-XX:SharedArchiveFile="\$archive")
fi
java=\${JAVA_HOME:+\$JAVA_HOME/bin/}java
# -Xlog:cds*=off: an archive from another JVM build is just not used, without a word on stdout.
exec "\$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xmx256m -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off \\
  \${cds[@]+"\${cds[@]}"} -cp $(printf '%q' "$cp") $TEST_SERVER_MAIN "\$@"
WRAPPER
  chmod +x "$tmpbin"
  mv -f "$tmpbin" "$bin"

  # Smoke start: the server must open its port, and doing so once writes the class-data
  # archive (on its way out, after SIGTERM).
  local port pid waited=0 runlog="$CACHE_DIR/logs/test-server-smoke.log"
  port=$(free_port)
  SEEDANCE_TEST_SERVER_WRITE_ARCHIVE=1 "$bin" "$port" >"$runlog" 2>&1 &
  pid=$!
  while ! port_open "$port"; do
    if ! pid_alive "$pid" || ((waited >= 300)); then
      kill "$pid" 2>/dev/null || true
      tail -n 30 "$runlog" >&2 || true
      die "the Temporal test server did not open port $port within 30 s ($(test_server_java_version)); log: $runlog"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  sleep 1 # let start-up finish, so the archive holds every class a start loads
  stop_pid "$pid" temporal-test-server 15 || true
  wait "$pid" 2>/dev/null || true
  [[ -f "$dir/server.jsa" ]] || warn "no class-data archive was written ($runlog); the test server starts without it, ~0.5 s slower"
  printf '%s\n' "$want" >"$stamp"
  log "installed the Temporal test server in $(fmt_duration $((SECONDS - start))): $bin"
}

test_server_java_version() { "$(test_server_java)" -version 2>&1 | head -n 1; }

# port_open PORT: does something accept connections on 127.0.0.1:PORT?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

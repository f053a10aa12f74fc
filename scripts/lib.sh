# Shared by the scripts: paths, ports and the private MariaDB. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"              # everything the dev stack writes; ignored by git
BUILD="${INBURGERING_BUILD_DIR:-$ROOT/build}"
DB_DIR="$LOCAL/mariadb"
RUN_DIR="$LOCAL/run"
LOG_DIR="$LOCAL/logs"
SECRETS="$LOCAL/secrets"
DB_PORT="${INBURGERING_DB_PORT:-3307}"
DB_SOCKET="$DB_DIR/mysqld.sock"
# Debian's gRPC built with ThreadSanitizer (scripts/build-grpc-tsan.sh), for the TSan build only.
GRPC_TSAN_PREFIX="${INBURGERING_GRPC_TSAN_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/inburgering/grpc-1.51.1-3-tsan}"

GATEWAY_GRPC=127.0.0.1:50051
GATEWAY_HTTP=127.0.0.1:8080
INTAKE_ADDR=127.0.0.1:50061
MATCHING_ADDR=127.0.0.1:50062
REPORTING_ADDR=127.0.0.1:50063

# Alive and not a zombie (the stack's parent shell is gone, so nobody may reap it at once).
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
# A numeric field of a one-line JSON report (loadgen --json and the other bench tools):
# json_num FILE key (e.g. ok_per_s, p50).
json_num() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | head -1; }

# Debian packages the build, the stack and the tests need.
PACKAGES=(cmake ninja-build g++ pkg-config libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev
  protobuf-compiler libabsl-dev libmysqlcppconn-dev libssl-dev mariadb-server mariadb-client
  libgtest-dev libgmock-dev libbenchmark-dev liblemon-dev libcpp-httplib-dev grpc-proto
  libnghttp2-dev nghttp2-client wrk openssl curl python3-yaml chromium clang-14 libclang-rt-14-dev)

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Builds into $BUILD; arguments go to cmake when it configures a new $BUILD.
build() {
  log "building into $BUILD"
  local launcher=()
  if command -v ccache >/dev/null; then
    # Paths relative to the checkout, so clones and worktrees share one cache.
    export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" "$@" >/dev/null
  fi
  # INBURGERING_BUILD_TARGETS (space-separated) limits the build to those targets and what they
  # need (prefixed, so that an unrelated BUILD_TARGETS in the environment cannot narrow it).
  local targets=()
  if [ -n "${INBURGERING_BUILD_TARGETS:-}" ]; then
    # shellcheck disable=SC2206  # split on purpose: a list of target names
    targets=(--target $INBURGERING_BUILD_TARGETS)
  fi
  cmake --build "$BUILD" -j "$(nproc)" "${targets[@]}"
}

mysql_admin() { mariadb --no-defaults --socket="$DB_SOCKET" -uroot "$@"; }

# A password generated once per checkout, kept out of the repo.
secret() {
  local name=$1
  mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
  if [ ! -s "$SECRETS/$name" ]; then
    openssl rand -hex 16 >"$SECRETS/$name"
    chmod 600 "$SECRETS/$name"
  fi
  cat "$SECRETS/$name"
}

db_running() { [ -S "$DB_SOCKET" ] && mysql_admin -e "SELECT 1" >/dev/null 2>&1; }

# Starts the private MariaDB on loopback with durable settings; reuses a running one.
db_start() {
  mkdir -p "$DB_DIR" "$LOG_DIR" "$RUN_DIR"
  if db_running; then
    # The socket is per checkout, the port is not: one started with another INBURGERING_DB_PORT
    # would answer here on the socket while every TCP client looks for it in vain.
    local port
    port=$(mysql_admin -N -B -e "SELECT @@port")
    [ "$port" = "$DB_PORT" ] || die "this checkout's MariaDB already runs on port $port, not \
$DB_PORT: stop it with scripts/down.sh, or run with INBURGERING_DB_PORT=$port"
    log "MariaDB already running on 127.0.0.1:$DB_PORT"
  else
    if [ ! -d "$DB_DIR/data/mysql" ]; then
      log "initialising MariaDB data in $DB_DIR/data"
      mariadb-install-db --no-defaults --datadir="$DB_DIR/data" --user="$(id -un)" \
        --auth-root-authentication-method=socket --skip-test-db >"$LOG_DIR/mariadb-install.log" 2>&1
    fi
    log "starting MariaDB on 127.0.0.1:$DB_PORT"
    nohup mariadbd --no-defaults --datadir="$DB_DIR/data" --socket="$DB_SOCKET" \
      --pid-file="$DB_DIR/mariadbd.pid" --port="$DB_PORT" --bind-address=127.0.0.1 \
      --user="$(id -un)" --skip-name-resolve --innodb-flush-log-at-trx-commit=1 \
      --log-bin="$DB_DIR/binlog" --sync-binlog=1 --max-connections=1000 \
      --innodb-buffer-pool-size=2G --character-set-server=utf8mb4 \
      --collation-server=utf8mb4_unicode_ci >"$LOG_DIR/mariadb.log" 2>&1 &
    for _ in $(seq 1 100); do
      db_running && break
      sleep 0.2
    done
    db_running || die "MariaDB did not start; see $LOG_DIR/mariadb.log"
  fi
  local app_pw test_pw
  app_pw=$(secret mysql_app_password)
  test_pw=$(secret mysql_test_password)
  mysql_admin <<SQL
CREATE DATABASE IF NOT EXISTS intake CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS matching CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS reporting CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS gateway CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'inburgering'@'127.0.0.1' IDENTIFIED BY '$app_pw';
ALTER USER 'inburgering'@'127.0.0.1' IDENTIFIED BY '$app_pw';
GRANT ALL ON intake.* TO 'inburgering'@'127.0.0.1';
GRANT ALL ON matching.* TO 'inburgering'@'127.0.0.1';
GRANT ALL ON reporting.* TO 'inburgering'@'127.0.0.1';
GRANT ALL ON gateway.* TO 'inburgering'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'inburgering_test'@'127.0.0.1' IDENTIFIED BY '$test_pw';
ALTER USER 'inburgering_test'@'127.0.0.1' IDENTIFIED BY '$test_pw';
GRANT ALL ON \`t\\_%\`.* TO 'inburgering_test'@'127.0.0.1';
GRANT SELECT ON mysql.* TO 'inburgering_test'@'127.0.0.1';
GRANT RELOAD, PROCESS ON *.* TO 'inburgering_test'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
}

# Starts the private MariaDB and points the tests at it (tests/support/test_database.h).
test_db_env() {
  db_start
  export INBURGERING_TEST_MYSQL_HOST=127.0.0.1
  export INBURGERING_TEST_MYSQL_PORT="$DB_PORT"
  export INBURGERING_TEST_MYSQL_USER=inburgering_test
  INBURGERING_TEST_MYSQL_PASSWORD="$(secret mysql_test_password)"
  export INBURGERING_TEST_MYSQL_PASSWORD
}

db_stop() {
  if [ -f "$DB_DIR/mariadbd.pid" ]; then
    local pid
    pid=$(cat "$DB_DIR/mariadbd.pid")
    if alive "$pid"; then
      log "stopping MariaDB"
      kill "$pid"
      for _ in $(seq 1 150); do alive "$pid" || break; sleep 0.2; done
    fi
  fi
}

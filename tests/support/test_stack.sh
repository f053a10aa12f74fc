# A whole stack for an end-to-end test: intake, matching, reporting and the gateway from BUILD on
# free loopback ports, each on a fresh schema of the test MariaDB, with the dev configs of ROOT.
# Source it, then `start_test_stack BUILD ROOT`; it sets INTAKE MATCHING REPORTING GRPC HTTP and
# WORK, and cleans up on exit.
: "${INBURGERING_TEST_MYSQL_PORT:?run through scripts/test.sh}"

TEST_STACK_PIDS=()
TEST_STACK_SUFFIX="e2e_$$_$RANDOM"
WORK=$(mktemp -d /tmp/inburgering-e2e-XXXXXX)

test_sql() {
  mariadb --no-defaults -h "$INBURGERING_TEST_MYSQL_HOST" -P "$INBURGERING_TEST_MYSQL_PORT" \
    -u "$INBURGERING_TEST_MYSQL_USER" -p"$INBURGERING_TEST_MYSQL_PASSWORD" -e "$1"
}

stop_test_stack() {
  for pid in "${TEST_STACK_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for s in intake matching reporting gateway; do
    test_sql "DROP DATABASE IF EXISTS t_${TEST_STACK_SUFFIX}_$s" || true
  done
  rm -rf "$WORK"
}
trap stop_test_stack EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_test_stack() {  # BUILD ROOT
  local build=$1 root=$2
  for s in intake matching reporting gateway; do test_sql "CREATE DATABASE t_${TEST_STACK_SUFFIX}_$s"; done
  export INBURGERING_MYSQL_HOST="$INBURGERING_TEST_MYSQL_HOST"
  export INBURGERING_MYSQL_PORT="$INBURGERING_TEST_MYSQL_PORT"
  export INBURGERING_MYSQL_USER="$INBURGERING_TEST_MYSQL_USER"
  export INBURGERING_MYSQL_PASSWORD="$INBURGERING_TEST_MYSQL_PASSWORD"
  INTAKE=127.0.0.1:$(free_port); MATCHING=127.0.0.1:$(free_port)
  REPORTING=127.0.0.1:$(free_port); GRPC=127.0.0.1:$(free_port); HTTP=127.0.0.1:$(free_port)
  _start intake "$build/intake-service/intake_server" --listen="$INTAKE" \
    --config="$root/config/dev/intake.json"
  _healthy "$build" "$INTAKE"
  _start matching "$build/matching-service/matching_server" --listen="$MATCHING" \
    --config="$root/config/dev/matching.json" --intake_target="$INTAKE"
  _healthy "$build" "$MATCHING"
  _start reporting "$build/reporting-service/reporting_server" --listen="$REPORTING" \
    --config="$root/config/dev/reporting.json" --intake_target="$INTAKE" --matching_target="$MATCHING"
  _healthy "$build" "$REPORTING"
  _start gateway "$build/gateway/gateway_server" --listen="$GRPC" --http_listen="$HTTP" \
    --config="$root/config/dev/gateway.json" --intake_target="$INTAKE" \
    --matching_target="$MATCHING" --reporting_target="$REPORTING"
  _healthy "$build" "$GRPC"
}

_start() {  # name binary args...
  local name=$1; shift
  "$@" --mysql_schema="t_${TEST_STACK_SUFFIX}_$name" >>"$WORK/$name.log" 2>&1 &
  TEST_STACK_PIDS+=($!)
}

_healthy() {  # build address
  for _ in $(seq 1 100); do
    "$1/tools/health_probe" --target="$2" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "not serving: $2"; tail -n 20 "$WORK"/*.log; exit 1
}

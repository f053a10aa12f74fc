#!/usr/bin/env bash
# Builds and starts the whole stack with demo data: private MariaDB, the three services and the
# gateway on loopback. Safe to re-run: a running stack is stopped and started again on the new build.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_deps
build
db_start
"$ROOT/scripts/down.sh" --services-only

export INBURGERING_MYSQL_PORT="$DB_PORT"
export INBURGERING_MYSQL_USER=inburgering
INBURGERING_MYSQL_PASSWORD="$(secret mysql_app_password)"
export INBURGERING_MYSQL_PASSWORD

start() {  # name binary args...
  local name=$1; shift
  log "starting $name"
  nohup "$@" >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
}

wait_healthy() {  # name address
  for _ in $(seq 1 100); do
    if "$BUILD/tools/health_probe" --target="$2" >/dev/null 2>&1; then return 0; fi
    kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null || die "$1 exited; see $LOG_DIR/$1.log"
    sleep 0.1
  done
  die "$1 is not SERVING on $2; see $LOG_DIR/$1.log"
}

CONFIG="$ROOT/config/dev"
start intake "$BUILD/intake-service/intake_server" --listen="$INTAKE_ADDR" \
  --config="$CONFIG/intake.json"
wait_healthy intake "$INTAKE_ADDR"
start matching "$BUILD/matching-service/matching_server" --listen="$MATCHING_ADDR" \
  --config="$CONFIG/matching.json" --intake_target="$INTAKE_ADDR"
wait_healthy matching "$MATCHING_ADDR"
start reporting "$BUILD/reporting-service/reporting_server" --listen="$REPORTING_ADDR" \
  --config="$CONFIG/reporting.json" --intake_target="$INTAKE_ADDR" \
  --matching_target="$MATCHING_ADDR"
wait_healthy reporting "$REPORTING_ADDR"
start gateway "$BUILD/gateway/gateway_server" --listen="$GATEWAY_GRPC" --http_listen="$GATEWAY_HTTP" \
  --config="$CONFIG/gateway.json" --intake_target="$INTAKE_ADDR" \
  --matching_target="$MATCHING_ADDR" --reporting_target="$REPORTING_ADDR"
wait_healthy gateway "$GATEWAY_GRPC"

# Demo data is a convenience: a failure is reported but leaves the stack running.
"$ROOT/scripts/demo-data.sh" || log "warning: the demo data did not load completely (see above)"

cat <<MSG

The inburgering stack is running.
  gateway gRPC   $GATEWAY_GRPC   (health, reflection; every public service)
  gateway HTTP   http://$GATEWAY_HTTP   (JSON: POST /inburgering.v1.<Service>/<Method>, /dashboard, /healthz, /metrics)
  intake         $INTAKE_ADDR
  matching       $MATCHING_ADDR
  reporting      $REPORTING_ADDR
  MariaDB        127.0.0.1:$DB_PORT (socket $DB_SOCKET)
  logs           $LOG_DIR
Try it (demo tokens: gateway/README.md):
  curl -s -H 'Authorization: Bearer demo-consulent-rijswijk' -H 'Content-Type: application/json' \\
    -d '{"pageSize": 5}' http://$GATEWAY_HTTP/inburgering.v1.IntakeService/ListStatushouders
  dashboard: http://$GATEWAY_HTTP/dashboard (token demo-analist-haaglanden)
Stop everything with scripts/down.sh.
MSG

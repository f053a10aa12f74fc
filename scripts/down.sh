#!/usr/bin/env bash
# Stops the dev stack: services and gateway (SIGTERM, they drain), then MariaDB.
# --services-only leaves MariaDB running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for name in gateway reporting matching intake; do
  pidfile="$RUN_DIR/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if alive "$pid"; then
    log "stopping $name"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
done
[ "${1:-}" = "--services-only" ] || db_stop

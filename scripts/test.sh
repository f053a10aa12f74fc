#!/usr/bin/env bash
# Installs what is missing, builds, starts the private MariaDB and runs the whole test suite with
# ctest: unit tests, and integration tests against the real MariaDB and real gRPC servers.
# Extra arguments go to ctest (e.g. -L unit, -R Outbox). The full suite (no arguments) then runs
# every fuzz target for INBURGERING_FUZZ_SECONDS (default 20; 0 skips) with scripts/fuzz.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_deps
build
db_start

export INBURGERING_TEST_MYSQL_HOST=127.0.0.1
export INBURGERING_TEST_MYSQL_PORT="$DB_PORT"
export INBURGERING_TEST_MYSQL_USER=inburgering_test
INBURGERING_TEST_MYSQL_PASSWORD="$(secret mysql_test_password)"
export INBURGERING_TEST_MYSQL_PASSWORD

(cd "$BUILD" && ctest --output-on-failure -j "$(nproc)" "$@")

fuzz_seconds="${INBURGERING_FUZZ_SECONDS:-20}"
if (($# == 0)) && [ "$fuzz_seconds" != 0 ]; then
  "$ROOT/scripts/fuzz.sh" "$fuzz_seconds"
fi

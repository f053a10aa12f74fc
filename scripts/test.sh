#!/usr/bin/env bash
# Installs what is missing, builds, starts the private MariaDB and runs the whole test suite with
# ctest: unit tests, and integration tests against the real MariaDB and real gRPC servers.
# Extra arguments go to ctest (e.g. -L unit, -R Outbox). The full suite (no arguments) then runs
# every fuzz target for INBURGERING_FUZZ_SECONDS (default 20; 0 skips) with scripts/fuzz.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_deps
build
test_db_env

(cd "$BUILD" && ctest --output-on-failure -j "$(nproc)" "$@")

fuzz_seconds="${INBURGERING_FUZZ_SECONDS:-20}"
if (($# == 0)) && [ "$fuzz_seconds" != 0 ]; then
  "$ROOT/scripts/fuzz.sh" "$fuzz_seconds"
fi

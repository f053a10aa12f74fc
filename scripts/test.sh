#!/usr/bin/env bash
# Installs what is missing, builds, starts the private MariaDB and runs the whole test suite with
# ctest: unit tests, and integration tests against the real MariaDB and real gRPC servers.
# Extra arguments go to ctest (e.g. -L unit, -R Outbox).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_deps
build
test_db_env

cd "$BUILD"
ctest --output-on-failure -j "$(nproc)" "$@"

#!/usr/bin/env bash
# Builds the suite with sanitizers and runs it against the private MariaDB (docs/SECURITY.md,
# Sanitizers):
#   scripts/test-sanitized.sh address,undefined [ctest args]   whole suite, ASan+UBSan, build-asan/
#   scripts/test-sanitized.sh thread [ctest args]              ctest -L concurrency, TSan, build-tsan/
# Any finding fails the run, also one in a process a test started (a service, the CLI): ASan, LSan
# and TSan reports go to build-*/sanitizer-reports/ and are printed at the end. A UBSan finding
# aborts the process and is printed on its stderr (GCC's libubsan ignores log_path). Suppressions,
# each with the reason it is not our bug, are in tests/sanitizers/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=${1:-}
(($#)) && shift
SUPP="$ROOT/tests/sanitizers"
case "$mode" in
  address,undefined)
    BUILD="$ROOT/build-asan"
    # Checks the shared libraries a release image ships; a sanitized binary also needs libasan.
    selection=(-E '^docker_runtime_libraries_test$')
    ;;
  thread)
    BUILD="$ROOT/build-tsan"
    selection=(-L concurrency)
    # Only the concurrency tests and the programs they start: a TSan build of everything is about
    # twice as long on 2 cores. A concurrency test missing here shows as "Not Run" (a failure).
    INBURGERING_BUILD_TARGETS="common_core_test request_batcher_test mysql_pool_integration_test
      outbox_integration_test intake_service_integration_test intake_database_stall_test
      reporting_service_test reporting_integration_test matching_service_integration_test
      gateway_front_test gateway_integration_test outbox_producer_crash_test fault_harness
      intake_server matching_server reporting_server gateway_server health_probe tsan_absl_sync"
    ;;
  *) die "usage: $0 address,undefined|thread [ctest args]" ;;
esac
REPORTS="$BUILD/sanitizer-reports"

install_deps
extra=()
if [ "$mode" = thread ]; then
  # gRPC built with TSan (once per machine, outside the checkout): Debian's libgrpc hands calls
  # between threads through atomics TSan cannot see. The build's RUNPATH finds its libraries.
  [ -f "$GRPC_TSAN_PREFIX/.complete" ] || "$ROOT/scripts/build-grpc-tsan.sh" "$GRPC_TSAN_PREFIX"
  extra=(-DgRPC_DIR:PATH="$GRPC_TSAN_PREFIX/lib/cmake/grpc")
  # A build-tsan/ configured against another gRPC (Debian's, before) is configured anew.
  if [ -f "$BUILD/CMakeCache.txt" ] &&
    ! grep -q "^gRPC_DIR:[A-Z]*=$GRPC_TSAN_PREFIX/lib/cmake/grpc\$" "$BUILD/CMakeCache.txt"; then
    log "$BUILD was configured against another gRPC; configuring it anew"
    rm -rf "$BUILD"
  fi
fi
# -O1: readable stacks at a bearable speed. -fno-sanitize-recover comes with the option
# (cmake/Helpers.cmake).
build -DCMAKE_CXX_COMPILER=g++ "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g -DNDEBUG" \
  -DINBURGERING_SANITIZE="$mode" "${extra[@]}"
if [ "$mode" = thread ]; then
  for bin in intake-service/intake_server tests/common/common_core_test; do
    [ -x "$BUILD/$bin" ] || continue
    # Read whole before grep -q, which may stop reading early (SIGPIPE under pipefail).
    libs=$(ldd "$BUILD/$bin")
    grep -q "libgrpc++.so.* => $GRPC_TSAN_PREFIX/lib/" <<<"$libs" ||
      die "$bin does not load libgrpc++ from $GRPC_TSAN_PREFIX/lib"
  done
fi
test_db_env

rm -rf "$REPORTS" && mkdir -p "$REPORTS"
# Reports go to files named after the program and pid: a service's stderr may be a pipe a test
# never reads.
common="halt_on_error=1:print_stacktrace=1:log_exe_name=1"
if [ "$mode" = thread ]; then
  export TSAN_OPTIONS="$common:log_path=$REPORTS/tsan:second_deadlock_stack=1:suppressions=$SUPP/tsan.supp"
  export LD_PRELOAD="$BUILD/tests/sanitizers/libtsan_absl_sync.so"
else
  export ASAN_OPTIONS="$common:log_path=$REPORTS/asan:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="$common"
  export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
fi

cd "$BUILD"
start=$SECONDS
status=0
ctest --output-on-failure -j "$(nproc)" "${selection[@]}" "$@" || status=$?
log "ctest took $((SECONDS - start)) s"

reports=("$REPORTS"/*)
if [ -e "${reports[0]}" ]; then
  for r in "${reports[@]}"; do
    log "sanitizer report $(basename "$r"):"
    cat "$r" >&2
  done
  die "${#reports[@]} sanitizer report(s) in $REPORTS"
fi
exit "$status"

#!/usr/bin/env bash
# matching-service targets (issue 3), measured in process (no gRPC, no database) on seeded
# synthetic data: RecommendWerkplekken over 100,000 open werkplekken (target p99 <= 5 ms),
# ProposeAssignment for 20,000 candidates x 50,000 places (target <= 2 s, total >= greedy), and
# the RSS of 100,000 places plus 300,000 candidate profiles (target <= 500 MB).
#
#   bench/scenarios/matching_core.sh [extra matching_bench flags]
#   bench/scenarios/matching_core.sh --smoke   # tiny sizes, builds nothing (for the test suite)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${INBURGERING_BUILD_DIR:-${BUILD:-build}}
if [[ "${1:-}" == --smoke ]]; then
  shift
  set -- --places=2000 --profiles=3000 --queries=50 --assign_candidates=200 --assign_places=500 "$@"
elif [[ ! -x "$BUILD/matching-service/matching_bench" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "$BUILD" -j2 matching_bench
fi
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/matching-service/matching_bench" "$@"

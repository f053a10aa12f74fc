#!/usr/bin/env bash
# Scenario "regional report at scale, loaded end to end": N datagen statushouders (default
# 1,000,000 over Haaglanden's three gemeenten) go into an intake-service through the public RPCs
# only, reporting-service consumes intake's event stream as in the dev stack, and then the
# Haaglanden report (3 gemeenten + totaal, 2022-01 up to next month) is timed through reporting's
# gRPC port (GetRegionalReport as an analist) side by side with the same figures by GROUP BY over
# one source row per person (reporting-service/report_bench.cc says which rows and why).
#
#   bench/scenarios/reporting_regional_report.sh [--persons N] [--fraction F] [--iterations K]
#   bench/scenarios/reporting_regional_report.sh --smoke   # 3,000 persons, no build (test suite)
#
# Loading: ImportStatushouders (bench/intake_import_bench --datagen_gemeenten 3: each gemeente's
# rows as its consulent, 5,000 rows a message, calls of at most 100,000 rows because one call's
# answer passes gRPC's 4 MB limit above that), then for a seeded fraction F of the persons
# (default 0.25; the same persons on every run) datagen's trajectory through RecordBredeIntake,
# EstablishPip, RecordLanguageLevel and ChangePhase (bench/load_region --kind trajectories, 64
# statushouders in flight, each update naming the version the previous answer returned). The
# other persons stay as imported (phase INTAKE, or VOORINBURGERING without a vestigingsdatum).
# The report is timed only after reporting has applied every event intake numbered.
# Placements (matching's stream) are not loaded: the plaatsing figures stay empty.
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

PERSONS=1000000
FRACTION=0.25
ITERATIONS=300
GROUP_BY_ITERATIONS=3
SMOKE=0
while (($#)); do
  case "$1" in
    --persons) PERSONS=$2; shift 2 ;;
    --fraction) FRACTION=$2; shift 2 ;;
    --iterations) ITERATIONS=$2; shift 2 ;;
    --smoke) SMOKE=1; PERSONS=3000; FRACTION=0.5; ITERATIONS=20; GROUP_BY_ITERATIONS=1; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done

SCHEMA=t_bench_regional_report
# shellcheck source=../scripts/intake_common.sh
source "$ROOT/bench/scripts/intake_common.sh"
IMPORT_BENCH="$BUILD/bench/intake_import_bench"
REPORT_BENCH="$BUILD/reporting-service/reporting_report_bench"
intake_build "$SMOKE" reporting_server intake_import_bench reporting_report_bench
for b in "$IMPORT_BENCH" "$REPORT_BENCH"; do [ -x "$b" ] || die "$b is not built in $BUILD"; done
intake_database
intake_start
reporting_start

echo "== reporting: regional report over $PERSONS statushouders loaded end to end"
echo "machine: $(machine_line)"
T0=$(now)
"$IMPORT_BENCH" --target "127.0.0.1:$INTAKE_PORT" --datagen_gemeenten 3 --seed 1 \
  --rows "$PERSONS" --ids_out "$WORK/imported.txt" >"$WORK/import.json" 2>"$WORK/import.err" ||
  die "import failed: $(tail -3 "$WORK/import.err")"
T1=$(now)
echo "import:       $(cat "$WORK/import.json"), load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$(wc -l <"$WORK/imported.txt")" -eq "$PERSONS" ] || die "imported $(wc -l <"$WORK/imported.txt") of $PERSONS"
"$LOAD_REGION" --kind trajectories --target "127.0.0.1:$INTAKE_PORT" --input "$WORK/imported.txt" \
  --seed 1 --gemeenten 3 --fraction "$FRACTION" --inflight 64 2>"$WORK/trajectories.txt" ||
  die "trajectory updates failed: $(cat "$WORK/trajectories.txt")"
T2=$(now)
echo "trajectories: $(tr '\n' ' ' <"$WORK/trajectories.txt"), load average $(cut -d' ' -f1-3 /proc/loadavg)"
drain 3600
((DRAIN_LEFT == 0)) || die "reporting did not catch up within an hour: $DRAIN"
T3=$(now)
read -r EVENTS _ < <(cursors)
awk -v a="$T0" -v b="$T1" -v c="$T2" -v d="$T3" -v n="$EVENTS" 'BEGIN {
  printf "pipeline:     %d events; import %.1f s, trajectories %.1f s, reporting caught up %.1f s after the import began (%.0f events/s overall)\n",
    n, b - a, c - b, d - a, n / (d - a) }'
echo "              reporting after the load: $DRAIN; load average $(cut -d' ' -f1-3 /proc/loadavg)"
INBURGERING_MYSQL_PASSWORD="$APP_PASSWORD" "$REPORT_BENCH" --reporting_target "127.0.0.1:$REPORTING_PORT" \
  --mysql_host 127.0.0.1 --mysql_port "$DB_PORT" --mysql_user inburgering \
  --mysql_schema "${SCHEMA}_reporting" --persons "$PERSONS" --report_iterations "$ITERATIONS" \
  --group_by_iterations "$GROUP_BY_ITERATIONS" 2>"$WORK/report.err" || die "report_bench failed: $(tail -5 "$WORK/report.err")"
echo "target: GetRegionalReport p99 <= 20 ms, >= 50x faster than the GROUP BY"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

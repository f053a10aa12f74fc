#!/usr/bin/env bash
# Scenario "regional report at scale": a Haaglanden report (3 gemeenten + totaal, 58 months) over
# N synthetic statushouders, read from the maintained aggregates through the service's own code
# (MysqlReportStore + report building + disclosure control), side by side with the same figures
# computed by GROUP BY over one source row per person, in one run on the private MariaDB.
#
#   bench/scenarios/reporting_regional_report.sh [--persons N] [--reuse] [--smoke]
#
# --reuse: skip generating and loading (reuse the previous run's data in t_reporting_bench).
# --smoke: 5,000 persons and few iterations, no build (for a quick check that it still runs).
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

PERSONS=1000000
LOAD=true
ITERATIONS=300
GROUP_BY_ITERATIONS=3
SMOKE=0
while (($#)); do
  case "$1" in
    --persons) PERSONS=$2; shift 2 ;;
    --reuse) LOAD=false; shift ;;
    --smoke) SMOKE=1; PERSONS=5000; ITERATIONS=20; GROUP_BY_ITERATIONS=1; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done

BENCH="$BUILD/reporting-service/reporting_report_bench"
if ((!SMOKE)); then
  ninja -C "$BUILD" -j2 reporting_report_bench >/dev/null || die "build of reporting_report_bench failed"
fi
[[ -x "$BENCH" ]] || die "$BENCH is not built"
db_start
# The test user may create t_* schemas only; the bench data never touches the dev schemas.
mysql_admin -e "CREATE DATABASE IF NOT EXISTS t_reporting_bench CHARACTER SET utf8mb4"

echo "== reporting: regional report at scale, $(date -u +'%Y-%m-%d %H:%M UTC')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
INBURGERING_MYSQL_PASSWORD="$(secret mysql_test_password)" "$BENCH" \
  --mysql_host=127.0.0.1 --mysql_port="$DB_PORT" --mysql_user=inburgering_test \
  --mysql_schema=t_reporting_bench --persons="$PERSONS" --load="$LOAD" \
  --report_iterations="$ITERATIONS" --group_by_iterations="$GROUP_BY_ITERATIONS" 2>/dev/null
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Scenario "national werkplekken through the public RPC": datagen's werkplekken of the national
# set (default 100,000 over 340 gemeenten) loaded into a matching-service on a fresh scratch schema
# through RegisterWerkplek only (bench/load_region --kind werkplekken, each call as a wsp of the
# werkplek's gemeente), then counted back in the matching schema with SELECT COUNT.
#
#   bench/scenarios/matching_load_werkplekken.sh [--werkplekken N] [--gemeenten G] [--inflight K]
#   bench/scenarios/matching_load_werkplekken.sh --smoke   # 2,000 over 340 gemeenten, no build
#
# matching-service authorises RegisterWerkplek for a wsp (or beheerder) of a gemeente in a
# configured region and keeps the werkplek in that region; the dev config knows Haaglanden only,
# so the scenario writes a config with every gemeente of the data: Haaglanden (the first three)
# and synthetic regions of ten gemeenten each, about as many as the 35 arbeidsmarktregio's.
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

WERKPLEKKEN=100000
GEMEENTEN=340
INFLIGHT=64
SMOKE=0
while (($#)); do
  case "$1" in
    --werkplekken) WERKPLEKKEN=$2; shift 2 ;;
    --gemeenten) GEMEENTEN=$2; shift 2 ;;
    --inflight) INFLIGHT=$2; shift 2 ;;
    --smoke) SMOKE=1; WERKPLEKKEN=2000; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done

SCHEMA=t_bench_werkplekken
# shellcheck source=../scripts/intake_common.sh
source "$ROOT/bench/scripts/intake_common.sh"
intake_build "$SMOKE" matching_server
intake_database

"$DATAGEN" --kind werkplekken --seed 1 --gemeenten "$GEMEENTEN" --werkplekken "$WERKPLEKKEN" \
  >"$WORK/werkplekken.jsonl"
# The regions from the gemeenten the rows name (datagen's codes, in the order of their rows).
python3 - "$ROOT/config/dev/matching.json" "$WORK/werkplekken.jsonl" >"$WORK/matching.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
codes = []
for line in open(sys.argv[2]):
    code = json.loads(line)["werkplek"]["gemeente"]
    if code not in codes:
        codes.append(code)
haaglanden = [c for c in codes if c in ("GM0603", "GM0518", "GM0503")]
rest = [c for c in codes if c not in haaglanden]
regions = [{"id": "haaglanden", "name": "Haaglanden", "gemeenten": haaglanden}] if haaglanden else []
for i in range(0, len(rest), 10):
    regions.append({"id": "regio-%02d" % (i // 10 + 1), "name": "Synthetische regio %d" % (i // 10 + 1),
                    "gemeenten": rest[i:i + 10]})
config["regions"] = {"gemeenten": [{"code": c, "name": c} for c in codes], "regions": regions}
json.dump(config, sys.stdout)
PY
matching_start "$WORK/matching.json"

echo "== matching: $WERKPLEKKEN werkplekken over $GEMEENTEN gemeenten through RegisterWerkplek"
echo "machine: $(machine_line)"
START=$(now)
"$LOAD_REGION" --kind werkplekken --target "127.0.0.1:$MATCHING_PORT" \
  --input "$WORK/werkplekken.jsonl" --inflight "$INFLIGHT" 2>"$WORK/load.txt" && rc=0 || rc=$?
END=$(now)
cat "$WORK/load.txt"
((rc == 0)) || die "load_region exited $rc"
read -r ROWS GEMEENTEN_STORED REGIONS < <(mysql_admin -N -B -e \
  "SELECT COUNT(*), COUNT(DISTINCT gemeente), COUNT(DISTINCT region) FROM ${SCHEMA}_matching.werkplekken")
echo "stored in ${SCHEMA}_matching.werkplekken: $ROWS rows, $GEMEENTEN_STORED gemeenten, $REGIONS regions"
awk -v a="$START" -v b="$END" -v n="$WERKPLEKKEN" \
  'BEGIN { printf "loaded %d werkplekken in %.1f s (%.0f/s), load average after: ", n, b - a, n / (b - a) }'
cut -d' ' -f1-3 /proc/loadavg
echo "matching-service RSS: $(awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$MATCHING_PID/status")"
[ "$ROWS" -eq "$WERKPLEKKEN" ] || die "the matching schema holds $ROWS werkplekken, not $WERKPLEKKEN"
# The config written above lists every gemeente the rows name, once.
DISTINCT=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["regions"]["gemeenten"]))' "$WORK/matching.json")
[ "$GEMEENTEN_STORED" -eq "$DISTINCT" ] || die "stored over $GEMEENTEN_STORED gemeenten, the rows name $DISTINCT"

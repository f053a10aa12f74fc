#!/usr/bin/env bash
# The `inburgering` binary as gemeente IT uses it: through the real gateway with bearer tokens, in
# front of the real services (tests/support/test_stack.sh). Checks the import summary, the rejects
# file, listing, the exit codes scripts rely on (0 ok, 3 not found, 4 denied, 6 rejected rows), and
# that no BSN or name it sent shows up in any log of the stack.
# Usage: cli_gateway_e2e_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1
ROOT=$2
source "$ROOT/tests/support/test_stack.sh"
start_test_stack "$BUILD" "$ROOT"

CLI="$BUILD/cli/inburgering"
passed=0 failed=0
expect() {  # description expected-exit command...
  local what=$1 want=$2; shift 2
  set +e; "$@" >"$WORK/out" 2>"$WORK/err"; local got=$?; set -e
  if [ "$got" = "$want" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $what: exit $got, expected $want"; cat "$WORK/err"
  fi
}
contains() {  # description file text
  if grep -q -- "$3" "$2"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $1: '$3' not in $(basename "$2")"; cat "$2"
  fi
}

export INBURGERING_TARGET="$GRPC" INBURGERING_TOKEN=demo-consulent-rijswijk
rows=$(($(wc -l <"$ROOT/cli/examples/statushouders.csv") - 1))
expect "import the example file" 0 "$CLI" import statushouders "$ROOT/cli/examples/statushouders.csv" \
  --rejects="$WORK/example.rejects.csv"
contains "import summary" "$WORK/out" "created  *$rows$"

expect "list as JSON" 0 "$CLI" statushouder list --format=json
count=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("statushouders", [])))' "$WORK/out")
[ "$count" = "$rows" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: listed $count, imported $rows"; }

# A bad file: one good row, a bad BSN, an impossible date. The good row lands, the others are named.
{ head -1 "$ROOT/cli/examples/statushouders.csv"
  echo "123456782;Sara;Bakker;1988-03-01;v;overig;UA;2026-10-01;;nee;;;ja;hbo;2330;;ma-o;;;;;;nee"
  echo "123456789;Fout;Bsn;1988-03-01;v;overig;UA;2026-10-01;;nee;;;ja;hbo;2330;;ma-o;;;;;;nee"
  echo "111222333;Fout;Datum;1988-02-30;v;overig;UA;2026-10-01;;nee;;;ja;hbo;2330;;ma-o;;;;;;nee"
} >"$WORK/bad.csv"
expect "import with rejected rows" 6 "$CLI" import statushouders "$WORK/bad.csv" --rejects="$WORK/bad.rejects.csv"
contains "bad import summary" "$WORK/out" "created  *1$"
contains "rejects name the BSN column" "$WORK/bad.rejects.csv" "bsn"
contains "rejects name the date column" "$WORK/bad.rejects.csv" "geboortedatum"

expect "another gemeente's id is not found" 3 env INBURGERING_TOKEN=demo-consulent-delft \
  "$CLI" statushouder get 01ARZ3NDEKTSV4RRFFQ69G5FAV
expect "an analist may not list statushouders" 4 env INBURGERING_TOKEN=demo-analist-haaglanden \
  "$CLI" statushouder list
expect "an unknown token is denied" 4 env INBURGERING_TOKEN=not-a-token "$CLI" statushouder list
contains "errors are one line on stderr" "$WORK/err" "UNAUTHENTICATED"

# Privacy: no BSN or name that went through the stack appears in any service's or the gateway's log.
leaks=0
while IFS=';' read -r bsn given family _; do
  for secret in "$bsn" "$given" "$family"; do
    [ -n "$secret" ] || continue
    if grep -q -F -- "$secret" "$WORK"/*.log; then
      leaks=$((leaks + 1)); echo "FAIL: personal data in the logs: field of row with BSN ending ${bsn: -3}"
    fi
  done
done < <(tail -n +2 "$ROOT/cli/examples/statushouders.csv"; tail -n +2 "$WORK/bad.csv")
[ "$leaks" = 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
[ -s "$WORK/gateway.log" ] && [ -s "$WORK/intake.log" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the logs to check are empty"; }

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# The dashboard as a user sees it: the real services and gateway on free loopback ports against
# fresh schemas of the test MariaDB (tests/support/test_stack.sh), the demo region loaded through the
# JSON endpoint, then headless Chromium opens /dashboard with the analist's token. The page must
# show every table of the regional report with the same figures, and every suppressed cell as
# suppressed. Usage: dashboard_browser_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1
ROOT=$2
command -v chromium >/dev/null || { echo "chromium is not installed (scripts/lib.sh installs it)"; exit 1; }

source "$ROOT/tests/support/test_stack.sh"
start_test_stack "$BUILD" "$ROOT"

GATEWAY_HTTP="$HTTP" DEMO_PER_GEMEENTE=12 "$ROOT/scripts/demo-data.sh" >"$WORK/demo.log" 2>&1 || true
grep -q ", 0 failed" "$WORK/demo.log" || { echo "demo data did not load:"; cat "$WORK/demo.log"; exit 1; }

# The figures the page should show, straight from the JSON API; reporting follows intake's stream,
# so wait until all 36 are counted.
FROM=$(date -u +%Y-%m-01 -d "$(date -u +%Y-%m-15) -11 months"); TO=$(date -u +%Y-%m-01 -d "$(date -u +%Y-%m-15) +1 month")
for _ in $(seq 1 100); do
  curl -s -H 'Authorization: Bearer demo-consulent-denhaag' -H 'Content-Type: application/json' \
    -d "{\"gemeente\":\"GM0518\",\"period\":{\"from\":\"$FROM\",\"to\":\"$TO\"}}" \
    "http://$HTTP/inburgering.v1.ReportingService/GetGemeenteReport" >"$WORK/own.json"
  grep -q '"key":"totaal","label":"Totaal","cells":\[{"count":"12"}' "$WORK/own.json" && break
  sleep 0.1
done
curl -s -H 'Authorization: Bearer demo-analist-haaglanden' -H 'Content-Type: application/json' \
  -d "{\"region\":\"haaglanden\",\"period\":{\"from\":\"$FROM\",\"to\":\"$TO\"}}" \
  "http://$HTTP/inburgering.v1.ReportingService/GetRegionalReport" >"$WORK/report.json"

timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/chromium" \
  --virtual-time-budget=10000 --dump-dom \
  "http://$HTTP/dashboard#token=demo-analist-haaglanden&auto=1" >"$WORK/dom.html" 2>"$WORK/chromium.log"

/usr/bin/python3 - "$WORK/report.json" "$WORK/dom.html" <<'PYTHON'
import html.parser, json, sys
report = json.load(open(sys.argv[1]))
dom = open(sys.argv[2], encoding="utf-8").read()

class Cells(html.parser.HTMLParser):
    """Collects the text of every table cell, per table, in document order."""
    def __init__(self):
        super().__init__(); self.tables = []; self.cell = None; self.status = ""; self.in_status = False
    def handle_starttag(self, tag, attrs):
        if tag == "table": self.tables.append([])
        if tag == "td" and self.tables: self.cell = ""
        if dict(attrs).get("id") == "status": self.in_status = True
    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None: self.tables[-1].append(self.cell.strip()); self.cell = None
        if tag == "div": self.in_status = False
    def handle_data(self, data):
        if self.cell is not None: self.cell += data
        if self.in_status: self.status += data

page = Cells(); page.feed(dom)
failures = []
def check(ok, what):
    if not ok: failures.append(what)
check("Cijfers geladen" in page.status, f"status line says '{page.status.strip()}'")
check(len(page.tables) == len(report["tables"]), f"{len(page.tables)} tables shown, report has {len(report['tables'])}")
for table, shown in zip(report["tables"], page.tables):
    check(table["title"] in dom, f"title '{table['title']}' missing")
    expected = []
    for row in table["rows"]:
        expected.append(row["label"])
        for cell in row["cells"]:
            if cell.get("suppressed"): expected.append("onderdrukt")
            elif "count" in cell: expected.append(str(cell["count"]))
            else: expected.append(None)  # percentages and days: formatted, checked by presence only
    values = [c for c in shown]
    check(len(values) == len(expected), f"{table['key']}: {len(values)} cells shown, {len(expected)} expected")
    for want, got in zip(expected, values):
        if want is None: continue
        check(want in got, f"{table['key']}: cell shows '{got}', expected '{want}'")
suppressed = sum(c.get("suppressed", False) for t in report["tables"] for r in t["rows"] for c in r["cells"])
check(suppressed > 0, "the analist's regional report suppresses nothing: the check would prove little")
check(dom.count("onderdrukt") >= suppressed, "fewer suppressed cells shown than the report has")
for f in failures[:20]: print("FAIL:", f)
print("status line:", page.status.strip())
cells = sum(len(t) for t in page.tables)
print(f"dashboard showed {len(page.tables)} tables, {cells} cells, {suppressed} suppressed")
print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
PYTHON

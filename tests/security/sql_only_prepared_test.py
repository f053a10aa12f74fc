#!/usr/bin/python3
"""SQL reaches the database only as prepared statements with fixed text.

Scans the C++ sources: no plain `createStatement` (text protocol), and every `Prepare(` /
`prepareStatement(` takes a string literal or a kConstant, never text built at run time, so user
input can only ever travel as a bound parameter. Migrations (checked-in .sql files) and test
set-up are the only places allowed to prepare other text.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE_DIRS = ["common", "intake-service", "matching-service", "reporting-service", "gateway",
               "cli", "tools", "bench"]
# file -> why it may prepare non-literal text
ALLOWED = {
    "common/migrations.cc": "statements of the checked-in migrations/*.sql files",
    "common/mysql_pool.cc": "the statement cache, handed the callers' literals",
    "common/mysql_pool.h": "the statement cache, handed the callers' literals",
    "common/request_ledger.cc": "the fixed texts of a constexpr RequestLedger of the caller",
    "common/chunked_statement.h": "texts built once from the callers' fixed fragments",
    "bench/event_lag.cc": "a benchmark tool naming the intake schema of its own --intake_schema "
                          "flag (a table qualifier cannot be a parameter); no request data",
}
PREPARE = re.compile(r"(?:\.|->)\s*(Prepare|prepareStatement)\(\s*")
# A literal, a kConstant, or a choice between literals (`for_update ? "..." : "..."`).
LITERAL_OR_CONSTANT = re.compile(r'(R?")|(k[A-Z]\w*\s*[,)])|([\w.()]+\s*\?\s*")')


def main() -> int:
    problems = []
    scanned = 0
    for d in SOURCE_DIRS:
        for path in sorted((ROOT / d).rglob("*")):
            if path.suffix not in (".cc", ".h") or not path.is_file():
                continue
            rel = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding="utf-8", errors="replace")
            scanned += 1
            for m in re.finditer(r"createStatement\s*\(", text):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{rel}:{line}: createStatement sends unprepared SQL text")
            if rel in ALLOWED:
                continue
            for m in PREPARE.finditer(text):
                if not LITERAL_OR_CONSTANT.match(text, m.end()):
                    line = text.count("\n", 0, m.start()) + 1
                    problems.append(f"{rel}:{line}: {m.group(1)} with SQL text built at run time")
    for p in problems:
        print(p)
    print(f"scanned {scanned} source files")
    if scanned < 10:
        print("too few files scanned: is the tree where this test expects it?")
        return 1
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

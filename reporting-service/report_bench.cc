// report_bench: the regional report of a running reporting-service, timed through its gRPC
// port (GetRegionalReport as an analist), side by side with the same figures computed by GROUP BY
// over one source row per person, in one run on one database. Used by
// bench/scenarios/reporting_regional_report.sh, which loads the persons end to end first
// (ImportStatushouders and trajectory updates into intake-service, reporting consuming intake's
// event stream).
//
// The source rows for the GROUP BY: intake's statushouders table has columns for a few
// dimensions only (phase, type, leerroute, bijstand); the vestiging month, origin, brede intake,
// PIP timeliness and language levels are inside its serialized record, so no GROUP BY over it
// gives the report's figures. Reporting's persons table holds one row per person with exactly the
// facts the report counts, but as keys_text lines. So this tool materialises, before timing, one
// row per person of reporting's persons (ledger 0) with each dimension in a column of its own and
// an index on (gemeente, month): the best case for a GROUP BY (no parsing at query time), built
// from the same persons the aggregates count. The materialising is not timed.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/config.h"
#include "common/dates.h"
#include "common/log.h"
#include "common/principal.h"
#include "common/startup.h"
#include "common/status.h"
#include "inburgering/v1/reporting.grpc.pb.h"
#include "reporting-service/contributions.h"
#include "reporting-service/projection.h"

ABSL_FLAG(std::string, reporting_target, "127.0.0.1:50063", "reporting-service (plaintext)");
ABSL_FLAG(std::string, region, "haaglanden", "the region of the report");
ABSL_FLAG(std::string, gemeente, "GM0603", "the analist's gemeente (one of the region)");
ABSL_FLAG(int64_t, persons, -1,
          "the number of statushouders loaded: the report's population and the source rows must "
          "equal it (-1: not checked)");
ABSL_FLAG(int, report_iterations, 300, "timed GetRegionalReport calls (after 20 untimed)");
ABSL_FLAG(int, group_by_iterations, 3, "timed GROUP BY computations over the source rows");

namespace inburgering::reporting {
namespace {

const std::vector<std::string> kDimensions = {"type",
                                              "herkomst",
                                              "bijstand",
                                              "geschoold",
                                              "leerroute",
                                              "fase",
                                              "brede_intake",
                                              "intakegroep",
                                              "pip",
                                              "plaatsing",
                                              "b1",
                                              "integratieroute",
                                              "bijstand_uitstroom",
                                              "dagen_vestiging_pip",
                                              "dagen_vestiging_plaatsing",
                                              "dagen_vestiging_b1"};

// One source row per person of reporting's persons (ledger 0): its keys decoded into columns.
// Returns the number of rows.
absl::StatusOr<int64_t> MaterialiseSourceRows(MysqlPool& pool) {
  RETURN_IF_ERROR(pool.InTransaction("bench source reset", [](PooledConnection& c) {
    c.Prepare("DROP TABLE IF EXISTS bench_source").executeUpdate();
    c.Prepare(
         "CREATE TABLE bench_source (id VARCHAR(64) NOT NULL PRIMARY KEY, "
         "gemeente CHAR(6) NOT NULL, month CHAR(7) NOT NULL, type VARCHAR(24), herkomst "
         "VARCHAR(24), bijstand VARCHAR(24), geschoold VARCHAR(24), leerroute VARCHAR(24), fase "
         "VARCHAR(24), brede_intake VARCHAR(24), intakegroep VARCHAR(24), pip VARCHAR(24), "
         "plaatsing VARCHAR(24), b1 VARCHAR(24), integratieroute VARCHAR(24), bijstand_uitstroom "
         "VARCHAR(24), dagen_vestiging_pip INT, dagen_vestiging_plaatsing INT, dagen_vestiging_b1 "
         "INT, KEY bench_source_gemeente_month (gemeente, month)) ENGINE=InnoDB")
        .executeUpdate();
    return absl::OkStatus();
  }));
  constexpr int kRowsPerInsert = 200;
  constexpr int kColumns = 19;
  // Fixed text and placeholders only (the values are bound): full statements of 200 rows, and
  // one row at a time for the last part of the last page.
  static const std::string kInsertHead =
      "INSERT INTO bench_source (id, gemeente, month, type, herkomst, bijstand, geschoold, "
      "leerroute, fase, brede_intake, intakegroep, pip, plaatsing, b1, integratieroute, "
      "bijstand_uitstroom, dagen_vestiging_pip, dagen_vestiging_plaatsing, dagen_vestiging_b1) "
      "VALUES ";
  static const std::string kInsertRow = kInsertHead + "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  static const std::string kInsertRows = [] {
    std::string insert = kInsertHead;
    for (int r = 0; r < kRowsPerInsert; ++r) {
      absl::StrAppend(&insert, r == 0 ? "" : ",", "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    }
    return insert;
  }();
  struct Row {
    std::string id, gemeente, month;
    std::map<std::string, std::string> values;  // dimension -> value
  };
  // Binds `row` as the statement's row number `r` (from 0).
  auto bind = [](sql::PreparedStatement& statement, int r, const Row& row) {
    const int at = r * kColumns;
    statement.setString(at + 1, row.id);
    statement.setString(at + 2, row.gemeente);
    statement.setString(at + 3, row.month);
    int col = at + 4;
    for (const std::string& d : kDimensions) {
      auto it = row.values.find(d);
      const bool days = d.rfind("dagen_", 0) == 0;
      int64_t n = 0;
      if (it == row.values.end() || (days && !absl::SimpleAtoi(it->second, &n))) {
        statement.setNull(col, days ? sql::DataType::INTEGER : sql::DataType::VARCHAR);
      } else if (days) {
        statement.setInt64(col, n);
      } else {
        statement.setString(col, it->second);
      }
      ++col;
    }
  };
  auto write = [&](const std::vector<Row>& rows) {
    return pool.InTransaction("bench source load", [&](PooledConnection& c) {
      if (static_cast<int>(rows.size()) == kRowsPerInsert) {
        auto& statement = c.Prepare(kInsertRows);
        for (int r = 0; r < kRowsPerInsert; ++r) bind(statement, r, rows[static_cast<size_t>(r)]);
        statement.executeUpdate();
      } else {
        auto& statement = c.Prepare(kInsertRow);
        for (const Row& row : rows) {
          bind(statement, 0, row);
          statement.executeUpdate();
        }
      }
      return absl::OkStatus();
    });
  };
  int64_t total = 0;
  std::string after;
  for (;;) {
    std::vector<Row> page;
    RETURN_IF_ERROR(pool.Run("bench persons page", [&](PooledConnection& c) {
      auto& select = c.Prepare(
          "SELECT id, gemeente, keys_text FROM persons WHERE ledger = 0 AND id > ? ORDER BY id "
          "LIMIT 5000");
      select.setString(1, after);
      std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
      while (rs->next()) {
        Row row{rs->getString(1), rs->getString(2), "", {}};
        // A person counts in one month (contributions.h); every key of the person names it.
        for (const AggregateKey& k : DecodeKeys(row.gemeente, rs->getString(3))) {
          row.month = k.month;
          row.values[k.dimension] = k.value;
        }
        page.push_back(std::move(row));
      }
      return absl::OkStatus();
    }));
    if (page.empty()) break;
    after = page.back().id;
    for (size_t from = 0; from < page.size(); from += kRowsPerInsert) {
      const size_t to = std::min(page.size(), from + kRowsPerInsert);
      RETURN_IF_ERROR(write(std::vector<Row>(page.begin() + from, page.begin() + to)));
    }
    total += static_cast<int64_t>(page.size());
  }
  return total;
}

// The figures of the regional report computed from the source rows: one GROUP BY per dimension.
// `from` and `to` are months ("2022-01"), `to` exclusive; `population` gets the persons per
// gemeente (the first query), `rows_out` the number of result rows of all of them.
absl::Status GroupByOverSourceRows(MysqlPool& pool, const std::string& from, const std::string& to,
                                   std::map<std::string, int64_t>* population, int64_t* rows_out) {
  return pool.Run("bench group by", [&](PooledConnection& c) {
    int64_t rows = 0;
    auto run = [&](sql::PreparedStatement& statement) {
      statement.setString(1, from);
      statement.setString(2, to);
      std::unique_ptr<sql::ResultSet> rs(statement.executeQuery());
      while (rs->next()) ++rows;
    };
    {
      auto& per_gemeente = c.Prepare(
          "SELECT gemeente, COUNT(*) FROM bench_source WHERE month >= ? AND month < ? "
          "GROUP BY gemeente");
      per_gemeente.setString(1, from);
      per_gemeente.setString(2, to);
      std::unique_ptr<sql::ResultSet> rs(per_gemeente.executeQuery());
      population->clear();
      while (rs->next()) {
        (*population)[rs->getString(1)] = rs->getInt64(2);
        ++rows;
      }
    }
    run(
        c.Prepare("SELECT gemeente, type, COUNT(*) FROM bench_source WHERE month >= ? AND month "
                  "< ? GROUP BY gemeente, type"));
    run(
        c.Prepare("SELECT gemeente, herkomst, COUNT(*) FROM bench_source WHERE month >= ? AND "
                  "month < ? GROUP BY gemeente, herkomst"));
    run(
        c.Prepare("SELECT gemeente, bijstand, COUNT(*) FROM bench_source WHERE month >= ? AND "
                  "month < ? GROUP BY gemeente, bijstand"));
    run(
        c.Prepare("SELECT gemeente, geschoold, COUNT(*) FROM bench_source WHERE month >= ? AND "
                  "month < ? GROUP BY gemeente, geschoold"));
    run(
        c.Prepare("SELECT gemeente, leerroute, COUNT(*) FROM bench_source WHERE month >= ? AND "
                  "month < ? GROUP BY gemeente, leerroute"));
    run(
        c.Prepare("SELECT gemeente, fase, COUNT(*) FROM bench_source WHERE month >= ? AND month "
                  "< ? GROUP BY gemeente, fase"));
    run(
        c.Prepare("SELECT gemeente, brede_intake, intakegroep, COUNT(*) FROM bench_source WHERE "
                  "month >= ? AND month < ? GROUP BY gemeente, brede_intake, intakegroep"));
    run(
        c.Prepare("SELECT gemeente, pip, COUNT(*) FROM bench_source WHERE month >= ? AND month "
                  "< ? GROUP BY gemeente, pip"));
    run(
        c.Prepare("SELECT gemeente, plaatsing, b1, COUNT(*) FROM bench_source WHERE month >= ? "
                  "AND month < ? GROUP BY gemeente, plaatsing, b1"));
    run(
        c.Prepare("SELECT gemeente, integratieroute, COUNT(*) FROM bench_source WHERE month >= ? "
                  "AND month < ? GROUP BY gemeente, integratieroute"));
    run(
        c.Prepare("SELECT gemeente, bijstand_uitstroom, COUNT(*) FROM bench_source WHERE month "
                  ">= ? AND month < ? GROUP BY gemeente, bijstand_uitstroom"));
    run(
        c.Prepare("SELECT gemeente, dagen_vestiging_pip, COUNT(*) FROM bench_source WHERE month "
                  ">= ? AND month < ? AND dagen_vestiging_pip IS NOT NULL GROUP BY gemeente, "
                  "dagen_vestiging_pip"));
    run(
        c.Prepare("SELECT gemeente, dagen_vestiging_plaatsing, COUNT(*) FROM bench_source WHERE "
                  "month >= ? AND month < ? AND dagen_vestiging_plaatsing IS NOT NULL GROUP BY "
                  "gemeente, dagen_vestiging_plaatsing"));
    run(
        c.Prepare("SELECT gemeente, dagen_vestiging_b1, COUNT(*) FROM bench_source WHERE month "
                  ">= ? AND month < ? AND dagen_vestiging_b1 IS NOT NULL GROUP BY gemeente, "
                  "dagen_vestiging_b1"));
    *rows_out = rows;
    return absl::OkStatus();
  });
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

int Run() {
  auto pool = OpenDatabase("reporting_bench", ReportingMigrations());
  if (!pool.ok()) return StartupFailed("report_bench", pool.status());
  const int64_t expected = absl::GetFlag(FLAGS_persons);
  const absl::Time m0 = absl::Now();
  auto source_rows = MaterialiseSourceRows(**pool);
  if (!source_rows.ok()) return StartupFailed("report_bench", source_rows.status());
  std::printf("source rows: %lld persons of reporting's persons table, one row each (%.1f s)\n",
              static_cast<long long>(*source_rows), absl::ToDoubleSeconds(absl::Now() - m0));

  // From 2022-01 up to next month, the latest period the service accepts: a person counts in the
  // month of the vestiging, or of the registration while still in the azc (this month). In
  // Amsterdam time, as the service checks it.
  const absl::CivilMonth next_month = absl::CivilMonth(AmsterdamToday()) + 1;
  v1::GetRegionalReportRequest request;
  request.set_region(absl::GetFlag(FLAGS_region));
  request.mutable_period()->set_from("2022-01-01");
  request.mutable_period()->set_to(FormatDate(absl::CivilDay(next_month)));
  auto stub = v1::ReportingService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_reporting_target), grpc::InsecureChannelCredentials()));
  const Principal analist{absl::GetFlag(FLAGS_gemeente), Role::kAnalist, "bench"};

  std::vector<double> report_ms;
  v1::Report report;
  for (int i = 0; i < 20 + absl::GetFlag(FLAGS_report_iterations); ++i) {
    grpc::ClientContext context;
    AttachPrincipal(analist, context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const absl::Time t0 = absl::Now();
    grpc::Status status = stub->GetRegionalReport(&context, request, &report);
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
    if (!status.ok()) {
      std::fprintf(stderr, "report_bench: GetRegionalReport: %d %s\n", status.error_code(),
                   status.error_message().c_str());
      return 1;
    }
    if (i >= 20) report_ms.push_back(ms);
  }
  std::vector<double> group_by_ms;
  std::map<std::string, int64_t> group_by_population;
  int64_t rows = 0;
  for (int i = 0; i < absl::GetFlag(FLAGS_group_by_iterations); ++i) {
    const absl::Time t0 = absl::Now();
    if (absl::Status s = GroupByOverSourceRows(**pool, "2022-01", absl::FormatCivilTime(next_month),
                                               &group_by_population, &rows);
        !s.ok()) {
      return StartupFailed("report_bench", s);
    }
    group_by_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }

  // The first table's first row is the population: a cell per gemeente of the region, then the
  // region's total. Every cell disclosure control shows must equal the GROUP BY's count; the
  // analist's own gemeente is always shown. (With few persons, secondary suppression may hide the
  // other gemeenten and the total: small cells elsewhere would otherwise follow from them.)
  const v1::ReportTable& first = report.tables(0);
  const v1::ReportRow& population_row = first.rows(0);
  const int total_column = population_row.cells_size() - 1;
  int64_t group_by_total = 0;
  bool agree = true;
  for (int c = 0; c <= total_column; ++c) {
    const v1::ReportCell& cell = population_row.cells(c);
    int64_t counted = 0;
    if (c < total_column) {
      counted = group_by_population[first.columns(c)];
      group_by_total += counted;
    } else {
      counted = group_by_total;  // the region's columns only, not persons outside it
    }
    const bool own = first.columns(c) == analist.gemeente;
    if ((own && cell.suppressed()) || (!cell.suppressed() && cell.count() != counted)) {
      std::fprintf(stderr, "report_bench: %s: report %s, GROUP BY %lld persons\n",
                   first.columns(c).c_str(),
                   cell.suppressed() ? "suppressed" : absl::StrCat(cell.count()).c_str(),
                   static_cast<long long>(counted));
      agree = false;
    }
  }
  if (!agree) {
    std::fprintf(stderr, "report_bench: the population row: %s\n",
                 population_row.ShortDebugString().c_str());
  }
  const bool total_shown = !population_row.cells(total_column).suppressed();
  const int64_t population = population_row.cells(total_column).count();
  const double group_by_median = Percentile(group_by_ms, 0.5);
  std::printf("regional report %s, %s .. %s (%d gemeenten + totaal), population %s\n",
              request.region().c_str(), request.period().from().c_str(),
              request.period().to().c_str(), total_column,
              total_shown ? absl::StrCat(population).c_str()
                          : "suppressed (too few persons for disclosure control)");
  std::printf(
      "  GetRegionalReport (gRPC):  n=%zu p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.2f ms\n",
      report_ms.size(), Percentile(report_ms, 0.5), Percentile(report_ms, 0.9),
      Percentile(report_ms, 0.99), Percentile(report_ms, 1.0));
  std::printf("  GROUP BY source rows:      n=%zu median=%.1f ms min=%.1f ms (%lld result rows)\n",
              group_by_ms.size(), group_by_median,
              *std::min_element(group_by_ms.begin(), group_by_ms.end()),
              static_cast<long long>(rows));
  std::printf("  speed-up (GROUP BY median / report p99): %.0fx, (/ p50): %.0fx\n",
              group_by_median / Percentile(report_ms, 0.99),
              group_by_median / Percentile(report_ms, 0.5));
  if (!agree || (expected >= 0 && (group_by_total != expected || *source_rows != expected ||
                                   (total_shown && population != expected)))) {
    std::fprintf(stderr,
                 "report_bench: counts disagree: %lld loaded, %lld source rows, report total "
                 "%lld, GROUP BY %lld\n",
                 static_cast<long long>(expected), static_cast<long long>(*source_rows),
                 static_cast<long long>(population), static_cast<long long>(group_by_total));
    return 3;
  }
  return 0;
}

}  // namespace
}  // namespace inburgering::reporting

int main(int argc, char** argv) {
  inburgering::ParseFlagsWithEnvironment(argc, argv, "report_bench: regional report at scale");
  inburgering::InitLogging("report_bench");
  return inburgering::reporting::Run();
}

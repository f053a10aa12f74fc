// report_bench: a regional report over N synthetic statushouders, read from the maintained
// aggregates (the service's own code path: MysqlReportStore + report building + disclosure
// control) versus the same figures computed with GROUP BY over one source row per person, side by
// side in one run on one database. Used by bench/scenarios/reporting_regional_report.sh.
//
// The aggregates are filled from the same pure contribution functions the consumer applies, in
// bulk (the event path itself is covered by the integration tests, not timed here).
#include <algorithm>
#include <cstdio>
#include <random>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "common/startup.h"
#include "common/status.h"
#include "reporting-service/contributions.h"
#include "reporting-service/projection.h"
#include "reporting-service/report_store.h"
#include "reporting-service/reporting_service.h"

ABSL_FLAG(int, persons, 1000000, "number of synthetic statushouders");
ABSL_FLAG(int, report_iterations, 300, "timed regional reports from the aggregates");
ABSL_FLAG(int, group_by_iterations, 3, "timed GROUP BY computations over the source rows");
ABSL_FLAG(bool, load, true, "generate and load the data (false: reuse what a previous run loaded)");

namespace inburgering::reporting {
namespace {

const char* const kGemeenten[] = {"GM0603", "GM0518", "GM0503"};
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

// One synthetic person: a Statushouder as intake would send it, and placement facts.
std::pair<v1::Statushouder, PlacementFacts> Synthetic(int i, std::mt19937& rng) {
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  v1::Statushouder s;
  s.set_id(absl::StrCat("p", i));
  const int g = pick(10);
  s.set_gemeente(kGemeenten[g < 2 ? 0 : g < 8 ? 1 : 2]);
  s.set_type(static_cast<v1::StatushouderType>(1 + pick(3)));
  static const char* const kCountries[] = {"SY", "SY", "SY", "SY", "SY", "SY", "SY", "TR",
                                           "TR", "ER", "AF", "IQ", "IR", "YE", "UA"};
  s.set_country_of_origin(kCountries[pick(15)]);
  const absl::CivilDay vestiging = absl::CivilDay(2022, 1, 1) + pick(1760);
  s.set_vestigingsdatum(FormatDate(vestiging));
  s.set_phase(static_cast<v1::Phase>(2 + pick(6)));
  s.mutable_uitkering()->set_bijstand(pick(10) < 9);
  if (s.uitkering().bijstand() && pick(4) == 0) {
    s.mutable_uitkering()->set_end_date(FormatDate(vestiging + 200 + pick(400)));
  }
  s.mutable_opleiding()->set_geschoold(pick(10) < 6);
  if (pick(10) < 9) {
    s.mutable_brede_intake()->set_date(FormatDate(vestiging + pick(40)));
    s.mutable_brede_intake()->set_intake_groep(static_cast<v1::IntakeGroep>(1 + pick(3)));
  }
  if (s.phase() != v1::PHASE_INTAKE) {
    const int days = 20 + pick(90);
    s.mutable_pip()->set_date(FormatDate(vestiging + days));
    s.mutable_pip()->set_leerroute(static_cast<v1::Leerroute>(1 + pick(3)));
    s.mutable_pip()->set_on_time(days <= 70);
  }
  if (pick(3) == 0) {
    auto* a2 = s.add_language_measurements();
    a2->set_level(v1::CEFR_LEVEL_A2);
    a2->set_date(FormatDate(vestiging + 100 + pick(200)));
    if (pick(2) == 0) {
      auto* b1 = s.add_language_measurements();
      b1->set_level(v1::CEFR_LEVEL_B1);
      b1->set_date(FormatDate(vestiging + 320 + pick(400)));
    }
  }
  PlacementFacts facts;
  if (pick(3) == 0) {
    facts.first_start_date = FormatDate(vestiging + 60 + pick(300));
    facts.talend = pick(2) == 0;
    facts.route = 1 + pick(4);
  }
  return {s, facts};
}

absl::Status Load(MysqlPool& pool, int persons) {
  RETURN_IF_ERROR(pool.InTransaction("bench reset", [](PooledConnection& c) {
    c.Prepare("DELETE FROM aggregates WHERE ledger = 0").executeUpdate();
    c.Prepare("DELETE FROM histograms WHERE ledger = 0").executeUpdate();
    c.Prepare(
         "CREATE TABLE IF NOT EXISTS bench_source (id INT NOT NULL PRIMARY KEY, "
         "gemeente CHAR(6) NOT NULL, month CHAR(7) NOT NULL, type VARCHAR(24), herkomst "
         "VARCHAR(24), bijstand VARCHAR(24), geschoold VARCHAR(24), leerroute VARCHAR(24), fase "
         "VARCHAR(24), brede_intake VARCHAR(24), intakegroep VARCHAR(24), pip VARCHAR(24), "
         "plaatsing VARCHAR(24), b1 VARCHAR(24), integratieroute VARCHAR(24), bijstand_uitstroom "
         "VARCHAR(24), dagen_vestiging_pip INT, dagen_vestiging_plaatsing INT, dagen_vestiging_b1 "
         "INT, KEY bench_source_gemeente_month (gemeente, month)) ENGINE=InnoDB")
        .executeUpdate();
    c.Prepare("DELETE FROM bench_source").executeUpdate();
    return absl::OkStatus();
  }));
  std::mt19937 rng(20261123);
  std::map<AggregateKey, int64_t> counters;
  constexpr int kRowsPerInsert = 200;
  // Fixed text and placeholders only (the values are bound), built once.
  static const std::string kInsertRows = [] {
    std::string insert =
        "INSERT INTO bench_source (id, gemeente, month, type, herkomst, bijstand, geschoold, "
        "leerroute, fase, brede_intake, intakegroep, pip, plaatsing, b1, integratieroute, "
        "bijstand_uitstroom, dagen_vestiging_pip, dagen_vestiging_plaatsing, dagen_vestiging_b1) "
        "VALUES ";
    for (int r = 0; r < kRowsPerInsert; ++r) {
      absl::StrAppend(&insert, r == 0 ? "" : ",", "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    }
    return insert;
  }();
  const int kColumns = 19;
  const absl::Time start = absl::Now();
  for (int base = 0; base < persons; base += kRowsPerInsert) {
    std::vector<std::map<std::string, std::string>> rows;
    std::vector<std::pair<std::string, std::string>> where;  // gemeente, month
    for (int i = base; i < base + kRowsPerInsert; ++i) {
      auto [s, facts] = Synthetic(i, rng);
      std::map<std::string, std::string> row;
      std::string month;
      for (const AggregateKey& k : PersonContributions(s, facts)) {
        ++counters[k];
        row[k.dimension] = k.value;
        month = k.month;
      }
      rows.push_back(std::move(row));
      where.push_back({s.gemeente(), month});
    }
    RETURN_IF_ERROR(pool.InTransaction("bench load", [&](PooledConnection& c) {
      auto& statement = c.Prepare(kInsertRows);
      for (int r = 0; r < kRowsPerInsert; ++r) {
        const int at = r * kColumns;
        statement.setInt(at + 1, base + r);
        statement.setString(at + 2, where[r].first);
        statement.setString(at + 3, where[r].second);
        int col = at + 4;
        for (const std::string& d : kDimensions) {
          auto it = rows[r].find(d);
          if (d.rfind("dagen_", 0) == 0) {
            if (it == rows[r].end()) {
              statement.setNull(col, sql::DataType::INTEGER);
            } else {
              statement.setInt(col, std::stoi(it->second));
            }
          } else if (it == rows[r].end()) {
            statement.setNull(col, sql::DataType::VARCHAR);
          } else {
            statement.setString(col, it->second);
          }
          ++col;
        }
      }
      statement.executeUpdate();
      return absl::OkStatus();
    }));
  }
  // The year roll-up rows, as Projection::ApplyDelta writes them.
  std::map<AggregateKey, int64_t> years;
  for (const auto& [k, n] : counters) {
    AggregateKey year = k;
    year.month = YearBucket(k.month);
    years[year] += n;
  }
  counters.insert(years.begin(), years.end());
  // Histogram dimensions go into one row per bucket, as Projection::ApplyDelta keeps them.
  std::map<std::tuple<std::string, std::string, std::string>, std::map<int64_t, int64_t>> days;
  for (auto it = counters.begin(); it != counters.end();) {
    int64_t value;
    if (IsHistogramDimension(it->first.dimension) && absl::SimpleAtoi(it->first.value, &value)) {
      days[{it->first.gemeente, it->first.month, it->first.dimension}][value] += it->second;
      it = counters.erase(it);
    } else {
      ++it;
    }
  }
  RETURN_IF_ERROR(pool.InTransaction("bench aggregates", [&](PooledConnection& c) {
    auto& add = c.Prepare(
        "INSERT INTO aggregates (ledger, gemeente, month, dimension, value, count) "
        "VALUES (0, ?, ?, ?, ?, ?)");
    for (const auto& [k, n] : counters) {
      add.setString(1, k.gemeente);
      add.setString(2, k.month);
      add.setString(3, k.dimension);
      add.setString(4, k.value);
      add.setInt64(5, n);
      add.executeUpdate();
    }
    auto& histogram = c.Prepare(
        "INSERT INTO histograms (ledger, gemeente, month, dimension, data) VALUES (0, ?, ?, ?, ?)");
    for (const auto& [where, h] : days) {
      histogram.setString(1, std::get<0>(where));
      histogram.setString(2, std::get<1>(where));
      histogram.setString(3, std::get<2>(where));
      histogram.setString(4, EncodeHistogram(h));
      histogram.executeUpdate();
    }
    return absl::OkStatus();
  }));
  std::printf("loaded %d persons (%zu counter rows, %zu histogram rows) in %.1f s\n", persons,
              counters.size(), days.size(), absl::ToDoubleSeconds(absl::Now() - start));
  return absl::OkStatus();
}

// The figures of the regional report computed from the source rows: one GROUP BY per dimension.
absl::Status GroupByOverSourceRows(MysqlPool& pool, int64_t* rows_out) {
  return pool.Run("bench group by", [&](PooledConnection& c) {
    int64_t rows = 0;
    auto run = [&](sql::PreparedStatement& statement) {
      statement.setString(1, "2022-01");
      statement.setString(2, "2026-11");
      std::unique_ptr<sql::ResultSet> rs(statement.executeQuery());
      while (rs->next()) ++rows;
    };
    run(
        c.Prepare("SELECT gemeente, COUNT(*) FROM bench_source WHERE month >= ? AND month < ? "
                  "GROUP BY gemeente"));
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
  if (absl::GetFlag(FLAGS_load)) {
    if (absl::Status s = Load(**pool, absl::GetFlag(FLAGS_persons)); !s.ok()) {
      return StartupFailed("report_bench", s);
    }
  }
  config::v1::ReportingConfig config;
  auto* region = config.mutable_regions()->add_regions();
  region->set_id("haaglanden");
  for (const char* g : kGemeenten) {
    config.mutable_regions()->add_gemeenten()->set_code(g);
    region->add_gemeenten(g);
  }
  MysqlReportStore store(**pool);
  WorkerPool workers(1);
  ReportingServiceImpl service(store, config, workers, [] { return absl::CivilDay(2026, 11, 23); });
  const Principal analist{"GM0603", Role::kAnalist, "bench"};
  v1::Period period;
  period.set_from("2022-01-01");
  period.set_to("2026-11-01");

  std::vector<double> report_ms;
  int64_t population = 0;
  for (int i = 0; i < 20 + absl::GetFlag(FLAGS_report_iterations); ++i) {
    const absl::Time t0 = absl::Now();
    auto report = service.BuildReport(analist, "haaglanden", true, period, false);
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
    if (!report.ok()) return StartupFailed("report_bench", report.status());
    if (i >= 20) report_ms.push_back(ms);
    population = report->tables(0).rows(0).cells(3).count();
  }
  std::vector<double> group_by_ms;
  int64_t rows = 0;
  for (int i = 0; i < absl::GetFlag(FLAGS_group_by_iterations); ++i) {
    const absl::Time t0 = absl::Now();
    if (absl::Status s = GroupByOverSourceRows(**pool, &rows); !s.ok()) {
      return StartupFailed("report_bench", s);
    }
    group_by_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  const double group_by_median = Percentile(group_by_ms, 0.5);
  std::printf("regional report (3 gemeenten + totaal, %d months, population %lld)\n", 58,
              static_cast<long long>(population));
  std::printf("  from aggregates:  n=%zu p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.2f ms\n",
              report_ms.size(), Percentile(report_ms, 0.5), Percentile(report_ms, 0.9),
              Percentile(report_ms, 0.99), Percentile(report_ms, 1.0));
  std::printf("  GROUP BY source:  n=%zu median=%.1f ms min=%.1f ms (%lld result rows)\n",
              group_by_ms.size(), group_by_median,
              *std::min_element(group_by_ms.begin(), group_by_ms.end()),
              static_cast<long long>(rows));
  std::printf("  speed-up (GROUP BY median / aggregates p99): %.0fx, (/ p50): %.0fx\n",
              group_by_median / Percentile(report_ms, 0.99),
              group_by_median / Percentile(report_ms, 0.5));
  return 0;
}

}  // namespace
}  // namespace inburgering::reporting

int main(int argc, char** argv) {
  inburgering::ParseFlagsWithEnvironment(argc, argv, "report_bench: regional report at scale");
  inburgering::InitLogging("report_bench");
  return inburgering::reporting::Run();
}

// ReportingServiceImpl's rules without a server: periods, scopes, roles, who sees what
// unsuppressed, and the CSV/JSON export. The store is a fake holding fixed counters.
#include "reporting-service/reporting_service.h"

#include <gtest/gtest.h>

#include "common/config.h"
#include "reporting-service/report_export.h"

namespace inburgering::reporting {
namespace {

class FakeReportStore : public ReportStore {
 public:
  absl::StatusOr<Figures> Sum(const std::vector<std::string>& gemeenten,
                              const std::string& from_month, const std::string& to_month) override {
    last_from = from_month;
    last_to = to_month;
    Figures out;
    for (const std::string& g : gemeenten) {
      if (figures.count(g)) out[g] = figures[g];
    }
    return out;
  }
  absl::StatusOr<google::protobuf::Timestamp> AsOf() override {
    return google::protobuf::Timestamp();
  }
  Figures figures;
  std::string last_from, last_to;
};

config::v1::ReportingConfig Config() {
  config::v1::ReportingConfig config;
  EXPECT_TRUE(ParseJsonConfig(
                  R"({"regions": {"gemeenten": [{"code": "GM0603", "name": "Rijswijk"},
                      {"code": "GM0518", "name": "'s-Gravenhage"}, {"code": "GM0503", "name": "Delft"}],
                      "regions": [{"id": "haaglanden", "name": "Haaglanden",
                      "gemeenten": ["GM0603", "GM0518", "GM0503"]}]}, "suppressionThreshold": 10})",
                  &config)
                  .ok());
  return config;
}

v1::Period Period(const std::string& from, const std::string& to) {
  v1::Period p;
  p.set_from(from);
  p.set_to(to);
  return p;
}

const Principal kConsulentRijswijk{"GM0603", Role::kConsulent, "c"};
const Principal kAnalistDelft{"GM0503", Role::kAnalist, "a"};

class ReportingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.figures["GM0603"]["uitkomst"] = {
        {"werk", 7}, {"werkervaringsplaats", 12}, {"opleiding", 4}, {"nog_niet_in_staat", 11}};
  }
  const v1::ReportTable& Uitkomsten(const v1::Report& report) {
    for (const auto& t : report.tables()) {
      if (t.key() == "uitkomsten_plaatsingen") return t;
    }
    ADD_FAILURE();
    return report.tables(0);
  }
  FakeReportStore store_;
  WorkerPool workers_{1};
  ReportingServiceImpl service_{store_, Config(), workers_,
                                [] { return absl::CivilDay(2026, 11, 23); }};
};

TEST(ValidatePeriod, WholeMonthsInOrderWithinTheData) {
  const absl::CivilDay today(2026, 11, 23);
  auto ok = ValidatePeriod(Period("2024-01-01", "2024-09-01"), today);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->from, "2024-01");
  EXPECT_EQ(ok->to, "2024-09");
  EXPECT_TRUE(ValidatePeriod(Period("2026-11-01", "2026-12-01"), today).ok());

  struct Bad {
    v1::Period period;
    std::string field;
  };
  for (const Bad& bad : std::vector<Bad>{{Period("", "2024-09-01"), "period.from"},
                                         {Period("2024-01-01", ""), "period.to"},
                                         {Period("2024-01-15", "2024-09-01"), "period.from"},
                                         {Period("2024-01-01", "2024-13-01"), "period.to"},
                                         {Period("2024-09-01", "2024-01-01"), "period"},
                                         {Period("2024-09-01", "2024-09-01"), "period"},
                                         {Period("2027-01-01", "2027-02-01"), "period.from"},
                                         {Period("2026-01-01", "2099-01-01"), "period.to"}}) {
    auto status = ValidatePeriod(bad.period, today).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.period.ShortDebugString();
    EXPECT_EQ(status.message().rfind(bad.field, 0), 0u) << status.message();
  }
}

TEST_F(ReportingServiceTest, OwnGemeenteIsUnsuppressed) {
  auto report = service_.BuildReport(kConsulentRijswijk, "GM0603", false,
                                     Period("2024-01-01", "2024-09-01"), /*unsuppressed=*/true);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->suppression_applied());
  EXPECT_EQ(Uitkomsten(*report).rows(0).cells(0).count(), 7);
  EXPECT_EQ(Uitkomsten(*report).rows(4).cells(0).count(), 34);
  EXPECT_EQ(store_.last_from, "2024-01");
  EXPECT_EQ(store_.last_to, "2024-09");
}

TEST_F(ReportingServiceTest, AnotherGemeentesFiguresAreSuppressed) {
  auto report = service_.BuildReport(kAnalistDelft, "GM0603", false,
                                     Period("2024-01-01", "2024-09-01"), false);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->suppression_applied());
  EXPECT_EQ(report->suppression_threshold(), 10);
  EXPECT_TRUE(Uitkomsten(*report).rows(0).cells(0).suppressed()) << "werk 7";
  EXPECT_EQ(Uitkomsten(*report).rows(1).cells(0).count(), 12);
}

TEST_F(ReportingServiceTest, AskingForAnotherGemeentesUnsuppressedFiguresIsPermissionDenied) {
  auto report = service_.BuildReport(kAnalistDelft, "GM0603", false,
                                     Period("2024-01-01", "2024-09-01"), true);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kPermissionDenied);
  auto regional = service_.BuildReport(kConsulentRijswijk, "haaglanden", true,
                                       Period("2024-01-01", "2024-09-01"), true);
  EXPECT_EQ(regional.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ReportingServiceTest, RegionalReportHasAColumnPerGemeenteAndTheOwnOneInFull) {
  auto report = service_.BuildReport(kConsulentRijswijk, "haaglanden", true,
                                     Period("2024-01-01", "2024-09-01"), false);
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::ReportTable& t = Uitkomsten(*report);
  ASSERT_EQ(t.columns_size(), 4);
  EXPECT_EQ(t.columns(3), "totaal");
  EXPECT_EQ(t.column_labels(0), "Rijswijk");
  EXPECT_EQ(t.rows(0).cells(0).count(), 7) << "own column";
  EXPECT_TRUE(t.rows(0).cells(3).suppressed()) << "the total would reveal the others' zeros";
}

TEST_F(ReportingServiceTest, UnknownScopesAndServicePrincipalsAreRejected) {
  const v1::Period p = Period("2024-01-01", "2024-09-01");
  EXPECT_EQ(service_.BuildReport(kAnalistDelft, "GM9999", false, p, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_.BuildReport(kAnalistDelft, "", false, p, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_.BuildReport(kAnalistDelft, "randstad", true, p, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  const Principal service{"GM0000", Role::kService, "s"};
  EXPECT_EQ(service_.BuildReport(service, "GM0603", false, p, false).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ReportingServiceTest, CsvHasDutchHeadersSemicolonsAndDecimalCommas) {
  store_.figures["GM0603"]["pip"] = {{"op_tijd", 1}, {"te_laat", 2}};
  auto report = service_.BuildReport(kConsulentRijswijk, "GM0603", false,
                                     Period("2024-01-01", "2024-09-01"), false);
  ASSERT_TRUE(report.ok());
  const std::string csv = ReportToCsv(*report);
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFTabel;Regel;Rijswijk\r\n", 0), 0u);
  EXPECT_NE(csv.find("Uitkomsten per plaatsing;Werk;7\r\n"), std::string::npos);
  EXPECT_NE(csv.find("Uitkomsten per plaatsing;Totaal;34\r\n"), std::string::npos);
  EXPECT_NE(csv.find("Tijdigheid;PIP binnen 10 weken (%);33,3\r\n"), std::string::npos);
  auto suppressed = service_.BuildReport(kAnalistDelft, "GM0603", false,
                                         Period("2024-01-01", "2024-09-01"), false);
  EXPECT_NE(ReportToCsv(*suppressed).find("Uitkomsten per plaatsing;Werk;x\r\n"),
            std::string::npos);
}

TEST_F(ReportingServiceTest, JsonUsesTheProtobufMapping) {
  auto report = service_.BuildReport(kConsulentRijswijk, "GM0603", false,
                                     Period("2024-01-01", "2024-09-01"), false);
  auto json = ReportToJson(*report);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"suppressionThreshold\": 10"), std::string::npos);
  EXPECT_NE(json->find("\"key\": \"uitkomsten_plaatsingen\""), std::string::npos);
  EXPECT_NE(json->find("\"count\": \"34\""), std::string::npos) << "int64 as a JSON string";
}

}  // namespace
}  // namespace inburgering::reporting

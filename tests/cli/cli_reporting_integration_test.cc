// End to end for `report gemeente|region`: the real `inburgering` binary against a real
// reporting-service that follows a real intake-service's event stream (own schemas on the test
// MariaDB, loopback). The CLI passes the principal with the dev-only --principal flag.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/output.h"
#include "common/event_consumer.h"
#include "common/ids.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/reporting.grpc.pb.h"
#include "intake-service/mysql_statushouder_store.h"
#include "reporting-service/projection.h"
#include "reporting-service/report_store.h"
#include "reporting-service/reporting_service.h"
#include "tests/cli/cli_runner.h"
#include "tests/support/in_process_intake.h"
#include "tests/support/test_database.h"

namespace inburgering::cli {
namespace {

const Principal kService{"GM0000", Role::kService, "reporting-service"};
const Principal kConsulentRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
const Principal kConsulentDelft{"GM0503", Role::kConsulent, "consulent.delft"};
const Principal kAnalistDenHaag{"GM0518", Role::kAnalist, "analist.denhaag"};
constexpr char kConsulent[] = "--principal=GM0603:consulent:consulent.rijswijk";
constexpr char kAnalist[] = "--principal=GM0518:analist:analist.denhaag";
const absl::CivilDay kToday(2026, 11, 23);

// The n-th BSN passing the 11-proef from 100000000 upwards.
std::string Bsn(int n) {
  for (int candidate = 100000000;; ++candidate) {
    const std::string s = absl::StrCat(candidate);
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (i < 8 ? 9 - i : -1) * (s[i] - '0');
    if (sum % 11 == 0 && n-- == 0) return s;
  }
}

class CliReportingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("inburgering_cli_" + NewId());
    std::filesystem::create_directories(dir_);

    auto intake = testing::InProcessIntake::Start(workers_, [] { return kToday; });
    ASSERT_TRUE(intake.ok()) << intake.status();
    intake_ = *std::move(intake);

    auto db = testing::TestDatabase::Create(reporting::ReportingMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    consumer_ = std::make_unique<EventConsumer>(
        EventConsumer::Options{"intake"}, db_->pool(),
        [this](grpc::ClientContext* c, const v1::StreamEventsRequest& r) {
          return intake_->stub().StreamEvents(c, r);
        },
        kService,
        [this](const v1::Event& event, PooledConnection& c) {
          return projection_.Apply("intake", event, c);
        });
    consumer_->Start();

    config::v1::ReportingConfig config;
    for (auto [code, name] : {std::pair{"GM0603", "Rijswijk"}, std::pair{"GM0518", "'s-Gravenhage"},
                              std::pair{"GM0503", "Delft"}}) {
      auto* g = config.mutable_regions()->add_gemeenten();
      g->set_code(code);
      g->set_name(name);
    }
    auto* region = config.mutable_regions()->add_regions();
    region->set_id("haaglanden");
    region->set_name("Haaglanden");
    for (const char* g : {"GM0603", "GM0518", "GM0503"}) region->add_gemeenten(g);
    config.set_suppression_threshold(10);
    store_ = std::make_unique<reporting::MysqlReportStore>(db_->pool());
    service_ = std::make_unique<reporting::ReportingServiceImpl>(*store_, config, workers_,
                                                                 [] { return kToday; });
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    server_->AddService(service_.get());
    ASSERT_TRUE(server_->Start().ok());
    target_ = absl::StrCat("127.0.0.1:", server_->port());
    stub_ = v1::ReportingService::NewStub(
        grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));

    // 12 statushouders in Rijswijk (above the threshold), 2 in Delft (below it).
    for (int n = 0; n < 14; ++n) Register(n < 12 ? kConsulentRijswijk : kConsulentDelft, n);
    auto head = intake_->outbox().SequenceOnce();
    ASSERT_TRUE(head.ok());
    ASSERT_TRUE(consumer_->WaitForCursor(*head, absl::Seconds(30)));
  }

  void TearDown() override {
    if (consumer_) consumer_->Stop();
    if (server_) server_->Shutdown(absl::Seconds(1));
    intake_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Register(const Principal& principal, int n) {
    v1::RegisterStatushouderRequest request;
    request.set_request_id(absl::StrCat("r", n));
    v1::Statushouder* s = request.mutable_statushouder();
    s->set_bsn(Bsn(n));
    s->set_family_name("Persoon");
    s->set_birth_date("1990-01-01");
    s->set_gender(n % 2 == 0 ? v1::GENDER_VROUW : v1::GENDER_MAN);
    s->set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
    s->set_country_of_origin(n % 3 == 0 ? "ER" : "SY");
    s->set_vestigingsdatum("2026-03-01");
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    v1::Statushouder created;
    ASSERT_TRUE(intake_->stub().RegisterStatushouder(&context, request, &created).ok());
  }

  CliRun Cli(std::vector<std::string> args) {
    args.push_back("--target=" + target_);
    args.push_back("--from=2026-01-01");
    args.push_back("--to=2026-12-01");
    return RunCli(dir_, std::move(args));
  }

  v1::Period Year() {
    v1::Period period;
    period.set_from("2026-01-01");
    period.set_to("2026-12-01");
    return period;
  }

  WorkerPool workers_{8};
  std::filesystem::path dir_;
  std::unique_ptr<testing::InProcessIntake> intake_;
  std::unique_ptr<testing::TestDatabase> db_;
  reporting::Projection projection_;
  std::unique_ptr<EventConsumer> consumer_;
  std::unique_ptr<reporting::MysqlReportStore> store_;
  std::unique_ptr<reporting::ReportingServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::ReportingService::Stub> stub_;
  std::string target_;
};

TEST_F(CliReportingTest, GemeenteTableShowsEveryTableOfTheReport) {
  v1::GetGemeenteReportRequest request;
  request.set_gemeente("GM0603");
  *request.mutable_period() = Year();
  grpc::ClientContext context;
  AttachPrincipal(kConsulentRijswijk, context);
  v1::Report report;
  ASSERT_TRUE(stub_->GetGemeenteReport(&context, request, &report).ok());
  ASSERT_GT(report.tables_size(), 0);

  CliRun run = Cli({"report", "gemeente", "GM0603", kConsulent});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, ReportText(report)) << "the table is the report the service returns";
  EXPECT_NE(run.out.find("12"), std::string::npos) << "twelve statushouders: " << run.out;
  EXPECT_EQ(run.out.find("onderdrukt"), std::string::npos) << "own figures are not suppressed";
}

TEST_F(CliReportingTest, RegionSeenFromAnotherGemeenteIsSuppressedWithAFootnote) {
  CliRun run = Cli({"report", "region", "haaglanden", kAnalist});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("*"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("* onderdrukt: minder dan 10"), std::string::npos) << run.out;
}

TEST_F(CliReportingTest, CsvExportIsWrittenToTheOutputFileAsTheServiceMadeIt) {
  v1::ExportReportRequest request;
  request.set_format(v1::ExportReportRequest::CSV);
  request.set_region("haaglanden");
  *request.mutable_period() = Year();
  grpc::ClientContext context;
  AttachPrincipal(kAnalistDenHaag, context);
  v1::ExportReportResponse expected;
  ASSERT_TRUE(stub_->ExportReport(&context, request, &expected).ok());

  const std::string path = (dir_ / "haaglanden.csv").string();
  CliRun run =
      Cli({"report", "region", "haaglanden", "--format=csv", "--output=" + path, kAnalist});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(ReadFile(path), expected.content());
  EXPECT_NE(expected.content().find(';'), std::string::npos);
}

TEST_F(CliReportingTest, JsonExportGoesToStdout) {
  CliRun run = Cli({"report", "gemeente", "GM0603", "--format=json", kConsulent});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.front(), '{') << run.out;
}

TEST_F(CliReportingTest, AnotherGemeentesSmallFiguresAreSuppressed) {
  CliRun run = Cli({"report", "gemeente", "GM0503", kConsulent});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("* onderdrukt"), std::string::npos) << "Delft has 2: " << run.out;
}

TEST_F(CliReportingTest, AServicePrincipalIsDenied) {
  CliRun run = Cli({"report", "gemeente", "GM0603", "--principal=GM0000:service:probe"});
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_EQ(Lines(run.err), 1);
}

TEST_F(CliReportingTest, APeriodNotOnMonthBoundariesNamesTheField) {
  CliRun run = RunCli(dir_, {"report", "gemeente", "GM0603", "--target=" + target_,
                             "--from=2026-01-15", "--to=2026-12-01", kConsulent});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("INVALID_ARGUMENT: period.from"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace inburgering::cli

// End to end: the real `inburgering` binary, run as a child process, against a real
// intake-service (real store on the test MariaDB, real gRPC server on loopback). The CLI reaches
// the service with the dev-only --principal flag, as the gateway would pass the principal.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "google/protobuf/util/json_util.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "intake-service/intake_service.h"
#include "intake-service/mysql_statushouder_store.h"
#include "tests/cli/cli_runner.h"
#include "tests/support/test_database.h"
#include "tests/support/test_registration.h"

namespace inburgering::cli {
namespace {

const Principal kRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
constexpr char kRijswijkFlag[] = "--principal=GM0603:consulent:consulent.rijswijk";
constexpr char kDelftFlag[] = "--principal=GM0503:consulent:consulent.delft";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("inburgering_cli_" + NewId());
    std::filesystem::create_directories(dir_);
    auto db = testing::TestDatabase::Create(intake::IntakeMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    outbox_ = std::make_unique<Outbox>(db_->pool(), workers_);
    outbox_->Start(absl::Milliseconds(20));
    store_ = std::make_unique<intake::MysqlStatushouderStore>(db_->pool(), *outbox_);
    service_ = std::make_unique<intake::IntakeServiceImpl>(
        *store_, *outbox_, workers_, [] { return absl::CivilDay(2026, 11, 23); });
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    server_->AddService(service_.get());
    server_->OnShutdown([this] { outbox_->Stop(); });
    ASSERT_TRUE(server_->Start().ok());
    target_ = absl::StrCat("127.0.0.1:", server_->port());
    stub_ = v1::IntakeService::NewStub(
        grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    std::filesystem::remove_all(dir_);
  }

  CliRun Cli(std::vector<std::string> args) {
    args.push_back("--target=" + target_);
    return RunCli(dir_, std::move(args));
  }

  std::string WriteCsv(const std::string& name, const std::string& content) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  v1::Statushouder Register(const std::string& bsn, const std::string& family_name) {
    v1::RegisterStatushouderRequest request = testing::SampleRegistration("r-" + bsn, bsn);
    request.mutable_statushouder()->set_family_name(family_name);
    grpc::ClientContext context;
    AttachPrincipal(kRijswijk, context);
    v1::Statushouder created;
    EXPECT_TRUE(stub_->RegisterStatushouder(&context, request, &created).ok());
    return created;
  }

  WorkerPool workers_{8};
  std::filesystem::path dir_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<intake::MysqlStatushouderStore> store_;
  std::unique_ptr<intake::IntakeServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
  std::string target_;
};

TEST_F(CliTest, GetShowsTheStatushouderAsATable) {
  const v1::Statushouder created = Register("929180732", "Haddad");
  CliRun run = Cli({"statushouder", "get", created.id(), kRijswijkFlag});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("Amal Haddad"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("929180732"), std::string::npos);
  EXPECT_NE(run.out.find("GM0603"), std::string::npos);
  EXPECT_NE(run.out.find("intake"), std::string::npos) << "the phase";
  EXPECT_EQ(run.err, "");
}

TEST_F(CliTest, GetAsJsonParsesBackIntoTheSameMessage) {
  const v1::Statushouder created = Register("929180732", "Haddad");
  CliRun run = Cli({"statushouder", "get", created.id(), "--format=json", kRijswijkFlag});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  v1::Statushouder parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, &parsed).ok()) << run.out;
  EXPECT_EQ(parsed.id(), created.id());
  EXPECT_EQ(parsed.family_name(), "Haddad");
  EXPECT_EQ(parsed.version(), created.version());
}

TEST_F(CliTest, AnotherGemeentesStatushouderExitsNotFoundWithOneLine) {
  const v1::Statushouder created = Register("929180732", "Haddad");
  CliRun run = Cli({"statushouder", "get", created.id(), kDelftFlag});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(Lines(run.err), 1) << run.err;
  EXPECT_TRUE(absl::StartsWith(run.err, "inburgering statushouder get: NOT_FOUND: ")) << run.err;
}

TEST_F(CliTest, WithoutCredentialsExitsDenied) {
  const v1::Statushouder created = Register("929180732", "Haddad");
  CliRun run = Cli({"statushouder", "get", created.id()});
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_NE(run.err.find("UNAUTHENTICATED"), std::string::npos) << run.err;
  EXPECT_EQ(Lines(run.err), 1);
}

TEST_F(CliTest, NothingListeningExitsUnavailable) {
  const std::string target = target_;
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  CliRun run = RunCli(
      dir_, {"statushouder", "get", "X", "--target=" + target, "--deadline=5s", kRijswijkFlag});
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_EQ(Lines(run.err), 1) << run.err;
}

TEST_F(CliTest, TokenIsNeverPrinted) {
  CliRun run =
      Cli({"statushouder", "get", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--token=s3cret-token-value"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(run.err.find("s3cret-token-value"), std::string::npos) << run.err;
  CliRun help = Cli({"statushouder", "get", "--help", "--token=s3cret-token-value"});
  EXPECT_EQ(help.out.find("s3cret-token-value"), std::string::npos);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Cli({"statushouder", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(Cli({"statushouder", "get"}).exit_code, 2) << "missing ID";
  EXPECT_EQ(Cli({"statushouder", "list", "--bogus"}).exit_code, 2);
  EXPECT_EQ(Cli({"statushouder", "get", "X", "--limit=abc"}).exit_code, 2);
  EXPECT_EQ(Cli({"report", "region", "haaglanden", "--format=xml"}).exit_code, 2);
  EXPECT_EQ(RunCli(dir_, {"statushouder", "get", "X", "--target=10.1.2.3:50051", kRijswijkFlag})
                .exit_code,
            2)
      << "--principal is refused off loopback (and plaintext to a remote target too)";
  CliRun missing = Cli({"import", "statushouders", (dir_ / "nope.csv").string(), kRijswijkFlag});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos);
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (std::vector<std::string> command : {std::vector<std::string>{"import", "statushouders"},
                                           {"statushouder", "get"},
                                           {"statushouder", "list"},
                                           {"pip", "overdue"},
                                           {"werkplek", "add"},
                                           {"werkplek", "list"},
                                           {"match", "recommend"},
                                           {"match", "propose"},
                                           {"placement", "create"},
                                           {"placement", "update"},
                                           {"report", "gemeente"},
                                           {"report", "region"}}) {
    command.push_back("--help");
    CliRun run = Cli(command);
    EXPECT_EQ(run.exit_code, 0) << command[0] << " " << command[1];
    EXPECT_TRUE(absl::StartsWith(run.out, "Usage: inburgering " + command[0] + " " + command[1]))
        << run.out;
    EXPECT_NE(run.out.find("Exit codes:"), std::string::npos);
  }
  CliRun top = Cli({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("report region"), std::string::npos);
}

// Rows the CLI can judge by itself never reach the server: the bad BSN, the impossible date and
// the missing family name are each reported with their row, column and reason.
TEST_F(CliTest, ImportOfABadCsvWritesEachRejectWithRowFieldAndReason) {
  const std::string csv =
      WriteCsv("nacht.csv",
               "\xEF\xBB\xBF"
               "bsn;voornamen;achternaam;geboortedatum;type;land_van_herkomst\r\n"
               "929180733;Amal;Haddad;12-04-1990;asielstatushouder;SY\r\n"
               "979748562;Yonas;Tesfay;31-02-1995;asielstatushouder;ER\r\n"
               "302569145;Olena;;1988-07-03;overig;UA\r\n");
  CliRun run = Cli({"import", "statushouders", csv, kRijswijkFlag});
  EXPECT_EQ(run.exit_code, 6) << run.err;
  EXPECT_NE(run.out.find("rows       3\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("created    0\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("rejected   3"), std::string::npos) << run.out;
  const std::string rejects = ReadFile(dir_ / "nacht.rejects.csv");
  EXPECT_EQ(rejects,
            "rij;veld;reden\n"
            "2;bsn;must be 9 digits passing the 11-proef\n"
            "3;geboortedatum;must be a real date YYYY-MM-DD or DD-MM-YYYY\n"
            "4;achternaam;is required\n");
  EXPECT_EQ(rejects.find("929180733"), std::string::npos) << "no BSN in the rejects file";
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 0);
}

TEST_F(CliTest, ImportWithAnUnknownColumnStopsBeforeSending) {
  const std::string csv =
      WriteCsv("typo.csv", "bsn,achternaam,geboortedatum,type,land_van_herkomst,geboorteplaats\n");
  CliRun run = Cli({"import", "statushouders", csv, kRijswijkFlag});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("unknown column \"geboorteplaats\""), std::string::npos) << run.err;
  EXPECT_EQ(Lines(run.err), 1);
}

// The nightly import: good rows are created, rows the CLI can judge are rejected before sending,
// and the server's own reject (vestiging before birth) is merged in under its CSV column.
TEST_F(CliTest, ImportOfAMixedCsvCreatesTheGoodRowsAndRejectsTheBad) {
  const std::string csv =
      WriteCsv("nacht.csv",
               "bsn;voornamen;achternaam;geboortedatum;type;land_van_herkomst;vestigingsdatum\n"
               "929180732;Amal;Haddad;12-04-1990;asielstatushouder;SY;2026-09-01\n"
               "929180733;Rami;Haddad;1991-01-01;asielstatushouder;SY;2026-09-01\n"
               "979748562;Yonas;Tesfay;31-02-1995;asielstatushouder;ER;\n"
               "302569145;Olena;;1988-07-03;overig;UA;2026-03-01\n"
               "186558454;Mohammed;Al Haj Ali;1979-11-22;asielstatushouder;SY;\n"
               "696859956;Aster;Ghebremedhin;2002-05-09;gezinsmigrant;ER;2001-08-20\n");
  CliRun run = Cli({"import", "statushouders", csv, "--batch_size=2", kRijswijkFlag});
  EXPECT_EQ(run.exit_code, 6) << run.err;
  EXPECT_EQ(run.out,
            "rows       6\n"
            "created    2\n"
            "updated    0\n"
            "unchanged  0\n"
            "rejected   4  (row, field and reason in " +
                (dir_ / "nacht.rejects.csv").string() + ")\n");
  EXPECT_EQ(run.err, "") << "no progress bar when stderr is not a terminal";
  const std::vector<std::string> rejects =
      absl::StrSplit(ReadFile(dir_ / "nacht.rejects.csv"), '\n', absl::SkipEmpty());
  ASSERT_EQ(rejects.size(), 5u);
  EXPECT_EQ(rejects[0], "rij;veld;reden");
  EXPECT_EQ(rejects[1], "3;bsn;must be 9 digits passing the 11-proef");
  EXPECT_EQ(rejects[2], "4;geboortedatum;must be a real date YYYY-MM-DD or DD-MM-YYYY");
  EXPECT_EQ(rejects[3], "5;achternaam;is required");
  EXPECT_TRUE(absl::StartsWith(rejects[4], "7;vestigingsdatum;")) << rejects[4];
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 2);

  // Running the same file again changes nothing.
  CliRun again = Cli({"import", "statushouders", csv, "--format=json", kRijswijkFlag});
  EXPECT_EQ(again.exit_code, 6) << again.err;
  EXPECT_NE(again.out.find("\"created\": 0, \"updated\": 0, \"unchanged\": 2, \"rejected\": 4"),
            std::string::npos)
      << again.out;
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 2);
}

// The documented example imports cleanly; list, filters and pip overdue then read it back.
TEST_F(CliTest, ExampleFileImportsThenListsAndShowsOverduePips) {
  CliRun run = Cli({"import", "statushouders", INBURGERING_CLI_EXAMPLE_CSV,
                    "--rejects=" + (dir_ / "example.rejects.csv").string(), kRijswijkFlag});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_NE(run.out.find("created    8\n"), std::string::npos) << run.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "example.rejects.csv"));

  CliRun list = Cli({"statushouder", "list", "--format=json", "--limit=0", kRijswijkFlag});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  v1::ListStatushoudersResponse all;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(list.out, &all).ok()) << list.out;
  EXPECT_EQ(all.statushouders_size(), 8);

  CliRun paged = Cli({"statushouder", "list", "--limit=3", kRijswijkFlag});
  ASSERT_EQ(paged.exit_code, 0) << paged.err;
  EXPECT_NE(paged.out.find("3 statushouder(s)"), std::string::npos) << paged.out;

  CliRun overig = Cli({"statushouder", "list", "--type=overig", kRijswijkFlag});
  ASSERT_EQ(overig.exit_code, 0) << overig.err;
  EXPECT_NE(overig.out.find("Kovalenko"), std::string::npos) << overig.out;
  EXPECT_NE(overig.out.find("1 statushouder(s)"), std::string::npos) << overig.out;

  // Today is 2026-11-23 for the service: vestiging 2026-09-01 was due 2026-11-10, 2026-10-15 is
  // not yet due, and someone still in the azc has no deadline.
  CliRun overdue = Cli({"pip", "overdue", "--format=json", kRijswijkFlag});
  ASSERT_EQ(overdue.exit_code, 0) << overdue.err;
  v1::ListStatushoudersResponse late;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(overdue.out, &late).ok()) << overdue.out;
  std::set<std::string> names;
  for (const auto& s : late.statushouders()) names.insert(s.family_name());
  EXPECT_TRUE(names.count("Haddad"));
  EXPECT_FALSE(names.count("Tesfay"));
  EXPECT_FALSE(names.count("Al Haj Ali"));
  CliRun table = Cli({"pip", "overdue", kRijswijkFlag});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("2026-11-10"), std::string::npos) << table.out;
}

}  // namespace
}  // namespace inburgering::cli

// End to end for the WSP and consulent commands: the real `inburgering` binary against a real
// matching-service fed by a real intake-service's event stream (each on its own schema of the
// test MariaDB, both on loopback). The CLI passes the principal with the dev-only --principal.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/event_consumer.h"
#include "common/ids.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "google/protobuf/util/json_util.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"
#include "intake-service/mysql_statushouder_store.h"
#include "matching-service/matching_service.h"
#include "matching-service/mysql_matching_store.h"
#include "tests/cli/cli_runner.h"
#include "tests/support/in_process_intake.h"
#include "tests/support/test_database.h"
#include "tests/support/test_registration.h"

namespace inburgering::cli {
namespace {

const Principal kConsulentRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
const Principal kService{"GM0000", Role::kService, "matching-service"};
constexpr char kConsulent[] = "--principal=GM0603:consulent:consulent.rijswijk";
constexpr char kWsp[] = "--principal=GM0518:wsp:wsp.haaglanden";
constexpr char kAnalist[] = "--principal=GM0518:analist:analist.haaglanden";
const absl::CivilDay kToday(2026, 11, 23);

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok()) << json;
  return message;
}

class CliMatchingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("inburgering_cli_" + NewId());
    std::filesystem::create_directories(dir_);

    auto intake = testing::InProcessIntake::Start(workers_, [] { return kToday; });
    ASSERT_TRUE(intake.ok()) << intake.status();
    intake_ = *std::move(intake);

    auto db = testing::TestDatabase::Create(matching::MatchingMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    outbox_ = std::make_unique<Outbox>(db_->pool(), workers_);
    outbox_->Start(absl::Milliseconds(20));
    store_ = std::make_unique<matching::MysqlMatchingStore>(db_->pool(), *outbox_);
    matching::MatchingServiceImpl::Options options;
    auto* haaglanden = options.config.mutable_regions()->add_regions();
    haaglanden->set_id("haaglanden");
    for (const char* g : {"GM0603", "GM0518", "GM0503"}) haaglanden->add_gemeenten(g);
    options.pseudonym_key = "test-key-0123456789abcdef";
    service_ = std::make_unique<matching::MatchingServiceImpl>(*store_, *outbox_, workers_, options,
                                                               [] { return kToday; });
    ASSERT_TRUE(service_->Load().ok());
    consumer_ = std::make_unique<EventConsumer>(
        EventConsumer::Options{.stream = "intake"}, db_->pool(),
        [this](grpc::ClientContext* context, const v1::StreamEventsRequest& request) {
          return intake_->stub().StreamEvents(context, request);
        },
        kService,
        [this](const v1::Event& event, PooledConnection& c) {
          return service_->ApplyIntakeEvent(event, c);
        });
    consumer_->Start();
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    server_->AddService(service_.get());
    server_->OnShutdown([this] { outbox_->Stop(); });
    ASSERT_TRUE(server_->Start().ok());
    target_ = absl::StrCat("127.0.0.1:", server_->port());
  }

  void TearDown() override {
    if (consumer_) consumer_->Stop();
    if (server_) server_->Shutdown(absl::Seconds(1));
    intake_.reset();
    std::filesystem::remove_all(dir_);
  }

  CliRun Cli(std::vector<std::string> args) {
    args.push_back("--target=" + target_);
    return RunCli(dir_, std::move(args));
  }

  // Waits (bounded, on the consumer's cursor; no sleeping) until matching has every intake event.
  void CatchUp() {
    auto head = intake_->outbox().SequenceOnce();
    ASSERT_TRUE(head.ok());
    ASSERT_TRUE(consumer_->WaitForCursor(*head, absl::Seconds(20)));
  }

  // A dentist from Syria in Rijswijk, language level B1, ready for work.
  v1::Statushouder Kandidaat(const std::string& bsn) {
    v1::RegisterStatushouderRequest request = testing::SampleRegistration("r-" + bsn, bsn);
    v1::Statushouder* s = request.mutable_statushouder();
    s->set_birth_date("1985-04-12");
    s->set_prior_occupation_isco("2261");
    for (int d : {1, 2, 7, 8, 13}) s->add_availability(static_cast<v1::Dagdeel>(d));
    s->mutable_home_location()->set_latitude(52.036);
    s->mutable_home_location()->set_longitude(4.323);
    s->set_max_travel_km(10);
    grpc::ClientContext context;
    AttachPrincipal(kConsulentRijswijk, context);
    v1::Statushouder created;
    EXPECT_TRUE(intake_->stub().RegisterStatushouder(&context, request, &created).ok());
    // The language level through intake's store (its RPC is being built elsewhere).
    auto updated = intake_->store().Update(
        created.gemeente(), created.id(), created.version(),
        v1::StatushouderChanged::LANGUAGE_LEVEL_RECORDED, [](v1::Statushouder& record) {
          record.set_language_level(v1::CEFR_LEVEL_B1);
          record.mutable_brede_intake()->set_intake_groep(v1::INTAKE_GROEP_KLAAR_VOOR_WERK);
          return absl::OkStatus();
        });
    EXPECT_TRUE(updated.ok()) << updated.status();
    return created;
  }

  v1::Werkplek AddTandartsassistent() {
    CliRun run =
        Cli({"werkplek", "add", "--employer=Tandartspraktijk De Kies", "--title=Tandartsassistent",
             "--isco=3251", "--type=werkervaringsplaats", "--gemeente=GM0603", "--lat=52.045",
             "--lon=4.32", "--min_taalniveau=a2", "--hours=16", "--dagdelen=ma-o,wo-o",
             "--capacity=2", "--contact_hours=12", "--taalcoach", "--open_from=2026-01-01",
             "--request_id=w-1", "--format=json", kWsp});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return FromJson<v1::Werkplek>(run.out);
  }

  WorkerPool workers_{8};
  std::filesystem::path dir_;
  std::unique_ptr<testing::InProcessIntake> intake_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<matching::MysqlMatchingStore> store_;
  std::unique_ptr<matching::MatchingServiceImpl> service_;
  std::unique_ptr<EventConsumer> consumer_;
  std::unique_ptr<GrpcServer> server_;
  std::string target_;
};

TEST_F(CliMatchingTest, WerkplekAddThenListShowsIt) {
  const v1::Werkplek added = AddTandartsassistent();
  ASSERT_FALSE(added.id().empty());
  EXPECT_EQ(added.title(), "Tandartsassistent");
  EXPECT_EQ(added.min_language_level(), v1::CEFR_LEVEL_A2);
  ASSERT_EQ(added.dagdelen_size(), 2);
  EXPECT_EQ(added.dagdelen(1), v1::DAGDEEL_WOENSDAG_OCHTEND);
  EXPECT_TRUE(added.talende_omgeving().taalcoach());
  EXPECT_EQ(AddTandartsassistent().id(), added.id()) << "the same --request_id creates once";

  CliRun list = Cli({"werkplek", "list", kWsp});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(added.id()), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("Tandartspraktijk De Kies"), std::string::npos);
  EXPECT_NE(list.out.find("1 werkplek(ken)"), std::string::npos);
  CliRun filtered = Cli({"werkplek", "list", "--isco_prefix=5", "--format=json", kWsp});
  EXPECT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_EQ(FromJson<v1::ListWerkplekkenResponse>(filtered.out).werkplekken_size(), 0);
}

TEST_F(CliMatchingTest, AnAnalistMayNotAddAWerkplek) {
  CliRun run = Cli({"werkplek", "add", "--employer=X", "--title=Y", "--isco=3251",
                    "--type=taalstage", "--gemeente=GM0603", kAnalist});
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_NE(run.err.find("PERMISSION_DENIED"), std::string::npos) << run.err;
}

TEST_F(CliMatchingTest, RecommendShowsScoreAndEveryComponentWithItsReason) {
  const v1::Werkplek place = AddTandartsassistent();
  const v1::Statushouder s = Kandidaat("929180732");
  CatchUp();
  CliRun json = Cli({"match", "recommend", s.id(), "--format=json", kConsulent});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto response = FromJson<v1::RecommendWerkplekkenResponse>(json.out);
  ASSERT_EQ(response.recommendations_size(), 1);
  EXPECT_EQ(response.recommendations(0).werkplek().id(), place.id());
  ASSERT_GT(response.recommendations(0).match().components_size(), 0);

  CliRun table = Cli({"match", "recommend", s.id(), kConsulent});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(place.id()), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(absl::StrFormat("%.2f", response.recommendations(0).match().score())),
            std::string::npos)
      << table.out;
  for (const v1::ScoreComponent& c : response.recommendations(0).match().components()) {
    EXPECT_NE(table.out.find(c.name()), std::string::npos) << c.name();
    EXPECT_NE(table.out.find(c.reason()), std::string::npos) << c.reason();
  }
}

TEST_F(CliMatchingTest, RecommendForAnUnknownStatushouderExitsNotFound) {
  CliRun run = Cli({"match", "recommend", "01ARZ3NDEKTSV4RRFFQ69G5FAV", kConsulent});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_EQ(Lines(run.err), 1);
}

TEST_F(CliMatchingTest, ProposeShowsPairsScoresReasonsAndTheBaseline) {
  const v1::Werkplek place = AddTandartsassistent();
  Kandidaat("929180732");
  Kandidaat("979748562");
  CatchUp();
  CliRun json = Cli({"match", "propose", "haaglanden", "--format=json", kWsp});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto response = FromJson<v1::ProposeAssignmentResponse>(json.out);
  ASSERT_EQ(response.pairs_size(), 2) << "capacity 2, two fitting candidates";
  CliRun table = Cli({"match", "propose", "haaglanden", kWsp});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(place.id()), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2 pair(s)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(absl::StrFormat("total score %.2f", response.total_score())),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find(response.pairs(0).match().components(0).reason()), std::string::npos);
  EXPECT_NE(table.out.find("not a decision"), std::string::npos);

  CliRun other = Cli({"match", "propose", "rijnmond", kWsp});
  EXPECT_EQ(other.exit_code, 4) << "not the caller's region: " << other.err;
}

TEST_F(CliMatchingTest, PlacementCreateThenStart) {
  const v1::Werkplek place = AddTandartsassistent();
  const v1::Statushouder s = Kandidaat("929180732");
  CatchUp();
  CliRun created = Cli({"placement", "create", "--statushouder=" + s.id(),
                        "--werkplek=" + place.id(), "--format=json", kConsulent});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto placement = FromJson<v1::Placement>(created.out);
  EXPECT_EQ(placement.status(), v1::PLACEMENT_STATUS_VOORGESTELD);

  CliRun started =
      Cli({"placement", "update", placement.id(), absl::StrCat("--version=", placement.version()),
           "--status=gestart", "--date=2026-11-20", kConsulent});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_NE(started.out.find("gestart"), std::string::npos) << started.out;
  EXPECT_NE(started.out.find("2026-11-20"), std::string::npos) << started.out;

  CliRun stale =
      Cli({"placement", "update", placement.id(), absl::StrCat("--version=", placement.version()),
           "--status=beeindigd", "--outcome=werk", "--date=2026-11-21", kConsulent});
  EXPECT_EQ(stale.exit_code, 1) << stale.err;
  EXPECT_NE(stale.err.find("ABORTED"), std::string::npos) << stale.err;
}

}  // namespace
}  // namespace inburgering::cli

// ReportingService fed by the real producers end to end: an in-process intake-service and an
// in-process matching-service (which itself follows intake's stream), each with its own schema on
// the real MariaDB and a real gRPC server on loopback. Werkplekken and placements go through
// matching's RPCs; the report must show exactly what was done, and recount must agree.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/event_consumer.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"
#include "inburgering/v1/reporting.grpc.pb.h"
#include "intake-service/mysql_statushouder_store.h"
#include "matching-service/matching_service.h"
#include "matching-service/mysql_matching_store.h"
#include "reporting-service/projection.h"
#include "reporting-service/recount.h"
#include "reporting-service/report_store.h"
#include "reporting-service/reporting_service.h"
#include "tests/support/in_process_intake.h"
#include "tests/support/test_database.h"

namespace inburgering::reporting {
namespace {

const Principal kConsulentRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
const Principal kWsp{"GM0518", Role::kWsp, "wsp.haaglanden"};
const Principal kMatchingSelf{"GM0000", Role::kService, "matching-service"};
const Principal kReportingSelf{"GM0000", Role::kService, "reporting-service"};
const absl::CivilDay kToday(2026, 11, 23);

std::string Bsn(int n) {
  for (int base = 20000000 + n * 7;; ++base) {
    const std::string digits = absl::StrCat(base);
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (digits[i] - '0') * (9 - i);
    if (sum % 11 < 10) return absl::StrCat(digits, sum % 11);
  }
}

config::v1::Regions Regions() {
  config::v1::Regions regions;
  for (auto [code, name] : {std::pair{"GM0603", "Rijswijk"}, std::pair{"GM0518", "'s-Gravenhage"},
                            std::pair{"GM0503", "Delft"}}) {
    auto* g = regions.add_gemeenten();
    g->set_code(code);
    g->set_name(name);
  }
  auto* haaglanden = regions.add_regions();
  haaglanden->set_id("haaglanden");
  haaglanden->set_name("Haaglanden");
  for (const char* g : {"GM0603", "GM0518", "GM0503"}) haaglanden->add_gemeenten(g);
  return regions;
}

class ReportingWithMatchingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto intake = testing::InProcessIntake::Start(workers_, [] { return kToday; });
    ASSERT_TRUE(intake.ok()) << intake.status();
    intake_ = *std::move(intake);

    auto matching_db = testing::TestDatabase::Create(matching::MatchingMigrations());
    ASSERT_TRUE(matching_db.ok()) << matching_db.status();
    matching_db_ = *std::move(matching_db);
    matching_outbox_ = std::make_unique<Outbox>(matching_db_->pool(), workers_);
    matching_outbox_->Start(absl::Milliseconds(20));
    matching_store_ =
        std::make_unique<matching::MysqlMatchingStore>(matching_db_->pool(), *matching_outbox_);
    matching::MatchingServiceImpl::Options options;
    *options.config.mutable_regions() = Regions();
    options.pseudonym_key = "test-key-0123456789abcdef";
    matching_service_ = std::make_unique<matching::MatchingServiceImpl>(
        *matching_store_, *matching_outbox_, workers_, options, [] { return kToday; });
    ASSERT_TRUE(matching_service_->Load().ok());
    matching_consumer_ = std::make_unique<EventConsumer>(
        EventConsumer::Options{"intake"}, matching_db_->pool(),
        [this](grpc::ClientContext* c, const v1::StreamEventsRequest& r) {
          return intake_->stub().StreamEvents(c, r);
        },
        kMatchingSelf,
        [this](const v1::Event& event, PooledConnection& c) {
          return matching_service_->ApplyIntakeEvent(event, c);
        });
    matching_consumer_->Start();
    matching_server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    matching_server_->AddService(matching_service_.get());
    matching_server_->OnShutdown([this] { matching_outbox_->Stop(); });
    ASSERT_TRUE(matching_server_->Start().ok());
    matching_stub_ = v1::MatchingService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", matching_server_->port()), grpc::InsecureChannelCredentials()));

    auto reporting_db = testing::TestDatabase::Create(ReportingMigrations());
    ASSERT_TRUE(reporting_db.ok()) << reporting_db.status();
    reporting_db_ = *std::move(reporting_db);
    streams_ = {{"intake",
                 [this](grpc::ClientContext* c, const v1::StreamEventsRequest& r) {
                   return intake_->stub().StreamEvents(c, r);
                 }},
                {"matching", [this](grpc::ClientContext* c, const v1::StreamEventsRequest& r) {
                   return matching_stub_->StreamEvents(c, r);
                 }}};
    for (const auto& [stream, open] : streams_) {
      consumers_[stream] = std::make_unique<EventConsumer>(
          EventConsumer::Options{stream}, reporting_db_->pool(), open, kReportingSelf,
          [this, name = stream](const v1::Event& event, PooledConnection& c) {
            return projection_.Apply(name, event, c);
          });
      consumers_[stream]->Start();
    }
    config::v1::ReportingConfig config;
    *config.mutable_regions() = Regions();
    report_store_ = std::make_unique<MysqlReportStore>(reporting_db_->pool());
    reporting_service_ = std::make_unique<ReportingServiceImpl>(*report_store_, config, workers_,
                                                                [] { return kToday; });
    reporting_server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    reporting_server_->AddService(reporting_service_.get());
    ASSERT_TRUE(reporting_server_->Start().ok());
    reporting_stub_ = v1::ReportingService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", reporting_server_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    for (auto& [stream, consumer] : consumers_) consumer->Stop();
    if (matching_consumer_) matching_consumer_->Stop();
    if (reporting_server_) reporting_server_->Shutdown(absl::Seconds(1));
    if (matching_server_) matching_server_->Shutdown(absl::Seconds(1));
    intake_.reset();
  }

  void SyncMatching() {
    auto head = intake_->outbox().SequenceOnce();
    ASSERT_TRUE(head.ok());
    if (*head > 0) {
      ASSERT_TRUE(matching_consumer_->WaitForCursor(*head, absl::Seconds(30)));
    }
  }
  void SyncReporting() {
    auto intake_head = intake_->outbox().SequenceOnce();
    auto matching_head = matching_outbox_->SequenceOnce();
    ASSERT_TRUE(intake_head.ok() && matching_head.ok());
    if (*intake_head > 0) {
      ASSERT_TRUE(consumers_["intake"]->WaitForCursor(*intake_head, absl::Seconds(30)));
    }
    if (*matching_head > 0) {
      ASSERT_TRUE(consumers_["matching"]->WaitForCursor(*matching_head, absl::Seconds(30)));
    }
  }

  v1::Statushouder Register(int n) {
    v1::RegisterStatushouderRequest request;
    request.set_request_id(absl::StrCat("r", n));
    v1::Statushouder* s = request.mutable_statushouder();
    s->set_bsn(Bsn(n));
    s->set_given_names("Test");
    s->set_family_name("Persoon");
    s->set_birth_date("1988-02-02");
    s->set_gender(v1::GENDER_MAN);
    s->set_type(v1::STATUSHOUDER_TYPE_GEZINSMIGRANT);
    s->set_country_of_origin("TR");
    s->set_vestigingsdatum("2026-06-01");
    s->set_prior_occupation_isco("2261");
    grpc::ClientContext context;
    AttachPrincipal(kConsulentRijswijk, context);
    v1::Statushouder created;
    grpc::Status status = intake_->stub().RegisterStatushouder(&context, request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Werkplek RegisterWerkplek(v1::WerkplekType type, const std::string& isco, int capacity) {
    v1::RegisterWerkplekRequest request;
    request.set_request_id(absl::StrCat("w", isco, type));
    v1::Werkplek* w = request.mutable_werkplek();
    w->set_employer("Tandartspraktijk De Kies");
    w->set_gemeente("GM0603");
    w->mutable_location()->set_latitude(52.045);
    w->mutable_location()->set_longitude(4.32);
    w->set_type(type);
    w->set_occupation_isco(isco);
    w->set_title("Assistent");
    w->set_min_language_level(v1::CEFR_LEVEL_A1);
    w->mutable_talende_omgeving()->set_dutch_working_language(true);
    w->set_hours_per_week(16);
    w->add_dagdelen(v1::DAGDEEL_MAANDAG_OCHTEND);
    w->set_capacity(capacity);
    w->set_open_from("2026-01-01");
    grpc::ClientContext context;
    AttachPrincipal(kWsp, context);
    v1::Werkplek created;
    grpc::Status status = matching_stub_->RegisterWerkplek(&context, request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // voorgesteld -> gestart -> beeindigd with `outcome`, all through matching's RPCs.
  void Place(const v1::Statushouder& s, const v1::Werkplek& w, v1::PlacementOutcome outcome) {
    v1::CreatePlacementRequest create;
    create.set_request_id(absl::StrCat("p", s.id()));
    create.set_statushouder_id(s.id());
    create.set_werkplek_id(w.id());
    v1::Placement placement;
    {
      grpc::ClientContext context;
      AttachPrincipal(kWsp, context);
      grpc::Status status = matching_stub_->CreatePlacement(&context, create, &placement);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    v1::UpdatePlacementRequest update;
    update.set_id(placement.id());
    update.set_version(placement.version());
    update.set_status(v1::PLACEMENT_STATUS_GESTART);
    update.set_date("2026-07-01");
    {
      grpc::ClientContext context;
      AttachPrincipal(kWsp, context);
      grpc::Status status = matching_stub_->UpdatePlacement(&context, update, &placement);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    update.set_version(placement.version());
    update.set_status(v1::PLACEMENT_STATUS_BEEINDIGD);
    update.set_date("2026-10-15");
    update.set_outcome(outcome);
    if (outcome == v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT)
      update.set_outcome_reason_code("TAALNIVEAU");
    {
      grpc::ClientContext context;
      AttachPrincipal(kWsp, context);
      grpc::Status status = matching_stub_->UpdatePlacement(&context, update, &placement);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }

  WorkerPool workers_{8};
  std::unique_ptr<testing::InProcessIntake> intake_;
  std::unique_ptr<testing::TestDatabase> matching_db_, reporting_db_;
  std::unique_ptr<Outbox> matching_outbox_;
  std::unique_ptr<matching::MysqlMatchingStore> matching_store_;
  std::unique_ptr<matching::MatchingServiceImpl> matching_service_;
  std::unique_ptr<EventConsumer> matching_consumer_;
  std::unique_ptr<GrpcServer> matching_server_, reporting_server_;
  std::unique_ptr<v1::MatchingService::Stub> matching_stub_;
  std::map<std::string, StreamOpener> streams_;
  const Projection projection_;
  std::map<std::string, std::unique_ptr<EventConsumer>> consumers_;
  std::unique_ptr<MysqlReportStore> report_store_;
  std::unique_ptr<ReportingServiceImpl> reporting_service_;
  std::unique_ptr<v1::ReportingService::Stub> reporting_stub_;
};

TEST_F(ReportingWithMatchingTest, PlacementsMadeThroughMatchingAppearExactlyInTheReport) {
  std::vector<v1::Statushouder> people;
  for (int i = 0; i < 5; ++i) people.push_back(Register(i));
  SyncMatching();
  const v1::Werkplek tandarts = RegisterWerkplek(v1::WERKPLEK_TYPE_BETAALD_WERK, "3251", 10);
  const v1::Werkplek magazijn = RegisterWerkplek(v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS, "9333", 10);
  Place(people[0], tandarts, v1::PLACEMENT_OUTCOME_WERK);
  Place(people[1], magazijn, v1::PLACEMENT_OUTCOME_WERK);
  Place(people[2], magazijn, v1::PLACEMENT_OUTCOME_OPLEIDING);
  Place(people[3], magazijn, v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT);
  SyncReporting();

  grpc::ClientContext context;
  AttachPrincipal(kConsulentRijswijk, context);
  v1::GetGemeenteReportRequest request;
  request.set_gemeente("GM0603");
  request.mutable_period()->set_from("2026-01-01");
  request.mutable_period()->set_to("2026-12-01");
  request.set_unsuppressed(true);
  v1::Report report;
  ASSERT_TRUE(reporting_stub_->GetGemeenteReport(&context, request, &report).ok());
  std::map<std::string, int64_t> uitkomsten, niveau, routes, tijdigheid;
  for (const auto& t : report.tables()) {
    for (const auto& r : t.rows()) {
      if (t.key() == "uitkomsten") uitkomsten[r.key()] = r.cells(0).count();
      if (t.key() == "werk_op_niveau") niveau[r.key()] = r.cells(0).count();
      if (t.key() == "integratieroutes") routes[r.key()] = r.cells(0).count();
      if (t.key() == "tijdigheid") tijdigheid[r.key()] = r.cells(0).count();
    }
  }
  EXPECT_EQ(uitkomsten["werk"], 2);
  EXPECT_EQ(uitkomsten["opleiding"], 1);
  EXPECT_EQ(uitkomsten["nog_niet_in_staat"], 1);
  EXPECT_EQ(uitkomsten["werkervaringsplaats"], 0);
  EXPECT_EQ(uitkomsten["totaal"], 4);
  // A dentist (2261) as dental assistant (3251) is at a lower ISCO skill level, as is warehouse
  // work (9333): matching computes op_niveau, reporting counts it.
  EXPECT_EQ(niveau["werk"], 2);
  EXPECT_EQ(niveau["op_niveau"] + niveau["onder_niveau"] + niveau["onbekend"], 2);
  EXPECT_EQ(routes["1"], 2) << "ended in werk";
  EXPECT_EQ(routes["2"], 1) << "ended in opleiding";
  EXPECT_EQ(routes["3"], 1) << "on a werkervaringsplaats";
  EXPECT_EQ(routes["5"], 1) << "not placed";
  EXPECT_EQ(tijdigheid["met_plaatsing"], 4);

  auto recount = Recount(reporting_db_->pool(), streams_, kReportingSelf);
  ASSERT_TRUE(recount.ok()) << recount.status();
  EXPECT_GT(recount->events_replayed, 0);
  EXPECT_TRUE(recount->differences.empty()) << recount->differences.size() << " differences";
}

}  // namespace
}  // namespace inburgering::reporting

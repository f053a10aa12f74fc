// MatchingService against the real MariaDB, over real gRPC on loopback, fed by a real in-process
// intake-service's event stream (each service with its own schema).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "common/event_consumer.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/status.h"
#include "common/worker_pool.h"
#include "google/protobuf/util/message_differencer.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"
#include "intake-service/mysql_statushouder_store.h"
#include "matching-service/matching_service.h"
#include "matching-service/mysql_matching_store.h"
#include "tests/support/in_process_intake.h"
#include "tests/support/test_bsn.h"
#include "tests/support/test_database.h"
#include "tests/support/test_registration.h"

namespace inburgering::matching {
namespace {

const Principal kConsulentRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
const Principal kConsulentDelft{"GM0503", Role::kConsulent, "consulent.delft"};
const Principal kWspDenHaag{"GM0518", Role::kWsp, "wsp.haaglanden"};
const Principal kWspRotterdam{"GM0599", Role::kWsp, "wsp.rijnmond"};
const Principal kService{"GM0000", Role::kService, "matching-service"};
const absl::CivilDay kToday(2026, 11, 23);
using testing::TestBsn;

config::v1::MatchingConfig Config() {
  config::v1::MatchingConfig config;
  auto* regions = config.mutable_regions();
  auto* haaglanden = regions->add_regions();
  haaglanden->set_id("haaglanden");
  for (const char* g : {"GM0603", "GM0518", "GM0503"}) haaglanden->add_gemeenten(g);
  auto* rijnmond = regions->add_regions();
  rijnmond->set_id("rijnmond");
  rijnmond->add_gemeenten("GM0599");
  return config;
}

v1::Werkplek Werkplek(const std::string& isco, v1::CefrLevel min_level, int capacity) {
  v1::Werkplek w;
  w.set_employer("Tandartspraktijk De Kies");
  w.set_gemeente("GM0603");
  w.mutable_location()->set_latitude(52.045);
  w.mutable_location()->set_longitude(4.32);
  w.set_type(v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS);
  w.set_occupation_isco(isco);
  w.set_title("Assistent");
  w.set_min_language_level(min_level);
  w.mutable_talende_omgeving()->set_dutch_working_language(true);
  w.mutable_talende_omgeving()->set_dutch_contact_hours(12);
  w.mutable_talende_omgeving()->set_taalcoach(true);
  w.set_hours_per_week(16);
  w.add_dagdelen(v1::DAGDEEL_MAANDAG_OCHTEND);
  w.add_dagdelen(v1::DAGDEEL_WOENSDAG_OCHTEND);
  w.set_capacity(capacity);
  w.set_open_from("2026-01-01");
  return w;
}

class MatchingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // intake-service, as in its own integration test.
    auto intake = testing::InProcessIntake::Start(workers_, [] { return kToday; });
    ASSERT_TRUE(intake.ok()) << intake.status();
    intake_ = *std::move(intake);

    auto db = testing::TestDatabase::Create(MatchingMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    StartMatching();
  }

  void StartMatching() {
    outbox_ = std::make_unique<Outbox>(db_->pool(), workers_);
    outbox_->Start(absl::Milliseconds(20));
    store_ = std::make_unique<MysqlMatchingStore>(db_->pool(), *outbox_);
    MatchingServiceImpl::Options options;
    options.config = Config();
    options.pseudonym_key = "test-key-0123456789abcdef";
    service_ = std::make_unique<MatchingServiceImpl>(*store_, *outbox_, workers_, options,
                                                     [] { return kToday; });
    ASSERT_TRUE(service_->Load().ok());
    StartConsumer();
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    server_->AddService(service_.get());
    server_->OnShutdown([this] { outbox_->Stop(); });
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::MatchingService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  void StartConsumer() {
    consumer_ = std::make_unique<EventConsumer>(
        EventConsumer::Options{.stream = "intake"}, db_->pool(),
        [this](grpc::ClientContext* context, const v1::StreamEventsRequest& request) {
          return intake_->stub().StreamEvents(context, request);
        },
        kService,
        [this](const v1::Event& event, PooledConnection& c) {
          ++applied_;
          return service_->ApplyIntakeEvent(event, c);
        });
    consumer_->Start();
  }

  void StopMatching() {
    consumer_->Stop();
    consumer_.reset();
    server_->Shutdown(absl::Seconds(1));
    server_.reset();
    service_.reset();
  }

  void TearDown() override {
    if (consumer_) consumer_->Stop();
    if (server_) server_->Shutdown(absl::Seconds(1));
    intake_.reset();
  }

  // Waits (bounded, on the cursor: no sleeping) until matching applied all intake events so far.
  void CatchUp() {
    auto head = intake_->outbox().SequenceOnce();
    ASSERT_TRUE(head.ok());
    ASSERT_TRUE(consumer_->WaitForCursor(*head, absl::Seconds(20))) << "head " << *head;
  }

  v1::Statushouder RegisterStatushouder(const Principal& principal, const std::string& request_id,
                                        const std::string& bsn, bool consent = false) {
    v1::RegisterStatushouderRequest request = testing::SampleRegistration(request_id, bsn);
    v1::Statushouder* s = request.mutable_statushouder();
    s->set_birth_date("1985-04-12");
    s->set_prior_occupation_isco("2261");
    for (int d : {1, 2, 7, 8, 13}) s->add_availability(static_cast<v1::Dagdeel>(d));
    s->add_lesson_dagdelen(v1::DAGDEEL_VRIJDAG_OCHTEND);
    s->mutable_home_location()->set_latitude(52.036);
    s->mutable_home_location()->set_longitude(4.323);
    s->set_max_travel_km(10);
    s->set_consent_share_identity(consent);
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    v1::Statushouder created;
    grpc::Status status = intake_->stub().RegisterStatushouder(&context, request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // An intake change through intake's own store (its RPCs for it are being built elsewhere).
  void SetLanguageLevel(const v1::Statushouder& s, int64_t version, v1::CefrLevel level) {
    auto updated = intake_->store().Update(
        s.gemeente(), s.id(), version, v1::StatushouderChanged::LANGUAGE_LEVEL_RECORDED,
        [level](v1::Statushouder& record) {
          record.set_language_level(level);
          record.mutable_brede_intake()->set_intake_groep(v1::INTAKE_GROEP_KLAAR_VOOR_WERK);
          return absl::OkStatus();
        });
    ASSERT_TRUE(updated.ok()) << updated.status();
  }

  grpc::Status Register(const Principal& p, const std::string& request_id, const v1::Werkplek& w,
                        v1::Werkplek* out) {
    grpc::ClientContext context;
    AttachPrincipal(p, context);
    v1::RegisterWerkplekRequest request;
    request.set_request_id(request_id);
    *request.mutable_werkplek() = w;
    return stub_->RegisterWerkplek(&context, request, out);
  }

  grpc::Status Recommend(const Principal& p, const std::string& id,
                         v1::RecommendWerkplekkenResponse* out) {
    grpc::ClientContext context;
    AttachPrincipal(p, context);
    v1::RecommendWerkplekkenRequest request;
    request.set_statushouder_id(id);
    return stub_->RecommendWerkplekken(&context, request, out);
  }

  grpc::Status CreatePlacement(const Principal& p, const std::string& request_id,
                               const std::string& statushouder, const std::string& werkplek,
                               v1::Placement* out) {
    grpc::ClientContext context;
    AttachPrincipal(p, context);
    v1::CreatePlacementRequest request;
    request.set_request_id(request_id);
    request.set_statushouder_id(statushouder);
    request.set_werkplek_id(werkplek);
    return stub_->CreatePlacement(&context, request, out);
  }

  grpc::Status UpdatePlacement(const Principal& p, const v1::UpdatePlacementRequest& request,
                               v1::Placement* out) {
    grpc::ClientContext context;
    AttachPrincipal(p, context);
    return stub_->UpdatePlacement(&context, request, out);
  }

  WorkerPool workers_{8};
  std::unique_ptr<testing::InProcessIntake> intake_;

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<MysqlMatchingStore> store_;
  std::unique_ptr<MatchingServiceImpl> service_;
  std::unique_ptr<EventConsumer> consumer_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::MatchingService::Stub> stub_;
  std::atomic<int> applied_{0};
};

TEST_F(MatchingServiceTest, ProfileFollowsAnIntakeChange) {
  v1::Werkplek b1_place;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_B1, 2), &b1_place).ok());
  const v1::Statushouder s = RegisterStatushouder(kConsulentRijswijk, "r1", "111222333");
  CatchUp();
  v1::RecommendWerkplekkenResponse before;
  ASSERT_TRUE(Recommend(kConsulentRijswijk, s.id(), &before).ok());
  EXPECT_EQ(before.recommendations_size(), 0) << "no language level measured yet";
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM kandidaten"), 1);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM kandidaten WHERE record LIKE '%Haddad%'").value(),
            0)
      << "no names in the matching schema";

  SetLanguageLevel(s, s.version(), v1::CEFR_LEVEL_B1);
  CatchUp();
  v1::RecommendWerkplekkenResponse after;
  ASSERT_TRUE(Recommend(kConsulentRijswijk, s.id(), &after).ok());
  ASSERT_EQ(after.recommendations_size(), 1);
  EXPECT_EQ(after.places_considered(), 1);
  EXPECT_EQ(after.recommendations(0).werkplek().id(), b1_place.id());
  const v1::Match& match = after.recommendations(0).match();
  EXPECT_GT(match.score(), 0.5);
  ASSERT_EQ(match.components_size(), 6);
  EXPECT_EQ(match.components(0).reason(), "direct verwant beroep (ISCO 2261 → 3251)");
  EXPECT_EQ(*db_->QueryInt("SELECT version FROM kandidaten"), 2);
}

TEST_F(MatchingServiceTest, RestartResumesFromTheCursorWithNothingAppliedTwice) {
  RegisterStatushouder(kConsulentRijswijk, "r1", "111222333");
  RegisterStatushouder(kConsulentRijswijk, "r2", "123456782");
  CatchUp();
  EXPECT_EQ(applied_.load(), 2);
  StopMatching();

  // While matching is down, intake moves on.
  const v1::Statushouder third = RegisterStatushouder(kConsulentDelft, "r3", "111222333");
  SetLanguageLevel(third, third.version(), v1::CEFR_LEVEL_A2);

  StartMatching();  // a new process: state from the schema, stream from the stored cursor
  CatchUp();
  EXPECT_EQ(applied_.load(), 4) << "each of the four events applied exactly once";
  EXPECT_EQ(*db_->QueryInt("SELECT last_sequence FROM consumer_cursors WHERE stream = 'intake'"),
            4);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM kandidaten"), 3);
  EXPECT_EQ(service_->kandidaten().size(), 3u);
  ASSERT_NE(service_->kandidaten().Get(third.id()), nullptr);
  EXPECT_EQ(service_->kandidaten().Get(third.id())->language_level, v1::CEFR_LEVEL_A2);

  // Replaying what was applied changes nothing.
  auto events = intake_->outbox().ReadAfter(0, 100);
  ASSERT_TRUE(events.ok());
  auto replay = consumer_->ApplyBatch(*events);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(*replay, 0);
  EXPECT_EQ(applied_.load(), 4);
}

TEST_F(MatchingServiceTest, RegisterWerkplekIsIdempotentOnRequestId) {
  v1::Werkplek first, second;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 2), &first).ok());
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 2), &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(first.region(), "haaglanden");
  EXPECT_EQ(first.version(), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM werkplekken"), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 1);
  grpc::Status reuse = Register(kWspDenHaag, "w1", Werkplek("8322", v1::CEFR_LEVEL_A2, 2), &second);
  EXPECT_EQ(reuse.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(reuse.error_message().find("request_id"), std::string::npos);
}

TEST_F(MatchingServiceTest, BadWerkplekIsInvalidArgumentNamingTheFieldAndWritesNothing) {
  struct Case {
    std::function<void(v1::Werkplek&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::Werkplek& w) { w.set_occupation_isco("22"); }, "werkplek.occupation_isco"},
      {[](v1::Werkplek& w) { w.set_hours_per_week(41); }, "werkplek.hours_per_week"},
      {[](v1::Werkplek& w) { w.clear_dagdelen(); }, "werkplek.dagdelen"},
      {[](v1::Werkplek& w) { w.set_capacity(0); }, "werkplek.capacity"},
      {[](v1::Werkplek& w) { w.set_gemeente("GM0599"); }, "werkplek.gemeente"},
      {[](v1::Werkplek& w) { w.set_open_from("2026-02-30"); }, "werkplek.open_from"},
      {[](v1::Werkplek& w) { w.set_open_until("2025-01-01"); }, "werkplek.open_until"},
      {[](v1::Werkplek& w) { w.clear_location(); }, "werkplek.location"},
      {[](v1::Werkplek& w) { w.set_min_language_level(v1::CEFR_LEVEL_UNSPECIFIED); },
       "werkplek.min_language_level"},
      {[](v1::Werkplek& w) { w.set_type(v1::WERKPLEK_TYPE_UNSPECIFIED); }, "werkplek.type"},
  };
  for (const Case& c : cases) {
    v1::Werkplek w = Werkplek("3251", v1::CEFR_LEVEL_A2, 1), out;
    c.spoil(w);
    grpc::Status status = Register(kWspDenHaag, "bad", w, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_NE(status.error_message().find(c.field), std::string::npos) << status.error_message();
  }
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM werkplekken"), 0);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 0);
}

TEST_F(MatchingServiceTest, ConsulentMayNotRegisterWerkplekken) {
  v1::Werkplek out;
  EXPECT_EQ(
      Register(kConsulentRijswijk, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 1), &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(MatchingServiceTest, UpdateWerkplekChecksVersionAndMask) {
  v1::Werkplek w;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 2), &w).ok());
  v1::UpdateWerkplekRequest request;
  request.set_id(w.id());
  request.set_version(1);
  request.mutable_werkplek()->set_capacity(5);
  request.mutable_werkplek()->set_employer("ignored: not in the mask");
  request.add_update_mask("capacity");
  v1::Werkplek updated;
  {
    grpc::ClientContext context;
    AttachPrincipal(kWspDenHaag, context);
    ASSERT_TRUE(stub_->UpdateWerkplek(&context, request, &updated).ok());
  }
  EXPECT_EQ(updated.capacity(), 5);
  EXPECT_EQ(updated.employer(), w.employer());
  EXPECT_EQ(updated.version(), 2);
  {
    grpc::ClientContext context;
    AttachPrincipal(kWspDenHaag, context);
    EXPECT_EQ(stub_->UpdateWerkplek(&context, request, &updated).error_code(),
              grpc::StatusCode::ABORTED);
  }
  request.set_version(2);
  request.add_update_mask("capacity_used");
  {
    grpc::ClientContext context;
    AttachPrincipal(kWspDenHaag, context);
    grpc::Status status = stub_->UpdateWerkplek(&context, request, &updated);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("update_mask"), std::string::npos);
  }
}

TEST_F(MatchingServiceTest, AnotherRegionsWerkplekIsNotFoundLikeAMissingOne) {
  v1::Werkplek w, read;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 2), &w).ok());
  auto get = [&](const Principal& p, const std::string& id) {
    grpc::ClientContext context;
    AttachPrincipal(p, context);
    v1::GetWerkplekRequest request;
    request.set_id(id);
    return stub_->GetWerkplek(&context, request, &read);
  };
  EXPECT_TRUE(get(kConsulentDelft, w.id()).ok()) << "readable by the region's gemeenten";
  grpc::Status other = get(kWspRotterdam, w.id());
  grpc::Status missing = get(kWspRotterdam, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(other.error_message(), missing.error_message());
}

TEST_F(MatchingServiceTest, ListWerkplekkenFiltersAndPages) {
  v1::Werkplek out;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        Register(kWspDenHaag, absl::StrCat("a", i), Werkplek("3251", v1::CEFR_LEVEL_A2, 1), &out)
            .ok());
  }
  ASSERT_TRUE(Register(kWspDenHaag, "b", Werkplek("8322", v1::CEFR_LEVEL_B2, 1), &out).ok());
  v1::ListWerkplekkenRequest request;
  request.set_page_size(2);
  request.set_isco_prefix("32");
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    grpc::ClientContext context;
    AttachPrincipal(kConsulentRijswijk, context);
    v1::ListWerkplekkenResponse response;
    ASSERT_TRUE(stub_->ListWerkplekken(&context, request, &response).ok());
    for (const auto& w : response.werkplekken()) {
      EXPECT_EQ(w.occupation_isco(), "3251");
      seen.push_back(w.id());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 5u);

  v1::ListWerkplekkenRequest levels;
  levels.set_max_min_language_level(v1::CEFR_LEVEL_B1);
  grpc::ClientContext context;
  AttachPrincipal(kWspDenHaag, context);
  v1::ListWerkplekkenResponse response;
  ASSERT_TRUE(stub_->ListWerkplekken(&context, levels, &response).ok());
  EXPECT_EQ(response.werkplekken_size(), 5);

  v1::ListWerkplekkenRequest bad;
  bad.set_isco_prefix("3x");
  grpc::ClientContext bad_context;
  AttachPrincipal(kWspDenHaag, bad_context);
  grpc::Status status = stub_->ListWerkplekken(&bad_context, bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("isco_prefix"), std::string::npos);
}

TEST_F(MatchingServiceTest, PlacementLifecycleAccountsCapacity) {
  v1::Werkplek w;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 1), &w).ok());
  const v1::Statushouder a = RegisterStatushouder(kConsulentRijswijk, "r1", "111222333");
  const v1::Statushouder b = RegisterStatushouder(kConsulentRijswijk, "r2", "123456782");
  CatchUp();

  v1::Placement placement;
  ASSERT_TRUE(CreatePlacement(kWspDenHaag, "p1", a.id(), w.id(), &placement).ok());
  EXPECT_EQ(placement.status(), v1::PLACEMENT_STATUS_VOORGESTELD);
  EXPECT_EQ(placement.op_niveau(), v1::OP_NIVEAU_ONDER_NIVEAU) << "dentist as dental assistant";
  EXPECT_EQ(placement.gemeente(), "GM0603");
  EXPECT_EQ(*db_->QueryInt("SELECT capacity_used FROM werkplekken"), 1);

  v1::Placement replay;
  ASSERT_TRUE(CreatePlacement(kWspDenHaag, "p1", a.id(), w.id(), &replay).ok());
  EXPECT_EQ(replay.id(), placement.id());

  v1::Placement full;
  grpc::Status no_room = CreatePlacement(kWspDenHaag, "p2", b.id(), w.id(), &full);
  EXPECT_EQ(no_room.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(no_room.error_message().find("capacity"), std::string::npos);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM placements"), 1);

  v1::UpdatePlacementRequest start;
  start.set_id(placement.id());
  start.set_version(1);
  start.set_status(v1::PLACEMENT_STATUS_GESTART);
  start.set_date("2026-11-20");
  v1::Placement started;
  ASSERT_TRUE(UpdatePlacement(kConsulentRijswijk, start, &started).ok());
  EXPECT_EQ(started.start_date(), "2026-11-20");
  EXPECT_EQ(started.version(), 2);

  start.set_version(2);
  EXPECT_EQ(UpdatePlacement(kWspDenHaag, start, &started).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION)
      << "gestart -> gestart";
  EXPECT_EQ(UpdatePlacement(kConsulentDelft, start, &started).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "another gemeente's placement";

  v1::UpdatePlacementRequest end;
  end.set_id(placement.id());
  end.set_version(2);
  end.set_status(v1::PLACEMENT_STATUS_BEEINDIGD);
  end.set_date("2026-11-23");
  grpc::Status no_outcome = UpdatePlacement(kWspDenHaag, end, &started);
  EXPECT_EQ(no_outcome.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_outcome.error_message().find("outcome"), std::string::npos);
  end.set_outcome(v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT);
  grpc::Status no_reason = UpdatePlacement(kWspDenHaag, end, &started);
  EXPECT_NE(no_reason.error_message().find("outcome_reason_code"), std::string::npos);
  end.set_outcome_reason_code("TAALNIVEAU");
  v1::Placement ended;
  ASSERT_TRUE(UpdatePlacement(kWspDenHaag, end, &ended).ok());
  EXPECT_EQ(ended.status(), v1::PLACEMENT_STATUS_BEEINDIGD);
  EXPECT_EQ(ended.end_date(), "2026-11-23");
  EXPECT_EQ(*db_->QueryInt("SELECT capacity_used FROM werkplekken"), 0);

  // The freed place now takes the other candidate.
  ASSERT_TRUE(CreatePlacement(kWspDenHaag, "p2", b.id(), w.id(), &full).ok());
  // Placement, werkplek capacity and werkplek registration events are in the outbox.
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 1 + 2 + 1 + 2 + 2);
}

// Issue 7, no lost updates on a werkplek's capacity: many callers place candidates on one
// werkplek with capacity N at once; exactly N succeed, the others get FAILED_PRECONDITION naming
// the capacity. Then two callers at a time withdraw each proposal with the version they read: one
// wins, one is ABORTED, and capacity_used always equals the number of active placements (never
// below zero, never above capacity).
TEST_F(MatchingServiceTest, ConcurrentPlacementsNeverExceedCapacity) {
  constexpr int kCapacity = 5;
  constexpr int kCallers = 16;
  v1::Werkplek w;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, kCapacity), &w).ok());
  std::vector<v1::Statushouder> people;
  for (int i = 0; i < kCallers; ++i) {
    people.push_back(RegisterStatushouder(kConsulentRijswijk, absl::StrCat("r", i), TestBsn(i)));
  }
  CatchUp();
  const std::string active_placements = "SELECT COUNT(*) FROM placements WHERE status IN (1, 2)";

  std::mutex mu;
  std::vector<v1::Placement> placed;
  std::atomic<int> full{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      v1::Placement p;
      grpc::Status s =
          CreatePlacement(kWspDenHaag, absl::StrCat("p", i), people[i].id(), w.id(), &p);
      if (s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        placed.push_back(p);
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                 s.error_message().find("capacity") != std::string::npos) {
        ++full;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  ASSERT_EQ(placed.size(), static_cast<size_t>(kCapacity));
  EXPECT_EQ(full.load(), kCallers - kCapacity);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(*db_->QueryInt("SELECT capacity_used FROM werkplekken"), kCapacity);
  EXPECT_EQ(*db_->QueryInt(active_placements), kCapacity);

  std::atomic<int> ended{0}, aborted{0};
  for (const v1::Placement& p : placed) {
    for (int twice = 0; twice < 2; ++twice) {
      threads.emplace_back([&, p] {
        v1::UpdatePlacementRequest end;
        end.set_id(p.id());
        end.set_version(p.version());
        end.set_status(v1::PLACEMENT_STATUS_INGETROKKEN);
        end.set_date("2026-11-23");
        end.set_declined_by(v1::PLACEMENT_PARTY_CONSULENT);
        end.set_decline_reason_code("ANDERE_PLEK");
        v1::Placement out;
        grpc::Status s = UpdatePlacement(kWspDenHaag, end, &out);
        if (s.ok()) {
          ++ended;
        } else if (s.error_code() == grpc::StatusCode::ABORTED) {
          ++aborted;
        } else {
          ++other;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ended.load(), kCapacity);
  EXPECT_EQ(aborted.load(), kCapacity);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(*db_->QueryInt("SELECT capacity_used FROM werkplekken"), 0);
  EXPECT_EQ(*db_->QueryInt(active_placements), 0);
}

// One statushouder proposed for many werkplekken at once (different rows, so no werkplek lock
// orders them): exactly one placement may be created; the others are FAILED_PRECONDITION, and no
// werkplek keeps capacity used by a refused placement. Several statushouders make the race likely.
TEST_F(MatchingServiceTest, OneStatushouderGetsOnePlacementWhenManyAreCreatedAtOnce) {
  constexpr int kPeople = 4;
  constexpr int kWerkplekken = 8;
  std::vector<v1::Werkplek> werkplekken(kWerkplekken);
  for (int i = 0; i < kWerkplekken; ++i) {
    ASSERT_TRUE(Register(kWspDenHaag, absl::StrCat("w", i), Werkplek("3251", v1::CEFR_LEVEL_A2, 10),
                         &werkplekken[i])
                    .ok());
  }
  std::vector<v1::Statushouder> people;
  for (int i = 0; i < kPeople; ++i) {
    people.push_back(RegisterStatushouder(kConsulentRijswijk, absl::StrCat("r", i), TestBsn(i)));
  }
  CatchUp();
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int person = 0; person < kPeople; ++person) {
    for (int place = 0; place < kWerkplekken; ++place) {
      threads.emplace_back([&, person, place] {
        v1::Placement p;
        grpc::Status s = CreatePlacement(kWspDenHaag, absl::StrCat("p", person, "-", place),
                                         people[person].id(), werkplekken[place].id(), &p);
        if (s.ok()) {
          ++ok;
        } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                   s.error_message().find("already has a placement") != std::string::npos) {
          ++refused;
        } else {
          ++other;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kPeople);
  EXPECT_EQ(refused.load(), kPeople * (kWerkplekken - 1));
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(DISTINCT statushouder_id) FROM placements"), kPeople);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM placements"), kPeople);
  EXPECT_EQ(*db_->QueryInt("SELECT SUM(capacity_used) FROM werkplekken"), kPeople);
}

TEST_F(MatchingServiceTest, RecommendationsOfAnotherGemeentesCandidateAreNotFound) {
  const v1::Statushouder s = RegisterStatushouder(kConsulentRijswijk, "r1", "111222333");
  CatchUp();
  v1::RecommendWerkplekkenResponse response;
  grpc::Status other = Recommend(kConsulentDelft, s.id(), &response);
  grpc::Status missing = Recommend(kConsulentDelft, "01ARZ3NDEKTSV4RRFFQ69G5FAV", &response);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(other.error_message(), missing.error_message());
  EXPECT_TRUE(Recommend(kWspDenHaag, s.id(), &response).ok()) << "the region's WSP may";
  EXPECT_EQ(Recommend(kWspRotterdam, s.id(), &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Issue 19.5, one rule (matching.proto, Kandidaat): the candidate's own gemeente sees identity
// always; a WSP matcher of the region only after recorded consent; a consulent of another gemeente
// never.
TEST_F(MatchingServiceTest,
       RecommendKandidatenShowsIdentityToTheOwnGemeenteAndWithConsentToTheWsp) {
  v1::Werkplek w;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 3), &w).ok());
  const v1::Statushouder consenting =
      RegisterStatushouder(kConsulentRijswijk, "r1", "111222333", /*consent=*/true);
  const v1::Statushouder silent = RegisterStatushouder(kConsulentRijswijk, "r2", "123456782");
  const v1::Statushouder delft =
      RegisterStatushouder(kConsulentDelft, "r3", "100000009", /*consent=*/true);
  SetLanguageLevel(consenting, 1, v1::CEFR_LEVEL_B1);
  SetLanguageLevel(silent, 1, v1::CEFR_LEVEL_B1);
  SetLanguageLevel(delft, 1, v1::CEFR_LEVEL_B1);
  CatchUp();

  // The ids shown to `principal`, and checks every pseudonym.
  auto identified = [&](const Principal& principal) {
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    v1::RecommendKandidatenRequest request;
    request.set_werkplek_id(w.id());
    v1::RecommendKandidatenResponse response;
    grpc::Status status = stub_->RecommendKandidaten(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.recommendations_size(), 3);
    std::set<std::string> ids;
    for (const auto& rec : response.recommendations()) {
      const v1::Kandidaat& k = rec.kandidaat();
      EXPECT_EQ(k.pseudonym().size(), 18u);
      if (k.pseudonymised()) {
        EXPECT_TRUE(k.statushouder_id().empty());
      } else {
        EXPECT_EQ(k.pseudonym(),
                  Pseudonym("test-key-0123456789abcdef", "haaglanden", k.statushouder_id()));
        ids.insert(k.statushouder_id());
      }
    }
    return ids;
  };
  EXPECT_EQ(identified(kConsulentRijswijk), (std::set<std::string>{consenting.id(), silent.id()}))
      << "own gemeente: with or without consent";
  EXPECT_EQ(identified(kWspDenHaag), (std::set<std::string>{consenting.id(), delft.id()}))
      << "the region's WSP: only with consent";
  EXPECT_EQ(identified(kConsulentDelft), (std::set<std::string>{delft.id()}))
      << "another gemeente's consulent: never, consent or not";
}

// Issue 19.2: a proposal that never started is declined or withdrawn, with who and a coded reason,
// and no outcome; ending it with an outcome is refused; capacity is given back.
TEST_F(MatchingServiceTest, AProposalIsDeclinedWithoutAnOutcome) {
  v1::Werkplek w;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 1), &w).ok());
  const v1::Statushouder a = RegisterStatushouder(kConsulentRijswijk, "r1", "111222333");
  CatchUp();
  v1::Placement placement;
  ASSERT_TRUE(CreatePlacement(kWspDenHaag, "p1", a.id(), w.id(), &placement).ok());

  v1::UpdatePlacementRequest end;
  end.set_id(placement.id());
  end.set_version(placement.version());
  end.set_status(v1::PLACEMENT_STATUS_BEEINDIGD);
  end.set_date("2026-11-20");
  end.set_outcome(v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT);
  end.set_outcome_reason_code("TAALNIVEAU");
  v1::Placement out;
  grpc::Status never_started = UpdatePlacement(kWspDenHaag, end, &out);
  EXPECT_EQ(never_started.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(never_started.error_message().find("AFGEWEZEN"), std::string::npos)
      << never_started.error_message();

  v1::UpdatePlacementRequest decline;
  decline.set_id(placement.id());
  decline.set_version(placement.version());
  decline.set_status(v1::PLACEMENT_STATUS_AFGEWEZEN);
  decline.set_date("2026-11-20");
  grpc::Status who = UpdatePlacement(kWspDenHaag, decline, &out);
  EXPECT_EQ(who.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(who.error_message().find("declined_by"), std::string::npos) << who.error_message();
  decline.set_declined_by(v1::PLACEMENT_PARTY_WERKGEVER);
  grpc::Status why = UpdatePlacement(kWspDenHaag, decline, &out);
  EXPECT_NE(why.error_message().find("decline_reason_code"), std::string::npos)
      << why.error_message();
  decline.set_decline_reason_code("REISTIJD");
  decline.set_outcome(v1::PLACEMENT_OUTCOME_WERK);
  EXPECT_EQ(UpdatePlacement(kWspDenHaag, decline, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "no outcome with a decline";
  EXPECT_EQ(*db_->QueryInt("SELECT version FROM placements"), 1) << "nothing written so far";

  decline.clear_outcome();
  v1::Placement declined;
  ASSERT_TRUE(UpdatePlacement(kWspDenHaag, decline, &declined).ok());
  EXPECT_EQ(declined.status(), v1::PLACEMENT_STATUS_AFGEWEZEN);
  EXPECT_EQ(declined.declined_by(), v1::PLACEMENT_PARTY_WERKGEVER);
  EXPECT_EQ(declined.decline_reason_code(), "REISTIJD");
  EXPECT_EQ(declined.end_date(), "2026-11-20");
  EXPECT_EQ(declined.outcome(), v1::PLACEMENT_OUTCOME_UNSPECIFIED);
  EXPECT_TRUE(declined.start_date().empty());
  EXPECT_EQ(declined.werkplek_id(), w.id());
  EXPECT_EQ(declined.statushouder_id(), a.id());
  EXPECT_EQ(*db_->QueryInt("SELECT status FROM placements"), v1::PLACEMENT_STATUS_AFGEWEZEN);
  EXPECT_EQ(*db_->QueryInt("SELECT capacity_used FROM werkplekken"), 0);
  // Read back from the store: the answer is what is stored, and what the decline did not name is
  // as the proposal had it.
  auto stored = store_->LoadPlacements();
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals((*stored)[0], declined))
      << (*stored)[0].DebugString();
  EXPECT_EQ((*stored)[0].op_niveau(), placement.op_niveau());
  EXPECT_EQ((*stored)[0].gemeente(), placement.gemeente());
  EXPECT_EQ((*stored)[0].create_time().seconds(), placement.create_time().seconds());
  EXPECT_EQ((*stored)[0].version(), placement.version() + 1);

  // Final: it cannot start afterwards.
  v1::UpdatePlacementRequest start;
  start.set_id(placement.id());
  start.set_version(declined.version());
  start.set_status(v1::PLACEMENT_STATUS_GESTART);
  start.set_date("2026-11-21");
  EXPECT_EQ(UpdatePlacement(kWspDenHaag, start, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// Issue 19.4: someone who found work or education through a placement is not proposed again
// (ProposeAssignment, RecommendKandidaten) unless asked; a declined proposal or an ended placement
// without such an outcome leaves them a candidate.
TEST_F(MatchingServiceTest, PeopleWhoFoundWorkAreNotProposedAgainUnlessAsked) {
  v1::Werkplek first, second;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 2), &first).ok());
  ASSERT_TRUE(Register(kWspDenHaag, "w2", Werkplek("3251", v1::CEFR_LEVEL_A2, 2), &second).ok());
  const v1::Statushouder worker = RegisterStatushouder(kConsulentRijswijk, "r1", "111222333");
  const v1::Statushouder declined = RegisterStatushouder(kConsulentRijswijk, "r2", "123456782");
  SetLanguageLevel(worker, 1, v1::CEFR_LEVEL_B1);
  SetLanguageLevel(declined, 1, v1::CEFR_LEVEL_B1);
  CatchUp();
  auto proposed = [&](bool include_placed) {
    grpc::ClientContext context;
    AttachPrincipal(kWspDenHaag, context);
    v1::ProposeAssignmentRequest request;
    request.set_region("haaglanden");
    request.set_include_placed(include_placed);
    v1::ProposeAssignmentResponse response;
    grpc::Status status = stub_->ProposeAssignment(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.candidates();
  };
  ASSERT_EQ(proposed(false), 2);

  v1::Placement p1, p2, out;
  ASSERT_TRUE(CreatePlacement(kWspDenHaag, "p1", worker.id(), first.id(), &p1).ok());
  ASSERT_TRUE(CreatePlacement(kWspDenHaag, "p2", declined.id(), first.id(), &p2).ok());
  EXPECT_EQ(proposed(false), 0) << "both under way";

  v1::UpdatePlacementRequest u;
  u.set_id(p2.id());
  u.set_version(1);
  u.set_status(v1::PLACEMENT_STATUS_INGETROKKEN);
  u.set_date("2026-11-20");
  u.set_declined_by(v1::PLACEMENT_PARTY_KANDIDAAT);
  u.set_decline_reason_code("GEZONDHEID");
  ASSERT_TRUE(UpdatePlacement(kWspDenHaag, u, &out).ok());
  EXPECT_EQ(proposed(false), 1) << "withdrawn: a candidate again";

  u = {};
  u.set_id(p1.id());
  u.set_version(1);
  u.set_status(v1::PLACEMENT_STATUS_GESTART);
  u.set_date("2026-11-20");
  ASSERT_TRUE(UpdatePlacement(kWspDenHaag, u, &out).ok());
  u.set_version(2);
  u.set_status(v1::PLACEMENT_STATUS_BEEINDIGD);
  u.set_date("2026-11-23");
  u.set_outcome(v1::PLACEMENT_OUTCOME_WERK);
  ASSERT_TRUE(UpdatePlacement(kWspDenHaag, u, &out).ok());
  EXPECT_EQ(proposed(false), 1) << "found work: not proposed again";
  EXPECT_EQ(proposed(true), 2) << "asked for";

  // The same after a restart: the rule is applied to the stored placements.
  StopMatching();
  StartMatching();
  EXPECT_EQ(proposed(false), 1);
}

TEST_F(MatchingServiceTest, RecommendKandidatenLeavesOutActivelyPlacedUnlessAsked) {
  v1::Werkplek first, second;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 1), &first).ok());
  ASSERT_TRUE(Register(kWspDenHaag, "w2", Werkplek("3251", v1::CEFR_LEVEL_A2, 3), &second).ok());
  const v1::Statushouder placed =
      RegisterStatushouder(kConsulentRijswijk, "r1", "111222333", /*consent=*/true);
  const v1::Statushouder free =
      RegisterStatushouder(kConsulentRijswijk, "r2", "123456782", /*consent=*/true);
  SetLanguageLevel(placed, 1, v1::CEFR_LEVEL_B1);
  SetLanguageLevel(free, 1, v1::CEFR_LEVEL_B1);
  CatchUp();
  // The ids recommended for the second werkplek (both candidates consented: identified).
  auto recommended = [&](bool include_actively_placed) {
    grpc::ClientContext context;
    AttachPrincipal(kConsulentRijswijk, context);
    v1::RecommendKandidatenRequest request;
    request.set_werkplek_id(second.id());
    request.set_include_actively_placed(include_actively_placed);
    v1::RecommendKandidatenResponse response;
    grpc::Status status = stub_->RecommendKandidaten(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::set<std::string> ids;
    for (const auto& rec : response.recommendations())
      ids.insert(rec.kandidaat().statushouder_id());
    EXPECT_EQ(response.candidates_considered(), static_cast<int64_t>(ids.size()));
    return ids;
  };
  const std::set<std::string> both = {placed.id(), free.id()};
  ASSERT_EQ(recommended(false), both) << "no placement yet";

  v1::Placement placement;
  ASSERT_TRUE(CreatePlacement(kWspDenHaag, "p1", placed.id(), first.id(), &placement).ok());
  EXPECT_EQ(recommended(false), std::set<std::string>{free.id()}) << "voorgesteld";
  EXPECT_EQ(recommended(true), both) << "asked for";

  v1::UpdatePlacementRequest update;
  update.set_id(placement.id());
  update.set_version(1);
  update.set_status(v1::PLACEMENT_STATUS_GESTART);
  update.set_date("2026-11-20");
  v1::Placement updated;
  ASSERT_TRUE(UpdatePlacement(kWspDenHaag, update, &updated).ok());
  EXPECT_EQ(recommended(false), std::set<std::string>{free.id()}) << "gestart";

  update.set_version(2);
  update.set_status(v1::PLACEMENT_STATUS_BEEINDIGD);
  update.set_date("2026-11-23");
  update.set_outcome(v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT);
  update.set_outcome_reason_code("TAALNIVEAU");
  ASSERT_TRUE(UpdatePlacement(kWspDenHaag, update, &updated).ok());
  EXPECT_EQ(recommended(false), both) << "beeindigd: a candidate again";
}

TEST_F(MatchingServiceTest, ProposeAssignmentIsOptimalAndReportsFairness) {
  v1::Werkplek dental, taxi;
  ASSERT_TRUE(Register(kWspDenHaag, "w1", Werkplek("3251", v1::CEFR_LEVEL_A2, 1), &dental).ok());
  ASSERT_TRUE(Register(kWspDenHaag, "w2", Werkplek("8322", v1::CEFR_LEVEL_A2, 1), &taxi).ok());
  const v1::Statushouder a = RegisterStatushouder(kConsulentRijswijk, "r1", "111222333");
  const v1::Statushouder b = RegisterStatushouder(kConsulentDelft, "r2", "123456782");
  SetLanguageLevel(a, 1, v1::CEFR_LEVEL_B1);
  SetLanguageLevel(b, 1, v1::CEFR_LEVEL_B1);
  CatchUp();

  grpc::ClientContext context;
  AttachPrincipal(kWspDenHaag, context);
  v1::ProposeAssignmentRequest request;
  request.set_region("haaglanden");
  v1::ProposeAssignmentResponse response;
  ASSERT_TRUE(stub_->ProposeAssignment(&context, request, &response).ok());
  EXPECT_EQ(response.candidates(), 2);
  EXPECT_EQ(response.places(), 2);
  ASSERT_EQ(response.pairs_size(), 2);
  EXPECT_GE(response.total_score() + 1e-9, response.greedy_total_score());
  double sum = 0;
  for (const auto& pair : response.pairs()) sum += pair.match().score();
  EXPECT_NEAR(sum, response.total_score(), 1e-5);
  bool gender_row = false;
  for (const auto& row : response.fairness()) {
    if (row.dimension() == "gender" && row.group() == "vrouw") {
      gender_row = true;
      EXPECT_EQ(row.candidates(), 2);
      EXPECT_EQ(row.proposed(), 2);
      EXPECT_DOUBLE_EQ(row.proposed_rate(), 1.0);
    }
  }
  EXPECT_TRUE(gender_row);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM placements"), 0) << "it proposes, never places";

  grpc::ClientContext other_context;
  AttachPrincipal(kWspDenHaag, other_context);
  request.set_region("rijnmond");
  EXPECT_EQ(stub_->ProposeAssignment(&other_context, request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace inburgering::matching

// ReportingService end to end on the real MariaDB over real gRPC on loopback: a real
// intake-service (registrations through its RPC, trajectory changes through its store and
// outbox), a real matching event producer (an Outbox in its own schema served by
// ServeEventStream), the reporting consumers, and the reports read through the RPCs.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/event_consumer.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"
#include "inburgering/v1/reporting.grpc.pb.h"
#include "intake-service/mysql_statushouder_store.h"
#include "reporting-service/projection.h"
#include "reporting-service/recount.h"
#include "reporting-service/report_store.h"
#include "reporting-service/reporting_service.h"
#include "tests/support/in_process_intake.h"
#include "tests/support/test_database.h"

namespace inburgering::reporting {
namespace {

const Principal kConsulentRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
const Principal kAnalistDelft{"GM0503", Role::kAnalist, "analist.delft"};
const Principal kIntakeRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
const Principal kService{"GM0000", Role::kService, "reporting-service"};
const absl::CivilDay kToday(2026, 11, 23);

// A 9-digit BSN passing the 11-proef, different for every n.
std::string Bsn(int n) {
  for (int base = 10000000 + n * 7;; ++base) {
    const std::string digits = absl::StrCat(base);
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (digits[i] - '0') * (9 - i);
    const int check = sum % 11;
    if (check < 10) return absl::StrCat(digits, check);
  }
}

// The matching side as far as reporting sees it: its event stream, served from a real outbox.
class MatchingEventsService final : public v1::MatchingService::CallbackService {
 public:
  explicit MatchingEventsService(Outbox& outbox) : outbox_(outbox) {}
  grpc::ServerWriteReactor<v1::Event>* StreamEvents(
      grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) override {
    return ServeEventStream(*context, outbox_, *request);
  }

 private:
  Outbox& outbox_;
};

class ReportingIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto intake = testing::InProcessIntake::Start(workers_, [] { return kToday; });
    ASSERT_TRUE(intake.ok()) << intake.status();
    intake_ = *std::move(intake);
    auto matching_db = testing::TestDatabase::Create(OutboxMigrations());
    ASSERT_TRUE(matching_db.ok()) << matching_db.status();
    matching_db_ = *std::move(matching_db);
    auto reporting_db = testing::TestDatabase::Create(ReportingMigrations());
    ASSERT_TRUE(reporting_db.ok()) << reporting_db.status();
    reporting_db_ = *std::move(reporting_db);

    matching_outbox_ = std::make_unique<Outbox>(matching_db_->pool(), workers_);
    matching_outbox_->Start(absl::Milliseconds(20));
    matching_service_ = std::make_unique<MatchingEventsService>(*matching_outbox_);
    matching_server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    matching_server_->AddService(matching_service_.get());
    matching_server_->OnShutdown([this] { matching_outbox_->Stop(); });
    ASSERT_TRUE(matching_server_->Start().ok());
    matching_stub_ = v1::MatchingService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", matching_server_->port()), grpc::InsecureChannelCredentials()));

    streams_ = {{"intake",
                 [this](grpc::ClientContext* c, const v1::StreamEventsRequest& r) {
                   return intake_->stub().StreamEvents(c, r);
                 }},
                {"matching", [this](grpc::ClientContext* c, const v1::StreamEventsRequest& r) {
                   return matching_stub_->StreamEvents(c, r);
                 }}};
    StartConsumers();

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
    StopConsumers();
    if (reporting_server_) reporting_server_->Shutdown(absl::Seconds(1));
    if (matching_server_) matching_server_->Shutdown(absl::Seconds(1));
    intake_.reset();
  }

  void StartConsumers() {
    for (const auto& [stream, open] : streams_) {
      consumers_[stream] = std::make_unique<EventConsumer>(
          EventConsumer::Options{stream}, reporting_db_->pool(), open, kService,
          [this, name = stream](const v1::Event& event, PooledConnection& c) {
            return projection_.Apply(name, event, c);
          });
      consumers_[stream]->Start();
    }
  }
  void StopConsumers() {
    for (auto& [stream, consumer] : consumers_) consumer->Stop();
    consumers_.clear();
  }

  // Waits until the consumers have applied everything both producers have committed.
  void Sync() {
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

  // Registers through IntakeService.RegisterStatushouder; returns the record.
  v1::Statushouder Register(const std::string& gemeente, int n, const std::string& vestiging,
                            const std::string& country = "SY", bool bijstand = true) {
    v1::RegisterStatushouderRequest request;
    request.set_request_id(absl::StrCat("r", n));
    v1::Statushouder* s = request.mutable_statushouder();
    s->set_bsn(Bsn(n));
    s->set_given_names("Test");
    s->set_family_name("Persoon");
    s->set_birth_date("1990-01-01");
    s->set_gender(v1::GENDER_VROUW);
    s->set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
    s->set_country_of_origin(country);
    s->set_vestigingsdatum(vestiging);
    s->mutable_uitkering()->set_bijstand(bijstand);
    if (bijstand) s->mutable_uitkering()->set_start_date(vestiging);
    grpc::ClientContext context;
    AttachPrincipal(Principal{gemeente, Role::kConsulent, "consulent"}, context);
    v1::Statushouder created;
    grpc::Status status = intake_->stub().RegisterStatushouder(&context, request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // A trajectory change through the intake store (its own transaction and outbox event).
  v1::Statushouder Change(const v1::Statushouder& s, v1::StatushouderChanged::Change change,
                          const std::function<void(v1::Statushouder&)>& mutate) {
    auto updated = intake_->store().Update(s.gemeente(), s.id(), s.version(), change,
                                           [&](v1::Statushouder& r) {
                                             mutate(r);
                                             return absl::OkStatus();
                                           });
    EXPECT_TRUE(updated.ok()) << updated.status();
    return *updated;
  }

  // Publishes a matching event the way the matching service does: in a transaction, via its outbox.
  void Publish(const v1::Event& event) {
    ASSERT_TRUE(matching_db_->pool()
                    .InTransaction("publish",
                                   [&](PooledConnection& c) {
                                     Outbox::Append(c, event);
                                     return absl::OkStatus();
                                   })
                    .ok());
    matching_outbox_->NotifyCommitted();
  }
  void PublishWerkplek(const std::string& id, v1::WerkplekType type, bool talend) {
    v1::Event event;
    event.set_gemeente("GM0603");
    event.set_aggregate_id(id);
    v1::Werkplek* w = event.mutable_werkplek_changed()->mutable_werkplek();
    event.mutable_werkplek_changed()->set_change(v1::WerkplekChanged::REGISTERED);
    w->set_id(id);
    w->set_gemeente("GM0603");
    w->set_type(type);
    w->mutable_talende_omgeving()->set_dutch_working_language(talend);
    Publish(event);
  }
  void PublishPlacement(const std::string& id, const v1::Statushouder& s,
                        const std::string& werkplek, v1::PlacementStatus status,
                        v1::PlacementOutcome outcome, const std::string& start,
                        const std::string& end) {
    v1::Event event;
    event.set_gemeente(s.gemeente());
    event.set_aggregate_id(id);
    event.mutable_placement_changed()->set_change(v1::PlacementChanged::UPDATED);
    v1::Placement* p = event.mutable_placement_changed()->mutable_placement();
    p->set_id(id);
    p->set_statushouder_id(s.id());
    p->set_werkplek_id(werkplek);
    p->set_gemeente(s.gemeente());
    p->set_status(status);
    p->set_outcome(outcome);
    p->set_start_date(start);
    p->set_end_date(end);
    if (outcome == v1::PLACEMENT_OUTCOME_WERK) p->set_op_niveau(v1::OP_NIVEAU_OP_NIVEAU);
    Publish(event);
  }

  grpc::Status GemeenteReport(const Principal& principal, const std::string& gemeente,
                              const std::string& from, const std::string& to, bool unsuppressed,
                              v1::Report* report) {
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    v1::GetGemeenteReportRequest request;
    request.set_gemeente(gemeente);
    request.mutable_period()->set_from(from);
    request.mutable_period()->set_to(to);
    request.set_unsuppressed(unsuppressed);
    return reporting_stub_->GetGemeenteReport(&context, request, report);
  }

  static const v1::ReportRow& Row(const v1::Report& report, const std::string& table,
                                  const std::string& row) {
    for (const auto& t : report.tables()) {
      if (t.key() != table) continue;
      for (const auto& r : t.rows()) {
        if (r.key() == row) return r;
      }
    }
    ADD_FAILURE() << "no row " << table << "." << row;
    static const v1::ReportRow kEmpty;
    return kEmpty;
  }
  static int64_t Count(const v1::Report& report, const std::string& table, const std::string& row,
                       int column = 0) {
    const v1::ReportRow& r = Row(report, table, row);
    if (r.cells_size() <= column) return -1;
    EXPECT_FALSE(r.cells(column).suppressed()) << table << "." << row;
    return r.cells(column).count();
  }

  // Every maintained figure and per-record contribution, as one comparable text.
  std::string MaintainedState() {
    std::string state;
    absl::Status s = reporting_db_->pool().Run("snapshot", [&](PooledConnection& c) {
      state.clear();
      for (const char* query :
           {"SELECT CONCAT_WS('|', gemeente, month, dimension, value, count) FROM aggregates "
            "WHERE ledger = 0 ORDER BY gemeente, month, dimension, value",
            "SELECT CONCAT_WS('|', gemeente, month, dimension, data) FROM histograms "
            "WHERE ledger = 0 ORDER BY gemeente, month, dimension",
            "SELECT CONCAT_WS('|', id, keys_text) FROM persons WHERE ledger = 0 ORDER BY id",
            "SELECT CONCAT_WS('|', id, keys_text) FROM placements WHERE ledger = 0 ORDER BY id"}) {
        std::unique_ptr<sql::ResultSet> rs(c.Prepare(query).executeQuery());
        while (rs->next()) absl::StrAppend(&state, std::string(rs->getString(1)), "\n");
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return state;
  }

  void ExpectRecountEqualsMaintained() {
    auto recount = Recount(reporting_db_->pool(), streams_, kService);
    ASSERT_TRUE(recount.ok()) << recount.status();
    EXPECT_GT(recount->counters_compared, 0);
    for (const RecountDifference& d : recount->differences) {
      ADD_FAILURE() << d.key.gemeente << " " << d.key.month << " " << d.key.dimension << "="
                    << d.key.value << ": maintained " << d.maintained << ", recounted "
                    << d.recounted;
    }
  }

  WorkerPool workers_{8};
  std::unique_ptr<testing::InProcessIntake> intake_;
  std::unique_ptr<testing::TestDatabase> matching_db_, reporting_db_;
  std::unique_ptr<Outbox> matching_outbox_;
  std::unique_ptr<MatchingEventsService> matching_service_;
  std::unique_ptr<GrpcServer> matching_server_, reporting_server_;
  std::unique_ptr<v1::MatchingService::Stub> matching_stub_;
  std::map<std::string, StreamOpener> streams_;
  const Projection projection_;
  std::map<std::string, std::unique_ptr<EventConsumer>> consumers_;
  std::unique_ptr<MysqlReportStore> report_store_;
  std::unique_ptr<ReportingServiceImpl> reporting_service_;
  std::unique_ptr<v1::ReportingService::Stub> reporting_stub_;
};

// Seed 000: the 34 candidates of the Rijswijk pilot, their intake groups (11 / 12 / 11) and the
// outcomes of their placements (werk 7, werkervaringsplaats 12, opleiding 4, nog niet in staat 11).
TEST_F(ReportingIntegrationTest, ReproducesSeed000OutcomeTableFromRealEvents) {
  PublishWerkplek("wp-1", v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS, true);
  const std::vector<std::pair<v1::PlacementOutcome, int>> outcomes = {
      {v1::PLACEMENT_OUTCOME_WERK, 7},
      {v1::PLACEMENT_OUTCOME_WERKERVARINGSPLAATS, 12},
      {v1::PLACEMENT_OUTCOME_OPLEIDING, 4},
      {v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT, 11}};
  int n = 0;
  for (const auto& [outcome, count] : outcomes) {
    for (int i = 0; i < count; ++i, ++n) {
      v1::Statushouder s = Register("GM0603", n, absl::StrFormat("2024-0%d-15", 1 + n % 3));
      const v1::IntakeGroep groep = n < 11   ? v1::INTAKE_GROEP_KLAAR_VOOR_WERK
                                    : n < 23 ? v1::INTAKE_GROEP_ROUTE_NAAR_WERK
                                             : v1::INTAKE_GROEP_NU_NIET_IN_STAAT;
      Change(s, v1::StatushouderChanged::BREDE_INTAKE_RECORDED, [&](v1::Statushouder& r) {
        r.mutable_brede_intake()->set_date("2024-04-01");
        r.mutable_brede_intake()->set_intake_groep(groep);
      });
      // Issue 19.3: "nog niet in staat" after the intake needs no placement (seed 000 counts
      // people, some never placed).
      if (outcome == v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT) continue;
      const std::string id = absl::StrCat("pl-", n);
      PublishPlacement(id, s, "wp-1", v1::PLACEMENT_STATUS_GESTART,
                       v1::PLACEMENT_OUTCOME_UNSPECIFIED, "2024-05-01", "");
      PublishPlacement(id, s, "wp-1", v1::PLACEMENT_STATUS_BEEINDIGD, outcome, "2024-05-01",
                       "2024-08-15");
    }
  }
  Sync();

  v1::Report report;
  ASSERT_TRUE(
      GemeenteReport(kConsulentRijswijk, "GM0603", "2024-01-01", "2024-09-01", true, &report).ok());
  EXPECT_EQ(Count(report, "uitkomsten", "werk"), 7);
  EXPECT_EQ(Count(report, "uitkomsten", "werkervaringsplaats"), 12);
  EXPECT_EQ(Count(report, "uitkomsten", "opleiding"), 4);
  EXPECT_EQ(Count(report, "uitkomsten", "nog_niet_in_staat"), 11);
  EXPECT_EQ(Count(report, "uitkomsten", "totaal"), 34);
  EXPECT_EQ(Count(report, "intakegroepen", "klaar_voor_werk"), 11);
  EXPECT_EQ(Count(report, "intakegroepen", "route_naar_werk"), 12);
  EXPECT_EQ(Count(report, "intakegroepen", "nu_niet_in_staat"), 11);
  EXPECT_EQ(Count(report, "populatie_type", "totaal"), 34);
  // Per placement: the 11 never placed are not there.
  EXPECT_EQ(Count(report, "uitkomsten_plaatsingen", "werk"), 7);
  EXPECT_EQ(Count(report, "uitkomsten_plaatsingen", "nog_niet_in_staat"), 0);
  EXPECT_EQ(Count(report, "uitkomsten_plaatsingen", "totaal"), 23);
  EXPECT_EQ(Count(report, "integratieroutes", "1"), 7) << "ended in werk";
  EXPECT_EQ(Count(report, "integratieroutes", "2"), 4) << "ended in opleiding";
  EXPECT_EQ(Count(report, "integratieroutes", "3"), 12) << "on a werkervaringsplaats";
  EXPECT_EQ(Count(report, "integratieroutes", "5"), 11) << "not placed";
  EXPECT_EQ(Count(report, "taalvoortgang", "totaal"), 0);
  EXPECT_EQ(Row(report, "werk_op_niveau", "op_niveau_pct").cells(0).percentage(), 100.0);

  // Delft's analist sees Rijswijk's figures with disclosure control.
  v1::Report other;
  ASSERT_TRUE(
      GemeenteReport(kAnalistDelft, "GM0603", "2024-01-01", "2024-09-01", false, &other).ok());
  EXPECT_TRUE(other.suppression_applied());
  EXPECT_TRUE(Row(other, "uitkomsten", "werk").cells(0).suppressed());
  EXPECT_TRUE(Row(other, "uitkomsten", "opleiding").cells(0).suppressed());
  EXPECT_EQ(Row(other, "uitkomsten", "werkervaringsplaats").cells(0).count(), 12);

  // A period before the placements ended has no placement outcomes; the 11 found not able at the
  // intake (April) have theirs.
  v1::Report early;
  ASSERT_TRUE(
      GemeenteReport(kConsulentRijswijk, "GM0603", "2024-01-01", "2024-08-01", false, &early).ok());
  EXPECT_EQ(Count(early, "uitkomsten_plaatsingen", "totaal"), 0);
  EXPECT_EQ(Count(early, "uitkomsten", "totaal"), 11);
  EXPECT_EQ(Count(early, "uitkomsten", "nog_niet_in_staat"), 11);
  EXPECT_EQ(Count(early, "populatie_type", "totaal"), 34);
  ExpectRecountEqualsMaintained();
}

TEST_F(ReportingIntegrationTest, TimelinessAndLanguageProgressFromTheTrajectory) {
  PublishWerkplek("wp-talend", v1::WERKPLEK_TYPE_BETAALD_WERK, true);
  // Two people: PIP after 52 and 80 days; A2 -> B1 in 92 days with a talende werkplek and in
  // 150 days without.
  v1::Statushouder a = Register("GM0603", 1, "2026-03-10");
  v1::Statushouder b = Register("GM0603", 2, "2026-03-10", "ER", false);
  a = Change(a, v1::StatushouderChanged::PIP_ESTABLISHED, [](v1::Statushouder& r) {
    r.mutable_pip()->set_date("2026-05-01");
    r.mutable_pip()->set_leerroute(v1::LEERROUTE_B1);
    r.mutable_pip()->set_on_time(true);
    r.set_phase(v1::PHASE_INBURGERING);
  });
  b = Change(b, v1::StatushouderChanged::PIP_ESTABLISHED, [](v1::Statushouder& r) {
    r.mutable_pip()->set_date("2026-05-29");
    r.mutable_pip()->set_leerroute(v1::LEERROUTE_Z_ROUTE);
    r.mutable_pip()->set_on_time(false);
    r.set_phase(v1::PHASE_INBURGERING);
  });
  auto measure = [&](v1::Statushouder& s, v1::CefrLevel level, const std::string& date) {
    s = Change(s, v1::StatushouderChanged::LANGUAGE_LEVEL_RECORDED, [&](v1::Statushouder& r) {
      auto* m = r.add_language_measurements();
      m->set_level(level);
      m->set_date(date);
    });
  };
  measure(a, v1::CEFR_LEVEL_A2, "2026-06-01");
  measure(a, v1::CEFR_LEVEL_B1, "2026-09-01");
  measure(b, v1::CEFR_LEVEL_A2, "2026-04-01");
  measure(b, v1::CEFR_LEVEL_B1, "2026-08-29");
  PublishPlacement("pl-a", a, "wp-talend", v1::PLACEMENT_STATUS_GESTART,
                   v1::PLACEMENT_OUTCOME_UNSPECIFIED, "2026-04-10", "");
  Sync();

  v1::Report report;
  ASSERT_TRUE(
      GemeenteReport(kConsulentRijswijk, "GM0603", "2026-01-01", "2026-12-01", false, &report)
          .ok());
  EXPECT_EQ(Count(report, "tijdigheid", "met_pip"), 2);
  EXPECT_EQ(Count(report, "tijdigheid", "pip_op_tijd"), 1);
  EXPECT_EQ(Row(report, "tijdigheid", "pip_op_tijd_pct").cells(0).percentage(), 50.0);
  EXPECT_EQ(Row(report, "tijdigheid", "mediaan_dagen_vestiging_pip").cells(0).days(), 66.0);
  EXPECT_EQ(Row(report, "tijdigheid", "mediaan_dagen_vestiging_plaatsing").cells(0).days(), 31.0);
  EXPECT_EQ(Count(report, "taalvoortgang", "met_talende_werkplek"), 1);
  EXPECT_EQ(Count(report, "taalvoortgang", "zonder_talende_werkplek"), 1);
  EXPECT_EQ(Row(report, "taalvoortgang", "mediaan_dagen_met_talende_werkplek").cells(0).days(),
            92.0);
  EXPECT_EQ(Row(report, "taalvoortgang", "mediaan_dagen_zonder_talende_werkplek").cells(0).days(),
            150.0);
  EXPECT_EQ(Count(report, "populatie_leerroute", "b1"), 1);
  EXPECT_EQ(Count(report, "populatie_leerroute", "z_route"), 1);
  EXPECT_EQ(Count(report, "integratieroutes", "1"), 1) << "a on betaald werk";
  EXPECT_EQ(Count(report, "integratieroutes", "4"), 1) << "b on the Z-route";
  EXPECT_EQ(Count(report, "populatie_uitkering", "ja"), 1);

  // Bijstand outflow: a leaves the bijstand.
  a = Change(a, v1::StatushouderChanged::UPDATED,
             [](v1::Statushouder& r) { r.mutable_uitkering()->set_end_date("2026-10-01"); });
  Sync();
  ASSERT_TRUE(
      GemeenteReport(kConsulentRijswijk, "GM0603", "2026-01-01", "2026-12-01", false, &report)
          .ok());
  EXPECT_EQ(Count(report, "bijstand_uitstroom", "uitgestroomd"), 1);
  EXPECT_EQ(Row(report, "bijstand_uitstroom", "uitstroom_pct").cells(0).percentage(), 100.0);
  ExpectRecountEqualsMaintained();
}

TEST_F(ReportingIntegrationTest, UpdatesAndRestartsNeverCountTwice) {
  PublishWerkplek("wp-1", v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS, false);
  std::vector<v1::Statushouder> people;
  for (int i = 0; i < 6; ++i) people.push_back(Register("GM0603", i, "2025-06-02"));
  Sync();

  // Stop the consumers mid-stream; the producers keep writing.
  StopConsumers();
  for (int i = 0; i < 3; ++i) {
    people[i] = Change(people[i], v1::StatushouderChanged::PHASE_CHANGED,
                       [](v1::Statushouder& r) { r.set_phase(v1::PHASE_VERTROKKEN); });
    PublishPlacement(absl::StrCat("pl-", i), people[i], "wp-1", v1::PLACEMENT_STATUS_BEEINDIGD,
                     v1::PLACEMENT_OUTCOME_WERKERVARINGSPLAATS, "2025-07-01", "2025-09-01");
  }
  StartConsumers();
  Sync();

  // Replaying the whole stream through a consumer at its cursor changes nothing.
  for (const auto& [stream, open] : streams_) {
    grpc::ClientContext context;
    AttachPrincipal(kService, context);
    v1::StreamEventsRequest request;
    request.set_stop_at_head(true);
    auto reader = open(&context, request);
    std::vector<v1::Event> all;
    v1::Event event;
    while (reader->Read(&event)) all.push_back(event);
    ASSERT_TRUE(reader->Finish().ok());
    auto applied = consumers_[stream]->ApplyBatch(all);
    ASSERT_TRUE(applied.ok());
    EXPECT_EQ(*applied, 0) << stream;
  }
  // The same placement state published again (an UPDATE that changes nothing) also counts once.
  PublishPlacement("pl-0", people[0], "wp-1", v1::PLACEMENT_STATUS_BEEINDIGD,
                   v1::PLACEMENT_OUTCOME_WERKERVARINGSPLAATS, "2025-07-01", "2025-09-01");
  Sync();

  v1::Report report;
  ASSERT_TRUE(
      GemeenteReport(kConsulentRijswijk, "GM0603", "2025-01-01", "2026-01-01", false, &report)
          .ok());
  EXPECT_EQ(Count(report, "populatie_fase", "totaal"), 6);
  EXPECT_EQ(Count(report, "populatie_fase", "vertrokken"), 3);
  EXPECT_EQ(Count(report, "populatie_fase", "intake"), 3);
  EXPECT_EQ(Count(report, "uitkomsten", "werkervaringsplaats"), 3);
  EXPECT_EQ(Count(report, "uitkomsten", "totaal"), 3);
  EXPECT_EQ(Count(report, "integratieroutes", "3"), 3);
  EXPECT_EQ(Count(report, "integratieroutes", "5"), 3);
  ExpectRecountEqualsMaintained();
}

TEST_F(ReportingIntegrationTest, RewoundCursorsReplayedThreeTimesLeaveTheFiguresUnchanged) {
  PublishWerkplek("wp-1", v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS, false);
  std::vector<v1::Statushouder> people;
  for (int i = 0; i < 6; ++i) people.push_back(Register("GM0603", i, "2025-06-02"));
  for (int i = 0; i < 3; ++i) {
    people[i] = Change(people[i], v1::StatushouderChanged::PHASE_CHANGED,
                       [](v1::Statushouder& r) { r.set_phase(v1::PHASE_VERTROKKEN); });
    PublishPlacement(absl::StrCat("pl-", i), people[i], "wp-1", v1::PLACEMENT_STATUS_BEEINDIGD,
                     v1::PLACEMENT_OUTCOME_WERKERVARINGSPLAATS, "2025-07-01", "2025-09-01");
  }
  Sync();
  const std::string before = MaintainedState();
  ASSERT_NE(before.find("vertrokken"), std::string::npos) << before;

  // Both cursors back to the start, so every event is applied again on top of its own effect.
  for (int round = 1; round <= 3; ++round) {
    StopConsumers();
    ASSERT_TRUE(reporting_db_
                    ->Execute(absl::StrCat("UPDATE ", reporting_db_->schema(),
                                           ".consumer_cursors SET last_sequence = 0"))
                    .ok());
    StartConsumers();
    Sync();
    EXPECT_EQ(MaintainedState(), before) << "after replay " << round;
  }
  ExpectRecountEqualsMaintained();
}

TEST_F(ReportingIntegrationTest, RegionalReportAndExportThroughTheRpcs) {
  for (int i = 0; i < 12; ++i) Register("GM0603", i, "2026-02-02");
  for (int i = 0; i < 3; ++i) Register("GM0518", 100 + i, "2026-02-02", "TR");
  Sync();

  grpc::ClientContext context;
  AttachPrincipal(kConsulentRijswijk, context);
  v1::GetRegionalReportRequest request;
  request.set_region("haaglanden");
  request.mutable_period()->set_from("2026-01-01");
  request.mutable_period()->set_to("2026-12-01");
  v1::Report report;
  ASSERT_TRUE(reporting_stub_->GetRegionalReport(&context, request, &report).ok());
  const v1::ReportRow& total = Row(report, "populatie_type", "totaal");
  ASSERT_EQ(total.cells_size(), 4);
  EXPECT_EQ(total.cells(0).count(), 12) << "own gemeente";
  EXPECT_TRUE(total.cells(1).suppressed()) << "Den Haag's 3";
  EXPECT_TRUE(total.cells(2).suppressed()) << "Delft's 0";

  grpc::ClientContext export_context;
  AttachPrincipal(kConsulentRijswijk, export_context);
  v1::ExportReportRequest export_request;
  export_request.set_format(v1::ExportReportRequest::CSV);
  export_request.set_region("haaglanden");
  *export_request.mutable_period() = request.period();
  v1::ExportReportResponse file;
  ASSERT_TRUE(reporting_stub_->ExportReport(&export_context, export_request, &file).ok());
  EXPECT_EQ(file.content_type(), "text/csv; charset=utf-8");
  EXPECT_EQ(file.filename(), "rapportage_haaglanden_2026-01-01_2026-12-01.csv");
  EXPECT_NE(file.content().find("Tabel;Regel;Rijswijk;'s-Gravenhage;Delft;Totaal Haaglanden"),
            std::string::npos);
  EXPECT_NE(file.content().find("Populatie naar type;Totaal;12;x;x;"), std::string::npos);
}

TEST_F(ReportingIntegrationTest, BadRequestsGetClearErrorsAndNoData) {
  v1::Report report;
  grpc::Status unknown =
      GemeenteReport(kConsulentRijswijk, "GM9999", "2026-01-01", "2026-02-01", false, &report);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(unknown.error_message().rfind("gemeente", 0), 0u);
  grpc::Status inverted =
      GemeenteReport(kConsulentRijswijk, "GM0603", "2026-05-01", "2026-02-01", false, &report);
  EXPECT_EQ(inverted.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(inverted.error_message().rfind("period", 0), 0u);
  grpc::Status open_ended =
      GemeenteReport(kConsulentRijswijk, "GM0603", "2026-01-01", "", false, &report);
  EXPECT_EQ(open_ended.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status beyond =
      GemeenteReport(kConsulentRijswijk, "GM0603", "2026-01-01", "2030-01-01", false, &report);
  EXPECT_EQ(beyond.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status other =
      GemeenteReport(kAnalistDelft, "GM0603", "2026-01-01", "2026-02-01", true, &report);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(report.tables_size(), 0);
  grpc::ClientContext context;
  v1::GetGemeenteReportRequest request;
  request.set_gemeente("GM0603");
  EXPECT_EQ(reporting_stub_->GetGemeenteReport(&context, request, &report).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace inburgering::reporting

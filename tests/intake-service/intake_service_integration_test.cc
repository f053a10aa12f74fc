// IntakeService against the real MariaDB, over real gRPC on loopback.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "google/protobuf/util/message_differencer.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "intake-service/intake_service.h"
#include "intake-service/mysql_statushouder_store.h"
#include "tests/support/test_bsn.h"
#include "tests/support/test_database.h"
#include "tests/support/test_registration.h"

namespace inburgering::intake {
namespace {

const Principal kRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
const Principal kDelft{"GM0503", Role::kConsulent, "consulent.delft"};
const Principal kService{"GM0000", Role::kService, "reporting-service"};
using Stub = v1::IntakeService::Stub;

using testing::TestBsn;

// One intake-service in process: real store, real outbox, real server on a free port.
class IntakeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(IntakeMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    outbox_ = std::make_unique<Outbox>(db_->pool(), workers_);
    outbox_->Start(absl::Milliseconds(20));
    store_ = std::make_unique<MysqlStatushouderStore>(db_->pool(), *outbox_);
    service_ = std::make_unique<IntakeServiceImpl>(*store_, *outbox_, workers_,
                                                   [] { return absl::CivilDay(2026, 11, 23); });
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    server_->AddService(service_.get());
    server_->OnShutdown([this] { outbox_->Stop(); });
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::IntakeService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  static v1::RegisterStatushouderRequest Registration(const std::string& request_id,
                                                      const std::string& bsn) {
    return testing::SampleRegistration(request_id, bsn);
  }

  grpc::Status Register(const Principal& principal, const v1::RegisterStatushouderRequest& request,
                        v1::Statushouder* response) {
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    return stub_->RegisterStatushouder(&context, request, response);
  }

  grpc::Status Get(const Principal& principal, const std::string& id, v1::Statushouder* response) {
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    v1::GetStatushouderRequest request;
    request.set_id(id);
    return stub_->GetStatushouder(&context, request, response);
  }

  // Calls a unary method of the stub as `principal`.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (v1::IntakeService::Stub::*method)(grpc::ClientContext*,
                                                                    const Request&, Response*),
                    const Principal& principal, const Request& request, Response* response) {
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    return (stub_.get()->*method)(&context, request, response);
  }

  // Registers one statushouder in Rijswijk and returns it.
  v1::Statushouder Registered(const std::string& bsn, const std::string& vestiging = "2026-09-01") {
    v1::RegisterStatushouderRequest request = Registration("r-" + bsn, bsn);
    request.mutable_statushouder()->set_vestigingsdatum(vestiging);
    v1::Statushouder created;
    grpc::Status status = Register(kRijswijk, request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // A brede intake for `s` at the version read, with the given intake group.
  static v1::RecordBredeIntakeRequest BredeIntake(const v1::Statushouder& s, v1::IntakeGroep groep,
                                                  v1::Leerbaarheid leerbaarheid) {
    v1::RecordBredeIntakeRequest intake;
    intake.set_id(s.id());
    intake.set_version(s.version());
    intake.mutable_brede_intake()->set_date("2026-10-15");
    intake.mutable_brede_intake()->set_leerbaarheid(leerbaarheid);
    intake.mutable_brede_intake()->set_advised_leerroute(v1::LEERROUTE_B1);
    intake.mutable_brede_intake()->set_intake_groep(groep);
    return intake;
  }

  // Imports `batches` as Rijswijk in one call.
  grpc::Status Import(const std::vector<v1::ImportStatushoudersRequest>& batches,
                      v1::ImportStatushoudersResponse* response) {
    grpc::ClientContext context;
    AttachPrincipal(kRijswijk, context);
    auto writer = stub_->ImportStatushouders(&context, response);
    for (const auto& batch : batches) {
      if (!writer->Write(batch)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  WorkerPool workers_{8};
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<MysqlStatushouderStore> store_;
  std::unique_ptr<IntakeServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
};

TEST_F(IntakeServiceTest, RegisterThenGetReturnsTheRecord) {
  v1::Statushouder created;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  EXPECT_EQ(created.gemeente(), "GM0603");
  EXPECT_EQ(created.version(), 1);
  EXPECT_EQ(created.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(created.id().size(), 26u);

  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, created.id(), &read).ok());
  EXPECT_EQ(read.bsn(), "111222333");
  EXPECT_EQ(read.family_name(), "Haddad");
}

TEST_F(IntakeServiceTest, ReplayedRegistrationReturnsTheFirstResultAndWritesOnce) {
  v1::Statushouder first, second;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &first).ok());
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 1);
}

TEST_F(IntakeServiceTest, RequestIdReusedForOtherContentIsAlreadyExists) {
  v1::Statushouder created;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  grpc::Status status = Register(kRijswijk, Registration("r1", "123456782"), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(status.error_message().find("request_id"), std::string::npos);
}

TEST_F(IntakeServiceTest, DuplicateBsnInTheGemeenteIsAlreadyExistsButAllowedElsewhere) {
  v1::Statushouder created;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  EXPECT_EQ(Register(kRijswijk, Registration("r2", "111222333"), &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(Register(kDelft, Registration("r2", "111222333"), &created).ok());
}

TEST_F(IntakeServiceTest, BadBsnIsInvalidArgumentNamingTheFieldAndWritesNothing) {
  v1::Statushouder created;
  grpc::Status status = Register(kRijswijk, Registration("r1", "111222334"), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("statushouder.bsn"), std::string::npos);
  EXPECT_EQ(status.error_message().find("111222334"), std::string::npos) << "no BSN in errors";
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 0);
}

TEST_F(IntakeServiceTest, AnotherGemeentesIdIsNotFoundLikeAMissingOne) {
  v1::Statushouder created, read;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  grpc::Status other = Get(kDelft, created.id(), &read);
  grpc::Status missing = Get(kDelft, "01ARZ3NDEKTSV4RRFFQ69G5FAV", &read);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(other.error_code(), missing.error_code());
  EXPECT_EQ(other.error_message(), missing.error_message());
}

// Concurrent reads are served in shared batches (RequestBatcher): each caller still gets its own
// record, whole (also when another caller in the batch asked for the same id: 16 callers share 12
// records), and an id of another gemeente in the same batch stays NOT_FOUND with the same message.
TEST_F(IntakeServiceTest, ConcurrentReadsOfManyCallersEachGetTheirOwnAnswer) {
  std::vector<v1::Statushouder> rijswijk;
  for (int i = 0; i < 12; ++i) rijswijk.push_back(Registered(TestBsn(100 + i)));
  v1::Statushouder delft;
  ASSERT_TRUE(Register(kDelft, Registration("d1", TestBsn(200)), &delft).ok());
  constexpr int kCallers = 16;
  constexpr int kReadsEach = 60;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < kReadsEach; ++i) {
        v1::Statushouder read;
        const int pick = (c * kReadsEach + i) % 14;
        if (pick < 12) {
          const v1::Statushouder& want = rijswijk[pick];
          const grpc::Status status = Get(kRijswijk, want.id(), &read);
          if (!status.ok() || !google::protobuf::util::MessageDifferencer::Equals(read, want)) {
            ++wrong;
          }
        } else {
          // Delft's record asked for by Rijswijk, or an id nobody has: the same answer.
          const std::string id = pick == 12 ? delft.id() : "01ARZ3NDEKTSV4RRFFQ69G5FAV";
          const grpc::Status status = Get(kRijswijk, id, &read);
          if (status.error_code() != grpc::StatusCode::NOT_FOUND ||
              status.error_message() != "statushouder not found") {
            ++wrong;
          }
        }
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(wrong.load(), 0);
  v1::Statushouder own;
  ASSERT_TRUE(Get(kDelft, delft.id(), &own).ok());
  EXPECT_EQ(own.gemeente(), "GM0503");
}

// Concurrent registrations share a transaction (StatushouderStore::CreateMany). Mixed into the
// same rounds: replays of one request_id (each answered with the first record) and a BSN sent
// under two request_ids (one of them ALREADY_EXISTS); every other registration lands once.
TEST_F(IntakeServiceTest, ConcurrentRegistrationsWithReplaysAndDuplicatesEachGetCreatesAnswer) {
  constexpr int kRounds = 5;
  constexpr int kCallers = 16;
  int expected_rows = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<grpc::Status> statuses(kCallers);
    std::vector<v1::Statushouder> records(kCallers);
    std::vector<v1::RegisterStatushouderRequest> requests;
    for (int i = 0; i < kCallers; ++i) {
      const int person = round * kCallers + i;
      requests.push_back(Registration(absl::StrCat("c-", person), TestBsn(1000 + person)));
    }
    requests[1] = requests[0];                                 // a replay of caller 0
    requests[3] = Registration(absl::StrCat("c-dup-", round),  // caller 2's BSN again
                               requests[2].statushouder().bsn());
    std::atomic<int> ready{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&, i] {
        ++ready;
        while (ready.load() < kCallers) std::this_thread::yield();
        statuses[i] = Register(kRijswijk, requests[i], &records[i]);
      });
    }
    for (auto& caller : callers) caller.join();
    for (int i = 0; i < kCallers; ++i) {
      if (i == 2 || i == 3) continue;
      ASSERT_TRUE(statuses[i].ok()) << "caller " << i << ": " << statuses[i].error_message();
      EXPECT_EQ(records[i].bsn(), requests[i].statushouder().bsn());
    }
    EXPECT_EQ(records[0].id(), records[1].id()) << "a replay answers with the first record";
    // Of the two registrations of one BSN, exactly one lands.
    ASSERT_NE(statuses[2].ok(), statuses[3].ok());
    const grpc::Status& refused = statuses[2].ok() ? statuses[3] : statuses[2];
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_EQ(refused.error_message(), "bsn: already registered in this gemeente");
    expected_rows += kCallers - 2;  // the replay and the refused duplicate add nothing
  }
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), expected_rows);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM create_requests"), expected_rows);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), expected_rows);
}

TEST_F(IntakeServiceTest, CallWithoutPrincipalIsUnauthenticated) {
  grpc::ClientContext context;
  v1::Statushouder response;
  EXPECT_EQ(stub_->RegisterStatushouder(&context, Registration("r1", "111222333"), &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IntakeServiceTest, StreamEventsCarriesTheRegistrationWithoutIdentifiers) {
  v1::Statushouder created;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  grpc::ClientContext context;
  AttachPrincipal(kService, context);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::StreamEventsRequest request;
  auto reader = stub_->StreamEvents(&context, request);
  v1::Event event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.sequence(), 1);
  EXPECT_EQ(event.aggregate_id(), created.id());
  ASSERT_TRUE(event.has_statushouder_changed());
  EXPECT_EQ(event.statushouder_changed().change(), v1::StatushouderChanged::REGISTERED);
  EXPECT_EQ(event.statushouder_changed().birth_year(), 1990);
  EXPECT_TRUE(event.statushouder_changed().statushouder().bsn().empty());
  EXPECT_TRUE(event.statushouder_changed().statushouder().family_name().empty());
  context.TryCancel();
}

TEST_F(IntakeServiceTest, StreamEventsIsOnlyForServices) {
  grpc::ClientContext context;
  AttachPrincipal(kRijswijk, context);
  auto reader = stub_->StreamEvents(&context, v1::StreamEventsRequest());
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(IntakeServiceTest, UpdateChangesOnlyMaskedFieldsAndBumpsTheVersion) {
  v1::Statushouder created = Registered(TestBsn(1));
  v1::UpdateStatushouderRequest request;
  request.set_id(created.id());
  request.set_version(created.version());
  request.mutable_statushouder()->mutable_home_location()->set_latitude(52.04);
  request.mutable_statushouder()->mutable_home_location()->set_longitude(4.32);
  request.mutable_statushouder()->set_max_travel_km(15);
  request.mutable_statushouder()->set_family_name("Ignored");
  request.add_update_mask("home_location");
  request.add_update_mask("max_travel_km");
  v1::Statushouder updated;
  ASSERT_TRUE(Call(&Stub::UpdateStatushouder, kRijswijk, request, &updated).ok());
  EXPECT_EQ(updated.version(), 2);
  EXPECT_DOUBLE_EQ(updated.home_location().latitude(), 52.04);
  EXPECT_EQ(updated.max_travel_km(), 15);
  EXPECT_EQ(updated.family_name(), "Haddad");
  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, created.id(), &read).ok());
  EXPECT_EQ(read.max_travel_km(), 15);
  EXPECT_EQ(read.version(), 2);

  request.set_version(2);
  request.add_update_mask("bsn");
  grpc::Status unknown = Call(&Stub::UpdateStatushouder, kRijswijk, request, &updated);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(unknown.error_message().find("update_mask"), std::string::npos);

  request.clear_update_mask();
  request.add_update_mask("home_location");
  request.mutable_statushouder()->mutable_home_location()->set_latitude(123);
  grpc::Status bad = Call(&Stub::UpdateStatushouder, kRijswijk, request, &updated);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("statushouder.home_location.latitude"), std::string::npos);
  ASSERT_TRUE(Get(kRijswijk, created.id(), &read).ok());
  EXPECT_EQ(read.version(), 2) << "a rejected update writes nothing";
}

TEST_F(IntakeServiceTest, StaleVersionIsAbortedAndWritesNothing) {
  v1::Statushouder created = Registered(TestBsn(1));
  v1::RecordLanguageLevelRequest request;
  request.set_id(created.id());
  request.set_version(1);
  request.mutable_meting()->set_vaardigheid(v1::TAAL_VAARDIGHEID_LEZEN);
  request.mutable_meting()->set_level(v1::CEFR_LEVEL_A1);
  request.mutable_meting()->set_date("2026-10-01");
  request.mutable_meting()->set_bron(v1::MEET_BRON_TOETS);
  v1::Statushouder updated;
  ASSERT_TRUE(Call(&Stub::RecordLanguageLevel, kRijswijk, request, &updated).ok());
  EXPECT_EQ(updated.language_level(), v1::CEFR_LEVEL_A1);
  // A second writer that read version 1 too.
  request.mutable_meting()->set_level(v1::CEFR_LEVEL_B1);
  EXPECT_EQ(Call(&Stub::RecordLanguageLevel, kRijswijk, request, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, created.id(), &read).ok());
  EXPECT_EQ(read.version(), 2);
  EXPECT_EQ(read.language_measurements_size(), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 2);
}

// Issue 7, no lost updates: many callers each read the record and write back a value computed
// from what they read, with the version they read, retrying on ABORTED. Every accepted write must
// be in the final record: the counter equals the number of accepted writes, and so do the version
// and the events.
TEST_F(IntakeServiceTest, ConcurrentReadModifyWriteLosesNoUpdate) {
  const v1::Statushouder created = Registered(TestBsn(1));
  constexpr int kCallers = 8;
  constexpr int kWritesEach = 5;
  std::atomic<int> accepted{0}, aborted{0}, other{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      for (int written = 0; written < kWritesEach;) {
        v1::Statushouder read;
        if (!Get(kRijswijk, created.id(), &read).ok()) {
          ++other;
          return;
        }
        v1::UpdateStatushouderRequest request;
        request.set_id(created.id());
        request.set_version(read.version());
        request.mutable_statushouder()->set_max_travel_km(read.max_travel_km() + 1);
        request.add_update_mask("max_travel_km");
        v1::Statushouder updated;
        const grpc::Status status = Call(&Stub::UpdateStatushouder, kRijswijk, request, &updated);
        if (status.ok()) {
          ++accepted;
          ++written;
        } else if (status.error_code() == grpc::StatusCode::ABORTED) {
          ++aborted;  // someone wrote in between: read again
        } else {
          ++other;
          return;
        }
      }
    });
  }
  for (auto& caller : callers) caller.join();
  ASSERT_EQ(other.load(), 0);
  ASSERT_EQ(accepted.load(), kCallers * kWritesEach);
  v1::Statushouder final_state;
  ASSERT_TRUE(Get(kRijswijk, created.id(), &final_state).ok());
  EXPECT_EQ(final_state.max_travel_km(), accepted.load());
  EXPECT_EQ(final_state.version(), 1 + accepted.load());
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 1 + accepted.load());
  std::cout << "accepted " << accepted.load() << ", aborted and retried " << aborted.load() << "\n";
}

// Issue 19.1: a brede intake that names none of the findings keeps what the gemeente registered
// (seed 003's 160 geschoold became 65 when it cleared them); an update_mask replaces exactly the
// named findings, clearing a named one left empty.
TEST_F(IntakeServiceTest, BredeIntakeChangesOnlyTheFindingsTheCallerNames) {
  v1::RegisterStatushouderRequest registration = Registration("r-bi", TestBsn(41));
  v1::Statushouder* profile = registration.mutable_statushouder();
  profile->mutable_opleiding()->set_geschoold(true);
  profile->mutable_opleiding()->set_level(v1::EDUCATION_LEVEL_HOGER_BEROEPS);
  profile->set_prior_occupation_isco("2261");
  profile->add_work_wishes_isco("3251");
  profile->add_availability(v1::DAGDEEL_DINSDAG_MIDDAG);
  profile->add_belemmeringen(v1::BELEMMERING_VERVOER);
  profile->set_max_travel_km(15);
  v1::Statushouder s;
  ASSERT_TRUE(Register(kRijswijk, registration, &s).ok());
  const v1::Statushouder registered = s;

  v1::RecordBredeIntakeRequest intake =
      BredeIntake(s, v1::INTAKE_GROEP_ROUTE_NAAR_WERK, v1::LEERBAARHEID_GEMIDDELD);
  ASSERT_TRUE(Call(&Stub::RecordBredeIntake, kRijswijk, intake, &s).ok());
  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, s.id(), &read).ok());
  EXPECT_EQ(read.brede_intake().intake_groep(), v1::INTAKE_GROEP_ROUTE_NAAR_WERK);
  EXPECT_EQ(read.version(), registered.version() + 1);
  EXPECT_TRUE(read.opleiding().geschoold());
  EXPECT_EQ(read.opleiding().level(), v1::EDUCATION_LEVEL_HOGER_BEROEPS);
  EXPECT_EQ(read.prior_occupation_isco(), "2261");
  ASSERT_EQ(read.work_wishes_isco_size(), 1);
  EXPECT_EQ(read.work_wishes_isco(0), "3251");
  ASSERT_EQ(read.availability_size(), 1);
  EXPECT_EQ(read.belemmeringen_size(), 1);
  EXPECT_EQ(read.max_travel_km(), 15);
  EXPECT_EQ(read.family_name(), registered.family_name());

  // Findings that are set replace their own field only.
  intake.set_version(read.version());
  intake.add_work_wishes_isco("5120");
  ASSERT_TRUE(Call(&Stub::RecordBredeIntake, kRijswijk, intake, &s).ok());
  ASSERT_TRUE(Get(kRijswijk, s.id(), &read).ok());
  ASSERT_EQ(read.work_wishes_isco_size(), 1);
  EXPECT_EQ(read.work_wishes_isco(0), "5120");
  EXPECT_EQ(read.prior_occupation_isco(), "2261");
  EXPECT_TRUE(read.opleiding().geschoold());

  // A mask names what changes, and may clear: belemmeringen named and empty are cleared.
  intake.set_version(read.version());
  intake.clear_work_wishes_isco();
  intake.add_update_mask("belemmeringen");
  ASSERT_TRUE(Call(&Stub::RecordBredeIntake, kRijswijk, intake, &s).ok());
  ASSERT_TRUE(Get(kRijswijk, s.id(), &read).ok());
  EXPECT_EQ(read.belemmeringen_size(), 0);
  ASSERT_EQ(read.work_wishes_isco_size(), 1) << "not in the mask: unchanged";
  EXPECT_EQ(read.availability_size(), 1);

  // A path that is not a finding: INVALID_ARGUMENT naming update_mask, nothing written.
  intake.set_version(read.version());
  intake.add_update_mask("bsn");
  grpc::Status bad = Call(&Stub::RecordBredeIntake, kRijswijk, intake, &s);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("update_mask"), std::string::npos) << bad.error_message();
  v1::Statushouder after_bad;
  ASSERT_TRUE(Get(kRijswijk, s.id(), &after_bad).ok());
  EXPECT_EQ(after_bad.version(), read.version());
}

// Issue 19.1: an import row for a statushouder already registered changes only the fields the row
// sets; the file's missing columns do not clear what the brede intake recorded.
TEST_F(IntakeServiceTest, ImportOfAKnownStatushouderKeepsWhatTheRowDoesNotSet) {
  v1::Statushouder s = Registered(TestBsn(42));
  v1::RecordBredeIntakeRequest intake =
      BredeIntake(s, v1::INTAKE_GROEP_KLAAR_VOOR_WERK, v1::LEERBAARHEID_HOOG);
  intake.mutable_opleiding()->set_geschoold(true);
  intake.mutable_opleiding()->set_level(v1::EDUCATION_LEVEL_MIDDELBAAR_BEROEPS);
  intake.set_prior_occupation_isco("7212");
  ASSERT_TRUE(Call(&Stub::RecordBredeIntake, kRijswijk, intake, &s).ok());

  v1::ImportStatushoudersRequest batch;
  v1::ImportRow* row = batch.add_rows();
  row->set_row_number(1);
  *row->mutable_statushouder() = Registration("unused", TestBsn(42)).statushouder();
  row->mutable_statushouder()->set_azc_location("Rijswijk");  // the one change
  v1::ImportStatushoudersResponse response;
  ASSERT_TRUE(Import({batch}, &response).ok());
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_EQ(response.results(0).outcome(), v1::ImportRowResult::UPDATED)
      << response.results(0).reason();
  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, s.id(), &read).ok());
  EXPECT_EQ(read.azc_location(), "Rijswijk");
  EXPECT_TRUE(read.opleiding().geschoold());
  EXPECT_EQ(read.opleiding().level(), v1::EDUCATION_LEVEL_MIDDELBAAR_BEROEPS);
  EXPECT_EQ(read.prior_occupation_isco(), "7212");
  EXPECT_TRUE(read.has_brede_intake());

  // The same row again changes nothing.
  ASSERT_TRUE(Import({batch}, &response).ok());
  EXPECT_EQ(response.results(0).outcome(), v1::ImportRowResult::UNCHANGED);
}

// Issue 19.6: an opschorting may not start after the PIP due date (that would make an overdue PIP
// look on time) nor in the future; nothing is written.
TEST_F(IntakeServiceTest, OpschortingAfterTheDueDateOrInTheFutureIsRefused) {
  v1::Statushouder s = Registered(TestBsn(43), /*vestiging=*/"2026-08-01");  // due 2026-10-10
  v1::RecordOpschortingRequest request;
  request.set_id(s.id());
  request.set_version(s.version());
  request.mutable_opschorting()->set_from("2026-10-20");
  request.mutable_opschorting()->set_to("2026-11-20");
  request.mutable_opschorting()->set_reason_code("MEDISCH");
  v1::Statushouder out;
  grpc::Status late = Call(&Stub::RecordOpschorting, kRijswijk, request, &out);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << late.error_message();
  EXPECT_NE(late.error_message().find("opschorting.from"), std::string::npos);
  EXPECT_NE(late.error_message().find("2026-10-10"), std::string::npos) << late.error_message();

  request.mutable_opschorting()->set_from("2026-11-24");  // today is 2026-11-23
  request.mutable_opschorting()->set_to("2026-12-20");
  grpc::Status future = Call(&Stub::RecordOpschorting, kRijswijk, request, &out);
  EXPECT_EQ(future.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << future.error_message();
  EXPECT_NE(future.error_message().find("opschorting.from"), std::string::npos);

  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, s.id(), &read).ok());
  EXPECT_EQ(read.version(), s.version());
  EXPECT_TRUE(read.pip_deadline().overdue());
  EXPECT_EQ(read.pip_deadline().opschortingen_size(), 0);

  // Starting on or before the due date is fine, and moves it.
  request.mutable_opschorting()->set_from("2026-10-01");
  request.mutable_opschorting()->set_to("2026-10-21");
  ASSERT_TRUE(Call(&Stub::RecordOpschorting, kRijswijk, request, &out).ok());
  EXPECT_EQ(out.pip_deadline().due_date(), "2026-10-30");
  ASSERT_TRUE(Get(kRijswijk, s.id(), &read).ok());
  EXPECT_EQ(read.version(), s.version() + 1);
  ASSERT_EQ(read.pip_deadline().opschortingen_size(), 1);
  EXPECT_EQ(read.pip_deadline().opschortingen(0).reason_code(), "MEDISCH");
  EXPECT_EQ(read.vestigingsdatum(), "2026-08-01");
  EXPECT_EQ(read.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(read.family_name(), s.family_name());
  EXPECT_EQ(read.bsn(), s.bsn());
}

TEST_F(IntakeServiceTest, TrajectoryFromAzcToAfgerondWithEventsForEveryStep) {
  v1::Statushouder s = Registered(TestBsn(1), /*vestiging=*/"");
  EXPECT_EQ(s.phase(), v1::PHASE_VOORINBURGERING);
  EXPECT_FALSE(s.has_pip_deadline());

  v1::ChangePhaseRequest phase;
  phase.set_id(s.id());
  phase.set_version(s.version());
  phase.set_phase(v1::PHASE_INTAKE);
  phase.set_date("2026-09-01");
  ASSERT_TRUE(Call(&Stub::ChangePhase, kRijswijk, phase, &s).ok());
  EXPECT_EQ(s.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(s.vestigingsdatum(), "2026-09-01");
  EXPECT_EQ(s.pip_deadline().due_date(), "2026-11-10");
  EXPECT_TRUE(s.pip_deadline().overdue());

  v1::RecordOpschortingRequest opschorting;
  opschorting.set_id(s.id());
  opschorting.set_version(s.version());
  opschorting.mutable_opschorting()->set_from("2026-09-10");
  opschorting.mutable_opschorting()->set_to("2026-10-01");
  opschorting.mutable_opschorting()->set_reason_code("MEDISCH");
  ASSERT_TRUE(Call(&Stub::RecordOpschorting, kRijswijk, opschorting, &s).ok());
  EXPECT_EQ(s.pip_deadline().due_date(), "2026-12-01");
  EXPECT_EQ(s.pip_deadline().days_left(), 8);
  EXPECT_FALSE(s.pip_deadline().overdue());

  v1::EstablishPipRequest pip;
  pip.set_id(s.id());
  pip.set_version(s.version());
  pip.set_date("2026-11-20");
  pip.set_leerroute(v1::LEERROUTE_B1);
  pip.add_modules(v1::MODULE_TYPE_MAP);
  EXPECT_EQ(Call(&Stub::EstablishPip, kRijswijk, pip, &s).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION)
      << "no brede intake yet";

  v1::RecordBredeIntakeRequest intake =
      BredeIntake(s, v1::INTAKE_GROEP_KLAAR_VOOR_WERK, v1::LEERBAARHEID_HOOG);
  intake.set_prior_occupation_isco("2261");
  intake.add_work_wishes_isco("32");
  intake.add_availability(v1::DAGDEEL_MAANDAG_OCHTEND);
  ASSERT_TRUE(Call(&Stub::RecordBredeIntake, kRijswijk, intake, &s).ok());
  EXPECT_EQ(s.prior_occupation_isco(), "2261");

  pip.set_version(s.version());
  ASSERT_TRUE(Call(&Stub::EstablishPip, kRijswijk, pip, &s).ok());
  EXPECT_EQ(s.phase(), v1::PHASE_INBURGERING);
  EXPECT_EQ(s.pip().due_date(), "2026-12-01");
  EXPECT_TRUE(s.pip().on_time());
  EXPECT_EQ(s.inburgeringstermijn().end_date(), "2029-11-20");
  EXPECT_FALSE(s.has_pip_deadline());

  v1::RecordModuleProgressRequest map;
  map.set_id(s.id());
  map.set_version(s.version());
  map.mutable_progress()->set_module(v1::MODULE_TYPE_MAP);
  map.mutable_progress()->set_status(v1::MODULE_STATUS_GESTART);
  map.mutable_progress()->set_date("2026-11-21");
  grpc::Status too_early = Call(&Stub::RecordModuleProgress, kRijswijk, map, &s);
  EXPECT_EQ(too_early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(too_early.error_message().find("A2"), std::string::npos);

  v1::RecordLanguageLevelRequest level;
  level.set_id(s.id());
  for (auto skill : {v1::TAAL_VAARDIGHEID_LEZEN, v1::TAAL_VAARDIGHEID_LUISTEREN,
                     v1::TAAL_VAARDIGHEID_SPREKEN, v1::TAAL_VAARDIGHEID_SCHRIJVEN}) {
    level.set_version(s.version());
    level.mutable_meting()->set_vaardigheid(skill);
    level.mutable_meting()->set_level(skill == v1::TAAL_VAARDIGHEID_SCHRIJVEN ? v1::CEFR_LEVEL_A2
                                                                              : v1::CEFR_LEVEL_B1);
    level.mutable_meting()->set_date("2026-11-21");
    level.mutable_meting()->set_bron(v1::MEET_BRON_EXAMEN);
    ASSERT_TRUE(Call(&Stub::RecordLanguageLevel, kRijswijk, level, &s).ok());
  }
  EXPECT_EQ(s.language_level(), v1::CEFR_LEVEL_A2);
  map.set_version(s.version());
  ASSERT_TRUE(Call(&Stub::RecordModuleProgress, kRijswijk, map, &s).ok());
  ASSERT_EQ(s.modules_size(), 1);

  v1::ExtendInburgeringstermijnRequest extend;
  extend.set_id(s.id());
  extend.set_version(s.version());
  extend.set_months(6);
  extend.set_reason_code("ZIEKTE");
  ASSERT_TRUE(Call(&Stub::ExtendInburgeringstermijn, kRijswijk, extend, &s).ok());
  EXPECT_EQ(s.inburgeringstermijn().end_date(), "2030-05-20");

  // Issue 19.7: AFGEROND needs the PIP's modules done or exempted; a date before the previous
  // phase change is refused; every phase keeps its date.
  phase.set_version(s.version());
  phase.set_phase(v1::PHASE_AFGEROND);
  phase.set_date("2026-11-22");
  grpc::Status modules_open = Call(&Stub::ChangePhase, kRijswijk, phase, &s);
  EXPECT_EQ(modules_open.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(modules_open.error_message().find("MODULE_TYPE_MAP"), std::string::npos)
      << modules_open.error_message();
  map.set_version(s.version());
  map.mutable_progress()->set_status(v1::MODULE_STATUS_AFGEROND);
  map.mutable_progress()->set_date("2026-11-22");
  ASSERT_TRUE(Call(&Stub::RecordModuleProgress, kRijswijk, map, &s).ok());
  phase.set_version(s.version());
  phase.set_date("2026-11-19");
  grpc::Status backdated = Call(&Stub::ChangePhase, kRijswijk, phase, &s);
  EXPECT_EQ(backdated.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(backdated.error_message().find("2026-11-20"), std::string::npos)
      << backdated.error_message();
  phase.set_date("2026-11-22");
  ASSERT_TRUE(Call(&Stub::ChangePhase, kRijswijk, phase, &s).ok());
  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, s.id(), &read).ok());
  std::vector<std::pair<v1::Phase, std::string>> history;
  for (const v1::PhaseChange& c : read.phase_history()) history.emplace_back(c.phase(), c.date());
  EXPECT_EQ(history,
            (std::vector<std::pair<v1::Phase, std::string>>{{v1::PHASE_VOORINBURGERING, ""},
                                                            {v1::PHASE_INTAKE, "2026-09-01"},
                                                            {v1::PHASE_INBURGERING, "2026-11-20"},
                                                            {v1::PHASE_AFGEROND, "2026-11-22"}}));
  phase.set_version(s.version());
  phase.set_phase(v1::PHASE_INBURGERING);
  EXPECT_EQ(Call(&Stub::ChangePhase, kRijswijk, phase, &s).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // One event per change, in order, each carrying the record after it.
  ASSERT_TRUE(outbox_->SequenceOnce().ok());
  auto events = outbox_->ReadAfter(0, 100);
  ASSERT_TRUE(events.ok());
  std::vector<v1::StatushouderChanged::Change> changes;
  for (const auto& e : *events) changes.push_back(e.statushouder_changed().change());
  using C = v1::StatushouderChanged;
  EXPECT_EQ(changes,
            (std::vector<v1::StatushouderChanged::Change>{
                C::REGISTERED, C::PHASE_CHANGED, C::OPSCHORTING_RECORDED, C::BREDE_INTAKE_RECORDED,
                C::PIP_ESTABLISHED, C::LANGUAGE_LEVEL_RECORDED, C::LANGUAGE_LEVEL_RECORDED,
                C::LANGUAGE_LEVEL_RECORDED, C::LANGUAGE_LEVEL_RECORDED, C::MODULE_PROGRESS_RECORDED,
                C::TERMIJN_EXTENDED, C::MODULE_PROGRESS_RECORDED, C::PHASE_CHANGED}));
  EXPECT_EQ(events->back().statushouder_changed().statushouder().phase(), v1::PHASE_AFGEROND);
  EXPECT_EQ(events->back().statushouder_changed().statushouder().version(), s.version());
}

TEST_F(IntakeServiceTest, EveryRpcWithAnIdIsTenantScoped) {
  v1::Statushouder s = Registered(TestBsn(1));
  const std::string missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  // Each call is made for Rijswijk's id and for a missing id, as Delft.
  auto both = [&](auto method, auto request) {
    v1::Statushouder response;
    request.set_id(s.id());
    grpc::Status other = Call(method, kDelft, request, &response);
    request.set_id(missing);
    grpc::Status absent = Call(method, kDelft, request, &response);
    EXPECT_EQ(other.error_code(), grpc::StatusCode::NOT_FOUND) << other.error_message();
    EXPECT_EQ(other.error_code(), absent.error_code());
    EXPECT_EQ(other.error_message(), absent.error_message());
  };
  v1::GetStatushouderRequest get;
  both(&Stub::GetStatushouder, get);
  v1::UpdateStatushouderRequest update;
  update.set_version(1);
  update.add_update_mask("max_travel_km");
  both(&Stub::UpdateStatushouder, update);
  v1::RecordBredeIntakeRequest intake;
  intake.set_version(1);
  intake.mutable_brede_intake()->set_date("2026-10-15");
  intake.mutable_brede_intake()->set_leerbaarheid(v1::LEERBAARHEID_HOOG);
  intake.mutable_brede_intake()->set_advised_leerroute(v1::LEERROUTE_B1);
  intake.mutable_brede_intake()->set_intake_groep(v1::INTAKE_GROEP_KLAAR_VOOR_WERK);
  both(&Stub::RecordBredeIntake, intake);
  v1::EstablishPipRequest pip;
  pip.set_version(1);
  pip.set_date("2026-11-01");
  pip.set_leerroute(v1::LEERROUTE_B1);
  both(&Stub::EstablishPip, pip);
  v1::RecordOpschortingRequest opschorting;
  opschorting.set_version(1);
  opschorting.mutable_opschorting()->set_from("2026-09-10");
  opschorting.mutable_opschorting()->set_to("2026-09-20");
  opschorting.mutable_opschorting()->set_reason_code("MEDISCH");
  both(&Stub::RecordOpschorting, opschorting);
  v1::RecordLanguageLevelRequest level;
  level.set_version(1);
  level.mutable_meting()->set_vaardigheid(v1::TAAL_VAARDIGHEID_LEZEN);
  level.mutable_meting()->set_level(v1::CEFR_LEVEL_A1);
  level.mutable_meting()->set_date("2026-10-01");
  level.mutable_meting()->set_bron(v1::MEET_BRON_TOETS);
  both(&Stub::RecordLanguageLevel, level);
  v1::RecordModuleProgressRequest progress;
  progress.set_version(1);
  progress.mutable_progress()->set_module(v1::MODULE_TYPE_PVT);
  progress.mutable_progress()->set_status(v1::MODULE_STATUS_GESTART);
  progress.mutable_progress()->set_date("2026-10-01");
  both(&Stub::RecordModuleProgress, progress);
  v1::ChangePhaseRequest phase;
  phase.set_version(1);
  phase.set_phase(v1::PHASE_VERTROKKEN);
  both(&Stub::ChangePhase, phase);
  v1::ExtendInburgeringstermijnRequest extend;
  extend.set_version(1);
  extend.set_months(3);
  extend.set_reason_code("ZIEKTE");
  both(&Stub::ExtendInburgeringstermijn, extend);
  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, s.id(), &read).ok());
  EXPECT_EQ(read.version(), 1) << "nothing of Delft's calls changed Rijswijk's record";
  // Lists are scoped too.
  v1::ListStatushoudersResponse list;
  ASSERT_TRUE(Call(&Stub::ListStatushouders, kDelft, v1::ListStatushoudersRequest(), &list).ok());
  EXPECT_EQ(list.statushouders_size(), 0);
}

TEST_F(IntakeServiceTest, ListFiltersOnPhaseOverdueAndBijstand) {
  v1::Statushouder overdue = Registered(TestBsn(1), "2026-09-01");  // due 2026-11-10
  v1::Statushouder running = Registered(TestBsn(2), "2026-11-01");  // due 2027-01-10
  v1::Statushouder azc = Registered(TestBsn(3), "");
  v1::RegisterStatushouderRequest with_bijstand = Registration("r-bijstand", TestBsn(4));
  with_bijstand.mutable_statushouder()->mutable_uitkering()->set_bijstand(true);
  with_bijstand.mutable_statushouder()->mutable_uitkering()->set_start_date("2026-09-05");
  v1::Statushouder bijstand;
  ASSERT_TRUE(Register(kRijswijk, with_bijstand, &bijstand).ok());

  auto ids = [&](v1::ListStatushoudersRequest request) {
    v1::ListStatushoudersResponse response;
    grpc::Status status = Call(&Stub::ListStatushouders, kRijswijk, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> out;
    for (const auto& s : response.statushouders()) out.push_back(s.id());
    return out;
  };
  v1::ListStatushoudersRequest request;
  EXPECT_EQ(ids(request),
            (std::vector<std::string>{overdue.id(), running.id(), azc.id(), bijstand.id()}));
  request.set_pip_overdue(true);
  EXPECT_EQ(ids(request), (std::vector<std::string>{overdue.id(), bijstand.id()}));
  request.clear_pip_overdue();
  request.set_phase(v1::PHASE_VOORINBURGERING);
  EXPECT_EQ(ids(request), (std::vector<std::string>{azc.id()}));
  request.clear_phase();
  request.set_uitkering(v1::ListStatushoudersRequest::MET_BIJSTAND);
  EXPECT_EQ(ids(request), (std::vector<std::string>{bijstand.id()}));
  request.set_uitkering(v1::ListStatushoudersRequest::ZONDER_BIJSTAND);
  EXPECT_EQ(ids(request), (std::vector<std::string>{overdue.id(), running.id(), azc.id()}));
  request.clear_uitkering();
  request.set_type(v1::STATUSHOUDER_TYPE_GEZINSMIGRANT);
  EXPECT_TRUE(ids(request).empty());
  request.clear_type();
  request.set_leerroute(v1::LEERROUTE_Z_ROUTE);
  EXPECT_TRUE(ids(request).empty());

  v1::ListStatushoudersResponse response;
  v1::ListStatushoudersRequest days;
  days.set_phase(v1::PHASE_INTAKE);
  ASSERT_TRUE(Call(&Stub::ListStatushouders, kRijswijk, days, &response).ok());
  ASSERT_EQ(response.statushouders_size(), 3);
  EXPECT_EQ(response.statushouders(0).pip_deadline().days_left(), -13);
  EXPECT_EQ(response.statushouders(1).pip_deadline().days_left(), 48);
}

TEST_F(IntakeServiceTest, PagingLosesAndRepeatsNothingWhenRowsAreInsertedBetweenPages) {
  std::vector<std::string> expected;
  for (int i = 0; i < 7; ++i) expected.push_back(Registered(TestBsn(i)).id());
  v1::ListStatushoudersRequest request;
  request.set_page_size(3);
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    v1::ListStatushoudersResponse response;
    ASSERT_TRUE(Call(&Stub::ListStatushouders, kRijswijk, request, &response).ok());
    ++pages;
    for (const auto& s : response.statushouders()) seen.push_back(s.id());
    if (pages == 1) {
      // Inserted while the client is between pages: they come at the end, once each.
      for (int i = 7; i < 9; ++i) expected.push_back(Registered(TestBsn(i)).id());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 3);

  v1::ListStatushoudersRequest other;
  other.set_page_token(request.page_token());
  other.set_phase(v1::PHASE_INTAKE);
  v1::ListStatushoudersResponse response;
  grpc::Status status = Call(&Stub::ListStatushouders, kRijswijk, other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("page_token"), std::string::npos);
}

// A row of an import: valid unless `defect` says which field to spoil.
v1::ImportRow ImportRowFor(int n, const std::string& defect = "") {
  v1::ImportRow row;
  row.set_row_number(n);
  v1::Statushouder* s = row.mutable_statushouder();
  s->set_bsn(TestBsn(n));
  s->set_given_names("Rami");
  s->set_family_name("Nasser");
  s->set_birth_date("1988-06-01");
  s->set_gender(v1::GENDER_MAN);
  s->set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
  s->set_country_of_origin("ER");
  s->set_vestigingsdatum(n % 2 == 0 ? "2026-10-01" : "");
  s->set_prior_occupation_isco("7115");
  if (defect == "bsn") s->set_bsn("123456789");
  if (defect == "birth_date") s->set_birth_date("2030-01-01");
  if (defect == "isco") s->set_prior_occupation_isco("71");
  return row;
}

TEST_F(IntakeServiceTest, ImportOfTenThousandRowsWithSomeBadOnes) {
  std::vector<v1::ImportStatushoudersRequest> batches(3);
  int bad = 0;
  for (int n = 0; n < 10000; ++n) {
    std::string defect;
    if (n % 1000 == 7) defect = "bsn";
    if (n % 1000 == 8) defect = "birth_date";
    if (n % 1000 == 9) defect = "isco";
    bad += !defect.empty();
    *batches[n / 4000].add_rows() = ImportRowFor(n, defect);
  }
  *batches[2].add_rows() = ImportRowFor(9999);  // the same BSN twice in one batch
  ++bad;
  ASSERT_EQ(bad, 31);
  v1::ImportStatushoudersResponse response;
  grpc::Status status = Import(batches, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.created(), 10000 - 30);
  EXPECT_EQ(response.rejected(), 31);
  EXPECT_EQ(response.updated() + response.unchanged(), 0);
  ASSERT_EQ(response.results_size(), 10001);
  EXPECT_EQ(response.results(7).outcome(), v1::ImportRowResult::REJECTED);
  EXPECT_EQ(response.results(7).field(), "statushouder.bsn");
  EXPECT_EQ(response.results(8).field(), "statushouder.birth_date");
  EXPECT_EQ(response.results(8).reason(), "must not be in the future");
  EXPECT_EQ(response.results(9).field(), "statushouder.prior_occupation_isco");
  EXPECT_EQ(response.results(10000).row_number(), 9999);
  EXPECT_EQ(response.results(10000).field(), "statushouder.bsn");
  EXPECT_EQ(response.results(0).outcome(), v1::ImportRowResult::CREATED);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders WHERE gemeente = 'GM0603'"), 9970);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 9970);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders WHERE phase = 2"), 4990);
  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, response.results(2).statushouder_id(), &read).ok());
  EXPECT_EQ(read.bsn(), TestBsn(2));
  EXPECT_EQ(read.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(read.pip_deadline().due_date(), "2026-12-10");

  // The next night: the same export, with one row changed and one settled since.
  v1::ImportStatushoudersRequest again;
  for (int n = 0; n < 20; ++n) *again.add_rows() = ImportRowFor(n);
  again.mutable_rows(4)->mutable_statushouder()->set_max_travel_km(25);
  again.mutable_rows(5)->mutable_statushouder()->set_vestigingsdatum("2026-11-01");
  v1::ImportStatushoudersResponse second;
  ASSERT_TRUE(Import({again}, &second).ok());
  EXPECT_EQ(second.updated(), 2);
  EXPECT_EQ(second.created(), 3) << "rows 7, 8 and 9 were rejected the first time";
  EXPECT_EQ(second.unchanged(), 15);
  EXPECT_EQ(second.results(4).outcome(), v1::ImportRowResult::UPDATED);
  EXPECT_EQ(second.results(4).statushouder_id(), response.results(4).statushouder_id());
  ASSERT_TRUE(Get(kRijswijk, second.results(5).statushouder_id(), &read).ok());
  EXPECT_EQ(read.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(read.version(), 2);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 9970 + 5);
}

// Two batches of one import run in the database at once: batches without a BSN in common overlap,
// a BSN in consecutive batches is created by the first and seen by the second (which waits for it
// and updates it), results stay in batch order, and every event is numbered once, without a gap.
TEST_F(IntakeServiceTest, ImportBatchesRunTwoAtATimeYetLaterBatchesSeeEarlierOnes) {
  std::vector<v1::ImportStatushoudersRequest> batches(8);
  for (int b = 0; b < 8; ++b) {
    for (int i = 0; i < 300; ++i) *batches[b].add_rows() = ImportRowFor(b * 300 + i);
    // In odd batches, the first row of the previous batch again, now with a travel distance.
    if (b % 2 == 1) {
      v1::ImportRow again = ImportRowFor((b - 1) * 300);
      again.set_row_number(100000 + b);
      again.mutable_statushouder()->set_max_travel_km(10 + b);
      *batches[b].add_rows() = again;
    }
  }
  v1::ImportStatushoudersResponse response;
  grpc::Status status = Import(batches, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.created(), 2400);
  EXPECT_EQ(response.updated(), 4);
  EXPECT_EQ(response.rejected() + response.unchanged(), 0);
  ASSERT_EQ(response.results_size(), 2404);
  int k = 0;
  std::vector<int> first_of_batch;
  for (int b = 0; b < 8; ++b) {
    first_of_batch.push_back(k);
    for (int i = 0; i < 300; ++i, ++k) {
      ASSERT_EQ(response.results(k).row_number(), b * 300 + i) << "result " << k;
      EXPECT_EQ(response.results(k).outcome(), v1::ImportRowResult::CREATED);
    }
    if (b % 2 == 1) {
      ASSERT_EQ(response.results(k).row_number(), 100000 + b);
      EXPECT_EQ(response.results(k).outcome(), v1::ImportRowResult::UPDATED) << "batch " << b;
      EXPECT_EQ(response.results(k).statushouder_id(),
                response.results(first_of_batch[b - 1]).statushouder_id());
      ++k;
    }
  }
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 2400);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders WHERE version = 2"), 4);
  ASSERT_TRUE(outbox_->SequenceOnce().ok());
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox WHERE sequence IS NOT NULL"), 2404);
  EXPECT_EQ(*db_->QueryInt("SELECT MAX(sequence) - MIN(sequence) + 1 FROM outbox"), 2404);
}

// A batch that fails ends the import with its error; the batches before it are applied.
TEST_F(IntakeServiceTest, ImportStopsAtAFailingBatchWithItsError) {
  std::vector<v1::ImportStatushoudersRequest> batches(4);
  for (int i = 0; i < 100; ++i) *batches[0].add_rows() = ImportRowFor(i);
  for (int i = 0; i < 5001; ++i) *batches[1].add_rows() = ImportRowFor(1000 + i);
  for (int i = 0; i < 100; ++i) *batches[2].add_rows() = ImportRowFor(7000 + i);
  for (int i = 0; i < 100; ++i) *batches[3].add_rows() = ImportRowFor(8000 + i);
  v1::ImportStatushoudersResponse response;
  grpc::Status status = Import(batches, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("rows: at most 5000"), std::string::npos)
      << status.error_message();
  const int64_t stored = *db_->QueryInt("SELECT COUNT(*) FROM statushouders");
  EXPECT_GE(stored, 100) << "the batch before the failing one is applied";
  EXPECT_LE(stored, 200) << "at most the one batch after it ran as well";
  EXPECT_EQ(stored % 100, 0) << "each batch all or nothing";
}

TEST_F(IntakeServiceTest, ImportBatchOverTheLimitIsInvalidAndWritesNothing) {
  v1::ImportStatushoudersRequest batch;
  for (int n = 0; n < 5001; ++n) *batch.add_rows() = ImportRowFor(n);
  v1::ImportStatushoudersResponse response;
  grpc::Status status = Import({batch}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("rows"), std::string::npos);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 0);
}

}  // namespace
}  // namespace inburgering::intake

// The gateway in front of the real intake-service, with the audit log in the real MariaDB
// (a fresh schema per test), over real gRPC and HTTP on loopback.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/blocking_counter.h"
#include "common/outbox.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "gateway/audit_log.h"
#include "gateway/gateway.h"
#include "gateway/grpc_proxy.h"
#include "gateway/http_front.h"
#include "google/protobuf/util/json_util.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "intake-service/intake_service.h"
#include "intake-service/mysql_statushouder_store.h"
#include "tests/gateway/gateway_test_support.h"
#include "tests/support/test_database.h"

namespace inburgering::gateway::migrations {
const std::vector<Migration>& Migrations();
}  // namespace inburgering::gateway::migrations

namespace inburgering::gateway::testing {
namespace {

class GatewayIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto intake_db =
        inburgering::testing::TestDatabase::Create(intake::IntakeMigrations(), intake_pool_size_);
    ASSERT_TRUE(intake_db.ok()) << intake_db.status();
    intake_db_ = *std::move(intake_db);
    auto gateway_db = inburgering::testing::TestDatabase::Create(migrations::Migrations());
    ASSERT_TRUE(gateway_db.ok()) << gateway_db.status();
    gateway_db_ = *std::move(gateway_db);

    outbox_ = std::make_unique<Outbox>(intake_db_->pool(), workers_);
    outbox_->Start(absl::Milliseconds(20));
    store_ = std::make_unique<intake::MysqlStatushouderStore>(intake_db_->pool(), *outbox_);
    service_ = std::make_unique<intake::IntakeServiceImpl>(
        *store_, *outbox_, workers_, [] { return absl::CivilDay(2026, 11, 23); });
    intake_server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    intake_server_->AddService(service_.get());
    intake_server_->OnShutdown([this] { outbox_->Stop(); });
    ASSERT_TRUE(intake_server_->Start().ok());

    audit_ = std::make_unique<MysqlAuditLog>(gateway_db_->pool());
    GatewayOptions options;
    options.config = TestConfig();
    const std::string intake_target = absl::StrCat("127.0.0.1:", intake_server_->port());
    options.targets = {intake_target, other_.target(), other_.target()};
    auto gateway = Gateway::Create(options, *audit_);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    proxy_ = std::make_unique<GrpcProxy>(*gateway_);
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    server_->AddGenericService(proxy_.get());
    ASSERT_TRUE(server_->Start().ok());
    http_ = std::make_unique<HttpFront>(*gateway_, 4);
    ASSERT_TRUE(http_->Start("127.0.0.1:0").ok());
    stub_ = v1::IntakeService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (http_) http_->Stop();
    if (server_) server_->Shutdown(absl::Seconds(1));
    if (intake_server_) intake_server_->Shutdown(absl::Seconds(1));
  }

  void Authorize(grpc::ClientContext& context, const std::string& role,
                 const std::string& gemeente) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", TokenFor(role, gemeente)));
  }

  int intake_pool_size_ = 16;
  WorkerPool workers_{8};
  std::unique_ptr<inburgering::testing::TestDatabase> intake_db_, gateway_db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<intake::MysqlStatushouderStore> store_;
  std::unique_ptr<intake::IntakeServiceImpl> service_;
  std::unique_ptr<GrpcServer> intake_server_;
  RecordingBackend other_;  // matching and reporting are not under test here
  std::unique_ptr<MysqlAuditLog> audit_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<GrpcProxy> proxy_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<HttpFront> http_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
};

TEST_F(GatewayIntegration, ForgedPrincipalIsReplacedByTheVerifiedOne) {
  grpc::ClientContext context;
  Authorize(context, "consulent", "GM0603");
  context.AddMetadata("x-inburgering-gemeente", "GM0503");
  context.AddMetadata("x-inburgering-subject", "forged");
  v1::Statushouder created;
  grpc::Status status = stub_->RegisterStatushouder(&context, Registration(), &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.gemeente(), "GM0603");
}

TEST_F(GatewayIntegration, OtherGemeentesRecordIsNotFoundLikeAMissingOne) {
  grpc::ClientContext register_context;
  Authorize(register_context, "consulent", "GM0603");
  v1::Statushouder created;
  ASSERT_TRUE(stub_->RegisterStatushouder(&register_context, Registration(), &created).ok());

  auto get = [&](const std::string& gemeente, const std::string& id, v1::Statushouder* out) {
    grpc::ClientContext context;
    Authorize(context, "consulent", gemeente);
    v1::GetStatushouderRequest request;
    request.set_id(id);
    return stub_->GetStatushouder(&context, request, out);
  };
  v1::Statushouder read;
  ASSERT_TRUE(get("GM0603", created.id(), &read).ok());
  EXPECT_EQ(read.family_name(), "Haddad");
  grpc::Status other = get("GM0503", created.id(), &read);
  grpc::Status missing = get("GM0503", "01ARZ3NDEKTSV4RRFFQ69G5FAV", &read);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(other.error_message(), missing.error_message());
}

TEST_F(GatewayIntegration, AuditRowsNameActionObjectResultOriginActorButNoPersonalData) {
  grpc::ClientContext context;
  Authorize(context, "consulent", "GM0603");
  v1::Statushouder created;
  ASSERT_TRUE(stub_->RegisterStatushouder(&context, Registration(), &created).ok());
  grpc::ClientContext denied_context;
  Authorize(denied_context, "analist", "GM0603");
  v1::GetStatushouderRequest request;
  request.set_id(created.id());
  v1::Statushouder read;
  EXPECT_EQ(stub_->GetStatushouder(&denied_context, request, &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  EXPECT_EQ(*gateway_db_->QueryInt("SELECT COUNT(*) FROM audit_log WHERE phase = 'end'"), 2);
  EXPECT_EQ(*gateway_db_->QueryInt(absl::StrCat(
                "SELECT COUNT(*) FROM audit_log WHERE action = "
                "'inburgering.v1.IntakeService.RegisterStatushouder' AND result = 'OK' AND "
                "object_ids = '",
                created.id(),
                "' AND actor_gemeente = 'GM0603' AND actor_role = 'consulent' AND "
                "actor_subject = 'consulent.GM0603' AND origin LIKE 'ipv4:127.0.0.1:%'")),
            1);
  EXPECT_EQ(*gateway_db_->QueryInt(
                "SELECT COUNT(*) FROM audit_log WHERE result = 'PERMISSION_DENIED' AND "
                "actor_role = 'analist'"),
            1);
  // The registration also left a begin row (stored while intake-service worked) under the same
  // call_id; the refused call, stopped before any backend, only its end row.
  EXPECT_EQ(*gateway_db_->QueryInt("SELECT COUNT(*) FROM audit_log WHERE phase = 'begin'"), 1);
  EXPECT_EQ(*gateway_db_->QueryInt(
                "SELECT COUNT(*) FROM audit_log b JOIN audit_log e ON e.call_id = b.call_id "
                "WHERE b.phase = 'begin' AND e.phase = 'end' AND b.result = '' AND "
                "e.action = b.action AND b.action LIKE '%RegisterStatushouder' AND "
                "LENGTH(b.call_id) = 26 AND b.actor_subject = 'consulent.GM0603'"),
            1);
  EXPECT_EQ(*gateway_db_->QueryInt(
                "SELECT COUNT(*) FROM audit_log WHERE CONCAT(action, object_ids, origin, "
                "actor_subject) LIKE '%111222333%' OR CONCAT(action, object_ids, origin, "
                "actor_subject) LIKE '%Haddad%'"),
            0);
}

TEST_F(GatewayIntegration, JsonRegisterAndGetRoundTrip) {
  std::string body;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(Registration(), &body).ok());
  httplib::Client client("127.0.0.1", http_->port());
  httplib::Headers headers = {
      {"Authorization", absl::StrCat("Bearer ", TokenFor("consulent", "GM0603"))}};
  auto created = client.Post("/inburgering.v1.IntakeService/RegisterStatushouder", headers, body,
                             "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 200) << created->body;
  v1::Statushouder statushouder;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(created->body, &statushouder).ok());
  EXPECT_EQ(statushouder.gemeente(), "GM0603");

  auto read = client.Post("/inburgering.v1.IntakeService/GetStatushouder", headers,
                          absl::StrCat(R"({"id":")", statushouder.id(), "\"}"), "application/json");
  ASSERT_TRUE(read);
  ASSERT_EQ(read->status, 200) << read->body;
  EXPECT_NE(read->body.find("\"familyName\":\"Haddad\""), std::string::npos) << read->body;

  auto invalid = client.Post("/inburgering.v1.IntakeService/GetStatushouder", headers,
                             R"({"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"})", "application/json");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status, 404);
  EXPECT_NE(invalid->body.find("\"code\":\"NOT_FOUND\""), std::string::npos) << invalid->body;
}

TEST_F(GatewayIntegration, AuditTableGoneMeansTheCallIsRefused) {
  ASSERT_TRUE(
      gateway_db_->Execute(absl::StrCat("DROP TABLE `", gateway_db_->schema(), "`.audit_log"))
          .ok());
  grpc::ClientContext context;
  Authorize(context, "consulent", "GM0603");
  v1::Statushouder created;
  grpc::Status status = stub_->RegisterStatushouder(&context, Registration(), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("audit"), std::string::npos) << status.error_message();
  EXPECT_TRUE(created.id().empty()) << created.DebugString();
}

// Issue 24: /readyz asks the audit log whether it can store records; the real one reads its table.
TEST_F(GatewayIntegration, AuditLogCheckReadsItsTable) {
  EXPECT_TRUE(audit_->Check().ok());
  MysqlAuditLog elsewhere(intake_db_->pool());  // a schema without the audit table
  EXPECT_FALSE(elsewhere.Check().ok());
}

// Issue 21: a record the database refuses never fails another principal's record in the same
// batch (a 70 KB id made the whole INSERT fail and Delft's calls were refused while Den Haag sent
// it), and a record naming more ids than fit one row is stored whole, as several rows.
TEST_F(GatewayIntegration, OneRefusedAuditRecordFailsOnlyItsOwnCall) {
  auto locker_pool = MysqlPool::Create(gateway_db_->options());
  ASSERT_TRUE(locker_pool.ok()) << locker_pool.status();
  auto locker = (*locker_pool)->Acquire();
  ASSERT_TRUE(locker.ok());
  auto record = [](const std::string& call_id, const std::string& gemeente) {
    AuditRecord r;
    r.call_id = call_id;
    r.occurred_at = absl::Now();
    r.action = "inburgering.v1.IntakeService.ListStatushouders";
    r.result = "OK";
    r.origin = "ipv4:127.0.0.1:1";
    r.actor_gemeente = gemeente;
    r.actor_role = "consulent";
    r.actor_subject = "consulent";
    return r;
  };
  absl::Status first, good, bad, many;
  absl::BlockingCounter stored(4);
  {
    MysqlAuditLog audit(gateway_db_->pool(), /*writers=*/1);
    // The one writer is held in its INSERT by a table lock, so the next three queue up and go
    // out as one batch.
    locker->Prepare("LOCK TABLES audit_log WRITE").execute();
    audit.Append(record("01BLOCKER00000000000000000", "GM0518"), [&](absl::Status s) {
      first = s;
      stored.DecrementCount();
    });
    absl::SleepFor(absl::Milliseconds(200));
    audit.Append(record("01DELFT0000000000000000000", "GM0503"), [&](absl::Status s) {
      good = s;
      stored.DecrementCount();
    });
    AuditRecord refused = record("01DENHAAG00000000000000000", "GM0518");
    refused.action = std::string(300, 'x');  // longer than the column: the database refuses it
    audit.Append(std::move(refused), [&](absl::Status s) {
      bad = s;
      stored.DecrementCount();
    });
    AuditRecord import = record("01IMPORT000000000000000000", "GM0503");
    for (int i = 0; i < 2500; ++i)
      import.object_ids.push_back(absl::StrFormat("01ARZ3NDEKTSV4RRFF%08d", i));
    audit.Append(std::move(import), [&](absl::Status s) {
      many = s;
      stored.DecrementCount();
    });
    locker->Prepare("UNLOCK TABLES").execute();
    stored.Wait();
  }
  EXPECT_TRUE(first.ok()) << first;
  EXPECT_TRUE(good.ok()) << good;
  EXPECT_EQ(bad.code(), absl::StatusCode::kUnavailable) << bad;
  EXPECT_TRUE(many.ok()) << many;
  EXPECT_EQ(*gateway_db_->QueryInt(
                "SELECT COUNT(*) FROM audit_log WHERE call_id = '01DELFT0000000000000000000'"),
            1);
  EXPECT_EQ(*gateway_db_->QueryInt(
                "SELECT COUNT(*) FROM audit_log WHERE call_id = '01DENHAAG00000000000000000'"),
            0);
  EXPECT_EQ(*gateway_db_->QueryInt(
                "SELECT COUNT(*) FROM audit_log WHERE call_id = '01IMPORT000000000000000000'"),
            3);
  EXPECT_EQ(*gateway_db_->QueryInt("SELECT SUM(LENGTH(object_ids) - LENGTH(REPLACE(object_ids, "
                                   "',', '')) + 1) FROM audit_log WHERE call_id = "
                                   "'01IMPORT000000000000000000'"),
            2500);
}

// The writer against the real table: records appended from many threads at once, some awaited and
// some not, in counts that fit no single batch shape, are each stored exactly once with their
// fields; every awaited one is stored before its `done`, and the destructor stores the rest.
TEST_F(GatewayIntegration, AuditWriterStoresEveryRecordOnceWhateverTheBatchShapes) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 37;  // 296 records: batches of 64, 32, ... and leftovers
  std::atomic<int> stored_before_done{0}, failed{0};
  {
    MysqlAuditLog audit(gateway_db_->pool());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        absl::Mutex mu;
        int outstanding = 0;
        for (int i = 0; i < kPerThread; ++i) {
          AuditRecord record;
          record.call_id = absl::StrCat("call-", t, "-", i);
          record.phase = i % 3 == 0 ? AuditRecord::Phase::kBegin : AuditRecord::Phase::kEnd;
          record.occurred_at = absl::Now();
          record.action = "inburgering.v1.IntakeService.GetStatushouder";
          record.object_ids = {absl::StrCat("id-", t, "-", i)};
          record.result = record.phase == AuditRecord::Phase::kEnd ? "OK" : "";
          record.origin = "ipv4:127.0.0.1:1";
          record.actor_gemeente = "GM0603";
          record.actor_role = "consulent";
          record.actor_subject = absl::StrCat("subject-", t);
          if (i % 2 == 0) {  // nobody waits
            audit.Append(std::move(record), nullptr);
            continue;
          }
          {
            absl::MutexLock lock(&mu);
            ++outstanding;
          }
          const std::string call_id = record.call_id;
          audit.Append(std::move(record), [&, call_id](absl::Status s) {
            if (!s.ok()) {
              failed.fetch_add(1);
            } else if (gateway_db_
                           ->QueryInt(absl::StrCat(
                               "SELECT COUNT(*) FROM audit_log WHERE call_id = '", call_id, "'"))
                           .value_or(0) == 1) {
              stored_before_done.fetch_add(1);
            }
            absl::MutexLock lock(&mu);
            --outstanding;
          });
        }
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(
            +[](int* n) { return *n == 0; }, &outstanding));
      });
    }
    for (std::thread& thread : threads) thread.join();
  }  // the destructor stores what nobody waited for
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(stored_before_done.load(), kThreads * (kPerThread / 2));
  EXPECT_EQ(*gateway_db_->QueryInt("SELECT COUNT(*) FROM audit_log"), kThreads * kPerThread);
  EXPECT_EQ(*gateway_db_->QueryInt("SELECT COUNT(DISTINCT call_id) FROM audit_log"),
            kThreads * kPerThread);
  EXPECT_EQ(*gateway_db_->QueryInt("SELECT COUNT(*) FROM audit_log WHERE phase = 'begin'"),
            kThreads * 13);  // i = 0, 3, ..., 36
  EXPECT_EQ(*gateway_db_->QueryInt("SELECT COUNT(*) FROM audit_log WHERE object_ids = "
                                   "CONCAT('id-', SUBSTRING(call_id, 6)) AND actor_subject = "
                                   "CONCAT('subject-', SUBSTRING_INDEX(SUBSTRING(call_id, 6), "
                                   "'-', 1))"),
            kThreads * kPerThread);
}

// The intake-service with a single database connection: a connection still held for a call the
// client gave up on shows as the next call failing.
class GatewayDeadline : public GatewayIntegration {
 protected:
  GatewayDeadline() { intake_pool_size_ = 1; }
};

// Issue 7, deadlines: a call with a 200 ms deadline whose statement waits on a row lock ends
// DEADLINE_EXCEEDED at the client, and the service stops the statement (MariaDB's
// max_statement_time from the propagated deadline) and gives its only connection back while the
// lock is still held; the stopped update writes nothing.
TEST_F(GatewayDeadline, ExpiredCallIsStoppedInTheDatabaseAndGivesItsConnectionBack) {
  grpc::ClientContext register_context;
  Authorize(register_context, "consulent", "GM0603");
  v1::Statushouder created;
  ASSERT_TRUE(stub_->RegisterStatushouder(&register_context, Registration(), &created).ok());

  auto locker_pool = MysqlPool::Create(intake_db_->options());
  ASSERT_TRUE(locker_pool.ok()) << locker_pool.status();
  auto locker = (*locker_pool)->Acquire();
  ASSERT_TRUE(locker.ok());
  locker->raw().setAutoCommit(false);
  auto& lock = locker->Prepare("SELECT version FROM statushouders WHERE id = ? FOR UPDATE");
  lock.setString(1, created.id());
  std::unique_ptr<sql::ResultSet> locked(lock.executeQuery());
  ASSERT_TRUE(locked->next());

  grpc::ClientContext update_context;
  Authorize(update_context, "consulent", "GM0603");
  update_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(200)));
  v1::UpdateStatushouderRequest update;
  update.set_id(created.id());
  update.set_version(created.version());
  update.mutable_statushouder()->set_max_travel_km(25);
  update.add_update_mask("max_travel_km");
  v1::Statushouder updated;
  EXPECT_EQ(stub_->UpdateStatushouder(&update_context, update, &updated).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);

  // The row is still locked. A read needs the service's one connection: it gets it within its
  // own deadline (shorter than the pool's 2 s wait for a connection) only if the stopped call
  // gave it back.
  auto get = [&](v1::Statushouder* out) {
    grpc::ClientContext context;
    Authorize(context, "consulent", "GM0603");
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(1500)));
    v1::GetStatushouderRequest request;
    request.set_id(created.id());
    return stub_->GetStatushouder(&context, request, out);
  };
  v1::Statushouder read;
  const grpc::Status while_locked = get(&read);
  EXPECT_TRUE(while_locked.ok()) << while_locked.error_code() << " "
                                 << while_locked.error_message();
  locker->raw().rollback();

  const grpc::Status after = get(&read);
  ASSERT_TRUE(after.ok()) << after.error_message();
  EXPECT_EQ(read.version(), created.version()) << "the stopped update wrote nothing";
  EXPECT_EQ(read.max_travel_km(), created.max_travel_km());
}

}  // namespace
}  // namespace inburgering::gateway::testing

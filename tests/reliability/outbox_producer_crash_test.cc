// The outbox across a crash of its producer: intake-service runs as a real process, commits a
// registration and its event, and is SIGKILLed before the event reaches the stream; after a
// restart the consumer (an EventConsumer in this test, over real gRPC) still gets it, once.
// tests/common/outbox_integration_test.cc covers the rest (rollback, replays, consumer restarts).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "common/event_consumer.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "tests/support/service_process.h"
#include "tests/support/test_database.h"
#include "tests/support/test_registration.h"

namespace inburgering {
namespace {

const Principal kConsulent{"GM0603", Role::kConsulent, "crash-test"};
const Principal kService{"GM0000", Role::kService, "crash-test-consumer"};

// Counts applications per aggregate, so a double delivery would show.
absl::Status CountApplication(const v1::Event& event, PooledConnection& c) {
  auto& upsert =
      c.Prepare("INSERT INTO applied (id, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1");
  upsert.setString(1, event.aggregate_id());
  upsert.executeUpdate();
  return absl::OkStatus();
}

class OutboxProducerCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto intake_db = testing::TestDatabase::Create();  // the service applies its migrations
    ASSERT_TRUE(intake_db.ok()) << intake_db.status();
    intake_db_ = *std::move(intake_db);
    auto consumer_db = testing::TestDatabase::Create(OutboxMigrations());
    ASSERT_TRUE(consumer_db.ok()) << consumer_db.status();
    consumer_db_ = *std::move(consumer_db);
    ASSERT_TRUE(consumer_db_
                    ->Execute(absl::StrCat("CREATE TABLE ", consumer_db_->schema(),
                                           ".applied (id VARCHAR(40) PRIMARY KEY, n INT)"))
                    .ok());

    auto port = testing::FreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    const MysqlOptions& db = intake_db_->options();
    log_ = absl::StrCat(::testing::TempDir(), "/outbox_producer_crash_intake.log");
    intake_ = std::make_unique<testing::ServiceProcess>(
        "intake-service", INBURGERING_INTAKE_SERVER, *port,
        std::vector<std::string>{
            absl::StrCat("--config=", INBURGERING_SOURCE_DIR, "/config/dev/intake.json"),
            absl::StrCat("--mysql_host=", db.host), absl::StrCat("--mysql_port=", db.port),
            absl::StrCat("--mysql_user=", db.user), absl::StrCat("--mysql_schema=", db.schema)},
        log_, std::map<std::string, std::string>{{"INBURGERING_MYSQL_PASSWORD", db.password}});
    ASSERT_TRUE(intake_->Start().ok()) << "see " << log_;

    // Reconnect quickly after the restart; the default backoff would only slow the test down.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    stub_ = v1::IntakeService::NewStub(
        grpc::CreateCustomChannel(intake_->address(), grpc::InsecureChannelCredentials(), args));
    consumer_ = std::make_unique<EventConsumer>(
        EventConsumer::Options{"intake"}, consumer_db_->pool(),
        [this](grpc::ClientContext* context, const v1::StreamEventsRequest& request) {
          return stub_->StreamEvents(context, request);
        },
        kService, CountApplication);
    consumer_->Start();
  }

  void TearDown() override {
    if (consumer_) consumer_->Stop();
  }

  absl::StatusOr<std::string> Register(const std::string& request_id, const std::string& bsn) {
    grpc::ClientContext context;
    AttachPrincipal(kConsulent, context);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::Statushouder created;
    grpc::Status status = stub_->RegisterStatushouder(
        &context, testing::SampleRegistration(request_id, bsn), &created);
    if (!status.ok()) return absl::UnknownError(status.error_message());
    return created.id();
  }

  // How often the consumer applied the event of aggregate `id`; -1 when the query failed.
  int64_t Applications(const std::string& id) {
    int64_t n = -1;
    absl::Status s = consumer_db_->pool().Run("count applications", [&](PooledConnection& c) {
      auto& select = c.Prepare("SELECT COALESCE(SUM(n), 0) FROM applied WHERE id = ?");
      select.setString(1, id);
      std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
      if (rs->next()) n = rs->getInt64(1);
      return absl::OkStatus();
    });
    return s.ok() ? n : -1;
  }

  std::unique_ptr<testing::TestDatabase> intake_db_, consumer_db_;
  std::string log_;
  std::unique_ptr<testing::ServiceProcess> intake_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
  std::unique_ptr<EventConsumer> consumer_;
};

TEST_F(OutboxProducerCrashTest, EventCommittedBeforeTheCrashIsDeliveredAfterTheRestart) {
  auto first = Register("crash-1", "111222333");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(consumer_->WaitForCursor(1, absl::Seconds(20)));

  // Hold the sequencer's lock (outbox_head), so the next commit stays unnumbered and therefore
  // invisible to the stream: the window between commit and delivery, held open.
  auto holder = intake_db_->pool().Acquire();
  ASSERT_TRUE(holder.ok());
  holder->raw().setAutoCommit(false);
  std::unique_ptr<sql::ResultSet>(
      holder->Prepare("SELECT last_sequence FROM outbox_head WHERE id = 1 FOR UPDATE")
          .executeQuery());

  auto second = Register("crash-2", "123456782");
  ASSERT_TRUE(second.ok()) << second.status();  // acknowledged: committed
  const std::string unnumbered =
      absl::StrCat("SELECT COUNT(*) FROM ", intake_db_->schema(), ".outbox WHERE sequence IS NULL");
  EXPECT_EQ(*intake_db_->QueryInt(unnumbered), 1);

  ASSERT_TRUE(intake_->Kill().ok());
  holder->raw().rollback();
  holder->raw().setAutoCommit(true);
  EXPECT_EQ(*intake_db_->QueryInt(unnumbered), 1) << "still undelivered when the producer died";
  EXPECT_EQ(Applications(*second), 0);
  EXPECT_EQ(*consumer_->StoredCursor(), 1);

  ASSERT_TRUE(intake_->Start().ok()) << "see " << log_;
  ASSERT_TRUE(consumer_->WaitForCursor(2, absl::Seconds(30)))
      << "the committed event did not arrive after the restart";
  EXPECT_EQ(Applications(*second), 1);
  EXPECT_EQ(Applications(*first), 1);
  EXPECT_EQ(*intake_db_->QueryInt(unnumbered), 0);

  // The restarted producer keeps following live, and nothing was delivered twice.
  auto third = Register("crash-3", "100000009");
  ASSERT_TRUE(third.ok()) << third.status();
  ASSERT_TRUE(consumer_->WaitForCursor(3, absl::Seconds(20)));
  EXPECT_EQ(*consumer_db_->QueryInt(
                absl::StrCat("SELECT SUM(n) FROM ", consumer_db_->schema(), ".applied")),
            3);
}

}  // namespace
}  // namespace inburgering

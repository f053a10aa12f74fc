// The outbox, its stream and the exactly-once consumer against the real MariaDB, over real gRPC on
// loopback. Also the graceful stop of GrpcServer.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/blocking_reactor.h"
#include "common/event_consumer.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/status.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "tests/support/test_database.h"

namespace inburgering {
namespace {

const Principal kService{"GM0000", Role::kService, "test-consumer"};

v1::Event MakeEvent(const std::string& aggregate_id, int phase) {
  v1::Event event;
  event.set_gemeente("GM0603");
  event.set_aggregate_id(aggregate_id);
  auto* changed = event.mutable_statushouder_changed();
  changed->set_change(v1::StatushouderChanged::UPDATED);
  changed->mutable_statushouder()->set_id(aggregate_id);
  changed->mutable_statushouder()->set_phase(static_cast<v1::Phase>(phase));
  return event;
}

// A producer: StreamEvents from the outbox, and a unary call that waits for a signal (to have a
// call in flight while the server stops).
class Producer final : public v1::IntakeService::CallbackService {
 public:
  Producer(Outbox& outbox, WorkerPool& workers) : outbox_(outbox), workers_(workers) {}
  grpc::ServerWriteReactor<v1::Event>* StreamEvents(
      grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) override {
    return ServeEventStream(*context, outbox_, *request);
  }
  grpc::ServerUnaryReactor* GetStatushouder(grpc::CallbackServerContext* context,
                                            const v1::GetStatushouderRequest* request,
                                            v1::Statushouder* response) override {
    return ServeBlocking(context, workers_, [this, request, response] {
      started.Notify();
      release.WaitForNotification();
      response->set_id(request->id());
      return absl::OkStatus();
    });
  }
  absl::Notification started, release;

 private:
  Outbox& outbox_;
  WorkerPool& workers_;
};

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(OutboxMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    outbox_ = std::make_unique<Outbox>(db_->pool(), workers_);
  }

  void StartServer() {
    outbox_->Start(absl::Milliseconds(20));
    producer_ = std::make_unique<Producer>(*outbox_, workers_);
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    server_->AddService(producer_.get());
    server_->OnShutdown([this] { outbox_->Stop(); });
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::IntakeService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    if (outbox_) outbox_->Stop();
  }

  absl::Status Append(const v1::Event& event) {
    absl::Status s = db_->pool().InTransaction("append", [&](PooledConnection& c) {
      Outbox::Append(c, event);
      return absl::OkStatus();
    });
    outbox_->NotifyCommitted();
    return s;
  }

  WorkerPool workers_{8};
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
};

TEST_F(OutboxTest, SequencesInCommitOrderAndNeverOverAnOpenTransaction) {
  // T1 appends first but commits last; a reader must never see T2's event before T1's gap is
  // resolved, so T1's event is numbered after T2's.
  auto t1 = db_->pool().Acquire();
  ASSERT_TRUE(t1.ok());
  t1->raw().setAutoCommit(false);
  Outbox::Append(*t1, MakeEvent("first-begun", 1));
  ASSERT_TRUE(Append(MakeEvent("first-committed", 2)).ok());

  ASSERT_EQ(*outbox_->SequenceOnce(), 1);
  auto events = outbox_->ReadAfter(0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].aggregate_id(), "first-committed");

  t1->raw().commit();
  t1->raw().setAutoCommit(true);
  ASSERT_EQ(*outbox_->SequenceOnce(), 2);
  events = outbox_->ReadAfter(0, 10);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].sequence(), 1);
  EXPECT_EQ((*events)[1].sequence(), 2);
  EXPECT_EQ((*events)[1].aggregate_id(), "first-begun");
}

// An import numbers its own events under the head lock (AppendManyNumbered) while the sequencer
// numbers everyone else's after commit, in runs of consecutive ids: together one gap-free order,
// and a row of a transaction still open is never numbered over, even when it sits between rows
// that are.
TEST_F(OutboxTest, NumberedAppendsAndSequencedOnesShareOneGapFreeOrder) {
  ASSERT_TRUE(Append(MakeEvent("a", 1)).ok());
  auto open = db_->pool().Acquire();
  ASSERT_TRUE(open.ok());
  open->raw().setAutoCommit(false);
  Outbox::Append(*open, MakeEvent("open", 1));  // its id lies between "a" and the b's
  ASSERT_TRUE(
      db_->pool()
          .InTransaction(
              "append many",
              [](PooledConnection& c) {
                Outbox::AppendMany(c, {MakeEvent("b1", 1), MakeEvent("b2", 1), MakeEvent("b3", 1)});
                return absl::OkStatus();
              })
          .ok());
  ASSERT_EQ(*outbox_->SequenceOnce(), 4);

  std::vector<v1::Event> imported;
  for (int i = 0; i < 300; ++i) imported.push_back(MakeEvent(absl::StrCat("n", i), 1));
  ASSERT_TRUE(db_->pool()
                  .InTransaction("import",
                                 [&](PooledConnection& c) {
                                   Outbox::AppendManyNumbered(c, imported);
                                   return absl::OkStatus();
                                 })
                  .ok());
  EXPECT_EQ(*outbox_->SequenceOnce(), 304);  // nothing else to number; the head moved

  open->raw().commit();
  open->raw().setAutoCommit(true);
  ASSERT_EQ(*outbox_->SequenceOnce(), 305);

  auto events = outbox_->ReadAfter(0, 1000);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 305u);
  std::vector<std::string> expected = {"a", "b1", "b2", "b3"};
  for (int i = 0; i < 300; ++i) expected.push_back(absl::StrCat("n", i));
  expected.push_back("open");
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].sequence(), static_cast<int64_t>(i + 1));
    EXPECT_EQ((*events)[i].aggregate_id(), expected[i]) << "sequence " << i + 1;
  }
}

TEST_F(OutboxTest, RolledBackWriteProducesNoEvent) {
  absl::Status refused = db_->pool().InTransaction("append then refuse", [](PooledConnection& c) {
    Outbox::Append(c, MakeEvent("never", 1));
    return absl::FailedPreconditionError("refused");
  });
  EXPECT_FALSE(refused.ok());
  ASSERT_TRUE(Append(MakeEvent("kept", 1)).ok());
  EXPECT_EQ(*outbox_->SequenceOnce(), 1);
  auto events = outbox_->ReadAfter(0, 10);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].aggregate_id(), "kept");
}

TEST_F(OutboxTest, StreamReplaysFromTheCursorThenFollowsLive) {
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(Append(MakeEvent(absl::StrCat("s", i), 1)).ok());
  StartServer();

  grpc::ClientContext context;
  AttachPrincipal(kService, context);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::StreamEventsRequest request;
  request.set_after_sequence(2);
  auto reader = stub_->StreamEvents(&context, request);
  v1::Event event;
  for (int expected = 3; expected <= 5; ++expected) {
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(event.sequence(), expected);
    EXPECT_EQ(event.aggregate_id(), absl::StrCat("s", expected));
  }
  // Now caught up: a new commit arrives on the open stream.
  ASSERT_TRUE(Append(MakeEvent("live", 1)).ok());
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.sequence(), 6);
  EXPECT_EQ(event.aggregate_id(), "live");
  context.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(OutboxTest, StopAtHeadEndsTheStreamAfterTheReplay) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(Append(MakeEvent(absl::StrCat("s", i), 1)).ok());
  StartServer();
  grpc::ClientContext context;
  AttachPrincipal(kService, context);
  v1::StreamEventsRequest request;
  request.set_stop_at_head(true);
  auto reader = stub_->StreamEvents(&context, request);
  v1::Event event;
  int n = 0;
  while (reader->Read(&event)) ++n;
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(reader->Finish().ok());
}

// A consumer's own schema with the view ApplyToView writes.
absl::StatusOr<std::unique_ptr<testing::TestDatabase>> ConsumerDatabase() {
  auto db = testing::TestDatabase::Create(OutboxMigrations());
  if (!db.ok()) return db.status();
  RETURN_IF_ERROR(
      (*db)->Execute(absl::StrCat("CREATE TABLE ", (*db)->schema(),
                                  ".view (id VARCHAR(20) PRIMARY KEY, phase INT, applied INT)")));
  return db;
}

// The consumer's own schema: a state-carrying view of the last phase per aggregate and a count of
// applications, so a double application would show.
absl::Status ApplyToView(const v1::Event& event, PooledConnection& c) {
  auto& upsert = c.Prepare(
      "INSERT INTO view (id, phase, applied) VALUES (?, ?, 1) "
      "ON DUPLICATE KEY UPDATE phase = VALUES(phase), applied = applied + 1");
  upsert.setString(1, event.aggregate_id());
  upsert.setInt(2, event.statushouder_changed().statushouder().phase());
  upsert.executeUpdate();
  return absl::OkStatus();
}

TEST_F(OutboxTest, ConsumerAppliesEachEventOnceAcrossRestartsAndReplays) {
  for (int i = 1; i <= 20; ++i) {
    ASSERT_TRUE(Append(MakeEvent(absl::StrCat("a", i % 7), i % 4)).ok());
  }
  StartServer();
  auto consumer_db = ConsumerDatabase();
  ASSERT_TRUE(consumer_db.ok()) << consumer_db.status();
  auto open = [this](grpc::ClientContext* context, const v1::StreamEventsRequest& request) {
    return stub_->StreamEvents(context, request);
  };
  auto run_consumer_until = [&](int64_t sequence) {
    EventConsumer consumer({"producer"}, (*consumer_db)->pool(), open, kService, ApplyToView);
    consumer.Start();
    EXPECT_TRUE(consumer.WaitForCursor(sequence, absl::Seconds(20)));
    consumer.Stop();
  };
  run_consumer_until(20);
  EXPECT_EQ(*(*consumer_db)->QueryInt("SELECT SUM(applied) FROM view"), 20);

  // A restarted consumer picks up only what is new.
  ASSERT_TRUE(Append(MakeEvent("a1", 3)).ok());
  run_consumer_until(21);
  EXPECT_EQ(*(*consumer_db)->QueryInt("SELECT SUM(applied) FROM view"), 21);

  // Handing it the whole stream again changes nothing: everything is at or below the cursor.
  auto all = outbox_->ReadAfter(0, 100);
  ASSERT_TRUE(all.ok());
  EventConsumer replayer({"producer"}, (*consumer_db)->pool(), open, kService, ApplyToView);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*replayer.ApplyBatch(*all), 0);
  EXPECT_EQ(*(*consumer_db)->QueryInt("SELECT SUM(applied) FROM view"), 21);
  EXPECT_EQ(*(*consumer_db)->QueryInt("SELECT phase FROM view WHERE id = 'a1'"), 3);
}

// Issue 26: an event that is not the stored cursor + 1 is never applied, so a consumer that lost
// events on the way (a batch taken for applied whose COMMIT was lost) cannot move its cursor past
// them.
TEST_F(OutboxTest, ConsumerRefusesAnEventThatLeavesAGap) {
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(Append(MakeEvent(absl::StrCat("g", i), i % 4)).ok());
  ASSERT_TRUE(outbox_->SequenceOnce().ok());
  auto consumer_db = ConsumerDatabase();
  ASSERT_TRUE(consumer_db.ok()) << consumer_db.status();
  auto all = outbox_->ReadAfter(0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EventConsumer consumer({"producer"}, (*consumer_db)->pool(), nullptr, kService, ApplyToView);
  ASSERT_EQ(*consumer.ApplyBatch({(*all)[0]}), 1);

  // Event 3 after cursor 1: refused, nothing written, the cursor stays.
  auto gap = consumer.ApplyBatch({(*all)[2], (*all)[3]});
  EXPECT_EQ(gap.status().code(), absl::StatusCode::kAborted) << gap.status();
  EXPECT_NE(gap.status().message().find("does not follow 1"), absl::string_view::npos)
      << gap.status();
  // A gap inside a batch is refused as a whole, too.
  EXPECT_EQ(consumer.ApplyBatch({(*all)[1], (*all)[3]}).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(*consumer.StoredCursor(), 1);
  EXPECT_EQ(*(*consumer_db)->QueryInt("SELECT SUM(applied) FROM view"), 1);

  // The events that follow on from the cursor apply, including ones already seen.
  EXPECT_EQ(*consumer.ApplyBatch(*all), 4);
  EXPECT_EQ(*consumer.StoredCursor(), 5);
  EXPECT_EQ(*(*consumer_db)->QueryInt("SELECT SUM(applied) FROM view"), 5);
}

// Issue 26: after a failed apply the consumer drops its queue and reads the stream again from the
// cursor stored in the database, instead of trying the same queued batch again (a batch whose
// COMMIT was lost would otherwise be dropped as applied and the next one read past it).
TEST_F(OutboxTest, ConsumerReadsTheStreamAgainFromTheStoredCursorAfterAFailedApply) {
  for (int i = 1; i <= 30; ++i)
    ASSERT_TRUE(Append(MakeEvent(absl::StrCat("r", i % 9), i % 4)).ok());
  StartServer();
  auto consumer_db = ConsumerDatabase();
  ASSERT_TRUE(consumer_db.ok()) << consumer_db.status();
  absl::Mutex mu;
  std::vector<int64_t> opened_after;
  auto open = [&](grpc::ClientContext* context, const v1::StreamEventsRequest& request) {
    {
      absl::MutexLock lock(&mu);
      opened_after.push_back(request.after_sequence());
    }
    return stub_->StreamEvents(context, request);
  };
  std::atomic<int> failures_left{1};
  std::atomic<int64_t> cursor_at_failure{-1};
  EventConsumer::ApplyBatchFn apply = [&](const std::vector<v1::Event>& events,
                                          PooledConnection& c) -> absl::Status {
    for (const v1::Event& event : events) RETURN_IF_ERROR(ApplyToView(event, c));
    if (events.back().sequence() >= 12 && failures_left.fetch_sub(1) > 0) {
      cursor_at_failure = events.front().sequence() - 1;
      return absl::UnavailableError("injected: the batch that reaches event 12 fails once");
    }
    return absl::OkStatus();
  };
  EventConsumer consumer({.stream = "producer", .max_batch = 5}, (*consumer_db)->pool(), open,
                         kService, apply);
  consumer.Start();
  EXPECT_TRUE(consumer.WaitForCursor(30, absl::Seconds(20)));
  consumer.Stop();
  EXPECT_EQ(*(*consumer_db)->QueryInt("SELECT SUM(applied) FROM view"), 30);
  EXPECT_EQ(*consumer.StoredCursor(), 30);
  absl::MutexLock lock(&mu);
  ASSERT_GE(opened_after.size(), 2u) << "the stream was not opened again after the failure";
  EXPECT_EQ(opened_after[0], 0);
  EXPECT_EQ(opened_after[1], cursor_at_failure.load()) << "reopened from the stored cursor";
}

TEST_F(OutboxTest, GracefulStopLetsTheCallInFlightFinish) {
  StartServer();
  grpc::Status in_flight;
  v1::Statushouder response;
  std::thread caller([&] {
    grpc::ClientContext context;
    v1::GetStatushouderRequest request;
    request.set_id("in-flight");
    in_flight = stub_->GetStatushouder(&context, request, &response);
  });
  producer_->started.WaitForNotification();
  std::thread stopper([&] { server_->Shutdown(absl::Seconds(10)); });
  absl::SleepFor(absl::Milliseconds(100));  // let the stop begin; correctness does not rest on it
  producer_->release.Notify();
  stopper.join();
  caller.join();
  EXPECT_TRUE(in_flight.ok()) << in_flight.error_message();
  EXPECT_EQ(response.id(), "in-flight");

  grpc::ClientContext late;
  late.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::GetStatushouderRequest request;
  EXPECT_FALSE(stub_->GetStatushouder(&late, request, &response).ok());
}

}  // namespace
}  // namespace inburgering

// GetStatushouder's batches run on gRPC's callback thread (InlineRequestBatcher), with one
// statement in the database at a time. Against a MariaDB of its own that hangs (SIGSTOP), this
// checks the bound that makes that safe: the reads wait, but the server still answers what needs
// no database, and the reads complete once the database goes on.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/mysql_pool.h"
#include "common/principal.h"
#include "common/worker_pool.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "tests/support/in_process_intake.h"
#include "tests/support/private_mariadb.h"
#include "tests/support/test_bsn.h"
#include "tests/support/test_registration.h"

namespace inburgering::intake {
namespace {

const Principal kRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};

grpc::Status Get(v1::IntakeService::Stub& stub, const std::string& id, absl::Duration deadline,
                 v1::Statushouder* response) {
  grpc::ClientContext context;
  AttachPrincipal(kRijswijk, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  v1::GetStatushouderRequest request;
  request.set_id(id);
  return stub.GetStatushouder(&context, request, response);
}

TEST(IntakePointReads, WhileTheDatabaseHangsTheServerStillAnswersWhatNeedsNoDatabase) {
  auto db = testing::PrivateMariaDb::Start();
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->CreateSchema("intake").ok());
  auto pool = MysqlPool::Create((*db)->Options("intake"));
  ASSERT_TRUE(pool.ok()) << pool.status();
  WorkerPool workers(8);
  auto intake = testing::InProcessIntake::StartOn(**pool, workers,
                                                  [] { return absl::CivilDay(2026, 11, 23); });
  ASSERT_TRUE(intake.ok()) << intake.status();
  v1::IntakeService::Stub& stub = (*intake)->stub();

  v1::Statushouder registered;
  {
    grpc::ClientContext context;
    AttachPrincipal(kRijswijk, context);
    ASSERT_TRUE(
        stub.RegisterStatushouder(
                &context, testing::SampleRegistration("stall-1", testing::TestBsn(1)), &registered)
            .ok());
  }
  // Open connections for the read to find: a new one would wait for the stopped server's greeting
  // and fail after connect_timeout, which is another test (MysqlPool's).
  {
    std::vector<PooledConnection> held;
    for (int i = 0; i < 4; ++i) held.push_back(*(*pool)->Acquire());
  }

  ASSERT_TRUE((*db)->Pause().ok());
  // Eight readers: one batch holds the database (its statement waits on the stopped server) and
  // the others queue behind it. Were each read to take its own statement on the gRPC thread that
  // received it, these would hold every one of gRPC's threads and the calls below would hang.
  constexpr int kReaders = 8;
  std::atomic<int> answered_right{0};
  std::atomic<int> finished{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&] {
      v1::Statushouder got;
      if (Get(stub, registered.id(), absl::Seconds(20), &got).ok() && got.id() == registered.id() &&
          got.bsn() == registered.bsn()) {
        ++answered_right;
      }
      ++finished;
    });
  }
  absl::SleepFor(absl::Milliseconds(500));

  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel((*intake)->target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext health_context;
  health_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  grpc::health::v1::HealthCheckRequest health_request;
  grpc::health::v1::HealthCheckResponse health_response;
  grpc::Status checked = health->Check(&health_context, health_request, &health_response);
  EXPECT_TRUE(checked.ok()) << checked.error_message();
  EXPECT_EQ(health_response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  // Validation needs no database: answered at once on a gRPC thread.
  v1::Statushouder unused;
  EXPECT_EQ(Get(stub, "", absl::Seconds(2), &unused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(finished.load(), 0) << "a read was answered while the database was stopped";

  ASSERT_TRUE((*db)->Resume().ok());
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(answered_right.load(), kReaders);
}

}  // namespace
}  // namespace inburgering::intake

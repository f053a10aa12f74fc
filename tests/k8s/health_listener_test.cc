// The plaintext --health_listen listener that Kubernetes' native grpc probes use: it mirrors the
// main listener's health, turns NOT_SERVING when the server drains, and serves nothing else.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "common/server.h"
#include "grpc/health/v1/health.grpc.pb.h"

ABSL_DECLARE_FLAG(std::string, health_listen);
ABSL_DECLARE_FLAG(int, max_connection_age_s);

namespace inburgering {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// Checks `service` on 127.0.0.1:port over plaintext; returns the gRPC status and fills `serving`.
grpc::Status Check(int port, const std::string& service, HealthCheckResponse::ServingStatus* out) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  *out = response.status();
  return status;
}

class HealthListenerTest : public ::testing::Test {
 protected:
  void SetUp() override { absl::SetFlag(&FLAGS_health_listen, "127.0.0.1:0"); }
  void TearDown() override { absl::SetFlag(&FLAGS_health_listen, ""); }
};

TEST_F(HealthListenerTest, ServesTheMainListenersHealthOverPlaintext) {
  GrpcServer server("127.0.0.1:0", {"inburgering.v1.IntakeService"});
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.health_port(), 0);
  EXPECT_NE(server.health_port(), server.port());

  HealthCheckResponse::ServingStatus serving = HealthCheckResponse::UNKNOWN;
  ASSERT_TRUE(Check(server.health_port(), "", &serving).ok());
  EXPECT_EQ(serving, HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check(server.health_port(), "inburgering.v1.IntakeService", &serving).ok());
  EXPECT_EQ(serving, HealthCheckResponse::SERVING);

  grpc::Status unknown = Check(server.health_port(), "inburgering.v1.Unknown", &serving);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  server.Shutdown();
}

TEST_F(HealthListenerTest, TurnsNotServingWhenTheServerDrains) {
  GrpcServer server("127.0.0.1:0", {"inburgering.v1.IntakeService"});
  HealthCheckResponse::ServingStatus during_drain = HealthCheckResponse::UNKNOWN;
  grpc::Status status_during_drain;
  // Shutdown hooks run after health turns NOT_SERVING and before the listeners stop.
  server.OnShutdown([&] { status_during_drain = Check(server.health_port(), "", &during_drain); });
  ASSERT_TRUE(server.Start().ok());
  server.Shutdown();
  ASSERT_TRUE(status_during_drain.ok()) << status_during_drain.error_message();
  EXPECT_EQ(during_drain, HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthListenerTest, DoesNotServeTheApiWithoutTls) {
  GrpcServer server("127.0.0.1:0", {"inburgering.v1.IntakeService"});
  ASSERT_TRUE(server.Start().ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.health_port()),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  stub.UnaryCall(&context, "/inburgering.v1.IntakeService/GetStatushouder", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   done_cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  done_cv.wait(lock, [&] { return done; });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  lock.unlock();
  server.Shutdown();
}

TEST_F(HealthListenerTest, IsOffByDefault) {
  absl::SetFlag(&FLAGS_health_listen, "");
  GrpcServer server("127.0.0.1:0", {});
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(server.health_port(), 0);
  server.Shutdown();
}

// --max_connection_age_s makes the server send GOAWAY to old connections, so a client that
// balances over DNS reconnects (and re-resolves) and reaches replicas added since.
TEST(MaxConnectionAge, ServerEndsOldConnectionsSoClientsReconnect) {
  absl::SetFlag(&FLAGS_max_connection_age_s, 1);
  GrpcServer server("127.0.0.1:0", {});
  ASSERT_TRUE(server.Start().ok());
  absl::SetFlag(&FLAGS_max_connection_age_s, 0);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                                     grpc::InsecureChannelCredentials());
  ASSERT_TRUE(
      channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)));
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  // Event-driven: returns as soon as the state leaves READY (GOAWAY after about one second).
  EXPECT_TRUE(channel->WaitForStateChange(
      GRPC_CHANNEL_READY, std::chrono::system_clock::now() + std::chrono::seconds(30)));
  EXPECT_NE(channel->GetState(false), GRPC_CHANNEL_READY);
  server.Shutdown();
}

}  // namespace
}  // namespace inburgering

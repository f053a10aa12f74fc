// Runs LoadRun against an in-process echo server: the counts a run reports must match what the
// server saw, in both loop modes, and failures must land under their status code.
#include "bench/load_run.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <optional>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/echo.grpc.pb.h"

namespace inburgering::bench {
namespace {

// Echo that counts its calls and, like the suite's services, refuses a call without a role.
class CountingEcho final : public EchoService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    calls_.fetch_add(1);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!context->client_metadata().contains("x-inburgering-role")) {
      reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no role"));
      return reactor;
    }
    response->set_message(request->message());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

class LoadRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    for (int i = 0; i < 2; ++i) {
      channels_.push_back(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                              grpc::InsecureChannelCredentials()));
    }
    auto requests = RequestTemplate::Create(EchoRequest::descriptor(), R"({"message": "{{i}}"})",
                                            RequestTemplate::Format::kJson, {}, "test");
    ASSERT_TRUE(requests.ok()) << requests.status();
    requests_.emplace(*std::move(requests));
  }
  void TearDown() override { server_->Shutdown(); }

  LoadOptions Options() {
    LoadOptions options;
    options.method = "/inburgering.bench.EchoService/Echo";
    options.inflight = 4;
    options.warmup = std::chrono::nanoseconds::zero();
    options.requests = 300;
    options.metadata = {{"x-inburgering-role", "consulent"}};
    return options;
  }

  RunReport RunWith(const LoadOptions& options) {
    return LoadRun(options, *requests_, channels_).Run();
  }

  CountingEcho service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::optional<RequestTemplate> requests_;
};

TEST_F(LoadRunTest, ClosedLoopMakesExactlyTheRequestedCalls) {
  const RunReport report = RunWith(Options());
  EXPECT_EQ(report.statuses.ok(), 300u);
  EXPECT_EQ(report.statuses.failed(), 0u);
  EXPECT_EQ(report.latency.count(), 300u);
  EXPECT_EQ(service_.calls(), 300);
  EXPECT_GT(report.measured_seconds, 0);
  EXPECT_EQ(report.channels, 2);
}

TEST_F(LoadRunTest, WarmUpCallsAreSentButNotCounted) {
  LoadOptions options = Options();
  options.warmup = std::chrono::milliseconds(50);
  const RunReport report = RunWith(options);
  EXPECT_EQ(report.statuses.total(), 300u);
  EXPECT_GT(service_.calls(), 300);
}

TEST_F(LoadRunTest, OpenLoopFollowsTheSchedule) {
  LoadOptions options = Options();
  options.rate = 2000;
  options.requests = 200;
  const RunReport report = RunWith(options);
  EXPECT_EQ(report.statuses.ok(), 200u);
  EXPECT_EQ(report.send_lag.count(), 200u);
  // The 200th call is not due before 199/2000 s: the run cannot be shorter than its schedule.
  EXPECT_GE(report.measured_seconds, 199.0 / 2000);
}

TEST_F(LoadRunTest, FailuresAreCountedByCodeAndNeverAsOk) {
  LoadOptions options = Options();
  options.metadata.clear();
  RunReport report = RunWith(options);
  EXPECT_EQ(report.statuses.ok(), 0u);
  EXPECT_EQ(report.statuses.count(grpc::StatusCode::PERMISSION_DENIED), 300u);
  EXPECT_EQ(report.latency.count(), 0u);

  options = Options();
  options.method = "/inburgering.bench.EchoService/NoSuchMethod";
  report = RunWith(options);
  EXPECT_EQ(report.statuses.count(grpc::StatusCode::UNIMPLEMENTED), 300u);
}

TEST_F(LoadRunTest, DurationModeStopsOnTime) {
  LoadOptions options = Options();
  options.requests = 0;
  options.duration = std::chrono::milliseconds(200);
  const RunReport report = RunWith(options);
  EXPECT_GT(report.statuses.ok(), 0u);
  EXPECT_EQ(report.statuses.failed(), 0u);
}

}  // namespace
}  // namespace inburgering::bench

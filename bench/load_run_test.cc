// Runs LoadRun (grpc++) and H2LoadRun (raw HTTP/2) against an in-process echo server: the counts
// a run reports must match what the server saw, in both loop modes, and failures must land under
// their status code, whichever client made the calls.
#include "bench/load_run.h"

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/h2_load_run.h"
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

// The parameter names the client: "grpc" (LoadRun) or "h2" (H2LoadRun).
class LoadRunTest : public ::testing::TestWithParam<std::string> {
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
    if (GetParam() == "grpc") return LoadRun(options, *requests_, channels_).Run();
    H2LoadRun run(options, *requests_, absl::StrCat("127.0.0.1:", port_), 2);
    absl::StatusOr<RunReport> report = run.Run(std::chrono::steady_clock::now() + kConnect);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *std::move(report) : RunReport{};
  }

  static constexpr auto kConnect = std::chrono::seconds(5);

  CountingEcho service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::optional<RequestTemplate> requests_;
};

TEST_P(LoadRunTest, ClosedLoopMakesExactlyTheRequestedCalls) {
  const RunReport report = RunWith(Options());
  EXPECT_EQ(report.statuses.ok(), 300u);
  EXPECT_EQ(report.statuses.failed(), 0u);
  EXPECT_EQ(report.latency.count(), 300u);
  EXPECT_EQ(service_.calls(), 300);
  EXPECT_GT(report.measured_seconds, 0);
  EXPECT_EQ(report.channels, 2);
  EXPECT_EQ(report.client, GetParam());
}

TEST_P(LoadRunTest, WarmUpCallsAreSentButNotCounted) {
  LoadOptions options = Options();
  options.warmup = std::chrono::milliseconds(50);
  const RunReport report = RunWith(options);
  EXPECT_EQ(report.statuses.total(), 300u);
  EXPECT_GT(service_.calls(), 300);
}

TEST_P(LoadRunTest, OpenLoopFollowsTheSchedule) {
  if (GetParam() == "h2") GTEST_SKIP() << "the h2 client runs closed loop only";
  LoadOptions options = Options();
  options.rate = 2000;
  options.requests = 200;
  const RunReport report = RunWith(options);
  EXPECT_EQ(report.statuses.ok(), 200u);
  EXPECT_EQ(report.send_lag.count(), 200u);
  // The 200th call is not due before 199/2000 s: the run cannot be shorter than its schedule.
  EXPECT_GE(report.measured_seconds, 199.0 / 2000);
}

TEST_P(LoadRunTest, FailuresAreCountedByCodeAndNeverAsOk) {
  LoadOptions options = Options();
  options.metadata.clear();
  RunReport report = RunWith(options);
  EXPECT_EQ(report.statuses.ok(), 0u);
  EXPECT_EQ(report.statuses.count(grpc::StatusCode::PERMISSION_DENIED), 300u);
  EXPECT_EQ(report.statuses.sample_message(grpc::StatusCode::PERMISSION_DENIED), "no role");
  EXPECT_EQ(report.latency.count(), 0u);

  options = Options();
  options.method = "/inburgering.bench.EchoService/NoSuchMethod";
  report = RunWith(options);
  EXPECT_EQ(report.statuses.count(grpc::StatusCode::UNIMPLEMENTED), 300u);
}

TEST_P(LoadRunTest, DurationModeStopsOnTime) {
  LoadOptions options = Options();
  options.requests = 0;
  options.duration = std::chrono::milliseconds(200);
  const RunReport report = RunWith(options);
  EXPECT_GT(report.statuses.ok(), 0u);
  EXPECT_EQ(report.statuses.failed(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Clients, LoadRunTest, ::testing::Values("grpc", "h2"),
                         [](const auto& info) { return info.param; });

// A TCP listener on loopback that accepts connections and then either closes them at once or
// never says a word: the failures the h2 client must turn into statuses instead of hanging.
class MuteListener {
 public:
  explicit MuteListener(bool close_at_once) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(fd_, 8);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this, close_at_once] {
      while (true) {
        const int client = accept(fd_, nullptr, nullptr);
        if (client < 0) return;
        if (close_at_once) {
          close(client);
        } else {
          accepted_.push_back(client);
        }
      }
    });
  }
  ~MuteListener() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    acceptor_.join();
    for (int client : accepted_) close(client);
  }
  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> accepted_;
  std::thread acceptor_;
};

class H2LoadRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto requests = RequestTemplate::Create(EchoRequest::descriptor(), R"({"message": "x"})",
                                            RequestTemplate::Format::kJson, {}, "test");
    ASSERT_TRUE(requests.ok()) << requests.status();
    requests_.emplace(*std::move(requests));
    options_.method = "/inburgering.bench.EchoService/Echo";
    options_.inflight = 3;
    options_.warmup = std::chrono::nanoseconds::zero();
    options_.requests = 100;
    options_.deadline = std::chrono::milliseconds(100);
  }
  absl::StatusOr<RunReport> RunAgainst(
      const std::string& target, int connections,
      std::chrono::milliseconds connect_within = std::chrono::seconds(5)) {
    return H2LoadRun(options_, *requests_, target, connections)
        .Run(std::chrono::steady_clock::now() + connect_within);
  }
  std::optional<RequestTemplate> requests_;
  LoadOptions options_;
};

TEST_F(H2LoadRunTest, AServerThatNeverAnswersEndsInDeadlineExceeded) {
  MuteListener mute(/*close_at_once=*/false);
  options_.requests = 6;  // each one waits out deadline and grace: keep the test short
  const absl::StatusOr<RunReport> report = RunAgainst(mute.target(), 2);
  ASSERT_TRUE(report.ok()) << report.status();
  // Every call was given up on: the run ends instead of waiting forever.
  EXPECT_EQ(report->statuses.count(grpc::StatusCode::DEADLINE_EXCEEDED), 6u);
  EXPECT_EQ(report->statuses.ok(), 0u);
}

TEST_F(H2LoadRunTest, AClosedConnectionFailsItsCallsAsUnavailable) {
  MuteListener closer(/*close_at_once=*/true);
  const absl::StatusOr<RunReport> report = RunAgainst(closer.target(), 2);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->statuses.count(grpc::StatusCode::UNAVAILABLE), 6u);
  EXPECT_EQ(report->statuses.total(), 6u);
}

TEST_F(H2LoadRunTest, NoListenerIsUnavailableBeforeAnyCall) {
  int port = 0;
  {
    MuteListener gone(/*close_at_once=*/true);
    port = gone.port();
  }
  const absl::StatusOr<RunReport> report =
      RunAgainst(absl::StrCat("127.0.0.1:", port), 1, std::chrono::milliseconds(200));
  EXPECT_EQ(report.status().code(), absl::StatusCode::kUnavailable) << report.status();
}

TEST_F(H2LoadRunTest, AnOpenLoopRateIsRefused) {
  options_.rate = 100;
  EXPECT_EQ(RunAgainst("127.0.0.1:1", 1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inburgering::bench

// Test support for the gateway: a recording backend (a real gRPC server on loopback that serves
// any method generically and remembers what reached it), an in-memory audit log, a raw generic
// caller, and a fixture that runs a gateway (gRPC and HTTP fronts) in front of three backends.
#pragma once

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/server.h"
#include "gateway/audit_log.h"
#include "gateway/gateway.h"
#include "gateway/grpc_proxy.h"
#include "gateway/http_front.h"
#include "inburgering/v1/intake.pb.h"

namespace inburgering::gateway::testing {

// A backend that answers every method: it reads all request messages, records the call, and
// answers with the configured response bytes (default: an empty message) and status.
class RecordingBackend final : public grpc::CallbackGenericService {
 public:
  struct Call {
    std::string method;
    std::multimap<std::string, std::string> metadata;
    std::chrono::system_clock::time_point deadline;
    std::vector<std::string> messages;
  };

  RecordingBackend();
  ~RecordingBackend() override;
  std::string target() const;
  void Stop();

  void SetResponse(const std::string& path, std::string bytes);
  void SetStatus(const std::string& path, grpc::Status status);
  // Calls of `path` are held until cancelled.
  void Hold(const std::string& path);
  // True when a held call was cancelled within `timeout`.
  bool WaitForCancellation(absl::Duration timeout);

  std::vector<Call> calls() const;
  void Clear();

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

 private:
  friend class RecordingReactor;
  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> responses_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, grpc::Status> statuses_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> held_ ABSL_GUARDED_BY(mu_);
  absl::Notification cancelled_;
  std::unique_ptr<GrpcServer> server_;
};

// Keeps records in memory; can be told to fail (to test failing closed).
class InMemoryAuditLog final : public AuditLog {
 public:
  void Append(AuditRecord record, std::function<void(absl::Status)> done) override;
  // UNAVAILABLE while every row fails (SetFailing without a phase).
  absl::Status Check() override;
  // The end rows (one per call, with its result), and the begin rows of admitted proxied calls.
  std::vector<AuditRecord> records() const { return Rows(AuditRecord::Phase::kEnd); }
  std::vector<AuditRecord> begins() const { return Rows(AuditRecord::Phase::kBegin); }
  // Fails every row, or with `only` the rows of that phase.
  void SetFailing(bool failing, std::optional<AuditRecord::Phase> only = std::nullopt);

 private:
  std::vector<AuditRecord> Rows(AuditRecord::Phase phase) const;

  mutable absl::Mutex mu_;
  std::vector<AuditRecord> records_ ABSL_GUARDED_BY(mu_);
  bool failing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<AuditRecord::Phase> failing_only_ ABSL_GUARDED_BY(mu_);
};

struct RawResult {
  grpc::Status status;
  std::vector<std::string> responses;
  std::multimap<std::string, std::string> trailers;
};

// Calls `path` on `channel` generically: sends `messages` (serialized), half-closes, reads all.
RawResult CallRaw(grpc::Channel& channel, const std::string& path,
                  const std::vector<std::string>& messages,
                  const std::vector<std::pair<std::string, std::string>>& metadata,
                  absl::Duration timeout = absl::Seconds(10));

// The tokens the fixture configures: "token-<role>-<gemeente code>", for every role in GM0603
// (Rijswijk) and GM0503 (Delft). Region "haaglanden" holds both plus GM0518; region "rotterdam"
// holds GM0599.
std::string TokenFor(absl::string_view role, absl::string_view gemeente);
config::v1::GatewayConfig TestConfig();

// A registration of one statushouder (BSN 111222333, Amal Haddad; request_id "r1") for tests
// that go through the gateway to the real intake-service.
v1::RegisterStatushouderRequest Registration();

// A gateway with both fronts in front of three recording backends.
class GatewayFixture : public ::testing::Test {
 protected:
  void SetUp() override { StartGateway(TestConfig()); }
  void TearDown() override;
  void StartGateway(config::v1::GatewayConfig config);

  std::shared_ptr<grpc::Channel> channel_;
  RecordingBackend intake_, matching_, reporting_;
  InMemoryAuditLog audit_;
  absl::Time now_ = absl::FromUnixSeconds(1790000000);
  absl::Mutex clock_mu_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<GrpcProxy> proxy_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<HttpFront> http_;
};

}  // namespace inburgering::gateway::testing

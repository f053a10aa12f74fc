// Asks a server's grpc.health.v1.Health/Check and exits 0 when it answers SERVING: the scripts'
// readiness check (Kubernetes uses its native gRPC probe instead).
#include <iostream>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/tls.h"
#include "grpc/health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address");
ABSL_FLAG(std::string, service, "", "service name to check; empty = the whole server");
ABSL_FLAG(int, timeout_ms, 1000, "deadline of the check");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto credentials = inburgering::ChannelCredentialsFor(absl::GetFlag(FLAGS_target));
  if (!credentials.ok()) {
    std::cerr << credentials.status().message() << "\n";
    return 2;
  }
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), *credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_service));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::cerr << "health check failed: " << status.error_message() << "\n";
    return 1;
  }
  const bool serving = response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  std::cout << (serving ? "SERVING" : "NOT_SERVING") << "\n";
  return serving ? 0 : 1;
}

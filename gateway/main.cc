// gateway: the one front door of the region (authentication, authorisation, routing, JSON over
// HTTP, dashboard). This skeleton serves health and reflection; the gateway issue adds the rest.
#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/log.h"
#include "common/server.h"
#include "common/startup.h"
#include "inburgering/config/v1/config.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "address of the public gRPC listener");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080", "address of the HTTP listener");
ABSL_FLAG(std::string, config, "", "JSON config file (GatewayConfig)");
ABSL_FLAG(std::string, intake_target, "127.0.0.1:50061", "intake-service");
ABSL_FLAG(std::string, matching_target, "127.0.0.1:50062", "matching-service");
ABSL_FLAG(std::string, reporting_target, "127.0.0.1:50063", "reporting-service");

namespace inburgering::gateway::migrations {
const std::vector<Migration>& Migrations();  // generated from migrations/*.sql
}  // namespace inburgering::gateway::migrations

int main(int argc, char** argv) {
  using namespace inburgering;
  constexpr char kName[] = "gateway";
  BlockTerminationSignals();
  ParseFlagsWithEnvironment(argc, argv, "gateway: the front door of the inburgering services");
  InitLogging(kName);

  config::v1::GatewayConfig config;
  if (const std::string path = absl::GetFlag(FLAGS_config); !path.empty()) {
    if (absl::Status s = LoadJsonConfig(path, &config); !s.ok()) return StartupFailed(kName, s);
  }
  auto pool = OpenDatabase("gateway", gateway::migrations::Migrations());
  if (!pool.ok()) return StartupFailed(kName, pool.status());

  GrpcServer server(absl::GetFlag(FLAGS_listen), {});
  if (absl::Status s = server.Start(); !s.ok()) return StartupFailed(kName, s);
  return server.WaitForTerminationSignal();
}

// matching-service: talende werkplekken, explained recommendations, regional assignment and
// placements.
#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/server.h"
#include "common/startup.h"
#include "common/worker_pool.h"
#include "inburgering/config/v1/config.pb.h"
#include "matching-service/matching_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50062", "address of the gRPC listener");
ABSL_FLAG(std::string, config, "", "JSON config file (MatchingConfig)");
ABSL_FLAG(std::string, intake_target, "127.0.0.1:50061", "intake-service, for its event stream");
ABSL_FLAG(int, workers, 32, "threads that run database work");

namespace inburgering::matching::migrations {
const std::vector<Migration>& Migrations();  // generated from migrations/*.sql
}  // namespace inburgering::matching::migrations

int main(int argc, char** argv) {
  using namespace inburgering;
  constexpr char kName[] = "matching-service";
  BlockTerminationSignals();
  ParseFlagsWithEnvironment(argc, argv, "matching-service: werkplekken, matching, placements");
  InitLogging(kName);

  config::v1::MatchingConfig config;
  if (const std::string path = absl::GetFlag(FLAGS_config); !path.empty()) {
    if (absl::Status s = LoadJsonConfig(path, &config); !s.ok()) return StartupFailed(kName, s);
  }
  std::vector<Migration> migrations = matching::migrations::Migrations();
  migrations.insert(migrations.end(), OutboxMigrations().begin(), OutboxMigrations().end());
  auto pool = OpenDatabase("matching", migrations);
  if (!pool.ok()) return StartupFailed(kName, pool.status());

  WorkerPool workers(absl::GetFlag(FLAGS_workers));
  Outbox outbox(**pool, workers);
  outbox.Start();
  matching::MatchingServiceImpl service(outbox);

  GrpcServer server(absl::GetFlag(FLAGS_listen), {"inburgering.v1.MatchingService"});
  server.AddService(&service);
  server.OnShutdown([&outbox] { outbox.Stop(); });
  if (absl::Status s = server.Start(); !s.ok()) return StartupFailed(kName, s);
  return server.WaitForTerminationSignal();
}

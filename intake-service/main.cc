// intake-service: statushouders and their inburgering trajectory, per gemeente.
#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/server.h"
#include "common/startup.h"
#include "common/worker_pool.h"
#include "inburgering/config/v1/config.pb.h"
#include "intake-service/intake_service.h"
#include "intake-service/mysql_statushouder_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50061", "address of the gRPC listener");
ABSL_FLAG(std::string, config, "", "JSON config file (IntakeConfig)");
ABSL_FLAG(int, workers, 32, "threads that run database work");

int main(int argc, char** argv) {
  using namespace inburgering;
  constexpr char kName[] = "intake-service";
  BlockTerminationSignals();
  ParseFlagsWithEnvironment(argc, argv, "intake-service: statushouders and their trajectory");
  InitLogging(kName);

  config::v1::IntakeConfig config;
  if (const std::string path = absl::GetFlag(FLAGS_config); !path.empty()) {
    if (absl::Status s = LoadJsonConfig(path, &config); !s.ok()) return StartupFailed(kName, s);
  }
  auto policies = intake::LocalPolicies::FromConfig(config);
  if (!policies.ok()) return StartupFailed(kName, policies.status());
  auto pool = OpenDatabase("intake", intake::IntakeMigrations());
  if (!pool.ok()) return StartupFailed(kName, pool.status());

  WorkerPool workers(absl::GetFlag(FLAGS_workers));
  Outbox outbox(**pool, workers);
  outbox.Start();
  intake::MysqlStatushouderStore store(**pool, outbox);
  intake::IntakeServiceImpl service(store, outbox, workers, AmsterdamToday, *std::move(policies));

  GrpcServer server(absl::GetFlag(FLAGS_listen), {"inburgering.v1.IntakeService"});
  server.AddService(&service);
  server.OnShutdown([&outbox] { outbox.Stop(); });
  if (absl::Status s = server.Start(); !s.ok()) return StartupFailed(kName, s);
  return server.WaitForTerminationSignal();
}

// reporting-service: exact figures per gemeente and region from the event streams, with
// disclosure control.
#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/server.h"
#include "common/startup.h"
#include "inburgering/config/v1/config.pb.h"
#include "reporting-service/reporting_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50063", "address of the gRPC listener");
ABSL_FLAG(std::string, config, "", "JSON config file (ReportingConfig)");
ABSL_FLAG(std::string, intake_target, "127.0.0.1:50061", "intake-service, for its event stream");
ABSL_FLAG(std::string, matching_target, "127.0.0.1:50062",
          "matching-service, for its event stream");

namespace inburgering::reporting::migrations {
const std::vector<Migration>& Migrations();  // generated from migrations/*.sql
}  // namespace inburgering::reporting::migrations

int main(int argc, char** argv) {
  using namespace inburgering;
  constexpr char kName[] = "reporting-service";
  BlockTerminationSignals();
  ParseFlagsWithEnvironment(argc, argv, "reporting-service: figures per gemeente and region");
  InitLogging(kName);

  config::v1::ReportingConfig config;
  if (const std::string path = absl::GetFlag(FLAGS_config); !path.empty()) {
    if (absl::Status s = LoadJsonConfig(path, &config); !s.ok()) return StartupFailed(kName, s);
  }
  std::vector<Migration> migrations = reporting::migrations::Migrations();
  migrations.insert(migrations.end(), OutboxMigrations().begin(), OutboxMigrations().end());
  auto pool = OpenDatabase("reporting", migrations);
  if (!pool.ok()) return StartupFailed(kName, pool.status());

  reporting::ReportingServiceImpl service;
  GrpcServer server(absl::GetFlag(FLAGS_listen), {"inburgering.v1.ReportingService"});
  server.AddService(&service);
  if (absl::Status s = server.Start(); !s.ok()) return StartupFailed(kName, s);
  return server.WaitForTerminationSignal();
}

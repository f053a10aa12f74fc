// reporting-service: exact figures per gemeente and region from the event streams, with
// disclosure control. `--recount` instead rebuilds the aggregates from the streams, prints the
// differences with the maintained ones and exits (0 equal, 2 different, 1 error).
#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/dates.h"
#include "common/event_consumer.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/server.h"
#include "common/startup.h"
#include "common/tls.h"
#include "common/worker_pool.h"
#include "inburgering/config/v1/config.pb.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"
#include "reporting-service/projection.h"
#include "reporting-service/recount.h"
#include "reporting-service/report_store.h"
#include "reporting-service/reporting_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50063", "address of the gRPC listener");
ABSL_FLAG(std::string, config, "", "JSON config file (ReportingConfig)");
ABSL_FLAG(std::string, intake_target, "127.0.0.1:50061", "intake-service, for its event stream");
ABSL_FLAG(std::string, matching_target, "127.0.0.1:50062",
          "matching-service, for its event stream");
ABSL_FLAG(bool, recount, false,
          "rebuild the aggregates from the streams, report differences with the maintained ones "
          "and exit");

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
  auto pool = OpenDatabase("reporting", reporting::ReportingMigrations());
  if (!pool.ok()) return StartupFailed(kName, pool.status());

  const Principal self{"GM0000", Role::kService, "reporting-service"};
  auto intake_credentials = ChannelCredentialsFor(absl::GetFlag(FLAGS_intake_target));
  if (!intake_credentials.ok()) return StartupFailed(kName, intake_credentials.status());
  auto matching_credentials = ChannelCredentialsFor(absl::GetFlag(FLAGS_matching_target));
  if (!matching_credentials.ok()) return StartupFailed(kName, matching_credentials.status());
  auto intake = v1::IntakeService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_intake_target), *intake_credentials));
  auto matching = v1::MatchingService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_matching_target), *matching_credentials));
  const std::map<std::string, reporting::StreamOpener> streams = {
      {"intake", [&](grpc::ClientContext* c,
                     const v1::StreamEventsRequest& r) { return intake->StreamEvents(c, r); }},
      {"matching", [&](grpc::ClientContext* c, const v1::StreamEventsRequest& r) {
         return matching->StreamEvents(c, r);
       }}};

  if (absl::GetFlag(FLAGS_recount)) {
    auto result = reporting::Recount(**pool, streams, self);
    if (!result.ok()) {
      std::cerr << "recount failed: " << result.status() << "\n";
      return 1;
    }
    for (const auto& [stream, cursor] : result->cursors) {
      std::cout << "stream " << stream << " compared at sequence " << cursor << "\n";
    }
    std::cout << "events replayed: " << result->events_replayed
              << ", counters compared: " << result->counters_compared
              << ", differences: " << result->differences.size() << "\n";
    for (const auto& d : result->differences) {
      std::cout << d.key.gemeente << " " << d.key.month << " " << d.key.dimension << "="
                << d.key.value << ": maintained " << d.maintained << ", recounted " << d.recounted
                << "\n";
    }
    return result->differences.empty() ? 0 : 2;
  }

  const reporting::Projection projection;
  std::vector<std::unique_ptr<EventConsumer>> consumers;
  for (const auto& [stream, open] : streams) {
    consumers.push_back(std::make_unique<EventConsumer>(
        EventConsumer::Options{stream}, **pool, open, self,
        [&projection, name = stream](const std::vector<v1::Event>& events, PooledConnection& c) {
          return projection.ApplyBatch(name, events, c);
        }));
  }
  for (auto& consumer : consumers) consumer->Start();

  WorkerPool workers(8);
  reporting::MysqlReportStore store(**pool);
  reporting::ReportingServiceImpl service(store, config, workers, AmsterdamToday);
  GrpcServer server(absl::GetFlag(FLAGS_listen), {"inburgering.v1.ReportingService"});
  server.AddService(&service);
  server.OnShutdown([&] {
    for (auto& consumer : consumers) consumer->Stop();
  });
  if (absl::Status s = server.Start(); !s.ok()) return StartupFailed(kName, s);
  return server.WaitForTerminationSignal();
}

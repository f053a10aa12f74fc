// matching-service: talende werkplekken, explained recommendations, regional assignment and
// placements.
#include <grpcpp/create_channel.h>

#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/event_consumer.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/server.h"
#include "common/startup.h"
#include "common/tls.h"
#include "common/worker_pool.h"
#include "inburgering/config/v1/config.pb.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "matching-service/matching_service.h"
#include "matching-service/mysql_matching_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50062", "address of the gRPC listener");
ABSL_FLAG(std::string, config, "", "JSON config file (MatchingConfig)");
ABSL_FLAG(std::string, intake_target, "127.0.0.1:50061", "intake-service, for its event stream");
ABSL_FLAG(std::string, pseudonym_key_file, "",
          "file holding the secret key of candidate pseudonyms; without it a random key is made "
          "at start-up and pseudonyms change with every restart");
ABSL_FLAG(int, workers, 32, "threads that run database work");

int main(int argc, char** argv) {
  using namespace inburgering;
  constexpr char kName[] = "matching-service";
  BlockTerminationSignals();
  ParseFlagsWithEnvironment(argc, argv, "matching-service: werkplekken, matching, placements");
  InitLogging(kName);

  matching::MatchingServiceImpl::Options options;
  if (const std::string path = absl::GetFlag(FLAGS_config); !path.empty()) {
    if (absl::Status s = LoadJsonConfig(path, &options.config); !s.ok()) {
      return StartupFailed(kName, s);
    }
  }
  if (const std::string path = absl::GetFlag(FLAGS_pseudonym_key_file); !path.empty()) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream key;
    key << in.rdbuf();
    if (!in || key.str().size() < 16) {
      return StartupFailed(kName, absl::InvalidArgumentError(
                                      "pseudonym_key_file: unreadable or shorter than 16 bytes"));
    }
    options.pseudonym_key = key.str();
  } else {
    options.pseudonym_key = NewId() + NewId();
    LogWarning("pseudonym_key_random", {{"reason", "no --pseudonym_key_file"}});
  }
  auto pool = OpenDatabase("matching", matching::MatchingMigrations());
  if (!pool.ok()) return StartupFailed(kName, pool.status());

  WorkerPool workers(absl::GetFlag(FLAGS_workers));
  Outbox outbox(**pool, workers);
  outbox.Start();
  matching::MysqlMatchingStore store(**pool, outbox);
  matching::MatchingServiceImpl service(store, outbox, workers, std::move(options), AmsterdamToday);
  if (absl::Status s = service.Load(); !s.ok()) return StartupFailed(kName, s);
  LogInfo("state_loaded", {{"werkplekken", static_cast<long long>(service.index().size())},
                           {"kandidaten", static_cast<long long>(service.kandidaten().size())}});

  // Candidate profiles follow intake-service's event stream, exactly once (cursor "intake").
  const std::string intake_target = absl::GetFlag(FLAGS_intake_target);
  auto credentials = ChannelCredentialsFor(intake_target);
  if (!credentials.ok()) return StartupFailed(kName, credentials.status());
  auto intake = v1::IntakeService::NewStub(grpc::CreateChannel(intake_target, *credentials));
  EventConsumer consumer(
      {.stream = "intake"}, **pool,
      [&intake](grpc::ClientContext* context, const v1::StreamEventsRequest& request) {
        return intake->StreamEvents(context, request);
      },
      Principal{"GM0000", Role::kService, "matching-service"},
      [&service](const v1::Event& event, PooledConnection& c) {
        return service.ApplyIntakeEvent(event, c);
      });
  consumer.Start();

  GrpcServer server(absl::GetFlag(FLAGS_listen), {"inburgering.v1.MatchingService"});
  server.AddService(&service);
  server.OnShutdown([&outbox, &consumer] {
    consumer.Stop();
    outbox.Stop();
  });
  if (absl::Status s = server.Start(); !s.ok()) return StartupFailed(kName, s);
  return server.WaitForTerminationSignal();
}

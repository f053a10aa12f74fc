// echo_server: the baseline for bench/RESULTS.md, a callback-API unary Echo that does no work.
// It runs in the suite's GrpcServer (health, reflection, TLS flags, drain on SIGTERM) so that the
// baseline pays exactly the per-call overhead a real service does, minus the service's own work.
#include <cstdio>

#include "absl/flags/flag.h"
#include "bench/echo_service.h"
#include "common/config.h"
#include "common/log.h"
#include "common/server.h"
#include "common/startup.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address of the gRPC listener (port 0: any free)");

int main(int argc, char** argv) {
  using namespace inburgering;
  constexpr char kName[] = "echo_server";
  BlockTerminationSignals();
  ParseFlagsWithEnvironment(argc, argv, "echo_server: trivial unary gRPC service for baselines");
  InitLogging(kName);

  bench::EchoServiceImpl service;
  GrpcServer server(absl::GetFlag(FLAGS_listen), {"inburgering.bench.EchoService"});
  server.AddService(&service);
  if (absl::Status s = server.Start(); !s.ok()) return StartupFailed(kName, s);
  // Scripts read the port from stdout (the JSON log goes to stderr); flush so they need not wait.
  std::printf("port=%d\n", server.port());
  std::fflush(stdout);
  return server.WaitForTerminationSignal();
}

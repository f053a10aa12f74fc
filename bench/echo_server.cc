// echo_server: the baseline for bench/RESULTS.md, a callback-API unary Echo that does no work.
// It runs in the suite's GrpcServer (health, reflection, TLS flags, drain on SIGTERM) so that the
// baseline pays exactly the per-call overhead a real service does, minus the service's own work.
#include <grpcpp/grpcpp.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/log.h"
#include "common/server.h"
#include "common/startup.h"
#include "proto/echo.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address of the gRPC listener (port 0: any free)");

namespace inburgering::bench {
namespace {

class EchoServiceImpl final : public EchoService::CallbackService {
  // Answers inline on the gRPC thread: there is nothing that could block, and handing off to a
  // worker pool would measure the pool instead of gRPC.
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    response->set_message(request->message());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace
}  // namespace inburgering::bench

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

// Runs a gRPC server the way every process of the suite does: TLS per common/tls.h, the health
// service and server reflection, and a graceful stop on SIGTERM/SIGINT (health turns NOT_SERVING
// first so load balancers drain, in-flight calls finish, then the process exits 0).
//
// Call BlockTerminationSignals() first thing in main, before any thread starts, so that the
// signals reach only WaitForTerminationSignal().
//
// With --health_listen set, a second, plaintext listener serves only grpc.health.v1 (and mirrors
// the main listener's status): Kubernetes' native grpc probes cannot speak TLS, and the main
// listener requires mTLS outside loopback.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace inburgering {

void BlockTerminationSignals();

class GrpcServer {
 public:
  // `health_names` are the service names reported by grpc.health.v1.Health besides "".
  GrpcServer(std::string address, std::vector<std::string> health_names);
  ~GrpcServer();

  void AddService(grpc::Service* service) { services_.push_back(service); }
  void AddGenericService(grpc::CallbackGenericService* service) { generic_ = service; }
  // Overrides the listener credentials that ServerCredentialsFor(address) would choose (the
  // gateway's public port asks for, but does not require, client certificates).
  void SetCredentials(std::shared_ptr<grpc::ServerCredentials> credentials) {
    credentials_ = std::move(credentials);
  }
  // Runs after health turns NOT_SERVING and before the server stops accepting calls (e.g. to end
  // live event streams, which would otherwise hold the drain until its deadline).
  void OnShutdown(std::function<void()> hook) { shutdown_hooks_.push_back(std::move(hook)); }

  absl::Status Start();
  int port() const { return port_; }  // the bound port (useful with ":0")
  // The bound --health_listen port; 0 without one.
  int health_port() const { return health_port_; }

  // Blocks until SIGTERM or SIGINT, then Shutdown(). Returns the exit code (0).
  int WaitForTerminationSignal();
  // Stops gracefully: NOT_SERVING, hooks, then in-flight calls get up to `grace` to finish.
  void Shutdown(absl::Duration grace = absl::Seconds(10));

 private:
  std::string address_;
  std::vector<std::string> health_names_;
  std::vector<grpc::Service*> services_;
  grpc::CallbackGenericService* generic_ = nullptr;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
  std::unique_ptr<grpc::Server> health_server_;  // --health_listen, health service only
  int health_port_ = 0;
};

}  // namespace inburgering

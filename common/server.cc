#include "common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <malloc.h>
#include <signal.h>
#include <time.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/tls.h"

ABSL_FLAG(std::string, health_listen, "",
          "plaintext listener serving only grpc.health.v1, for Kubernetes grpc probes (which "
          "cannot do TLS), e.g. 0.0.0.0:8081; empty: none");

ABSL_FLAG(int, max_connection_age_s, 0,
          "close client connections after about this many seconds (GOAWAY; running calls "
          "finish), so clients that balance over DNS re-resolve and reach new replicas; 0: never");

ABSL_FLAG(int, release_memory_s, 10,
          "every this many seconds, give the pages malloc holds free back to the system "
          "(malloc_trim), so that RSS follows the heap in use after a burst; 0: never");

namespace inburgering {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

GrpcServer::GrpcServer(std::string address, std::vector<std::string> health_names)
    : address_(std::move(address)), health_names_(std::move(health_names)) {}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

absl::Status GrpcServer::Start() {
  auto credentials = credentials_ != nullptr
                         ? absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>(credentials_)
                         : ServerCredentialsFor(address_);
  if (!credentials.ok()) return credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address_, *credentials, &port_);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  if (generic_ != nullptr) builder.RegisterCallbackGenericService(generic_);
  builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  if (const int age = absl::GetFlag(FLAGS_max_connection_age_s); age > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, age * 1000);
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address_));
  }
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(true);
  for (const std::string& name : health_names_) health->SetServingStatus(name, true);
  LogInfo("server_started", {{"address", address_}, {"port", port_}});

  if (const std::string health_address = absl::GetFlag(FLAGS_health_listen);
      !health_address.empty()) {
    // No services registered: the builder adds only the default health service (and the global
    // reflection plugin), so nothing of the API is reachable without TLS.
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(health_address, grpc::InsecureServerCredentials(),
                                    &health_port_);
    health_server_ = health_builder.BuildAndStart();
    if (health_server_ == nullptr || health_port_ == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", health_address));
    }
    auto* mirror = health_server_->GetHealthCheckService();
    mirror->SetServingStatus(true);
    for (const std::string& name : health_names_) mirror->SetServingStatus(name, true);
    LogInfo("health_listener_started", {{"address", health_address}, {"port", health_port_}});
  }
  return absl::OkStatus();
}

int GrpcServer::WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  // glibc keeps what a burst of calls freed in its arenas (up to 8 per core) and returns almost
  // none of it by itself; without the trim, RSS is the high-water mark of calls ever in flight.
  const int release_s = absl::GetFlag(FLAGS_release_memory_s);
  int signal = -1;
  while (signal < 0) {
    if (release_s <= 0) {
      sigwait(&set, &signal);
      break;
    }
    const timespec period = {.tv_sec = release_s, .tv_nsec = 0};
    signal = sigtimedwait(&set, nullptr, &period);
    if (signal < 0) malloc_trim(0);  // EAGAIN: the period passed (EINTR: just wait again)
  }
  LogInfo("shutdown_requested", {{"signal", signal}});
  Shutdown();
  return 0;
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr || shut_down_) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (health_server_ != nullptr) health_server_->GetHealthCheckService()->SetServingStatus(false);
  for (auto& hook : shutdown_hooks_) hook();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  if (health_server_ != nullptr) {
    health_server_->Shutdown(absl::ToChronoTime(absl::Now()));
    health_server_->Wait();
  }
  LogInfo("server_stopped", {{"address", address_}});
}

}  // namespace inburgering

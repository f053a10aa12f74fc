// gateway: the one front door of the region. Authenticates (bearer token or client certificate),
// authorises per RPC and role, rate-limits, audits and routes every public RPC to its backend
// over gRPC; serves the same RPCs as JSON over HTTP, plus /healthz, /readyz, /metrics, /dashboard.
#include "absl/flags/flag.h"
#include "common/config.h"
#include "common/log.h"
#include "common/server.h"
#include "common/startup.h"
#include "common/tls.h"
#include "gateway/audit_log.h"
#include "gateway/gateway.h"
#include "gateway/grpc_proxy.h"
#include "gateway/http_front.h"
#include "gateway/public_credentials.h"
#include "inburgering/config/v1/config.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "address of the public gRPC listener");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080", "address of the HTTP listener");
ABSL_FLAG(std::string, config, "", "JSON config file (GatewayConfig)");
ABSL_FLAG(std::string, intake_target, "127.0.0.1:50061", "intake-service");
ABSL_FLAG(std::string, matching_target, "127.0.0.1:50062", "matching-service");
ABSL_FLAG(std::string, reporting_target, "127.0.0.1:50063", "reporting-service");
ABSL_FLAG(std::string, public_tls_cert_file, "",
          "PEM certificate of the public gRPC listener (empty: plaintext, loopback only)");
ABSL_FLAG(std::string, public_tls_key_file, "", "PEM key for --public_tls_cert_file");
ABSL_FLAG(std::string, client_ca_file, "",
          "PEM CA that signs client certificates; a verified certificate's common name maps to a "
          "principal (GatewayConfig.certificates). Tokens keep working alongside.");
ABSL_FLAG(int, http_threads, 64,
          "threads serving HTTP requests: one per open connection, slow ones included");
ABSL_FLAG(int, default_deadline_ms, 30000, "deadline of a backend call when the client set none");

namespace inburgering::gateway::migrations {
const std::vector<Migration>& Migrations();  // generated from migrations/*.sql
}  // namespace inburgering::gateway::migrations

int main(int argc, char** argv) {
  using namespace inburgering;
  using namespace inburgering::gateway;
  constexpr char kName[] = "gateway";
  BlockTerminationSignals();
  ParseFlagsWithEnvironment(argc, argv, "gateway: the front door of the inburgering services");
  InitLogging(kName);

  GatewayOptions options;
  if (const std::string path = absl::GetFlag(FLAGS_config); !path.empty()) {
    if (absl::Status s = LoadJsonConfig(path, &options.config); !s.ok()) {
      return StartupFailed(kName, s);
    }
  }
  options.targets = {absl::GetFlag(FLAGS_intake_target), absl::GetFlag(FLAGS_matching_target),
                     absl::GetFlag(FLAGS_reporting_target)};
  options.default_deadline = absl::Milliseconds(absl::GetFlag(FLAGS_default_deadline_ms));

  auto pool = OpenDatabase("gateway", gateway::migrations::Migrations());
  if (!pool.ok()) return StartupFailed(kName, pool.status());
  MysqlAuditLog audit(**pool);
  auto gateway = Gateway::Create(options, audit);
  if (!gateway.ok()) return StartupFailed(kName, gateway.status());

  const std::string listen = absl::GetFlag(FLAGS_listen);
  auto credentials = PublicServerCredentials(
      {absl::GetFlag(FLAGS_public_tls_cert_file), absl::GetFlag(FLAGS_public_tls_key_file),
       absl::GetFlag(FLAGS_client_ca_file)},
      listen);
  if (!credentials.ok()) return StartupFailed(kName, credentials.status());
  GrpcProxy proxy(**gateway);
  GrpcServer server(listen, {});
  server.SetCredentials(*credentials);
  server.AddGenericService(&proxy);

  const std::string http_listen = absl::GetFlag(FLAGS_http_listen);
  if (!IsLoopbackAddress(http_listen)) {
    // The HTTP front carries bearer tokens: off loopback it belongs behind a TLS terminator
    // (ingress); say so instead of silently serving tokens in the clear.
    LogWarning("http_not_loopback",
               {{"address", http_listen}, {"advice", "terminate TLS in front of the HTTP port"}});
  }
  HttpFront http(**gateway, absl::GetFlag(FLAGS_http_threads));
  if (absl::Status s = http.Start(http_listen); !s.ok()) return StartupFailed(kName, s);
  server.OnShutdown([&http] { http.Stop(); });
  if (absl::Status s = server.Start(); !s.ok()) return StartupFailed(kName, s);
  LogInfo("http_started", {{"address", http_listen}, {"port", http.port()}});
  return server.WaitForTerminationSignal();
}

// The HTTP front: JSON over HTTP for every unary public RPC (POST /<package>.<Service>/<Method>,
// protobuf's JSON mapping, generically from the descriptors), with the same authentication,
// authorisation, rate limit and audit as the gRPC front; errors as {"code","message"} with the
// HTTP status grpc-gateway uses. Also /healthz, /readyz (the audit log writable and every backend
// SERVING), /metrics
// (Prometheus text) and the static /dashboard page.
//
// Runs its own thread pool (cpp-httplib), one thread per open connection; handlers block on the
// backend call, never a gRPC thread. cpp-httplib bounds each read but not the time a request's
// headers take, so a client trickling header bytes holds a thread: the pool is sized well above
// the expected connections (--http_threads), which limits but does not remove that (an
// asynchronous front with a header deadline would). Every answer carries X-Content-Type-Options:
// nosniff and Cache-Control: no-store; HTML answers also forbid framing and inline script
// (Content-Security-Policy). Borrows the Gateway.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "gateway/gateway.h"

namespace httplib {
class Server;
}

namespace inburgering::gateway {

// HTTP status for a gRPC code (grpc-gateway's mapping).
int HttpStatusFor(grpc::StatusCode code);

// {"code":"NOT_FOUND","message":"..."}
std::string ErrorJson(grpc::StatusCode code, absl::string_view message);

class HttpFront {
 public:
  HttpFront(const Gateway& gateway, int threads);
  ~HttpFront();

  // Binds `address` ("host:port", port 0 = any) and serves on a background thread.
  absl::Status Start(const std::string& address);
  int port() const { return port_; }
  void Stop();

 private:
  struct Result {
    grpc::Status status;
    std::string json;  // the response body on OK
    absl::Duration retry_after = absl::ZeroDuration();
  };
  Result CallJson(const Route& route, absl::string_view authorization, absl::string_view body,
                  std::string origin) const;
  // Empty when the audit log can be written and every backend is SERVING; else what is not.
  std::string NotReady() const;

  const Gateway& gateway_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace inburgering::gateway

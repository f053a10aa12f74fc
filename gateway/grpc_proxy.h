// The gRPC front: one CallbackGenericService that forwards every call of the public services, as
// serialized bytes, to the backend the routing table names: unary and streaming alike (a generic
// call is a bidi stream). Deadlines and cancellation propagate to the backend call; the backend's
// status code and message come back unchanged. Client-sent x-inburgering-* metadata and the
// authorization header are dropped; the verified principal is attached instead.
//
// A single (non-streaming) response is held until the audit record is stored, so nothing personal
// leaves the gateway unaudited (fail closed). Thread-safe; borrows the Gateway.
#pragma once

#include <grpcpp/generic/async_generic_service.h>

#include "gateway/gateway.h"

namespace inburgering::gateway {

class GrpcProxy final : public grpc::CallbackGenericService {
 public:
  explicit GrpcProxy(const Gateway& gateway) : gateway_(gateway) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

 private:
  const Gateway& gateway_;
};

// True for metadata keys a client may not pass through to a backend: the principal keys, the
// credentials, and transport headers that the gateway sets itself.
bool IsStrippedMetadataKey(absl::string_view key);

}  // namespace inburgering::gateway

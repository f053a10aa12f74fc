// The Echo service of bench/proto/echo.proto: returns its input and does nothing else, so that a
// load run against it measures gRPC itself. Used by echo_server and by loadgen's own tests.
// Thread-safe and stateless.
#pragma once

#include <grpcpp/grpcpp.h>

#include "proto/echo.grpc.pb.h"

namespace inburgering::bench {

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

}  // namespace inburgering::bench

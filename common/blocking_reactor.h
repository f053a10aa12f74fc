// Serving a unary callback RPC whose work blocks (database): the work runs on a WorkerPool and
// finishes the reactor from there, so gRPC's callback threads never wait on the database.
#pragma once

#include <grpcpp/support/server_callback.h>
#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "common/status.h"
#include "common/worker_pool.h"

namespace inburgering {

// `work` returns absl::Status; it is skipped when the call was cancelled (deadline passed or
// client gone) before a worker got to it.
template <typename Work>
grpc::ServerUnaryReactor* ServeBlocking(grpc::CallbackServerContext* context, WorkerPool& workers,
                                        Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  workers.Schedule([context, reactor, work = std::move(work)]() mutable {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled before it ran"));
      return;
    }
    reactor->Finish(ToGrpcStatus(work()));
  });
  return reactor;
}

}  // namespace inburgering

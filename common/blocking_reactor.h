// Serving a unary callback RPC whose work blocks (database): the work runs on a WorkerPool and
// finishes the reactor from there, so gRPC's callback threads never wait on the database.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"
#include "common/call_deadline.h"
#include "common/status.h"
#include "common/worker_pool.h"

namespace inburgering {

// `work` returns absl::Status; it is skipped when the call was cancelled (deadline passed or
// client gone) before a worker got to it. It runs under a CallDeadlineScope of the call's
// deadline, so its database statements stop when the deadline passes (see MysqlPool).
template <typename Work>
grpc::ServerUnaryReactor* ServeBlocking(grpc::CallbackServerContext* context, WorkerPool& workers,
                                        Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  workers.Schedule([context, reactor, work = std::move(work)]() mutable {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled before it ran"));
      return;
    }
    absl::Status status;
    {
      CallDeadlineScope deadline(context->deadline());
      status = work();
    }
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

}  // namespace inburgering

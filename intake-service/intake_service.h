// The IntakeService gRPC handlers (callback API): check the principal, validate, call the store
// on the worker pool, and map the result to a grpc::Status.
#pragma once

#include "common/dates.h"
#include "common/outbox.h"
#include "common/worker_pool.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "intake-service/statushouder_store.h"

namespace inburgering::intake {

class IntakeServiceImpl final : public v1::IntakeService::CallbackService {
 public:
  IntakeServiceImpl(StatushouderStore& store, Outbox& outbox, WorkerPool& workers, Clock today)
      : store_(store), outbox_(outbox), workers_(workers), today_(std::move(today)) {}

  grpc::ServerUnaryReactor* RegisterStatushouder(grpc::CallbackServerContext* context,
                                                 const v1::RegisterStatushouderRequest* request,
                                                 v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* GetStatushouder(grpc::CallbackServerContext* context,
                                            const v1::GetStatushouderRequest* request,
                                            v1::Statushouder* response) override;
  grpc::ServerWriteReactor<v1::Event>* StreamEvents(
      grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) override;

 private:
  StatushouderStore& store_;
  Outbox& outbox_;
  WorkerPool& workers_;
  Clock today_;
};

}  // namespace inburgering::intake

// The MatchingService gRPC handlers (callback API). The RPCs not overridden here answer
// UNIMPLEMENTED until the matching issue lands them.
#pragma once

#include "common/outbox.h"
#include "inburgering/v1/matching.grpc.pb.h"

namespace inburgering::matching {

class MatchingServiceImpl final : public v1::MatchingService::CallbackService {
 public:
  explicit MatchingServiceImpl(Outbox& outbox) : outbox_(outbox) {}

  grpc::ServerWriteReactor<v1::Event>* StreamEvents(
      grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) override {
    return ServeEventStream(*context, outbox_, *request);
  }

 private:
  Outbox& outbox_;
};

}  // namespace inburgering::matching

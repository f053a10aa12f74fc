// The MatchingService gRPC handlers (callback API): check the principal and its region, validate,
// then work on the in-memory index and cache (recommendations, assignment) or the store on the
// worker pool (register, placements), and map the result to a grpc::Status.
#pragma once

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/dates.h"
#include "common/mysql_pool.h"
#include "common/outbox.h"
#include "common/principal.h"
#include "common/worker_pool.h"
#include "inburgering/config/v1/config.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"
#include "matching-service/matcher.h"
#include "matching-service/matching_core.h"
#include "matching-service/mysql_matching_store.h"
#include "matching-service/werkplek_index.h"

namespace inburgering::matching {

class MatchingServiceImpl final : public v1::MatchingService::CallbackService {
 public:
  using Options = Matcher::Options;

  MatchingServiceImpl(MysqlMatchingStore& store, Outbox& outbox, WorkerPool& workers,
                      Options options, Clock today);

  // Fills the index and the cache from the store; call before serving.
  absl::Status Load();

  // Applies one of intake-service's events within the consumer's transaction (EventConsumer's
  // ApplyFn): the candidate profile is stored and cached. The cache keeps the newest version, so
  // a transaction that is retried or replayed sets the same state again.
  absl::Status ApplyIntakeEvent(const v1::Event& event, PooledConnection& connection);

  const WerkplekIndex& index() const { return matcher_.index(); }
  const KandidaatCache& kandidaten() const { return matcher_.kandidaten(); }

  grpc::ServerUnaryReactor* RegisterWerkplek(grpc::CallbackServerContext* context,
                                             const v1::RegisterWerkplekRequest* request,
                                             v1::Werkplek* response) override;
  grpc::ServerUnaryReactor* UpdateWerkplek(grpc::CallbackServerContext* context,
                                           const v1::UpdateWerkplekRequest* request,
                                           v1::Werkplek* response) override;
  grpc::ServerUnaryReactor* GetWerkplek(grpc::CallbackServerContext* context,
                                        const v1::GetWerkplekRequest* request,
                                        v1::Werkplek* response) override;
  grpc::ServerUnaryReactor* ListWerkplekken(grpc::CallbackServerContext* context,
                                            const v1::ListWerkplekkenRequest* request,
                                            v1::ListWerkplekkenResponse* response) override;
  grpc::ServerUnaryReactor* RecommendWerkplekken(
      grpc::CallbackServerContext* context, const v1::RecommendWerkplekkenRequest* request,
      v1::RecommendWerkplekkenResponse* response) override;
  grpc::ServerUnaryReactor* RecommendKandidaten(grpc::CallbackServerContext* context,
                                                const v1::RecommendKandidatenRequest* request,
                                                v1::RecommendKandidatenResponse* response) override;
  grpc::ServerUnaryReactor* ProposeAssignment(grpc::CallbackServerContext* context,
                                              const v1::ProposeAssignmentRequest* request,
                                              v1::ProposeAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* CreatePlacement(grpc::CallbackServerContext* context,
                                            const v1::CreatePlacementRequest* request,
                                            v1::Placement* response) override;
  grpc::ServerUnaryReactor* UpdatePlacement(grpc::CallbackServerContext* context,
                                            const v1::UpdatePlacementRequest* request,
                                            v1::Placement* response) override;
  grpc::ServerWriteReactor<v1::Event>* StreamEvents(
      grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) override {
    return ServeEventStream(*context, outbox_, *request);
  }

 private:
  // Whether a gemeente belongs to `region` (for ValidateWerkplek).
  std::function<bool(const std::string&)> InRegionOf(const std::string& region) const;

  MysqlMatchingStore& store_;
  Outbox& outbox_;
  WorkerPool& workers_;
  const Clock today_;
  Matcher matcher_;
};

}  // namespace inburgering::matching

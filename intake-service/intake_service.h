// The IntakeService gRPC handlers (callback API): check the principal, validate, call the store
// on the worker pool (point reads: in batches on the gRPC thread), and map the result to a
// grpc::Status.
#pragma once

#include "absl/functional/function_ref.h"
#include "common/dates.h"
#include "common/outbox.h"
#include "common/request_batcher.h"
#include "common/worker_pool.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "intake-service/statushouder_store.h"
#include "intake-service/trajectory.h"

namespace inburgering::intake {

// Page tokens of ListStatushouders: the last seq of a page and a hash of the filters, so that a
// token cannot continue a list with other filters. Opaque to clients (web-safe base64).
std::string EncodePageToken(int64_t last_seq, const v1::ListStatushoudersRequest& request);
// INVALID_ARGUMENT "page_token: ..." when malformed or made for other filters; 0 for "".
absl::StatusOr<int64_t> DecodePageToken(const v1::ListStatushoudersRequest& request);

class IntakeServiceImpl final : public v1::IntakeService::CallbackService {
 public:
  // At most this many rows per ImportStatushoudersRequest.
  static constexpr int kMaxImportBatch = 5000;

  // At most this many batches of registrations run at once (each holds one connection): enough to
  // keep the database busy while the service answers the last batch.
  static constexpr int kRegistrationBatchesRunning = 2;

  // `policies`: each gemeente's local policy (LocalPolicies::FromConfig); today's values when
  // not given.
  IntakeServiceImpl(StatushouderStore& store, Outbox& outbox, WorkerPool& workers, Clock today,
                    LocalPolicies policies = {});

  grpc::ServerUnaryReactor* RegisterStatushouder(grpc::CallbackServerContext* context,
                                                 const v1::RegisterStatushouderRequest* request,
                                                 v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* GetStatushouder(grpc::CallbackServerContext* context,
                                            const v1::GetStatushouderRequest* request,
                                            v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* ListStatushouders(grpc::CallbackServerContext* context,
                                              const v1::ListStatushoudersRequest* request,
                                              v1::ListStatushoudersResponse* response) override;
  grpc::ServerUnaryReactor* UpdateStatushouder(grpc::CallbackServerContext* context,
                                               const v1::UpdateStatushouderRequest* request,
                                               v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* RecordBredeIntake(grpc::CallbackServerContext* context,
                                              const v1::RecordBredeIntakeRequest* request,
                                              v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* EstablishPip(grpc::CallbackServerContext* context,
                                         const v1::EstablishPipRequest* request,
                                         v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* RecordOpschorting(grpc::CallbackServerContext* context,
                                              const v1::RecordOpschortingRequest* request,
                                              v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* RecordLanguageLevel(grpc::CallbackServerContext* context,
                                                const v1::RecordLanguageLevelRequest* request,
                                                v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* RecordModuleProgress(grpc::CallbackServerContext* context,
                                                 const v1::RecordModuleProgressRequest* request,
                                                 v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* ChangePhase(grpc::CallbackServerContext* context,
                                        const v1::ChangePhaseRequest* request,
                                        v1::Statushouder* response) override;
  grpc::ServerUnaryReactor* ExtendInburgeringstermijn(
      grpc::CallbackServerContext* context, const v1::ExtendInburgeringstermijnRequest* request,
      v1::Statushouder* response) override;
  grpc::ServerReadReactor<v1::ImportStatushoudersRequest>* ImportStatushouders(
      grpc::CallbackServerContext* context, v1::ImportStatushoudersResponse* response) override;
  grpc::ServerWriteReactor<v1::Event>* StreamEvents(
      grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) override;

  // Applies one import batch for `gemeente` (validation, per-row results, store) and adds its
  // results and counts to `response`. An error fails the whole batch (nothing of it written).
  absl::Status ImportBatch(const std::string& gemeente, const v1::ImportStatushoudersRequest& batch,
                           v1::ImportStatushoudersResponse& response);

 private:
  // The shared shape of the trajectory RPCs: principal, `validate`, then store Update with
  // `apply` under the version check, and the derived fields refreshed for today.
  template <typename Validate, typename Apply>
  grpc::ServerUnaryReactor* ServeUpdate(grpc::CallbackServerContext* context, const std::string& id,
                                        int64_t version, v1::StatushouderChanged::Change change,
                                        v1::Statushouder* response, Validate validate, Apply apply);

  // A GetStatushouder waiting for its batch.
  struct PointRead {
    grpc::CallbackServerContext* context;
    grpc::ServerUnaryReactor* reactor;
    std::string gemeente;
    std::string id;
    v1::Statushouder* response;
  };
  void ReadBatch(std::vector<PointRead>& batch, absl::FunctionRef<void()> release_database);
  // A RegisterStatushouder, validated, waiting for its batch.
  struct Registration {
    grpc::CallbackServerContext* context;
    grpc::ServerUnaryReactor* reactor;
    v1::Statushouder* response;
    StatushouderStore::NewRegistration store;
  };
  void RegisterBatch(std::vector<Registration>& batch);

  StatushouderStore& store_;
  Outbox& outbox_;
  WorkerPool& workers_;
  Clock today_;
  const LocalPolicies policies_;
  // Concurrent point reads share a statement, run on the gRPC thread (InlineRequestBatcher): under
  // load, one round trip serves many calls and no worker hand-off serves any (the hand-offs, not
  // the SELECT, were most of a read's cost).
  InlineRequestBatcher<PointRead> point_reads_;
  // Concurrent registrations share one transaction and so one durable commit
  // (StatushouderStore::CreateMany).
  RequestBatcher<Registration> registrations_;
};

}  // namespace inburgering::intake

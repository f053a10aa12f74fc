#include "intake-service/intake_service.h"

#include <algorithm>
#include <deque>
#include <optional>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "common/blocking_reactor.h"
#include "common/call_deadline.h"
#include "common/ids.h"
#include "common/principal.h"
#include "common/status.h"
#include "intake-service/trajectory.h"
#include "intake-service/validation.h"

namespace inburgering::intake {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr size_t kTokenHashBytes = 8;

// Consulenten work on their own gemeente's statushouders; beheerders may too.
absl::StatusOr<Principal> RequireConsulent(const grpc::CallbackServerContext& context) {
  ASSIGN_OR_RETURN(Principal principal, PrincipalFromContext(context));
  if (principal.role != Role::kConsulent && principal.role != Role::kBeheerder) {
    return absl::PermissionDeniedError("role may not access statushouders");
  }
  return principal;
}

// The first bytes of a hash of the request's filters (everything but the paging fields).
std::string FilterHash(const v1::ListStatushoudersRequest& request) {
  v1::ListStatushoudersRequest filters = request;
  filters.clear_page_size();
  filters.clear_page_token();
  return RequestFingerprint(filters).substr(0, kTokenHashBytes);
}

// "field: rule" of a status message as the field and the reason of a rejected import row.
void Reject(const absl::Status& status, v1::ImportRowResult& result) {
  result.set_outcome(v1::ImportRowResult::REJECTED);
  absl::string_view message = status.message();
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos) {
    result.set_reason(std::string(message));
  } else {
    result.set_field(std::string(message.substr(0, colon)));
    result.set_reason(std::string(message.substr(colon + 2)));
  }
}

// Applies import batches on the worker pool, two at a time: while one batch's transaction is in
// the database the next is parsed, validated and sent, so neither intake nor mariadbd waits for
// the other (one at a time, each was idle half the time). Each batch is its own transaction. A
// batch that names a BSN of a running batch waits for it, so later batches see earlier ones as
// when they ran one by one. Reading stops while two are held: a slow database slows the client
// down instead of piling batches up in memory. Results go out in batch order.
class ImportReactor : public grpc::ServerReadReactor<v1::ImportStatushoudersRequest> {
 public:
  ImportReactor(IntakeServiceImpl& service, WorkerPool& workers,
                grpc::CallbackServerContext* context, v1::ImportStatushoudersResponse* response)
      : service_(service), workers_(workers), context_(context), response_(response) {
    absl::StatusOr<Principal> principal = RequireConsulent(*context);
    if (!principal.ok()) {
      Finish(ToGrpcStatus(principal.status()));
      return;
    }
    gemeente_ = principal->gemeente;
    absl::MutexLock lock(&mu_);
    reading_ = true;
    StartRead(&incoming_);
  }

  void OnReadDone(bool ok) override {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (finished_) return;
      if (ok) {
        HoldLocked();
        return;
      }
      // The client half-closed (or went away): finish once the held batches end.
      half_closed_ = true;
      finish = FinishingLocked();
    }
    // Outside mu_: once Finish is called, gRPC may run OnDone (and delete this) on another thread.
    if (finish) Finish(*finish);
  }

  void OnDone() override { delete this; }

 private:
  static constexpr size_t kBatchesHeld = 2;

  // Takes the batch just read: starts it or queues it, and reads the next while there is room.
  void HoldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Held held;
    held.index = results_.size();
    results_.emplace_back();
    held.batch = std::make_shared<v1::ImportStatushoudersRequest>(std::move(incoming_));
    incoming_.Clear();
    for (const v1::ImportRow& row : held.batch->rows()) held.bsns.insert(row.statushouder().bsn());
    waiting_.push_back(std::move(held));
    StartWaitingLocked();
    ReadMoreLocked();
  }

  struct Held {
    size_t index = 0;
    std::shared_ptr<const v1::ImportStatushoudersRequest> batch;
    absl::flat_hash_set<std::string> bsns;
  };

  // Starts waiting batches, in order, while the first shares no BSN with a running one.
  void StartWaitingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!waiting_.empty() && error_index_ < 0) {
      Held& next = waiting_.front();
      for (const Held& other : running_) {
        for (const std::string& bsn : next.bsns) {
          if (other.bsns.contains(bsn)) return;
        }
      }
      running_.push_back(std::move(next));
      waiting_.pop_front();
      const Held& started = running_.back();
      workers_.Schedule(
          [this, batch = started.batch, index = started.index] { Apply(*batch, index); });
    }
  }

  void ReadMoreLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!reading_ && !half_closed_ && !finished_ && error_index_ < 0 &&
        running_.size() + waiting_.size() < kBatchesHeld) {
      reading_ = true;
      StartRead(&incoming_);
    }
  }

  void Apply(const v1::ImportStatushoudersRequest& batch, size_t index) {
    v1::ImportStatushoudersResponse partial;
    absl::Status status = context_->IsCancelled() ? absl::CancelledError("import cancelled")
                                                  : service_.ImportBatch(gemeente_, batch, partial);
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      running_.erase(std::find_if(running_.begin(), running_.end(),
                                  [index](const Held& h) { return h.index == index; }));
      results_[index] = std::move(partial);
      // The error of the earliest failing batch is the one reported; nothing more is started.
      if (!status.ok() && (error_index_ < 0 || static_cast<int64_t>(index) < error_index_)) {
        error_ = status;
        error_index_ = static_cast<int64_t>(index);
      }
      StartWaitingLocked();
      ReadMoreLocked();
      finish = FinishingLocked();
    }
    if (finish) Finish(*finish);  // outside mu_, as in OnReadDone
  }

  // The status to finish with, once, when nothing runs and either every batch is read and
  // applied or one failed (a read still outstanding then ends in OnReadDone, which sees
  // finished_); the caller calls Finish after releasing mu_.
  std::optional<grpc::Status> FinishingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !running_.empty()) return std::nullopt;
    if (error_index_ < 0 && !(half_closed_ && waiting_.empty())) return std::nullopt;
    finished_ = true;
    if (error_index_ >= 0) return ToGrpcStatus(error_);
    for (v1::ImportStatushoudersResponse& partial : results_) {
      response_->set_created(response_->created() + partial.created());
      response_->set_updated(response_->updated() + partial.updated());
      response_->set_unchanged(response_->unchanged() + partial.unchanged());
      response_->set_rejected(response_->rejected() + partial.rejected());
      for (v1::ImportRowResult& result : *partial.mutable_results()) {
        *response_->add_results() = std::move(result);
      }
    }
    return grpc::Status::OK;
  }

  IntakeServiceImpl& service_;
  WorkerPool& workers_;
  grpc::CallbackServerContext* context_;
  v1::ImportStatushoudersResponse* response_;
  std::string gemeente_;
  absl::Mutex mu_;
  v1::ImportStatushoudersRequest incoming_;  // the read in progress (one at a time)
  std::vector<v1::ImportStatushoudersResponse> results_ ABSL_GUARDED_BY(mu_);  // one per batch
  std::vector<Held> running_ ABSL_GUARDED_BY(mu_);
  std::deque<Held> waiting_ ABSL_GUARDED_BY(mu_);  // read, waiting for a running batch's BSNs
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  int64_t error_index_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace

std::string EncodePageToken(int64_t last_seq, const v1::ListStatushoudersRequest& request) {
  std::string raw(8, '\0');
  for (int i = 0; i < 8; ++i)
    raw[i] = static_cast<char>(static_cast<uint64_t>(last_seq) >> (56 - 8 * i));
  raw += FilterHash(request);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<int64_t> DecodePageToken(const v1::ListStatushoudersRequest& request) {
  if (request.page_token().empty()) return 0;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(request.page_token(), &raw) ||
      raw.size() != 8 + kTokenHashBytes) {
    return InvalidField("page_token", "not a token of this list");
  }
  if (raw.substr(8) != FilterHash(request)) {
    return InvalidField("page_token", "was made for other filters; start again without it");
  }
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(raw[i]);
  const int64_t seq = static_cast<int64_t>(bits);
  if (seq < 0) return InvalidField("page_token", "not a token of this list");
  return seq;
}

template <typename Validate, typename Apply>
grpc::ServerUnaryReactor* IntakeServiceImpl::ServeUpdate(grpc::CallbackServerContext* context,
                                                         const std::string& id, int64_t version,
                                                         v1::StatushouderChanged::Change change,
                                                         v1::Statushouder* response,
                                                         Validate validate, Apply apply) {
  return ServeBlocking(
      context, workers_,
      [this, context, &id, version, change, response, validate = std::move(validate),
       apply = std::move(apply)]() -> absl::Status {
        ASSIGN_OR_RETURN(Principal principal, RequireConsulent(*context));
        const absl::CivilDay today = today_();
        RETURN_IF_ERROR(validate(today));
        ASSIGN_OR_RETURN(*response, store_.Update(principal.gemeente, id, version, change,
                                                  [&](v1::Statushouder& s) -> absl::Status {
                                                    RETURN_IF_ERROR(apply(s, today));
                                                    RefreshDerived(s, today);
                                                    return absl::OkStatus();
                                                  }));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::RegisterStatushouder(
    grpc::CallbackServerContext* context, const v1::RegisterStatushouderRequest* request,
    v1::Statushouder* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Checks that need no database run here, on the gRPC thread; a bad request never waits.
  const absl::CivilDay today = today_();
  absl::StatusOr<Principal> principal = RequireConsulent(*context);
  absl::Status valid = principal.status();
  if (valid.ok()) valid = ValidateRequestId(request->request_id());
  if (valid.ok()) valid = ValidateNewStatushouder(request->statushouder(), today);
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  Registration registration{context, reactor, response, {}};
  registration.store.request_id = request->request_id();
  registration.store.request_hash = RequestFingerprint(request->statushouder());
  v1::Statushouder& statushouder = registration.store.statushouder;
  statushouder = request->statushouder();
  ClearNonProfile(statushouder);  // the trajectory is built by its own RPCs
  statushouder.set_gemeente(principal->gemeente);
  EnterInitialPhase(statushouder);
  RefreshDerived(statushouder, today);
  registrations_.Submit(std::move(registration));
  return reactor;
}

void IntakeServiceImpl::RegisterBatch(std::vector<Registration>& batch) {
  std::vector<Registration*> live;
  std::vector<StatushouderStore::NewRegistration> registrations;
  auto latest = std::chrono::system_clock::time_point::min();
  for (Registration& r : batch) {
    if (r.context->IsCancelled()) {
      r.reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled before it ran"));
      continue;
    }
    live.push_back(&r);
    registrations.push_back(std::move(r.store));
    latest = std::max(latest, r.context->deadline());
  }
  if (live.empty()) return;
  std::vector<absl::StatusOr<v1::Statushouder>> results;
  {
    CallDeadlineScope deadline(latest);
    results = store_.CreateMany(std::move(registrations));
  }
  const absl::CivilDay today = today_();
  for (size_t i = 0; i < live.size(); ++i) {
    if (!results[i].ok()) {
      live[i]->reactor->Finish(ToGrpcStatus(results[i].status()));
      continue;
    }
    *live[i]->response = *std::move(results[i]);
    RefreshDerived(*live[i]->response, today);  // a replay answers with today's days_left
    live[i]->reactor->Finish(grpc::Status::OK);
  }
}

IntakeServiceImpl::IntakeServiceImpl(StatushouderStore& store, Outbox& outbox, WorkerPool& workers,
                                     Clock today, LocalPolicies policies)
    : store_(store),
      outbox_(outbox),
      workers_(workers),
      today_(std::move(today)),
      policies_(std::move(policies)),
      point_reads_(StatushouderStore::kMaxGetMany,
                   [this](std::vector<PointRead>& batch, absl::FunctionRef<void()> release) {
                     ReadBatch(batch, release);
                   }),
      registrations_(workers, kRegistrationBatchesRunning, StatushouderStore::kMaxCreateMany,
                     [this](std::vector<Registration>& batch) { RegisterBatch(batch); }) {}

grpc::ServerUnaryReactor* IntakeServiceImpl::GetStatushouder(
    grpc::CallbackServerContext* context, const v1::GetStatushouderRequest* request,
    v1::Statushouder* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Principal> principal = RequireConsulent(*context);
  absl::Status valid = principal.ok() ? ValidateRecordId("id", request->id()) : principal.status();
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  point_reads_.Submit({context, reactor, std::move(principal->gemeente), request->id(), response});
  return reactor;
}

void IntakeServiceImpl::ReadBatch(std::vector<PointRead>& batch,
                                  absl::FunctionRef<void()> release_database) {
  // One statement per gemeente in the batch (almost always one): the tenant stays in the WHERE.
  struct Statement {
    std::vector<PointRead*> reads;
    absl::StatusOr<absl::flat_hash_map<std::string, v1::Statushouder>> found;
  };
  absl::flat_hash_map<std::string, Statement> by_gemeente;
  for (PointRead& read : batch) {
    if (read.context->IsCancelled()) {
      read.reactor->Finish(
          grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled before it ran"));
      continue;
    }
    by_gemeente[read.gemeente].reads.push_back(&read);
  }
  for (auto& [gemeente, statement] : by_gemeente) {
    std::vector<std::string> ids;
    ids.reserve(statement.reads.size());
    auto latest = std::chrono::system_clock::time_point::min();
    for (const PointRead* read : statement.reads) {
      ids.push_back(read->id);
      latest = std::max(latest, read->context->deadline());
    }
    CallDeadlineScope deadline(latest);
    statement.found = store_.GetMany(gemeente, ids);
  }
  release_database();  // the next batch's statement runs while this one answers

  const absl::CivilDay today = today_();
  for (auto& [gemeente, statement] : by_gemeente) {
    const std::vector<PointRead*>& reads = statement.reads;
    if (!statement.found.ok()) {
      for (PointRead* read : reads) read->reactor->Finish(ToGrpcStatus(statement.found.status()));
      continue;
    }
    absl::flat_hash_map<std::string, v1::Statushouder>& found = *statement.found;
    // Each record moves into its caller's response; a second caller of the same id in the batch
    // (rare) gets a copy of the first one's. All are filled before any is finished: once finished,
    // a response belongs to gRPC.
    std::vector<const PointRead*> answered;
    answered.reserve(reads.size());
    std::vector<bool> exists(reads.size(), true);
    for (size_t i = 0; i < reads.size(); ++i) {
      PointRead* read = reads[i];
      if (auto it = found.find(read->id); it != found.end()) {
        read->response->Swap(&it->second);
        found.erase(it);
        RefreshDerived(*read->response, today);
        answered.push_back(read);
      } else if (auto first = absl::c_find_if(
                     answered, [read](const PointRead* a) { return a->id == read->id; });
                 first != answered.end()) {
        *read->response = *(*first)->response;
      } else {
        exists[i] = false;
      }
    }
    for (size_t i = 0; i < reads.size(); ++i) {
      reads[i]->reactor->Finish(exists[i]
                                    ? grpc::Status::OK
                                    : ToGrpcStatus(absl::NotFoundError("statushouder not found")));
    }
  }
}

grpc::ServerUnaryReactor* IntakeServiceImpl::ListStatushouders(
    grpc::CallbackServerContext* context, const v1::ListStatushoudersRequest* request,
    v1::ListStatushoudersResponse* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, RequireConsulent(*context));
    RETURN_IF_ERROR(ValidateListRequest(*request));
    ASSIGN_OR_RETURN(const int64_t after, DecodePageToken(*request));
    const int page_size =
        request->page_size() == 0 ? kDefaultPageSize : std::min(request->page_size(), kMaxPageSize);
    ListQuery query;
    query.phase = request->phase();
    query.leerroute = request->leerroute();
    query.type = request->type();
    query.uitkering = request->uitkering();
    query.pip_overdue = request->pip_overdue();
    query.today = today_();
    query.after_seq = after;
    query.limit = page_size + 1;  // one more tells whether another page follows
    ASSIGN_OR_RETURN(std::vector<ListedStatushouder> rows, store_.List(principal.gemeente, query));
    const bool more = rows.size() > static_cast<size_t>(page_size);
    if (more) rows.resize(page_size);
    for (ListedStatushouder& row : rows) {
      RefreshDerived(row.statushouder, query.today);
      *response->add_statushouders() = std::move(row.statushouder);
    }
    if (more) response->set_next_page_token(EncodePageToken(rows.back().seq, *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::UpdateStatushouder(
    grpc::CallbackServerContext* context, const v1::UpdateStatushouderRequest* request,
    v1::Statushouder* response) {
  return ServeUpdate(
      context, request->id(), request->version(), v1::StatushouderChanged::UPDATED, response,
      [request](absl::CivilDay) { return ValidateUpdateRequest(*request); },
      [request](v1::Statushouder& s, absl::CivilDay today) {
        return ApplyProfileUpdate(s, request->statushouder(), request->update_mask(), today);
      });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::RecordBredeIntake(
    grpc::CallbackServerContext* context, const v1::RecordBredeIntakeRequest* request,
    v1::Statushouder* response) {
  return ServeUpdate(
      context, request->id(), request->version(), v1::StatushouderChanged::BREDE_INTAKE_RECORDED,
      response,
      [request](absl::CivilDay today) { return ValidateBredeIntakeRequest(*request, today); },
      [request](v1::Statushouder& s, absl::CivilDay) { return ApplyBredeIntake(s, *request); });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::EstablishPip(grpc::CallbackServerContext* context,
                                                          const v1::EstablishPipRequest* request,
                                                          v1::Statushouder* response) {
  return ServeUpdate(
      context, request->id(), request->version(), v1::StatushouderChanged::PIP_ESTABLISHED,
      response,
      [request](absl::CivilDay today) { return ValidateEstablishPipRequest(*request, today); },
      [request](v1::Statushouder& s, absl::CivilDay) { return ApplyPip(s, *request); });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::RecordOpschorting(
    grpc::CallbackServerContext* context, const v1::RecordOpschortingRequest* request,
    v1::Statushouder* response) {
  return ServeUpdate(
      context, request->id(), request->version(), v1::StatushouderChanged::OPSCHORTING_RECORDED,
      response,
      [request](absl::CivilDay today) { return ValidateOpschortingRequest(*request, today); },
      [request](v1::Statushouder& s, absl::CivilDay) {
        return ApplyOpschorting(s, request->opschorting());
      });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::RecordLanguageLevel(
    grpc::CallbackServerContext* context, const v1::RecordLanguageLevelRequest* request,
    v1::Statushouder* response) {
  return ServeUpdate(
      context, request->id(), request->version(), v1::StatushouderChanged::LANGUAGE_LEVEL_RECORDED,
      response,
      [request](absl::CivilDay today) { return ValidateLanguageLevelRequest(*request, today); },
      [request](v1::Statushouder& s, absl::CivilDay) {
        return ApplyLanguageMeting(s, request->meting());
      });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::RecordModuleProgress(
    grpc::CallbackServerContext* context, const v1::RecordModuleProgressRequest* request,
    v1::Statushouder* response) {
  return ServeUpdate(
      context, request->id(), request->version(), v1::StatushouderChanged::MODULE_PROGRESS_RECORDED,
      response,
      [request](absl::CivilDay today) { return ValidateModuleProgressRequest(*request, today); },
      [this, request](v1::Statushouder& s, absl::CivilDay) {
        return ApplyModuleProgress(s, request->progress(), policies_.For(s.gemeente()));
      });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::ChangePhase(grpc::CallbackServerContext* context,
                                                         const v1::ChangePhaseRequest* request,
                                                         v1::Statushouder* response) {
  return ServeUpdate(
      context, request->id(), request->version(), v1::StatushouderChanged::PHASE_CHANGED, response,
      [request](absl::CivilDay today) { return ValidateChangePhaseRequest(*request, today); },
      [request](v1::Statushouder& s, absl::CivilDay today) {
        return ApplyPhaseChange(s, request->phase(),
                                request->date().empty() ? FormatDate(today) : request->date());
      });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::ExtendInburgeringstermijn(
    grpc::CallbackServerContext* context, const v1::ExtendInburgeringstermijnRequest* request,
    v1::Statushouder* response) {
  return ServeUpdate(
      context, request->id(), request->version(), v1::StatushouderChanged::TERMIJN_EXTENDED,
      response, [request](absl::CivilDay) { return ValidateExtendRequest(*request); },
      [request](v1::Statushouder& s, absl::CivilDay) {
        return ApplyTermijnExtension(s, request->months(), request->reason_code());
      });
}

grpc::ServerReadReactor<v1::ImportStatushoudersRequest>* IntakeServiceImpl::ImportStatushouders(
    grpc::CallbackServerContext* context, v1::ImportStatushoudersResponse* response) {
  return new ImportReactor(*this, workers_, context, response);
}

absl::Status IntakeServiceImpl::ImportBatch(const std::string& gemeente,
                                            const v1::ImportStatushoudersRequest& batch,
                                            v1::ImportStatushoudersResponse& response) {
  if (batch.rows_size() > kMaxImportBatch) {
    return InvalidField("rows", absl::StrCat("at most ", kMaxImportBatch, " per request"));
  }
  const absl::CivilDay today = today_();
  std::vector<v1::ImportRowResult> results(batch.rows_size());
  std::vector<ImportCandidate> candidates;
  std::vector<int> row_of_candidate;
  candidates.reserve(batch.rows_size());
  absl::flat_hash_set<std::string> bsns;
  for (int i = 0; i < batch.rows_size(); ++i) {
    const v1::ImportRow& row = batch.rows(i);
    results[i].set_row_number(row.row_number());
    if (absl::Status s = ValidateNewStatushouder(row.statushouder(), today); !s.ok()) {
      Reject(s, results[i]);
      continue;
    }
    if (!bsns.insert(row.statushouder().bsn()).second) {
      Reject(InvalidField("statushouder.bsn", "appears more than once in this batch"), results[i]);
      continue;
    }
    v1::Statushouder& s = candidates.emplace_back().statushouder;
    s = row.statushouder();
    ClearNonProfile(s);
    s.set_gemeente(gemeente);
    EnterInitialPhase(s);
    RefreshDerived(s, today);
    row_of_candidate.push_back(i);
  }
  if (!candidates.empty()) {
    ASSIGN_OR_RETURN(std::vector<ImportOutcome> outcomes,
                     store_.Import(gemeente, candidates,
                                   [today](v1::Statushouder& stored, const v1::Statushouder& row) {
                                     return MergeImported(stored, row, today);
                                   }));
    for (size_t k = 0; k < outcomes.size(); ++k) {
      v1::ImportRowResult& result = results[row_of_candidate[k]];
      if (outcomes[k].outcome == v1::ImportRowResult::REJECTED) {
        Reject(outcomes[k].rejection, result);
      } else {
        result.set_outcome(outcomes[k].outcome);
        result.set_statushouder_id(outcomes[k].id);
      }
    }
  }
  for (v1::ImportRowResult& result : results) {
    switch (result.outcome()) {
      case v1::ImportRowResult::CREATED:
        response.set_created(response.created() + 1);
        break;
      case v1::ImportRowResult::UPDATED:
        response.set_updated(response.updated() + 1);
        break;
      case v1::ImportRowResult::UNCHANGED:
        response.set_unchanged(response.unchanged() + 1);
        break;
      default:
        response.set_rejected(response.rejected() + 1);
        break;
    }
    *response.add_results() = std::move(result);
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<v1::Event>* IntakeServiceImpl::StreamEvents(
    grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) {
  return ServeEventStream(*context, outbox_, *request);
}

}  // namespace inburgering::intake

#include "gateway/grpc_proxy.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status.h"

namespace inburgering::gateway {
namespace {

absl::string_view View(const grpc::string_ref& ref) { return {ref.data(), ref.size()}; }

bool IsPrintableAscii(absl::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Parses a copy of `buffer` (the original stays intact for forwarding).
bool ParseBuffer(const grpc::ByteBuffer& buffer, google::protobuf::Message* message) {
  grpc::ByteBuffer copy(buffer);
  return grpc::SerializationTraits<google::protobuf::Message>::Deserialize(&copy, message).ok();
}

// One proxied call: the server side (this reactor) and the backend side (Upstream) pump messages
// into each other. Callbacks of both sides may run concurrently; mu_ orders them. The object
// deletes itself when both sides are done.
class ProxyCall final : public grpc::ServerGenericBidiReactor {
 public:
  ProxyCall(const Gateway& gateway, grpc::GenericCallbackServerContext* context)
      : gateway_(gateway), context_(context), started_(absl::Now()), upstream_(this) {
    Begin();
  }

  void OnReadDone(bool ok) override {
    const Section section(this);
    if (finishing_) return;
    if (!ok) {  // the client half-closed (or went away)
      if (context_->IsCancelled()) {
        if (!upstream_started_)
          FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
        return;
      }
      if (!upstream_started_) {
        StartUpstreamLocked(/*first=*/nullptr);
      } else if (client_streaming_) {
        upstream_.StartWritesDone();
      }
      return;
    }
    if (static_cast<int64_t>(request_.Length()) > gateway_.max_request_bytes()) {
      FinishLocked(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("request message larger than ", gateway_.max_request_bytes(), " bytes")));
      return;
    }
    if (!InspectRequestLocked()) return;
    if (!upstream_started_) {
      // A personal-data write goes out only once its begin row is stored (BeginStoredLocked).
      if (hold_for_begin_) return;
      StartUpstreamLocked(&request_);
    } else {
      upstream_.StartWrite(&request_);
    }
  }

  void OnWriteDone(bool ok) override {
    const Section section(this);
    // Only server-streaming responses are written before the end; ask the backend for the next.
    if (ok && !finishing_ && !upstream_done_) upstream_.StartRead(&response_);
  }

  void OnCancel() override {
    const Section section(this);
    if (upstream_started_ && !upstream_done_) upstream_context_->TryCancel();
  }

  void OnDone() override { Unref(); }

 private:
  class Upstream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    explicit Upstream(ProxyCall* call) : call_(call) {}
    void OnReadDone(bool ok) override { call_->UpstreamReadDone(ok); }
    void OnWriteDone(bool ok) override { call_->UpstreamWriteDone(ok); }
    void OnDone(const grpc::Status& status) override { call_->UpstreamDone(status); }

   private:
    ProxyCall* call_;
  };

  void Begin() {
    route_ = gateway_.FindRoute(context_->method());
    if (route_ == nullptr) {
      const Section section(this);
      FinishLocked(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                absl::StrCat("unknown service or method ", context_->method())));
      return;
    }
    client_streaming_ = route_->method->client_streaming();
    server_streaming_ = route_->method->server_streaming();
    audited_ = Gateway::Audited(*route_);
    const auto& metadata = context_->client_metadata();
    absl::string_view authorization;
    if (auto it = metadata.find("authorization"); it != metadata.end()) {
      authorization = View(it->second);
    }
    absl::Duration retry_after;
    absl::Status admitted = gateway_.Admit(*route_, context_->auth_context().get(), authorization,
                                           &principal_, &retry_after);
    const Section section(this);
    if (!admitted.ok()) {
      if (admitted.code() == absl::StatusCode::kResourceExhausted) {
        context_->AddTrailingMetadata("grpc-retry-pushback-ms",
                                      absl::StrCat(absl::ToInt64Milliseconds(retry_after)));
        context_->AddTrailingMetadata(
            "retry-after", absl::StrCat((absl::ToInt64Milliseconds(retry_after) + 999) / 1000));
      }
      FinishLocked(ToGrpcStatus(admitted));
      return;
    }
    if (audited_ || route_->policy->consulent == Access::kOwnScope ||
        route_->policy->wsp == Access::kOwnScope || route_->policy->analist == Access::kOwnScope ||
        route_->policy->beheerder == Access::kOwnScope) {
      request_message_ = gateway_.NewRequest(*route_);
    }
    if (audited_) response_message_ = gateway_.NewResponse(*route_);
    StartRead(&request_);
  }

  // Parses the request when the policy or the audit needs its content; false when the call was
  // finished because of it.
  bool InspectRequestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (request_message_ == nullptr) return true;
    if (!ParseBuffer(request_, request_message_.get())) {
      FinishLocked(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request: not a valid ", route_->method->input_type()->full_name())));
      return false;
    }
    if (absl::Status s = gateway_.CheckRequest(*route_, *principal_, *request_message_); !s.ok()) {
      FinishLocked(ToGrpcStatus(s));
      return false;
    }
    if (audited_) {
      CollectObjectIds(*request_message_, object_ids_);
      if (!begin_appended_) AppendBeginLocked();
    }
    return !finishing_;  // a begin row refused at once finished the call
  }

  // For a read, the begin row is written while the backend works; the answer waits for it (fail
  // closed), so its commit overlaps the call instead of following it. For a write, the request is
  // held until the begin row is stored: a write that cannot be audited never reaches the backend.
  void AppendBeginLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    begin_appended_ = true;
    AuditRecord begin =
        gateway_.NewAuditRecord(*route_, principal_ ? &*principal_ : nullptr, context_->peer());
    begin.phase = AuditRecord::Phase::kBegin;
    begin.object_ids = object_ids_;
    call_id_ = begin.call_id;
    begin_object_count_ = object_ids_.size();
    gates_.fetch_add(1);
    if (!Gateway::AuditedBeforeForwarding(*route_)) {
      gateway_.audit().Append(std::move(begin), [this](absl::Status s) { PassGate(s); });
      return;
    }
    hold_for_begin_ = true;
    // The audit log may answer on this thread, inside Append, where mu_ is already held.
    appending_thread_ = std::this_thread::get_id();
    gateway_.audit().Append(std::move(begin), [this](absl::Status s) {
      if (std::this_thread::get_id() == appending_thread_.load()) {
        // Inside Append: OnReadDone, which holds mu_, forwards the request once this returns.
        BeginStoredHeld(s);
      } else {
        const Section section(this);
        BeginStoredLocked(s, /*forward=*/true);
      }
      PassGate(s);
    });
    appending_thread_ = std::thread::id();
  }

  // The begin row of a write is stored (or could not be): forward the held request when
  // `forward`, or refuse the call.
  void BeginStoredLocked(const absl::Status& s, bool forward) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    hold_for_begin_ = false;
    if (finishing_) return;
    if (!s.ok()) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "audit log unavailable; the call is refused and nothing was "
                                "forwarded"));
      return;
    }
    if (forward && !upstream_started_) StartUpstreamLocked(&request_);
  }
  // The same on the thread that holds mu_ inside AppendBeginLocked.
  void BeginStoredHeld(const absl::Status& s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    BeginStoredLocked(s, /*forward=*/false);
  }

  void StartUpstreamLocked(const grpc::ByteBuffer* first) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Deadline and cancellation propagate from the client's call.
    upstream_context_ = grpc::ClientContext::FromCallbackServerContext(*context_);
    if (context_->deadline() == std::chrono::system_clock::time_point::max()) {
      upstream_context_->set_deadline(
          absl::ToChronoTime(absl::Now() + gateway_.default_deadline()));
    }
    for (const auto& [key, value] : context_->client_metadata()) {
      const absl::string_view k = View(key);
      if (IsStrippedMetadataKey(k)) continue;
      if (!absl::EndsWith(k, "-bin") && !IsPrintableAscii(View(value))) {
        FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  absl::StrCat("metadata ", k, ": value must be printable ASCII")));
        return;
      }
      upstream_context_->AddMetadata(std::string(k), std::string(View(value)));
    }
    AttachPrincipal(*principal_, *upstream_context_);
    upstream_started_ = true;
    ++refs_;
    if (!client_streaming_ && !server_streaming_ && first != nullptr) {
      // A unary call goes out as one unary call: one batch of operations and one completion,
      // where the streaming path takes a callback (and often a thread hand-off) per step.
      route_->backend->stub->UnaryCall(upstream_context_.get(), route_->path, grpc::StubOptions(),
                                       first, &response_,
                                       [this](grpc::Status status) { UnaryDone(status); });
      return;
    }
    route_->backend->stub->PrepareBidiStreamingCall(upstream_context_.get(), route_->path,
                                                    grpc::StubOptions(), &upstream_);
    if (first != nullptr) {
      if (client_streaming_) {
        upstream_.StartWrite(first);
      } else {
        upstream_.StartWriteLast(first, grpc::WriteOptions());
      }
    } else {
      upstream_.StartWritesDone();
    }
    upstream_.StartRead(&response_);
    upstream_.StartCall();
  }

  void UpstreamWriteDone(bool ok) {
    const Section section(this);
    // Next message from the client only once the previous one went out (one buffer, bounded
    // memory: the backend's flow control reaches the client).
    if (ok && client_streaming_ && !finishing_) StartRead(&request_);
  }

  void UpstreamReadDone(bool ok) {
    const Section section(this);
    if (!ok || finishing_) return;
    TakeResponseLocked();
    if (server_streaming_) StartWrite(&response_);
  }

  void UnaryDone(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (status.ok() && !finishing_) TakeResponseLocked();
      upstream_done_ = true;
      FinishLocked(status);
    }
    Unref();
  }

  // The audit notes the records a response names; a unary response is held until the status
  // and the audit record.
  void TakeResponseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (response_message_ != nullptr && ParseBuffer(response_, response_message_.get())) {
      CollectObjectIds(*response_message_, object_ids_);
    }
    if (!server_streaming_) have_response_ = true;
  }

  void UpstreamDone(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      upstream_done_ = true;
      FinishLocked(status);
    }
    Unref();
  }

  // Ends the call once: metrics, then (for audited RPCs) the audit record, then Finish.
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finishing_) return;
    finishing_ = true;
    const bool with_response = have_response_ && status.ok();
    if (route_ == nullptr || !audited_) {
      SendFinish(status, with_response);
      return;
    }
    AuditRecord end =
        gateway_.NewAuditRecord(*route_, principal_ ? &*principal_ : nullptr, context_->peer());
    if (begin_appended_) end.call_id = call_id_;
    // The answer also waits for the end row when nothing was stored before, or when the response
    // named records the begin row could not (a list, a new id).
    const bool await_end = !begin_appended_ || object_ids_.size() > begin_object_count_;
    end.object_ids = std::move(object_ids_);
    end.result = CodeName(status.error_code());
    final_status_ = status;
    final_with_response_ = with_response;
    if (await_end) {
      gates_.fetch_add(1);
      gateway_.audit().Append(std::move(end), [this](absl::Status s) { PassGate(s); });
    } else {
      // Not awaited: `this` may be gone when it is stored; a failure is logged by the writer.
      gateway_.audit().Append(std::move(end), nullptr);
    }
    PassGate(absl::OkStatus());  // the outcome is known
  }

  // The answer goes out when the outcome is known and every awaited audit row is stored; any
  // failed row refuses it (fail closed).
  void PassGate(const absl::Status& audit_status) {
    if (!audit_status.ok()) audit_failed_.store(true);
    if (gates_.fetch_sub(1) != 1) return;
    if (audit_failed_.load()) {
      SendFinish(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable; the call is refused"),
          false);
    } else {
      SendFinish(final_status_, final_with_response_);
    }
  }

  // Sends the answer the client gets, and counts that one (an audit refusal as UNAVAILABLE, not
  // as what the backend said).
  void SendFinish(const grpc::Status& status, bool with_response) {
    gateway_.metrics().Record(route_ != nullptr ? route_->name : "unknown",
                              CodeName(status.error_code()), "grpc", absl::Now() - started_);
    if (with_response) {
      StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
    } else {
      Finish(status);
    }
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  // mu_ held for a section that may Finish the call, with a reference released after the
  // unlock: gRPC may run OnDone, and its Unref, on another thread before the section ends, and
  // without the reference the call could be deleted under its own lock.
  class ABSL_SCOPED_LOCKABLE Section {
   public:
    explicit Section(ProxyCall* call) ABSL_EXCLUSIVE_LOCK_FUNCTION(call->mu_)
        : ref_(call), lock_(&call->mu_) {}
    ~Section() ABSL_UNLOCK_FUNCTION() = default;
    Section(const Section&) = delete;
    Section& operator=(const Section&) = delete;

   private:
    struct Ref {
      explicit Ref(ProxyCall* call) : call(call) { call->refs_.fetch_add(1); }
      ~Ref() { call->Unref(); }
      ProxyCall* call;
    };
    Ref ref_;  // declared first, so released after the lock
    absl::MutexLock lock_;
  };

  const Gateway& gateway_;
  grpc::GenericCallbackServerContext* const context_;
  const absl::Time started_;
  const Route* route_ = nullptr;
  bool client_streaming_ = false;
  bool server_streaming_ = false;
  bool audited_ = false;
  std::optional<Principal> principal_;
  std::unique_ptr<google::protobuf::Message> request_message_;
  std::unique_ptr<google::protobuf::Message> response_message_;

  absl::Mutex mu_;
  Upstream upstream_;
  std::unique_ptr<grpc::ClientContext> upstream_context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::vector<std::string> object_ids_;
  std::string call_id_;
  size_t begin_object_count_ = 0;
  bool begin_appended_ = false;
  bool hold_for_begin_ ABSL_GUARDED_BY(mu_) = false;  // a write waits for its begin row
  std::atomic<std::thread::id> appending_thread_;
  // Outstanding conditions before the answer may go out: the outcome, plus each awaited audit
  // row. Audit callbacks arrive on the writer's thread without mu_.
  std::atomic<int> gates_{1};
  std::atomic<bool> audit_failed_{false};
  grpc::Status final_status_;
  bool final_with_response_ = false;
  bool upstream_started_ ABSL_GUARDED_BY(mu_) = false;
  bool upstream_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool have_response_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> refs_{1};
};

}  // namespace

bool IsStrippedMetadataKey(absl::string_view key) {
  return absl::StartsWith(key, ":") || absl::StartsWith(key, "grpc-") ||
         absl::StartsWith(key, "x-inburgering-") || key == "authorization" || key == "user-agent" ||
         key == "te" || key == "content-type" || key == "host" || key == "content-length";
}

grpc::ServerGenericBidiReactor* GrpcProxy::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new ProxyCall(gateway_, context);
}

}  // namespace inburgering::gateway

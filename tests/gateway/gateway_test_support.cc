#include "tests/gateway/gateway_test_support.h"

#include "absl/strings/str_cat.h"
#include "tests/support/test_registration.h"

namespace inburgering::gateway::testing {

class RecordingReactor final : public grpc::ServerGenericBidiReactor {
 public:
  RecordingReactor(RecordingBackend* backend, grpc::GenericCallbackServerContext* context)
      : backend_(backend), context_(context) {
    call_.method = context->method();
    for (const auto& [k, v] : context->client_metadata()) {
      call_.metadata.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
    }
    call_.deadline = context->deadline();
    StartRead(&buffer_);
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      std::vector<grpc::Slice> slices;
      (void)buffer_.Dump(&slices);
      std::string bytes;
      for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      call_.messages.push_back(std::move(bytes));
      StartRead(&buffer_);
      return;
    }
    bool hold = false;
    grpc::Status status;
    std::string response;
    {
      absl::MutexLock lock(&backend_->mu_);
      backend_->calls_.push_back(call_);
      for (const auto& h : backend_->held_) hold |= (h == call_.method);
      if (auto it = backend_->statuses_.find(call_.method); it != backend_->statuses_.end()) {
        status = it->second;
      }
      if (auto it = backend_->responses_.find(call_.method); it != backend_->responses_.end()) {
        response = it->second;
      }
    }
    if (hold) return;  // finished from OnCancel
    if (!status.ok()) {
      Finish(status);
      return;
    }
    grpc::Slice slice(response);
    out_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&out_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnCancel() override {
    bool hold = false;
    {
      absl::MutexLock lock(&backend_->mu_);
      for (const auto& h : backend_->held_) hold |= (h == call_.method);
    }
    if (hold) {
      if (!backend_->cancelled_.HasBeenNotified()) backend_->cancelled_.Notify();
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
    }
  }
  void OnDone() override { delete this; }

 private:
  RecordingBackend* backend_;
  grpc::GenericCallbackServerContext* context_;
  RecordingBackend::Call call_;
  grpc::ByteBuffer buffer_, out_;
};

RecordingBackend::RecordingBackend() {
  server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
  server_->AddGenericService(this);
  EXPECT_TRUE(server_->Start().ok());
}

RecordingBackend::~RecordingBackend() { Stop(); }

void RecordingBackend::Stop() {
  if (server_) server_->Shutdown(absl::Milliseconds(100));
}

std::string RecordingBackend::target() const { return absl::StrCat("127.0.0.1:", server_->port()); }

void RecordingBackend::SetResponse(const std::string& path, std::string bytes) {
  absl::MutexLock lock(&mu_);
  responses_[path] = std::move(bytes);
}
void RecordingBackend::SetStatus(const std::string& path, grpc::Status status) {
  absl::MutexLock lock(&mu_);
  statuses_[path] = std::move(status);
}
void RecordingBackend::Hold(const std::string& path) {
  absl::MutexLock lock(&mu_);
  held_.push_back(path);
}
bool RecordingBackend::WaitForCancellation(absl::Duration timeout) {
  return cancelled_.WaitForNotificationWithTimeout(timeout);
}
std::vector<RecordingBackend::Call> RecordingBackend::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}
void RecordingBackend::Clear() {
  absl::MutexLock lock(&mu_);
  calls_.clear();
}
grpc::ServerGenericBidiReactor* RecordingBackend::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new RecordingReactor(this, context);
}

void InMemoryAuditLog::Append(AuditRecord record, std::function<void(absl::Status)> done) {
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    if (failing_ && (!failing_only_ || *failing_only_ == record.phase)) {
      status = absl::UnavailableError("audit log unavailable; the call is refused");
    } else {
      records_.push_back(std::move(record));
    }
  }
  if (done) done(status);
}
absl::Status InMemoryAuditLog::Check() {
  absl::MutexLock lock(&mu_);
  if (failing_ && !failing_only_) return absl::UnavailableError("audit log unavailable");
  return absl::OkStatus();
}
std::vector<AuditRecord> InMemoryAuditLog::Rows(AuditRecord::Phase phase) const {
  absl::MutexLock lock(&mu_);
  std::vector<AuditRecord> rows;
  for (const AuditRecord& r : records_) {
    if (r.phase == phase) rows.push_back(r);
  }
  return rows;
}
void InMemoryAuditLog::SetFailing(bool failing, std::optional<AuditRecord::Phase> only) {
  absl::MutexLock lock(&mu_);
  failing_ = failing;
  failing_only_ = only;
}

namespace {

class RawCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawCall(const std::vector<std::string>& messages) {
    for (const auto& m : messages) {
      grpc::Slice slice(m);
      out_.emplace_back(&slice, 1);
    }
  }
  void Start() {
    if (out_.empty()) {
      StartWritesDone();
    } else {
      StartWrite(&out_[0]);
    }
    StartRead(&in_);
    StartCall();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return;
    if (++next_ < out_.size()) {
      StartWrite(&out_[next_]);
    } else {
      StartWritesDone();
    }
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    std::vector<grpc::Slice> slices;
    (void)in_.Dump(&slices);
    std::string bytes;
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    result.responses.push_back(std::move(bytes));
    StartRead(&in_);
  }
  void OnDone(const grpc::Status& status) override {
    result.status = status;
    done.Notify();
  }
  grpc::ClientContext context;
  RawResult result;
  absl::Notification done;

 private:
  std::vector<grpc::ByteBuffer> out_;
  size_t next_ = 0;
  grpc::ByteBuffer in_;
};

}  // namespace

RawResult CallRaw(grpc::Channel& channel, const std::string& path,
                  const std::vector<std::string>& messages,
                  const std::vector<std::pair<std::string, std::string>>& metadata,
                  absl::Duration timeout) {
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  RawCall call(messages);
  call.context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  for (const auto& [k, v] : metadata) call.context.AddMetadata(k, v);
  stub.PrepareBidiStreamingCall(&call.context, path, grpc::StubOptions(), &call);
  call.Start();
  call.done.WaitForNotification();
  for (const auto& [k, v] : call.context.GetServerTrailingMetadata()) {
    call.result.trailers.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
  }
  return call.result;
}

std::string TokenFor(absl::string_view role, absl::string_view gemeente) {
  return absl::StrCat("token-", role, "-", gemeente);
}

v1::RegisterStatushouderRequest Registration() {
  return inburgering::testing::SampleRegistration("r1", "111222333");
}

config::v1::GatewayConfig TestConfig() {
  config::v1::GatewayConfig config;
  auto* haaglanden = config.mutable_regions()->add_regions();
  haaglanden->set_id("haaglanden");
  for (const char* g : {"GM0603", "GM0518", "GM0503"}) haaglanden->add_gemeenten(g);
  auto* rotterdam = config.mutable_regions()->add_regions();
  rotterdam->set_id("rotterdam");
  rotterdam->add_gemeenten("GM0599");
  for (const char* gemeente : {"GM0603", "GM0503"}) {
    for (const char* role : {"consulent", "wsp", "analist", "beheerder"}) {
      auto* token = config.add_tokens();
      token->set_token_sha256(Sha256Hex(TokenFor(role, gemeente)));
      token->set_gemeente(gemeente);
      token->set_role(role);
      token->set_subject(absl::StrCat(role, ".", gemeente));
    }
  }
  return config;
}

void GatewayFixture::StartGateway(config::v1::GatewayConfig config) {
  TearDown();
  GatewayOptions options;
  options.config = std::move(config);
  options.targets = {intake_.target(), matching_.target(), reporting_.target()};
  options.default_deadline = absl::Seconds(7);
  options.clock = [this] {
    absl::MutexLock lock(&clock_mu_);
    return now_;
  };
  auto gateway = Gateway::Create(options, audit_);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  gateway_ = *std::move(gateway);
  proxy_ = std::make_unique<GrpcProxy>(*gateway_);
  server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
  server_->AddGenericService(proxy_.get());
  ASSERT_TRUE(server_->Start().ok());
  http_ = std::make_unique<HttpFront>(*gateway_, 4);
  ASSERT_TRUE(http_->Start("127.0.0.1:0").ok());
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                 grpc::InsecureChannelCredentials());
}

void GatewayFixture::TearDown() {
  if (http_) http_->Stop();
  if (server_) server_->Shutdown(absl::Seconds(1));
  http_.reset();
  server_.reset();
}

}  // namespace inburgering::gateway::testing

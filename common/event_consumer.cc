#include "common/event_consumer.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/status.h"

namespace inburgering {

EventConsumer::EventConsumer(Options options, MysqlPool& pool, OpenFn open, Principal principal,
                             ApplyFn apply)
    : EventConsumer(std::move(options), pool, std::move(open), std::move(principal),
                    [apply = std::move(apply)](const std::vector<v1::Event>& events,
                                               PooledConnection& c) -> absl::Status {
                      for (const v1::Event& event : events) RETURN_IF_ERROR(apply(event, c));
                      return absl::OkStatus();
                    }) {}

EventConsumer::EventConsumer(Options options, MysqlPool& pool, OpenFn open, Principal principal,
                             ApplyBatchFn apply)
    : options_(std::move(options)),
      pool_(pool),
      open_(std::move(open)),
      principal_(std::move(principal)),
      apply_(std::move(apply)) {}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  reader_ = std::thread([this] { ReadLoop(); });
  applier_ = std::thread([this] { ApplyLoop(); });
}

void EventConsumer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_call_ != nullptr) active_call_->TryCancel();
  }
  if (reader_.joinable()) reader_.join();
  if (applier_.joinable()) applier_.join();
}

absl::StatusOr<int64_t> EventConsumer::StoredCursor() {
  int64_t cursor = 0;
  absl::Status status = pool_.Run("read consumer cursor", [&](PooledConnection& c) {
    auto& select = c.Prepare("SELECT last_sequence FROM consumer_cursors WHERE stream = ?");
    select.setString(1, options_.stream);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    cursor = rs->next() ? rs->getInt64(1) : 0;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return cursor;
}

absl::StatusOr<int> EventConsumer::ApplyBatch(const std::vector<v1::Event>& events) {
  int applied = 0;
  int64_t cursor = 0;
  absl::Status status = pool_.InTransaction("apply events", [&](PooledConnection& c) {
    applied = 0;
    auto& ensure =
        c.Prepare("INSERT IGNORE INTO consumer_cursors (stream, last_sequence) VALUES (?, 0)");
    ensure.setString(1, options_.stream);
    ensure.executeUpdate();
    // The row lock serialises consumers of the same stream (e.g. two replicas).
    auto& select =
        c.Prepare("SELECT last_sequence FROM consumer_cursors WHERE stream = ? FOR UPDATE");
    select.setString(1, options_.stream);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    rs->next();
    cursor = rs->getInt64(1);
    std::vector<v1::Event> fresh;
    for (const v1::Event& event : events) {
      if (event.sequence() <= cursor) continue;
      // The streams are gap-free: anything but the next sequence means this consumer lost
      // events on the way (e.g. a batch it took for applied), and applying it would move the
      // cursor past them for good.
      RETURN_IF_ERROR(CheckNextSequence(options_.stream, cursor, event.sequence()));
      fresh.push_back(event);
      cursor = event.sequence();
    }
    applied = static_cast<int>(fresh.size());
    if (applied > 0) {
      RETURN_IF_ERROR(apply_(fresh, c));
      auto& update = c.Prepare("UPDATE consumer_cursors SET last_sequence = ? WHERE stream = ?");
      update.setInt64(1, cursor);
      update.setString(2, options_.stream);
      update.executeUpdate();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  applied_ = std::max(applied_, cursor);
  return applied;
}

bool EventConsumer::WaitForCursor(int64_t sequence, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, sequence]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return applied_ >= sequence; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void EventConsumer::ReadLoop() {
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    // Resume after what is applied or already queued, whichever is further.
    int64_t after;
    uint64_t epoch;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      after = queue_.empty() ? -1 : queue_.back().sequence();
      epoch = epoch_;
    }
    if (after < 0) {
      auto stored = StoredCursor();
      if (!stored.ok()) {
        absl::SleepFor(backoff);
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      after = *stored;
    }
    grpc::ClientContext context;
    AttachPrincipal(principal_, context);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (epoch != epoch_) continue;  // the queue was dropped meanwhile: start again
      active_call_ = &context;
    }
    v1::StreamEventsRequest request;
    request.set_after_sequence(after);
    std::unique_ptr<grpc::ClientReaderInterface<v1::Event>> reader = open_(&context, request);
    v1::Event event;
    bool resync = false;
    while (reader->Read(&event)) {
      backoff = absl::Milliseconds(50);
      absl::MutexLock lock(&mu_);
      // Bounded queue: wait for the applier rather than buffer without end.
      auto room = [this, epoch]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || epoch != epoch_ || queue_.size() < 10000;
      };
      mu_.Await(absl::Condition(&room));
      if (stopping_) break;
      if (epoch != epoch_) {  // events of a stream opened before the queue was dropped
        resync = true;
        break;
      }
      queue_.push_back(std::move(event));
    }
    if (resync) context.TryCancel();
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      active_call_ = nullptr;
      if (stopping_) return;
      resync = resync || epoch != epoch_;
    }
    if (resync) continue;  // at once, from the stored cursor
    LogWarning("event_stream_ended",
               {{"stream", options_.stream}, {"code", static_cast<int>(status.error_code())}});
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void EventConsumer::DropQueue() {
  absl::MutexLock lock(&mu_);
  queue_.clear();
  ++epoch_;
  if (active_call_ != nullptr) active_call_->TryCancel();
}

void EventConsumer::ApplyLoop() {
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    std::vector<v1::Event> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      const size_t n = std::min<size_t>(queue_.size(), options_.max_batch);
      batch.assign(queue_.begin(), queue_.begin() + n);
    }
    auto applied = ApplyBatch(batch);
    if (!applied.ok()) {
      LogWarning("apply_events_failed",
                 {{"stream", options_.stream},
                  {"code", absl::StatusCodeToString(applied.status().code())},
                  {"error", applied.status().message()}});
      // Whatever the failure (even a COMMIT whose outcome is unknown), the database is the truth:
      // drop what is queued and read the stream again from the cursor stored there.
      DropQueue();
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    backoff = absl::Milliseconds(50);
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < batch.size() && !queue_.empty(); ++i) queue_.pop_front();
  }
}

}  // namespace inburgering

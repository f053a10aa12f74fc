#include "common/outbox.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/chunked_statement.h"
#include "common/log.h"
#include "common/principal.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace inburgering {
namespace common_schema {
const std::vector<Migration>& Migrations();  // generated from common/migrations/*.sql
}  // namespace common_schema
namespace {

constexpr int kSequenceBatch = 1000;
// Each sequencer run is a durable commit of its own. Under 64 concurrent registrations, 20 ms
// instead of 5 ms cut mariadbd's CPU per registration by about a tenth and raised the rate by
// about 8 % (bench/RESULTS.md, session 5), for at most 15 ms more before an event is streamed.
constexpr absl::Duration kCoalesce = absl::Milliseconds(20);

std::string InsertText(int n) {
  return "INSERT INTO outbox (aggregate_id, gemeente, payload) VALUES " +
         ChunkedStatement::Rows("(?, ?, ?)", n);
}
std::string NumberedInsertText(int n) {
  return "INSERT INTO outbox (sequence, aggregate_id, gemeente, payload) VALUES " +
         ChunkedStatement::Rows("(?, ?, ?, ?)", n);
}
// Chunk sizes of the multi-row statements: large for imports, fine-grained for the small batches
// of registrations (at most 16 rows) so that a batch takes one to four statements.
const std::vector<int> kChunks = {256, 64, 16, 8, 4, 2, 1};

// Gives `ids` (ascending, locked by the caller) the sequences after `head`; returns the new head.
// One UPDATE per run of consecutive ids, as sequence = id + offset over a primary-key range: an
// import's thousands of rows are one statement. (A CASE over the ids, as before, cost mariadbd a
// linear search per row, as much CPU as the import itself.) A run holds only ids the caller
// selected, so no row that was skipped as locked is touched.
int64_t NumberRows(PooledConnection& c, const std::vector<uint64_t>& ids, int64_t head) {
  auto& number =
      c.Prepare("UPDATE outbox SET sequence = CAST(id AS SIGNED) + ? WHERE id BETWEEN ? AND ?");
  for (size_t begin = 0; begin < ids.size();) {
    size_t end = begin + 1;
    while (end < ids.size() && ids[end] == ids[end - 1] + 1) ++end;
    number.setInt64(1, head + 1 - static_cast<int64_t>(ids[begin]));
    number.setUInt64(2, ids[begin]);
    number.setUInt64(3, ids[end - 1]);
    number.executeUpdate();
    head += static_cast<int64_t>(end - begin);
    begin = end;
  }
  return head;
}

// Now, to the microsecond. (protobuf 3.21's TimeUtil::GetCurrentTime() is time(nullptr): whole
// seconds, which made every event's occur_time, and so reporting's as_of and any lag measured
// from it, up to a second early.)
google::protobuf::Timestamp NowTimestamp() {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now()));
}

// Binds `events[begin, begin + n)` after `first_sequence` (none when 0) as rows of a multi-row
// INSERT with `columns` parameters a row, the sequence first when numbered.
void BindEventRows(sql::PreparedStatement& insert, const std::vector<v1::Event>& events,
                   size_t begin, size_t n, int64_t first_sequence) {
  const auto now = NowTimestamp();
  const int columns = first_sequence > 0 ? 4 : 3;
  for (size_t i = 0; i < n; ++i) {
    v1::Event stored = events[begin + i];
    stored.clear_sequence();
    if (!stored.has_occur_time()) *stored.mutable_occur_time() = now;
    int p = static_cast<int>(columns * i);
    if (first_sequence > 0) insert.setInt64(++p, first_sequence + static_cast<int64_t>(begin + i));
    insert.setString(++p, stored.aggregate_id());
    insert.setString(++p, stored.gemeente());
    insert.setString(++p, stored.SerializeAsString());
  }
}

// The last sequence handed out, with outbox_head locked until the caller's transaction ends: the
// lock that keeps numbering gap-free and in order (the sequencer's and AppendManyNumbered's).
int64_t LockHead(PooledConnection& c) {
  std::unique_ptr<sql::ResultSet> rs(
      c.Prepare("SELECT last_sequence FROM outbox_head WHERE id = 1 FOR UPDATE").executeQuery());
  if (!rs->next()) throw sql::SQLException("outbox_head is empty");
  return rs->getInt64(1);
}

void SetHead(PooledConnection& c, int64_t head) {
  auto& update = c.Prepare("UPDATE outbox_head SET last_sequence = ? WHERE id = 1");
  update.setInt64(1, head);
  update.executeUpdate();
}

}  // namespace

const std::vector<Migration>& OutboxMigrations() { return common_schema::Migrations(); }

absl::Status CheckNextSequence(absl::string_view stream, int64_t last, int64_t sequence) {
  if (sequence == last + 1) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat("stream ", stream, ": event ", sequence,
                                         " does not follow ", last,
                                         " (streams are gap-free); not applied"));
}

Outbox::Outbox(MysqlPool& pool, WorkerPool& workers) : pool_(pool), workers_(workers) {}

Outbox::~Outbox() { Stop(); }

void Outbox::Append(PooledConnection& connection, const v1::Event& event) {
  AppendMany(connection, {event});  // the one-row shape of the same statement
}

void Outbox::AppendMany(PooledConnection& connection, const std::vector<v1::Event>& events) {
  // Multi-row INSERTs in few shapes (ChunkedStatement), so the statement cache stays small.
  static const ChunkedStatement kInsert(InsertText, kChunks);
  kInsert.ForEach(connection, events.size(),
                  [&](sql::PreparedStatement& insert, size_t begin, size_t n) {
                    BindEventRows(insert, events, begin, n, /*first_sequence=*/0);
                    insert.executeUpdate();
                  });
}

void Outbox::AppendManyNumbered(PooledConnection& connection,
                                const std::vector<v1::Event>& events) {
  if (events.empty()) return;
  static const ChunkedStatement kInsert(NumberedInsertText, kChunks);
  const int64_t head = LockHead(connection);
  kInsert.ForEach(connection, events.size(),
                  [&](sql::PreparedStatement& insert, size_t begin, size_t n) {
                    BindEventRows(insert, events, begin, n, head + 1);
                    insert.executeUpdate();
                  });
  SetHead(connection, head + static_cast<int64_t>(events.size()));
}

void Outbox::Start(absl::Duration poll_interval) {
  auto head = SequenceOnce();
  if (!head.ok()) LogWarning("outbox_sequence_failed", {{"code", head.status().ToString()}});
  thread_ = std::thread([this, poll_interval] { Loop(poll_interval); });
}

void Outbox::NotifyCommitted() {
  absl::MutexLock lock(&mu_);
  kick_ = true;
}

void Outbox::Stop() {
  std::map<uint64_t, Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    waiters.swap(waiters_);
  }
  for (auto& [token, waiter] : waiters) workers_.Schedule(std::move(waiter.ready));
  if (thread_.joinable()) thread_.join();
}

bool Outbox::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

int64_t Outbox::head() const {
  absl::MutexLock lock(&mu_);
  return head_;
}

void Outbox::Loop(absl::Duration poll_interval) {
  absl::Time last_run = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return kick_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), poll_interval);
      // Commits that arrive close together are numbered together: a run starts at least
      // kCoalesce after the previous one, so under load one sequencer transaction serves many
      // writes, while a lone write after a quiet spell is numbered at once.
      mu_.AwaitWithDeadline(absl::Condition(&stopping_), last_run + kCoalesce);
      if (stopping_) return;
      kick_ = false;
    }
    last_run = absl::Now();
    auto head = SequenceOnce();
    if (!head.ok()) {
      LogWarning("outbox_sequence_failed",
                 {{"code", absl::StatusCodeToString(head.status().code())}});
    }
  }
}

absl::StatusOr<int64_t> Outbox::SequenceOnce() {
  int64_t head = 0;
  bool more = true;
  while (more) {
    absl::Status status = pool_.InTransaction("sequence outbox", [&](PooledConnection& c) {
      head = LockHead(c);
      // Rows of transactions still open are locked: skip them, they get numbered once committed.
      auto& select = c.Prepare(
          "SELECT id FROM outbox WHERE sequence IS NULL ORDER BY id LIMIT ? "
          "FOR UPDATE SKIP LOCKED");
      select.setInt(1, kSequenceBatch);
      std::unique_ptr<sql::ResultSet> rs_ids(select.executeQuery());
      std::vector<uint64_t> ids;
      while (rs_ids->next()) ids.push_back(rs_ids->getUInt64(1));
      head = NumberRows(c, ids, head);
      const int n = static_cast<int>(ids.size());
      more = n == kSequenceBatch;
      if (n > 0) SetHead(c, head);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    Publish(head);
  }
  return head;
}

void Outbox::Publish(int64_t head) {
  std::vector<std::function<void()>> ready;
  {
    absl::MutexLock lock(&mu_);
    if (head <= head_) return;
    head_ = head;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.after < head_) {
        ready.push_back(std::move(it->second.ready));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& r : ready) workers_.Schedule(std::move(r));
}

uint64_t Outbox::WaitForNewerThan(int64_t after, std::function<void()> ready) {
  absl::MutexLock lock(&mu_);
  const uint64_t token = next_token_++;
  if (head_ > after || stopping_) {
    workers_.Schedule(std::move(ready));
  } else {
    waiters_.emplace(token, Waiter{after, std::move(ready)});
  }
  return token;
}

bool Outbox::CancelWait(uint64_t token) {
  absl::MutexLock lock(&mu_);
  return waiters_.erase(token) > 0;
}

absl::StatusOr<std::vector<v1::Event>> Outbox::ReadAfter(int64_t after, int limit) {
  std::vector<v1::Event> events;
  absl::Status status = pool_.Run("read events", [&](PooledConnection& c) {
    events.clear();
    auto& select = c.Prepare(
        "SELECT sequence, payload FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT ?");
    select.setInt64(1, after);
    select.setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    while (rs->next()) {
      v1::Event& event = events.emplace_back();
      std::string payload(rs->getString(2));
      if (!event.ParseFromString(payload)) {
        return absl::DataLossError(
            absl::StrCat("read events: event ", rs->getInt64(1), " does not parse"));
      }
      event.set_sequence(rs->getInt64(1));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return events;
}

EventStreamReactor::EventStreamReactor(Outbox& outbox, const v1::StreamEventsRequest& request)
    : outbox_(outbox), stop_at_head_(request.stop_at_head()), after_(request.after_sequence()) {
  absl::MutexLock lock(&mu_);
  busy_ = true;
  outbox_.workers().Schedule([this] { Fetch(); });
}

void EventStreamReactor::Fetch() {
  int64_t after;
  {
    absl::ReleasableMutexLock lock(&mu_);
    if (cancelled_) return FinishOnce(lock, grpc::Status::CANCELLED);
    after = after_;
  }
  auto events = outbox_.ReadAfter(after, 256);
  absl::ReleasableMutexLock lock(&mu_);
  busy_ = false;
  if (cancelled_) return FinishOnce(lock, grpc::Status::CANCELLED);
  if (!events.ok()) return FinishOnce(lock, ToGrpcStatus(events.status()));
  if (events->empty()) {
    if (stop_at_head_) return FinishOnce(lock, grpc::Status::OK);
    if (outbox_.stopping()) {
      return FinishOnce(lock, grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
    }
    busy_ = true;  // the wait counts as under way
    wait_token_ = outbox_.WaitForNewerThan(after, [this] {
      {
        absl::MutexLock lock(&mu_);
        wait_token_ = 0;
      }
      Fetch();
    });
    return;
  }
  batch_ = *std::move(events);
  next_ = 0;
  WriteNextOrFetch();
}

void EventStreamReactor::WriteNextOrFetch() {
  if (next_ < batch_.size()) {
    busy_ = true;
    after_ = batch_[next_].sequence();
    StartWrite(&batch_[next_++]);
    return;
  }
  busy_ = true;
  outbox_.workers().Schedule([this] { Fetch(); });
}

void EventStreamReactor::OnWriteDone(bool ok) {
  absl::ReleasableMutexLock lock(&mu_);
  busy_ = false;
  if (!ok || cancelled_) return FinishOnce(lock, grpc::Status::CANCELLED);
  WriteNextOrFetch();
}

void EventStreamReactor::OnCancel() {
  absl::ReleasableMutexLock lock(&mu_);
  cancelled_ = true;
  // Only a pending wait needs ending here; a fetch or write under way ends the call itself.
  if (wait_token_ != 0 && outbox_.CancelWait(wait_token_)) {
    wait_token_ = 0;
    busy_ = false;
    FinishOnce(lock, grpc::Status::CANCELLED);
  }
}

void EventStreamReactor::FinishOnce(absl::ReleasableMutexLock& lock, const grpc::Status& status) {
  const bool first = !finished_;
  finished_ = true;
  lock.Release();
  if (first) Finish(status);
}

namespace {

// A stream that only reports why it was refused.
class RefusedStream : public grpc::ServerWriteReactor<v1::Event> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::Event>* ServeEventStream(const grpc::CallbackServerContext& context,
                                                      Outbox& outbox,
                                                      const v1::StreamEventsRequest& request) {
  auto principal = PrincipalFromContext(context);
  if (!principal.ok()) return new RefusedStream(ToGrpcStatus(principal.status()));
  if (principal->role != Role::kService) {
    return new RefusedStream(
        grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "only services may stream events"));
  }
  if (request.after_sequence() < 0) {
    return new RefusedStream(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "after_sequence: must not be negative"));
  }
  return new EventStreamReactor(outbox, request);
}

}  // namespace inburgering

// The transactional outbox: a service writes each state change and its Event in one transaction
// (Outbox::Append), and serves the events in commit order with StreamEvents (EventStreamReactor).
//
// Why a sequencer: AUTO_INCREMENT ids are handed out at insert time but become visible at commit
// time, so a reader that saw id 100 can later find id 99 appear. Rows are therefore inserted
// unnumbered, and one sequencer at a time (serialised by a lock on outbox_head, so also across
// replicas) numbers the committed ones. A stream reader then never misses an event.
//
// Thread-safe. Events carry no personal identifiers (see events.proto).
#pragma once

#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/migrations.h"
#include "common/mysql_pool.h"
#include "common/worker_pool.h"
#include "inburgering/v1/events.pb.h"

namespace inburgering {

// Migrations of the outbox and consumer_cursors tables; apply them with the service's own.
const std::vector<Migration>& OutboxMigrations();

// OK when `sequence` is the one after `last`: a stream is gap-free (the sequencer above), so any
// other sequence means the reader lost events on the way. ABORTED naming both otherwise. Every
// reader of a stream that keeps a cursor checks each event with it (EventConsumer, the recount).
absl::Status CheckNextSequence(absl::string_view stream, int64_t last, int64_t sequence);

class Outbox {
 public:
  Outbox(MysqlPool& pool, WorkerPool& workers);
  ~Outbox();

  // Adds `event` (sequence and occur_time are set by the outbox) within the caller's open
  // transaction on `connection`. Throws sql::SQLException like any statement.
  static void Append(PooledConnection& connection, const v1::Event& event);
  // The same for many events at once, with multi-row INSERTs (batched writes).
  static void AppendMany(PooledConnection& connection, const std::vector<v1::Event>& events);
  // Like AppendMany, but numbers the events itself under the sequencer's lock on the head, so
  // each row is written once instead of inserted and then numbered (for an import's thousands
  // of rows the second write cost as much as the rest of the import). The lock is held until the
  // caller's transaction ends and the sequencer waits meanwhile: call it last, for big batches.
  static void AppendManyNumbered(PooledConnection& connection,
                                 const std::vector<v1::Event>& events);

  // Starts the sequencer thread. Call NotifyCommitted() after committing an Append so that it runs
  // at once; it also runs every `poll_interval` to pick up rows written by other replicas.
  void Start(absl::Duration poll_interval = absl::Milliseconds(100));
  void NotifyCommitted();
  // Stops the sequencer and wakes every waiting stream, which then ends.
  void Stop();

  // Numbers the committed unnumbered rows now; returns the highest sequence. (The thread calls it;
  // tests call it directly.)
  absl::StatusOr<int64_t> SequenceOnce();

  // Up to `limit` events with sequence > after, in order.
  absl::StatusOr<std::vector<v1::Event>> ReadAfter(int64_t after, int limit);

  // The highest sequence known to this process.
  int64_t head() const;

  // Calls `ready` (on the worker pool) once head() > after, or when stopping. Returns a token for
  // CancelWait; a wait that already fired cannot be cancelled (CancelWait returns false).
  uint64_t WaitForNewerThan(int64_t after, std::function<void()> ready);
  bool CancelWait(uint64_t token);
  bool stopping() const;

  WorkerPool& workers() { return workers_; }

 private:
  struct Waiter {
    int64_t after;
    std::function<void()> ready;
  };
  void Loop(absl::Duration poll_interval);
  void Publish(int64_t head);

  MysqlPool& pool_;
  WorkerPool& workers_;
  mutable absl::Mutex mu_;
  int64_t head_ ABSL_GUARDED_BY(mu_) = 0;
  bool kick_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Serves StreamEvents from an Outbox: replays from after_sequence, then follows live until the
// client cancels or the outbox stops. Deletes itself when done.
class EventStreamReactor : public grpc::ServerWriteReactor<v1::Event> {
 public:
  EventStreamReactor(Outbox& outbox, const v1::StreamEventsRequest& request);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override { delete this; }

 private:
  void Fetch();
  void WriteNextOrFetch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Finishes the call, once. Releases `lock` (on mu_) first: as soon as Finish is called, gRPC
  // may run OnDone, which deletes this, on another thread.
  void FinishOnce(absl::ReleasableMutexLock& lock, const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Outbox& outbox_;
  const bool stop_at_head_;
  absl::Mutex mu_;
  int64_t after_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Event> batch_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // a fetch or a write is under way
  uint64_t wait_token_ ABSL_GUARDED_BY(mu_) = 0;
};

// The StreamEvents handler of every service: only callers with the service role may follow a
// stream (it carries every gemeente's changes); others get PERMISSION_DENIED/UNAUTHENTICATED.
grpc::ServerWriteReactor<v1::Event>* ServeEventStream(const grpc::CallbackServerContext& context,
                                                      Outbox& outbox,
                                                      const v1::StreamEventsRequest& request);

}  // namespace inburgering

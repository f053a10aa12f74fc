// Follows another service's StreamEvents and applies each event exactly once to this service's
// schema: the event's effect and the stream cursor (consumer_cursors) commit in one transaction,
// events at or below the stored cursor are skipped, and an event that is not the stored cursor + 1
// is refused (the streams are gap-free, so it means events were lost on the way). After any failed
// apply, including a COMMIT whose outcome is unknown, it drops what it has queued and reads the
// stream again from the cursor stored in the database. Survives restarts of either side: it
// resumes from the stored cursor with backoff.
//
// Thread-safe. Two threads: one reads the stream into a queue, one applies the queue in batches
// (one transaction per batch, so throughput is not bound by one commit per event).
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/mysql_pool.h"
#include "common/principal.h"
#include "inburgering/v1/events.pb.h"

namespace inburgering {

class EventConsumer {
 public:
  // Applies one event within the consumer's transaction. Must only touch this connection.
  using ApplyFn = std::function<absl::Status(const v1::Event&, PooledConnection&)>;
  // Applies the new events of one batch, in order, within the consumer's transaction: for a
  // consumer that writes the effect of many events together.
  using ApplyBatchFn =
      std::function<absl::Status(const std::vector<v1::Event>&, PooledConnection&)>;

  // Opens the producer's StreamEvents, e.g. with IntakeService::Stub::StreamEvents.
  using OpenFn = std::function<std::unique_ptr<grpc::ClientReaderInterface<v1::Event>>(
      grpc::ClientContext*, const v1::StreamEventsRequest&)>;

  struct Options {
    std::string stream;  // cursor name, e.g. "intake"
    int max_batch = 500;
    absl::Duration max_backoff = absl::Seconds(2);
  };

  // `principal` is attached to the stream call (the producer checks for the service role).
  EventConsumer(Options options, MysqlPool& pool, OpenFn open, Principal principal, ApplyFn apply);
  EventConsumer(Options options, MysqlPool& pool, OpenFn open, Principal principal,
                ApplyBatchFn apply);
  ~EventConsumer();

  void Start();
  void Stop();

  // The last sequence applied, as stored (NOT_FOUND never: a missing cursor is 0).
  absl::StatusOr<int64_t> StoredCursor();
  // Applies events in one transaction, skipping those at or below the stored cursor; ABORTED (and
  // nothing applied) when the first newer one is not the stored cursor + 1 or they are not
  // consecutive. Returns how many took effect. Exposed for tests; the apply thread uses it.
  absl::StatusOr<int> ApplyBatch(const std::vector<v1::Event>& events);
  // Blocks until the stored cursor reaches `sequence` or the timeout passes; true when reached.
  bool WaitForCursor(int64_t sequence, absl::Duration timeout);

 private:
  void ReadLoop();
  void ApplyLoop();
  // Empties the queue and ends the stream call, so that the reader opens it again from the stored
  // cursor; events of the old call are discarded (epoch_).
  void DropQueue();

  const Options options_;
  MysqlPool& pool_;
  OpenFn open_;
  const Principal principal_;
  ApplyBatchFn apply_;

  absl::Mutex mu_;
  std::deque<v1::Event> queue_ ABSL_GUARDED_BY(mu_);
  int64_t applied_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;  // raised by DropQueue
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_call_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread reader_;
  std::thread applier_;
};

}  // namespace inburgering

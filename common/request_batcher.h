// Combines requests that arrive while others are being served into batches, so that concurrent
// callers share one worker hand-off and one database round trip instead of paying each their own.
//
// At most `max_running` batches run at once on the WorkerPool; each takes every queued item, up to
// `max_batch`. A request that arrives alone runs at once in a batch of one: nothing waits for
// company, so batching costs no latency when idle and saves the most when busy (like group commit).
// Thread-safe. The destructor waits for running batches.
//
// InlineRequestBatcher, below, is the variant for short reads: no worker, one batch in the
// database at a time.
#pragma once

#include <algorithm>
#include <functional>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "common/worker_pool.h"

namespace inburgering {
namespace batcher_internal {

// Moves the first min(queued, max_batch) items of `queued` into `batch`, in arrival order.
template <typename Item>
void TakeBatch(std::vector<Item>& queued, int max_batch, std::vector<Item>& batch) {
  const size_t n = std::min(queued.size(), static_cast<size_t>(max_batch));
  batch.assign(std::make_move_iterator(queued.begin()),
               std::make_move_iterator(queued.begin() + n));
  queued.erase(queued.begin(), queued.begin() + n);
}

}  // namespace batcher_internal

template <typename Item>
class RequestBatcher {
 public:
  // Runs on a worker with 1..max_batch items in arrival order; must finish every one of them.
  using RunBatch = std::function<void(std::vector<Item>& batch)>;

  RequestBatcher(WorkerPool& workers, int max_running, int max_batch, RunBatch run)
      : workers_(workers), max_running_(max_running), max_batch_(max_batch), run_(std::move(run)) {}

  ~RequestBatcher() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &running_));
  }

  RequestBatcher(const RequestBatcher&) = delete;
  RequestBatcher& operator=(const RequestBatcher&) = delete;

  void Submit(Item item) {
    {
      absl::MutexLock lock(&mu_);
      queued_.push_back(std::move(item));
      if (running_ >= max_running_) return;  // a running batch takes it when it is done
      ++running_;
    }
    workers_.Schedule([this] { Drain(); });
  }

 private:
  // Runs batches until the queue is empty; the worker stays with the queue while it has work, so
  // a busy batcher hands off between threads once per batch, not once per request.
  void Drain() {
    std::vector<Item> batch;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (queued_.empty()) {
          --running_;
          return;
        }
        batcher_internal::TakeBatch(queued_, max_batch_, batch);
      }
      run_(batch);
      batch.clear();
    }
  }

  WorkerPool& workers_;
  const int max_running_;
  const int max_batch_;
  const RunBatch run_;
  absl::Mutex mu_;
  std::vector<Item> queued_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

// Combines concurrent short reads into batches that run on the thread of the request that finds
// the database free (for a handler: gRPC's callback thread), with at most one batch's database
// work at a time. A batch releases the database once its statement has returned and answers its
// callers after that, while the next batch's statement runs; the reads that arrived meanwhile
// make up that batch.
//
// Why not RequestBatcher: on gRPC 1.51 a read handed to a worker also pays a wake-up of the worker
// and one of gRPC's threads for every reactor the worker finishes. Answered here instead, a read
// costs the service a fifth less CPU, and one statement at a time makes batches larger
// (bench/RESULTS.md, session 7). The cost is a gRPC thread waiting on the database, which gRPC's callback
// API asks handlers not to do; it is bounded: only the holder of the database waits, so at most
// one of gRPC's threads (of at least two) does, for one statement, and the others go on serving.
// Use it only for reads that take no locks and have a bounded statement time.
//
// Thread-safe. Submit returns at once while another thread holds the database (that thread
// takes the item after its batch), else after running batches itself until nothing is queued or
// another thread has taken the database. The destructor waits for running batches.
template <typename Item>
class InlineRequestBatcher {
 public:
  // Runs with 1..max_batch items in arrival order; must finish every one of them, and calls
  // `release_database` once its database work is done (else the database is released when it
  // returns).
  using RunBatch =
      std::function<void(std::vector<Item>& batch, absl::FunctionRef<void()> release_database)>;

  InlineRequestBatcher(int max_batch, RunBatch run) : max_batch_(max_batch), run_(std::move(run)) {}

  ~InlineRequestBatcher() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &running_));
  }

  InlineRequestBatcher(const InlineRequestBatcher&) = delete;
  InlineRequestBatcher& operator=(const InlineRequestBatcher&) = delete;

  void Submit(Item item) {
    std::vector<Item> batch;
    {
      absl::MutexLock lock(&mu_);
      queued_.push_back(std::move(item));
      // The holder of the database, or the batch answering after it, takes it next.
      if (database_busy_) return;
      database_busy_ = true;
      ++running_;
      batcher_internal::TakeBatch(queued_, max_batch_, batch);
    }
    while (true) {
      bool released = false;
      auto release = [this, &released] {
        if (released) return;
        released = true;
        absl::MutexLock lock(&mu_);
        database_busy_ = false;
      };
      run_(batch, release);
      release();
      batch.clear();
      // What arrived while this batch answered, unless another thread has taken the database.
      absl::MutexLock lock(&mu_);
      if (database_busy_ || queued_.empty()) {
        --running_;
        return;
      }
      database_busy_ = true;
      batcher_internal::TakeBatch(queued_, max_batch_, batch);
    }
  }

 private:
  const int max_batch_;
  const RunBatch run_;
  absl::Mutex mu_;
  std::vector<Item> queued_ ABSL_GUARDED_BY(mu_);
  bool database_busy_ ABSL_GUARDED_BY(mu_) = false;
  int running_ ABSL_GUARDED_BY(mu_) = 0;  // threads in Submit's loop
};

}  // namespace inburgering

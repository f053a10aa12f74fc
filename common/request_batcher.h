// Combines requests that arrive while others are being served into batches, so that concurrent
// callers share one worker hand-off and one database round trip instead of paying each their own.
//
// At most `max_running` batches run at once on the WorkerPool; each takes every queued item, up to
// `max_batch`. A request that arrives alone runs at once in a batch of one: nothing waits for
// company, so batching costs no latency when idle and saves the most when busy (like group commit).
// Thread-safe. The destructor waits for running batches.
#pragma once

#include <algorithm>
#include <functional>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/worker_pool.h"

namespace inburgering {

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
        const size_t n = std::min(queued_.size(), static_cast<size_t>(max_batch_));
        batch.assign(std::make_move_iterator(queued_.begin()),
                     std::make_move_iterator(queued_.begin() + n));
        queued_.erase(queued_.begin(), queued_.begin() + n);
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

}  // namespace inburgering

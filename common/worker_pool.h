// A fixed set of threads that run blocking work (database calls) so that gRPC's callback threads
// never block: a handler schedules its work here and finishes its reactor from the worker.
//
// Thread-safe. The destructor runs what is queued, then joins.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace inburgering {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Schedule(std::function<void()> work);
  size_t queued() const;

 private:
  void Loop();

  mutable absl::Mutex mu_;
  absl::CondVar work_or_stop_;  // signalled when work is queued, and when stopping
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace inburgering

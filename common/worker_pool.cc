#include "common/worker_pool.h"

namespace inburgering {

WorkerPool::WorkerPool(int threads) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  work_or_stop_.SignalAll();
  for (auto& t : threads_) t.join();
}

void WorkerPool::Schedule(std::function<void()> work) {
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(work));
  }
  work_or_stop_.Signal();
}

size_t WorkerPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void WorkerPool::Loop() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      // A CondVar, not mu_.Await(Condition): with Await, every unlock of mu_ evaluates the
      // condition of each idle worker (32 in a service) to find one to wake; Signal wakes one.
      while (!stopping_ && queue_.empty()) work_or_stop_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping and drained
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace inburgering

// Unit tests of RequestBatcher: every item runs exactly once, batches respect their bounds, items
// that arrive while a batch runs are combined, and a lone item is not held back.
#include "common/request_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"

namespace inburgering {
namespace {

TEST(RequestBatcher, RunsEveryItemOnceWithinTheBounds) {
  constexpr int kItems = 20000;
  constexpr int kMaxRunning = 2;
  constexpr int kMaxBatch = 8;
  WorkerPool workers(6);
  std::vector<std::atomic<int>> seen(kItems);
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  std::atomic<size_t> largest{0};
  std::atomic<int> batches{0};
  {
    RequestBatcher<int> batcher(workers, kMaxRunning, kMaxBatch, [&](std::vector<int>& batch) {
      const int now = ++running;
      int seen_most = most_running.load();
      while (now > seen_most && !most_running.compare_exchange_weak(seen_most, now)) {
      }
      size_t seen_largest = largest.load();
      while (batch.size() > seen_largest &&
             !largest.compare_exchange_weak(seen_largest, batch.size())) {
      }
      ++batches;
      for (int item : batch) ++seen[item];
      std::this_thread::yield();
      --running;
    });
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t) {
      callers.emplace_back([&, t] {
        for (int i = t; i < kItems; i += 4) batcher.Submit(i);
      });
    }
    for (auto& caller : callers) caller.join();
  }  // the destructor waits for the last batch
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(seen[i].load(), 1) << "item " << i;
  EXPECT_LE(most_running.load(), kMaxRunning);
  EXPECT_LE(largest.load(), static_cast<size_t>(kMaxBatch));
  // Four callers against two running batches: items pile up and share batches.
  EXPECT_LT(batches.load(), kItems);
}

TEST(RequestBatcher, CombinesWhatArrivesWhileABatchRuns) {
  WorkerPool workers(2);
  absl::Notification first_started;
  absl::Notification release_first;
  std::vector<std::vector<int>> batches;
  absl::Mutex mu;
  {
    RequestBatcher<int> batcher(workers, /*max_running=*/1, /*max_batch=*/3,
                                [&](std::vector<int>& batch) {
                                  {
                                    absl::MutexLock lock(&mu);
                                    batches.push_back(batch);
                                  }
                                  if (batch.front() == 0) {
                                    first_started.Notify();
                                    release_first.WaitForNotification();
                                  }
                                });
    batcher.Submit(0);  // alone: runs at once, in a batch of one
    first_started.WaitForNotification();
    for (int i = 1; i <= 5; ++i) batcher.Submit(i);  // queue behind the running batch
    release_first.Notify();
  }
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], std::vector<int>({0}));
  EXPECT_EQ(batches[1], std::vector<int>({1, 2, 3}));  // in arrival order, at most max_batch
  EXPECT_EQ(batches[2], std::vector<int>({4, 5}));
}

}  // namespace
}  // namespace inburgering

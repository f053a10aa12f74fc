// Unit tests of RequestBatcher and InlineRequestBatcher: every item runs exactly once, batches
// respect their bounds, items that arrive while a batch runs are combined, and a lone item is not
// held back; the inline one runs on the submitting thread with one batch in the database at a
// time, and lets the next statement run while a batch answers.
#include "common/request_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"

namespace inburgering {
namespace {

// Raises `most` to `now` if it is lower.
void RecordMost(std::atomic<int>& most, int now) {
  int seen = most.load();
  while (now > seen && !most.compare_exchange_weak(seen, now)) {
  }
}

// Submits items 0..items-1 from four threads at once and waits for the four.
template <typename Batcher>
void SubmitFromFourThreads(Batcher& batcher, int items) {
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&batcher, items, t] {
      for (int i = t; i < items; i += 4) batcher.Submit(i);
    });
  }
  for (auto& caller : callers) caller.join();
}

TEST(RequestBatcher, RunsEveryItemOnceWithinTheBounds) {
  constexpr int kItems = 20000;
  constexpr int kMaxRunning = 2;
  constexpr int kMaxBatch = 8;
  WorkerPool workers(6);
  std::vector<std::atomic<int>> seen(kItems);
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  std::atomic<int> largest{0};
  std::atomic<int> batches{0};
  {
    RequestBatcher<int> batcher(workers, kMaxRunning, kMaxBatch, [&](std::vector<int>& batch) {
      RecordMost(most_running, ++running);
      RecordMost(largest, static_cast<int>(batch.size()));
      ++batches;
      for (int item : batch) ++seen[item];
      std::this_thread::yield();
      --running;
    });
    SubmitFromFourThreads(batcher, kItems);
  }  // the destructor waits for the last batch
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(seen[i].load(), 1) << "item " << i;
  EXPECT_LE(most_running.load(), kMaxRunning);
  EXPECT_LE(largest.load(), kMaxBatch);
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

TEST(InlineRequestBatcher, RunsEveryItemOnceWithOneBatchInTheDatabaseAtATime) {
  constexpr int kItems = 20000;
  constexpr int kMaxBatch = 8;
  std::vector<std::atomic<int>> seen(kItems);
  std::atomic<int> in_database{0};
  std::atomic<int> most_in_database{0};
  std::atomic<int> largest{0};
  std::atomic<int> batches{0};
  {
    InlineRequestBatcher<int> batcher(
        kMaxBatch, [&](std::vector<int>& batch, absl::FunctionRef<void()> release_database) {
          RecordMost(most_in_database, ++in_database);
          RecordMost(largest, static_cast<int>(batch.size()));
          std::this_thread::yield();
          --in_database;
          release_database();
          ++batches;
          for (int item : batch) ++seen[item];
        });
    SubmitFromFourThreads(batcher, kItems);
  }
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(seen[i].load(), 1) << "item " << i;
  EXPECT_EQ(most_in_database.load(), 1);
  EXPECT_LE(largest.load(), kMaxBatch);
  EXPECT_LT(batches.load(), kItems);  // four callers, one statement at a time: items share
}

TEST(InlineRequestBatcher, ALoneItemRunsAtOnceOnTheSubmittingThread) {
  std::vector<std::thread::id> ran_on;
  // This one never releases the database itself: the batcher does when it returns.
  InlineRequestBatcher<int> batcher(4, [&](std::vector<int>& batch, absl::FunctionRef<void()>) {
    ASSERT_EQ(batch.size(), 1u);
    ran_on.push_back(std::this_thread::get_id());
  });
  batcher.Submit(1);
  ASSERT_EQ(ran_on.size(), 1u);  // done when Submit returns
  batcher.Submit(2);             // the database was released after the first batch
  ASSERT_EQ(ran_on.size(), 2u);
  EXPECT_EQ(ran_on[0], std::this_thread::get_id());
  EXPECT_EQ(ran_on[1], std::this_thread::get_id());
}

TEST(InlineRequestBatcher, CombinesWhatArrivesWhileTheDatabaseIsBusy) {
  absl::Notification first_in_database;
  absl::Notification let_first_finish;
  absl::Mutex mu;
  std::vector<std::vector<int>> batches;
  std::vector<std::thread::id> ran_on;
  InlineRequestBatcher<int> batcher(
      3, [&](std::vector<int>& batch, absl::FunctionRef<void()> release_database) {
        {
          absl::MutexLock lock(&mu);
          batches.push_back(batch);
          ran_on.push_back(std::this_thread::get_id());
        }
        if (batch.front() == 0) {
          first_in_database.Notify();
          let_first_finish.WaitForNotification();
        }
        release_database();
      });
  std::thread holder([&] { batcher.Submit(0); });
  first_in_database.WaitForNotification();
  // The database is busy: these queue and return at once, without running anything here.
  for (int i = 1; i <= 5; ++i) batcher.Submit(i);
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(batches.size(), 1u);
  }
  const std::thread::id holder_id = holder.get_id();
  let_first_finish.Notify();
  holder.join();  // the holder takes what queued behind it before it returns
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], std::vector<int>({0}));
  EXPECT_EQ(batches[1], std::vector<int>({1, 2, 3}));  // in arrival order, at most max_batch
  EXPECT_EQ(batches[2], std::vector<int>({4, 5}));
  for (const std::thread::id& id : ran_on) EXPECT_EQ(id, holder_id);
}

TEST(InlineRequestBatcher, TheNextStatementRunsWhileABatchAnswers) {
  absl::Notification first_answering;
  absl::Notification let_first_answer;
  std::atomic<bool> second_done{false};
  InlineRequestBatcher<int> batcher(
      4, [&](std::vector<int>& batch, absl::FunctionRef<void()> release_database) {
        release_database();
        if (batch.front() == 0) {
          first_answering.Notify();
          let_first_answer.WaitForNotification();  // answering, the database already released
        } else {
          second_done = true;
        }
      });
  std::thread first([&] { batcher.Submit(0); });
  first_answering.WaitForNotification();
  batcher.Submit(1);  // the database is free: runs here, not behind the answering batch
  EXPECT_TRUE(second_done.load());
  let_first_answer.Notify();
  first.join();
}

}  // namespace
}  // namespace inburgering

// One load run of bench/loadgen: channels x inflight call slots that issue unary calls of any
// method through grpc::GenericStub with the callback API, so no thread ever blocks on a call.
//
// Closed loop: a slot sends its next call as soon as the previous one completes; latency runs
// from send to completion. Open loop (rate > 0): call k is due at start + k/rate whatever the
// server does. A pacer thread hands each due call to an idle slot, or queues it when every slot
// is busy, and latency runs from the *due* time: a server stall shows in the percentiles instead
// of silently slowing the sender (no coordinated omission).
//
// Calls due during the warm-up are sent but not counted. Run() blocks and may be called once;
// completion callbacks run on gRPC's threads and touch only their own slot, except for the
// open-loop hand-over of slots, which takes one mutex.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bench/loadgen_stats.h"
#include "bench/request_template.h"

namespace inburgering::bench {

struct LoadOptions {
  std::string method;  // "/package.Service/Method"
  int inflight = 16;   // concurrent calls per channel
  // Measured calls to make; 0 = run for `duration` instead.
  uint64_t requests = 0;
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  std::chrono::nanoseconds warmup = std::chrono::seconds(2);
  double rate = 0;  // calls/s over all channels; 0 = closed loop
  std::chrono::nanoseconds deadline = std::chrono::seconds(5);
  uint64_t first_index = 0;  // the {{i}} of the first call
  std::vector<std::pair<std::string, std::string>> metadata;
};

// What both clients (LoadRun here, H2LoadRun) decide the same way: which calls a run makes and
// which it counts (the warm-up, the end by time or by count of measured calls), and the report's
// header. Admit is thread-safe.
class RunPlan {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RunPlan(const LoadOptions& options) : options_(options) {}
  // Starts the clock: the warm-up, then the duration (unless the run counts requests).
  void Begin(Clock::time_point start);
  // For a call due at `due`: nullopt when the run makes no more calls, else whether it is measured.
  std::optional<bool> Admit(Clock::time_point due);
  // The report of a run over `channels` with these measured calls (client CPU, target, the open
  // loop's send lag and late sends are the caller's).
  RunReport Report(int channels, const MeasuredCalls& measured) const;

  Clock::time_point start() const { return start_; }

 private:
  const LoadOptions& options_;
  Clock::time_point start_;
  Clock::time_point warmup_end_;
  Clock::time_point end_;  // no call is made at or after this (duration mode)
  std::atomic<uint64_t> measured_calls_{0};
};

class LoadRun {
 public:
  // `channels` should be connected already (connection set-up is not what a run measures).
  // `requests` must outlive the run.
  LoadRun(LoadOptions options, const RequestTemplate& requests,
          const std::vector<std::shared_ptr<grpc::Channel>>& channels);

  // Runs to the end and returns the merged figures (target and client CPU are left to the caller).
  RunReport Run();

 private:
  using Clock = std::chrono::steady_clock;

  struct Call {
    uint64_t index;  // {{i}}
    Clock::time_point due;
    bool measured;
  };

  // One call in flight at a time; what it records is its own until Run() merges.
  struct Slot {
    grpc::GenericStub* stub = nullptr;
    std::unique_ptr<grpc::ClientContext> context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
    bool measured = false;
    Clock::time_point latency_from;  // due time (open loop) or send time (closed loop)
    MeasuredCalls calls;
    LatencyHistogram send_lag;
  };

  // Call number `n`, due at `due`; nullopt once the run has made all its calls.
  std::optional<Call> MakeCall(uint64_t n, Clock::time_point due);
  void Send(Slot& slot, const Call& call);
  void OnDone(Slot& slot, const grpc::Status& status);
  void NextClosedLoop(Slot& slot);
  void NextOpenLoop(Slot& slot);
  void Pace();  // the open-loop pacer thread
  void Retire();

  const LoadOptions options_;
  const RequestTemplate& requests_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::vector<std::unique_ptr<Slot>> slots_;

  RunPlan plan_{options_};
  std::atomic<uint64_t> next_call_{0};
  std::atomic<size_t> active_slots_{0};
  absl::Notification done_;

  // Open loop only: slots waiting for a due call, and due calls waiting for a slot.
  absl::Mutex mu_;
  std::vector<Slot*> idle_ ABSL_GUARDED_BY(mu_);
  std::deque<Call> queued_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_measured_ ABSL_GUARDED_BY(mu_) = 0;
  bool pacing_done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace inburgering::bench

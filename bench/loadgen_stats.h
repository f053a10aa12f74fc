// What bench/loadgen measures and how it prints it: a log-bucketed latency histogram, call counts
// per gRPC status code, and the report of a run (human block and one-line JSON).
//
// Not thread-safe: in loadgen every call slot owns one histogram and one StatusCounts and the run
// merges them at the end, so recording a call takes no lock and shares no cache line.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/status.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace inburgering::bench {

// HDR-style histogram of durations in nanoseconds. Values below 2^kSubBucketBits are kept exactly;
// above that every power of two is split into 2^kSubBucketBits equal buckets, so a reported value
// is never below the true sample and at most 2^-kSubBucketBits (0.8%) above it, in constant memory
// whatever the number of samples: about 35 KB, allocated by the first Record (loadgen keeps one
// per call slot, and many stay unused).
class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  // Samples of 2^kMaxBits ns (about 18 minutes) or more share the last bucket; max() stays exact.
  static constexpr int kMaxBits = 40;
  static constexpr size_t kBucketCount = size_t{kMaxBits - kSubBucketBits + 1} << kSubBucketBits;

  void Record(uint64_t nanos);
  // An elapsed time; a negative one (clocks read on different threads) counts as 0.
  void Record(std::chrono::steady_clock::duration elapsed) {
    Record(static_cast<uint64_t>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count())));
  }
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // min() and max() are exact; both are 0 when the histogram is empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }

  // Nearest-rank quantile, `q` in [0, 1]: the upper bound of the bucket that holds the
  // ceil(q * count())-th smallest sample, clamped to [min(), max()]. 0 when empty. Rounding up
  // keeps the error on the pessimistic side, as HdrHistogram does.
  uint64_t ValueAtQuantile(double q) const;

  // The bucket `nanos` falls in, and the largest value that falls in bucket `index`.
  static size_t BucketIndex(uint64_t nanos);
  static uint64_t BucketUpperBound(size_t index);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
  double sum_ = 0;  // double: a uint64 sum of nanoseconds overflows after ~585 call-years
};

// Calls per gRPC status code, with the first error message seen for each code so that a report
// can say *why* calls failed. A code outside 0..16 (a misbehaving server) counts as UNKNOWN.
class StatusCounts {
 public:
  static constexpr int kCodes = 17;  // OK .. UNAUTHENTICATED

  void Add(const grpc::Status& status);
  void Merge(const StatusCounts& other);

  uint64_t count(grpc::StatusCode code) const;
  uint64_t ok() const { return counts_[0]; }
  uint64_t total() const;
  uint64_t failed() const { return total() - ok(); }
  // The first message recorded for `code`; empty if none (or the server sent none).
  const std::string& sample_message(grpc::StatusCode code) const;

 private:
  static size_t Slot(grpc::StatusCode code);
  std::array<uint64_t, kCodes> counts_{};
  std::array<std::string, kCodes> samples_;
};

// "OK", "DEADLINE_EXCEEDED", ...: the canonical names, as grpc-status documents them.
absl::string_view StatusCodeName(grpc::StatusCode code);

// User plus system CPU seconds this process has used so far: a run's RunReport::client_cpu_cores
// is the difference over its wall time.
double ProcessCpuSeconds();

// `count` channels to `target`, each its own HTTP/2 connection (a local subchannel pool; else
// channels with equal arguments share one), with retries off (one attempt per call: a retried
// call would count once, with its last attempt's status) and no receive limit, all connected
// before `deadline`; UNAVAILABLE naming the target otherwise.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectChannels(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    int count, std::chrono::system_clock::time_point deadline);

// Everything a run reports. Latency covers OK calls only: a call that fails fast would otherwise
// make a failing server look quick.
// What measured calls recorded (one slot's, one writer's, or a whole run's once merged).
struct MeasuredCalls {
  using Time = std::chrono::steady_clock::time_point;

  LatencyHistogram latency;
  StatusCounts statuses;
  Time first = Time::max();  // the earliest `from`
  Time last = Time::min();   // the latest completion

  // A call whose latency runs from `from` (its send, or its due time) and that completed `now`;
  // only OK calls count towards the latency.
  void Record(const grpc::Status& status, Time from, Time now);
  void Merge(const MeasuredCalls& other);
};

struct RunReport {
  std::string target;
  std::string method;
  int channels = 0;
  int inflight = 0;
  double target_rate = 0;  // calls/s for open loop; 0 = closed loop
  double warmup_seconds = 0;
  double measured_seconds = 0;  // first measured send to last measured completion
  uint64_t late_sends = 0;      // open loop: calls that had to wait for a free slot
  double client_cpu_cores =
      0;  // user+sys CPU of loadgen / wall time: is the client the bottleneck?
  std::string client = "grpc";  // which client made the calls: grpc (grpc++) or h2 (H2LoadRun)
  LatencyHistogram latency;
  LatencyHistogram send_lag;  // open loop: how far behind schedule calls went out
  StatusCounts statuses;

  double ok_per_second() const;
  double calls_per_second() const;
};

// A block of a few aligned lines for people.
std::string FormatHuman(const RunReport& report);
// One line of JSON for scripts; latencies in microseconds, status counts keyed by code name
// (only codes that occurred).
std::string FormatJson(const RunReport& report);

}  // namespace inburgering::bench

// Updates of existing statushouders, each sent with the version the previous answer for that
// record returned, open loop (--rate) or closed loop: the writer of bench/versioned_updates (the
// soak's steady working set) and of bench/event_lag (the reporting lag under updates).
//
// A record is updated by one call at a time: in the open loop a record whose previous call has not
// answered when its turn comes is skipped (counted), so no call goes out with a version known to
// be stale. A record whose call failed (the version may or may not have moved: a deadline can
// expire after the commit) is read with GetStatushouder before its next update; these reads are
// counted, and the update's latency includes them. Thread-safe; Run* once per object.
#pragma once

#include <grpcpp/channel.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/loadgen_stats.h"
#include "inburgering/v1/intake.grpc.pb.h"

namespace inburgering::bench {

class VersionedUpdater {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Kind {
    // RecordBredeIntake and UpdateStatushouder in turn, values cycling: both replace values, so a
    // record does not grow however often it is updated.
    kProfile,
    // RecordLanguageLevel: appends a measurement per call (and an event reporting counts).
    kLanguageLevel,
  };

  struct Record {
    std::string gemeente;  // for principal metadata; unused with a bearer token
    std::string id;
    std::atomic<int64_t> version{1};  // a fresh registration is version 1
    std::atomic<bool> busy{false};
    // Only touched by the one call that holds `busy`.
    bool stale = false;
    uint64_t updates = 0;
  };

  struct Options {
    Kind kind = Kind::kProfile;
    std::string bearer;   // "authorization: Bearer <token>"; empty: principal metadata instead
    std::string subject;  // the principal's subject (metadata) when there is no bearer token
    std::chrono::milliseconds deadline{5000};
  };

  // `records` must outlive the updater; their versions are kept current in place.
  VersionedUpdater(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                   std::vector<Record>& records, Options options);

  // Open loop: update k is due at start + k / rate; a busy record's turn is skipped.
  void RunOpen(double rate, Clock::time_point start, Clock::time_point measure_from,
               Clock::time_point end);
  // Closed loop: `inflight` calls at a time, each followed at once by the next free record's.
  void RunClosed(int inflight, Clock::time_point measure_from, Clock::time_point end);

  // The run's figures (its rate, or its calls in flight); updates started before measure_from
  // are not counted.
  RunReport Report(const std::string& target);
  uint64_t skipped_busy() const { return skipped_busy_; }
  uint64_t resyncs() const { return resyncs_; }

 private:
  struct Call;

  void Begin(Clock::time_point measure_from, Clock::time_point end);
  void WaitIdle();
  void Next();
  std::unique_ptr<Call> NewCall(Record& r, Clock::time_point due, uint64_t n);
  void Start(Record& r, Clock::time_point due, uint64_t n, bool closed_loop);
  void Update(Record& r, Clock::time_point due, uint64_t n, bool closed_loop);
  void Done(Call& c, const grpc::Status& status, bool closed_loop);

  std::vector<Record>& records_;
  std::vector<std::unique_ptr<v1::IntakeService::Stub>> stubs_;
  const Options options_;
  const std::string authorization_;  // "Bearer <token>", or empty
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> skipped_busy_{0};
  std::atomic<uint64_t> resyncs_{0};
  std::mutex mu_;
  MeasuredCalls measured_;  // latency from each update's due time
  Clock::time_point measure_from_;
  Clock::time_point end_;
  double rate_ = 0;   // RunOpen's
  int inflight_ = 0;  // RunClosed's
};

}  // namespace inburgering::bench

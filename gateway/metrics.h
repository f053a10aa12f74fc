// Request counters and latency histograms per RPC and status code, rendered in the Prometheus
// text format for /metrics. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace inburgering::gateway {

class Metrics {
 public:
  // `method` is the full RPC name, `code` the status code name ("OK", "NOT_FOUND", ...),
  // `transport` "grpc" or "http".
  void Record(const std::string& method, const std::string& code, const std::string& transport,
              absl::Duration latency);

  std::string RenderPrometheus() const;

 private:
  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  struct Series {
    uint64_t count = 0;
    double sum_seconds = 0;
    std::array<uint64_t, kBounds.size()> buckets{};
  };
  struct Key {
    std::string method, code, transport;
    bool operator<(const Key& o) const {
      return std::tie(method, code, transport) < std::tie(o.method, o.code, o.transport);
    }
  };
  mutable absl::Mutex mu_;
  absl::btree_map<Key, Series> series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inburgering::gateway

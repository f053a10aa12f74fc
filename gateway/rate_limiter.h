// Per-principal token buckets: each principal may make `requests_per_second` calls on average and
// `burst` at once. A refused call gets RESOURCE_EXHAUSTED (not UNAVAILABLE, which clients retry
// at once) with the time after which one call is allowed again.
//
// Thread-safe. The clock is injected so tests need no sleeps.
#pragma once

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "inburgering/config/v1/config.pb.h"

namespace inburgering::gateway {

class RateLimiter {
 public:
  using Clock = std::function<absl::Time()>;
  // requests_per_second <= 0 means unlimited. burst defaults to max(1, requests_per_second).
  explicit RateLimiter(const config::v1::RateLimit& limit, Clock clock = absl::Now);

  // Takes one token from `key`'s bucket. On refusal returns RESOURCE_EXHAUSTED and sets
  // `*retry_after` (when not null) to the wait until a token is available.
  absl::Status Acquire(const std::string& key, absl::Duration* retry_after = nullptr);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  const double rate_;
  const double burst_;
  const Clock clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inburgering::gateway

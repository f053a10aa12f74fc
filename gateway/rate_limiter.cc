#include "gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace inburgering::gateway {

RateLimiter::RateLimiter(const config::v1::RateLimit& limit, Clock clock)
    : rate_(limit.requests_per_second()),
      burst_(limit.burst() > 0 ? limit.burst() : std::max(1.0, limit.requests_per_second())),
      clock_(std::move(clock)) {}

absl::Status RateLimiter::Acquire(const std::string& key, absl::Duration* retry_after) {
  if (rate_ <= 0) return absl::OkStatus();
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!inserted && now > bucket.updated) {
    bucket.tokens =
        std::min(burst_, bucket.tokens + absl::ToDoubleSeconds(now - bucket.updated) * rate_);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return absl::OkStatus();
  }
  const double wait_seconds = (1.0 - bucket.tokens) / rate_;
  const absl::Duration wait = absl::Milliseconds(std::ceil(wait_seconds * 1000.0));
  if (retry_after != nullptr) *retry_after = wait;
  return absl::ResourceExhaustedError(
      absl::StrFormat("rate limit of %.0f requests per second exceeded; retry after %d ms", rate_,
                      absl::ToInt64Milliseconds(wait)));
}

}  // namespace inburgering::gateway

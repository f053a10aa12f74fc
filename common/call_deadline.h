// The deadline of the RPC the current thread works for, so that code below the RPC layer (the
// database pool) can stop waiting once the caller has given up, without every store method taking
// a deadline parameter.
//
// Thread-local: a scope set on a worker thread applies to that thread only. ServeBlocking opens
// one around each call's work; outside any scope there is no deadline (InfiniteFuture).
#pragma once

#include <chrono>

#include "absl/time/time.h"

namespace inburgering {

class CallDeadlineScope {
 public:
  explicit CallDeadlineScope(absl::Time deadline);
  // From a gRPC deadline; system_clock::time_point::max() (no deadline) is InfiniteFuture.
  explicit CallDeadlineScope(std::chrono::system_clock::time_point deadline);
  ~CallDeadlineScope();
  CallDeadlineScope(const CallDeadlineScope&) = delete;
  CallDeadlineScope& operator=(const CallDeadlineScope&) = delete;

  // The innermost scope's deadline on this thread, or InfiniteFuture.
  static absl::Time Current();

 private:
  absl::Time previous_;
};

}  // namespace inburgering

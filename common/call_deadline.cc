#include "common/call_deadline.h"

namespace inburgering {
namespace {

thread_local absl::Time current_deadline = absl::InfiniteFuture();

absl::Time FromGrpcDeadline(std::chrono::system_clock::time_point deadline) {
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

CallDeadlineScope::CallDeadlineScope(absl::Time deadline) : previous_(current_deadline) {
  current_deadline = deadline;
}

CallDeadlineScope::CallDeadlineScope(std::chrono::system_clock::time_point deadline)
    : CallDeadlineScope(FromGrpcDeadline(deadline)) {}

CallDeadlineScope::~CallDeadlineScope() { current_deadline = previous_; }

absl::Time CallDeadlineScope::Current() { return current_deadline; }

}  // namespace inburgering

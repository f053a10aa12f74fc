#include "bench/load_run.h"

#include <sys/prctl.h>

#include <algorithm>
#include <thread>

namespace inburgering::bench {

void RunPlan::Begin(Clock::time_point start) {
  start_ = start;
  warmup_end_ = start + options_.warmup;
  end_ = options_.requests > 0 ? Clock::time_point::max() : warmup_end_ + options_.duration;
}

std::optional<bool> RunPlan::Admit(Clock::time_point due) {
  if (due >= end_) return std::nullopt;
  const bool measured = due >= warmup_end_;
  if (measured && options_.requests > 0 &&
      measured_calls_.fetch_add(1, std::memory_order_relaxed) >= options_.requests) {
    return std::nullopt;
  }
  return measured;
}

RunReport RunPlan::Report(int channels, const MeasuredCalls& measured) const {
  RunReport report;
  report.method = options_.method;
  report.channels = channels;
  report.inflight = options_.inflight;
  report.target_rate = options_.rate;
  report.warmup_seconds = std::chrono::duration<double>(options_.warmup).count();
  if (measured.first < measured.last) {
    report.measured_seconds = std::chrono::duration<double>(measured.last - measured.first).count();
  }
  report.latency = measured.latency;
  report.statuses = measured.statuses;
  return report;
}

LoadRun::LoadRun(LoadOptions options, const RequestTemplate& requests,
                 const std::vector<std::shared_ptr<grpc::Channel>>& channels)
    : options_(std::move(options)), requests_(requests) {
  for (const auto& channel : channels) {
    stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
    for (int i = 0; i < options_.inflight; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->stub = stubs_.back().get();
      slots_.push_back(std::move(slot));
    }
  }
}

RunReport LoadRun::Run() {
  plan_.Begin(Clock::now());
  active_slots_ = slots_.size();
  std::thread pacer;
  if (options_.rate > 0) {
    {
      absl::MutexLock lock(&mu_);
      for (auto& slot : slots_) idle_.push_back(slot.get());
    }
    pacer = std::thread([this] { Pace(); });
  } else {
    for (auto& slot : slots_) NextClosedLoop(*slot);
  }
  done_.WaitForNotification();
  if (pacer.joinable()) pacer.join();

  MeasuredCalls measured;
  for (const auto& slot : slots_) measured.Merge(slot->calls);
  RunReport report = plan_.Report(static_cast<int>(stubs_.size()), measured);
  for (const auto& slot : slots_) report.send_lag.Merge(slot->send_lag);
  absl::MutexLock lock(&mu_);
  report.late_sends = queued_measured_;
  return report;
}

std::optional<LoadRun::Call> LoadRun::MakeCall(uint64_t n, Clock::time_point due) {
  const std::optional<bool> measured = plan_.Admit(due);
  if (!measured) return std::nullopt;
  return Call{options_.first_index + n, due, *measured};
}

void LoadRun::NextClosedLoop(Slot& slot) {
  const std::optional<Call> call =
      MakeCall(next_call_.fetch_add(1, std::memory_order_relaxed), Clock::now());
  if (!call) return Retire();
  Send(slot, *call);
}

void LoadRun::Pace() {
  // The default 50 us timer slack would be most of an echo call; ask the kernel for precision.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  const double nanos_per_call = 1e9 / options_.rate;
  for (uint64_t n = 0;; ++n) {
    const Clock::time_point due =
        plan_.start() +
        std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(n) * nanos_per_call));
    const std::optional<Call> call = MakeCall(n, due);
    if (!call) break;
    // Behind schedule (e.g. after a preemption) the loop sends without sleeping until caught up.
    std::this_thread::sleep_until(due);
    Slot* slot = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (idle_.empty()) {
        queued_.push_back(*call);
        if (call->measured) ++queued_measured_;
        continue;
      }
      slot = idle_.back();
      idle_.pop_back();
    }
    Send(*slot, *call);
  }
  std::vector<Slot*> idle;
  {
    absl::MutexLock lock(&mu_);
    pacing_done_ = true;
    idle.swap(idle_);
  }
  for (size_t i = 0; i < idle.size(); ++i) Retire();
}

void LoadRun::NextOpenLoop(Slot& slot) {
  std::optional<Call> call;
  {
    absl::MutexLock lock(&mu_);
    if (!queued_.empty()) {
      call = queued_.front();
      queued_.pop_front();
    } else if (!pacing_done_) {
      idle_.push_back(&slot);
      return;
    }
  }
  if (!call) return Retire();
  Send(slot, *call);
}

void LoadRun::Send(Slot& slot, const Call& call) {
  const Clock::time_point now = Clock::now();
  const bool open_loop = options_.rate > 0;
  slot.measured = call.measured;
  slot.latency_from = open_loop ? call.due : now;
  if (slot.measured && open_loop) slot.send_lag.Record(now - call.due);

  if (absl::Status s = requests_.Fill(call.index, &slot.request); !s.ok()) {
    // Not a server outcome, but a call that did not succeed: count it, never drop it. The slot
    // stops, since its next request would most likely fail the same way.
    if (slot.measured) {
      slot.calls.Record(
          grpc::Status(grpc::StatusCode::INTERNAL,
                       "loadgen could not build the request: " + std::string(s.message())),
          slot.latency_from, Clock::now());
    }
    return Retire();
  }
  slot.context = std::make_unique<grpc::ClientContext>();
  slot.context->set_deadline(std::chrono::system_clock::now() + options_.deadline);
  for (const auto& [key, value] : options_.metadata) slot.context->AddMetadata(key, value);
  slot.response.Clear();
  slot.stub->UnaryCall(slot.context.get(), options_.method, grpc::StubOptions(), &slot.request,
                       &slot.response,
                       [this, &slot](grpc::Status status) { OnDone(slot, status); });
}

void LoadRun::OnDone(Slot& slot, const grpc::Status& status) {
  if (slot.measured) slot.calls.Record(status, slot.latency_from, Clock::now());
  if (options_.rate > 0) {
    NextOpenLoop(slot);
  } else {
    NextClosedLoop(slot);
  }
}

void LoadRun::Retire() {
  if (active_slots_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_.Notify();
}

}  // namespace inburgering::bench

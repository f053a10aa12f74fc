#include "bench/loadgen_stats.h"

#include <grpcpp/create_channel.h>
#include <sys/resource.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace inburgering::bench {
namespace {

constexpr uint64_t kSubBuckets = uint64_t{1} << LatencyHistogram::kSubBucketBits;

// Durations read best in the unit that keeps 2-3 significant digits.
std::string FormatNanos(uint64_t nanos) {
  if (nanos < 10'000) return absl::StrFormat("%.2fus", nanos / 1e3);
  if (nanos < 1'000'000) return absl::StrFormat("%.0fus", nanos / 1e3);
  if (nanos < 1'000'000'000) return absl::StrFormat("%.2fms", nanos / 1e6);
  return absl::StrFormat("%.2fs", nanos / 1e9);
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

double Micros(uint64_t nanos) { return static_cast<double>(nanos) / 1e3; }

}  // namespace

size_t LatencyHistogram::BucketIndex(uint64_t nanos) {
  if (nanos < kSubBuckets) return static_cast<size_t>(nanos);
  const int msb = std::bit_width(nanos) - 1;  // >= kSubBucketBits
  if (msb >= kMaxBits) return kBucketCount - 1;
  // Group g >= 1 covers [2^msb, 2^(msb+1)) in kSubBuckets buckets of width 2^(g-1); the top
  // kSubBucketBits+1 bits of the value select the bucket within the group.
  const int group = msb - kSubBucketBits + 1;
  const uint64_t sub = (nanos >> (group - 1)) - kSubBuckets;
  return (static_cast<size_t>(group) << kSubBucketBits) + static_cast<size_t>(sub);
}

uint64_t LatencyHistogram::BucketUpperBound(size_t index) {
  const size_t group = index >> kSubBucketBits;
  const uint64_t sub = index & (kSubBuckets - 1);
  if (group == 0) return sub;
  if (index == kBucketCount - 1) return std::numeric_limits<uint64_t>::max();
  const uint64_t lower = (kSubBuckets + sub) << (group - 1);
  return lower + (uint64_t{1} << (group - 1)) - 1;
}

void LatencyHistogram::Record(uint64_t nanos) {
  if (counts_.empty()) counts_.assign(kBucketCount, 0);
  ++counts_[BucketIndex(nanos)];
  ++count_;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
  sum_ += static_cast<double>(nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  if (counts_.empty()) counts_.assign(kBucketCount, 0);
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

uint64_t LatencyHistogram::ValueAtQuantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank, 1-based; at least 1 so that q = 0 means the smallest sample.
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(BucketUpperBound(i), min(), max_);
  }
  return max_;
}

size_t StatusCounts::Slot(grpc::StatusCode code) {
  const int value = static_cast<int>(code);
  return value >= 0 && value < kCodes ? static_cast<size_t>(value)
                                      : static_cast<size_t>(grpc::StatusCode::UNKNOWN);
}

void StatusCounts::Add(const grpc::Status& status) {
  const size_t slot = Slot(status.error_code());
  ++counts_[slot];
  if (counts_[slot] == 1 && !status.ok()) samples_[slot] = status.error_message();
}

void StatusCounts::Merge(const StatusCounts& other) {
  for (size_t i = 0; i < kCodes; ++i) {
    counts_[i] += other.counts_[i];
    if (samples_[i].empty()) samples_[i] = other.samples_[i];
  }
}

uint64_t StatusCounts::count(grpc::StatusCode code) const { return counts_[Slot(code)]; }

uint64_t StatusCounts::total() const {
  uint64_t sum = 0;
  for (uint64_t c : counts_) sum += c;
  return sum;
}

const std::string& StatusCounts::sample_message(grpc::StatusCode code) const {
  return samples_[Slot(code)];
}

absl::string_view StatusCodeName(grpc::StatusCode code) {
  static constexpr absl::string_view kNames[StatusCounts::kCodes] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  const int value = static_cast<int>(code);
  return value >= 0 && value < StatusCounts::kCodes ? kNames[value] : "UNKNOWN";
}

double RunReport::ok_per_second() const {
  return measured_seconds > 0 ? static_cast<double>(statuses.ok()) / measured_seconds : 0;
}

double RunReport::calls_per_second() const {
  return measured_seconds > 0 ? static_cast<double>(statuses.total()) / measured_seconds : 0;
}

std::string FormatHuman(const RunReport& r) {
  std::string out = absl::StrCat("method    ", r.method, " at ", r.target, "\n");
  const bool open = r.target_rate > 0;
  absl::StrAppendFormat(&out, "mode      %s, %d channels x %d in flight, warm-up %.1f s\n",
                        open ? absl::StrFormat("open loop at %.0f calls/s", r.target_rate)
                             : std::string("closed loop"),
                        r.channels, r.inflight, r.warmup_seconds);
  absl::StrAppendFormat(&out, "calls     %d ok, %d failed in %.2f s\n", r.statuses.ok(),
                        r.statuses.failed(), r.measured_seconds);
  absl::StrAppendFormat(&out, "rate      %.0f ok/s", r.ok_per_second());
  if (r.statuses.failed() > 0) absl::StrAppendFormat(&out, " (%.0f calls/s)", r.calls_per_second());
  if (open && r.late_sends > 0) {
    absl::StrAppendFormat(&out, ", %d calls waited for a free slot: not keeping up", r.late_sends);
  }
  out += "\n";
  const LatencyHistogram& h = r.latency;
  absl::StrAppend(&out, "latency   p50 ", FormatNanos(h.ValueAtQuantile(0.50)), "  p90 ",
                  FormatNanos(h.ValueAtQuantile(0.90)), "  p99 ",
                  FormatNanos(h.ValueAtQuantile(0.99)), "  p99.9 ",
                  FormatNanos(h.ValueAtQuantile(0.999)), "  max ", FormatNanos(h.max()),
                  open ? "  (OK calls, from scheduled send)\n" : "  (OK calls)\n");
  if (open) {
    absl::StrAppend(&out, "send lag  p50 ", FormatNanos(r.send_lag.ValueAtQuantile(0.5)), "  p99 ",
                    FormatNanos(r.send_lag.ValueAtQuantile(0.99)), "  max ",
                    FormatNanos(r.send_lag.max()), "  (included in latency)\n");
  }
  out += "status   ";
  for (int code = 0; code < StatusCounts::kCodes; ++code) {
    const auto c = static_cast<grpc::StatusCode>(code);
    if (r.statuses.count(c) == 0) continue;
    absl::StrAppend(&out, " ", StatusCodeName(c), " ", r.statuses.count(c));
  }
  out += "\n";
  for (int code = 1; code < StatusCounts::kCodes; ++code) {
    const auto c = static_cast<grpc::StatusCode>(code);
    if (r.statuses.count(c) == 0) continue;
    absl::StrAppend(&out, "  first ", StatusCodeName(c), ": ", r.statuses.sample_message(c), "\n");
  }
  absl::StrAppendFormat(&out, "client    %.2f CPU cores (%s)\n", r.client_cpu_cores, r.client);
  return out;
}

std::string FormatJson(const RunReport& r) {
  const LatencyHistogram& h = r.latency;
  std::string out =
      absl::StrCat("{\"target\":", JsonString(r.target), ",\"method\":", JsonString(r.method));
  absl::StrAppendFormat(&out,
                        ",\"mode\":\"%s\",\"channels\":%d,\"inflight\":%d,\"target_rate\":%.1f"
                        ",\"warmup_s\":%.3f,\"seconds\":%.3f,\"ok\":%d,\"failed\":%d"
                        ",\"ok_per_s\":%.1f,\"calls_per_s\":%.1f,\"late_sends\":%d",
                        r.target_rate > 0 ? "open" : "closed", r.channels, r.inflight,
                        r.target_rate, r.warmup_seconds, r.measured_seconds, r.statuses.ok(),
                        r.statuses.failed(), r.ok_per_second(), r.calls_per_second(), r.late_sends);
  absl::StrAppendFormat(&out,
                        ",\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f"
                        ",\"max\":%.1f,\"mean\":%.1f}",
                        Micros(h.ValueAtQuantile(0.50)), Micros(h.ValueAtQuantile(0.90)),
                        Micros(h.ValueAtQuantile(0.99)), Micros(h.ValueAtQuantile(0.999)),
                        Micros(h.max()), h.mean() / 1e3);
  out += ",\"status\":{";
  bool first = true;
  for (int code = 0; code < StatusCounts::kCodes; ++code) {
    const auto c = static_cast<grpc::StatusCode>(code);
    if (r.statuses.count(c) == 0) continue;
    absl::StrAppend(&out, first ? "" : ",", "\"", StatusCodeName(c), "\":", r.statuses.count(c));
    first = false;
  }
  absl::StrAppendFormat(&out, "},\"client_cpu_cores\":%.2f,\"client\":%s}", r.client_cpu_cores,
                        JsonString(r.client));
  return out;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectChannels(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    int count, std::chrono::system_clock::time_point deadline) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetMaxReceiveMessageSize(-1);  // reports and lists can be large; size is not under test
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    channels.push_back(grpc::CreateCustomChannel(target, credentials, args));
    if (!channels.back()->WaitForConnected(deadline)) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", target));
    }
  }
  return channels;
}

void MeasuredCalls::Record(const grpc::Status& status, Time from, Time now) {
  statuses.Add(status);
  if (status.ok()) latency.Record(now - from);
  first = std::min(first, from);
  last = std::max(last, now);
}

void MeasuredCalls::Merge(const MeasuredCalls& other) {
  latency.Merge(other.latency);
  statuses.Merge(other.statuses);
  first = std::min(first, other.first);
  last = std::max(last, other.last);
}

}  // namespace inburgering::bench

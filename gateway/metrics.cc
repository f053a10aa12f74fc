#include "gateway/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace inburgering::gateway {

void Metrics::Record(const std::string& method, const std::string& code,
                     const std::string& transport, absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  absl::MutexLock lock(&mu_);
  Series& series = series_[Key{method, code, transport}];
  ++series.count;
  series.sum_seconds += seconds;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++series.buckets[i];  // cumulative, as Prometheus wants
  }
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  absl::StrAppend(&out,
                  "# HELP gateway_requests_total Calls through the gateway by RPC, code and "
                  "transport.\n# TYPE gateway_requests_total counter\n");
  absl::MutexLock lock(&mu_);
  auto labels = [](const Key& k) {
    return absl::StrCat("method=\"", k.method, "\",code=\"", k.code, "\",transport=\"", k.transport,
                        "\"");
  };
  for (const auto& [key, series] : series_) {
    absl::StrAppend(&out, "gateway_requests_total{", labels(key), "} ", series.count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP gateway_errors_total Calls that ended with a code other than OK.\n"
                  "# TYPE gateway_errors_total counter\n");
  for (const auto& [key, series] : series_) {
    if (key.code == "OK") continue;
    absl::StrAppend(&out, "gateway_errors_total{", labels(key), "} ", series.count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP gateway_request_duration_seconds Time from call start to status.\n"
                  "# TYPE gateway_request_duration_seconds histogram\n");
  for (const auto& [key, series] : series_) {
    const std::string l = labels(key);
    for (size_t i = 0; i < kBounds.size(); ++i) {
      absl::StrAppend(&out, "gateway_request_duration_seconds_bucket{", l, ",le=\"",
                      absl::StrFormat("%g", kBounds[i]), "\"} ", series.buckets[i], "\n");
    }
    absl::StrAppend(&out, "gateway_request_duration_seconds_bucket{", l, ",le=\"+Inf\"} ",
                    series.count, "\n");
    absl::StrAppend(&out, "gateway_request_duration_seconds_sum{", l, "} ",
                    absl::StrFormat("%.6f", series.sum_seconds), "\n");
    absl::StrAppend(&out, "gateway_request_duration_seconds_count{", l, "} ", series.count, "\n");
  }
  return out;
}

}  // namespace inburgering::gateway

// versioned_updates: trajectory and profile updates of existing statushouders, each sent with the
// version the previous answer for that record returned, so that a load can change records for as
// long as it runs without adding any (bench/scenarios/soak.sh: a steady working set).
//
// Each record alternates between RecordBredeIntake (the brede intake's findings, cycling through a
// few variants) and UpdateStatushouder (max_travel_km and availability), which replace values, so
// a record does not grow however often it is updated. How versions are kept, busy records skipped
// and failed ones read again: bench/versioned_updater.h.
//
//   bench/versioned_updates --target GATEWAY --bearer TOKEN --ids_file ids --rate 200 --duration 60
//
// --ids_file: "id version" per line (the version to send first; 1 for a fresh registration);
// --versions_out writes the same format at the end, for a following run on the same records.
// Output as loadgen's (--json: one JSON line, plus "skipped_busy" and "resyncs"). Exit code 0 when
// every measured update was OK, 3 otherwise, 1 when the run could not start, 2 for bad flags.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/loadgen_stats.h"
#include "bench/versioned_updater.h"
#include "common/config.h"
#include "common/tls.h"

ABSL_FLAG(std::string, target, "", "gateway or intake-service address");
ABSL_FLAG(std::string, bearer, "",
          "send 'authorization: Bearer <token>'; empty: principal metadata of --gemeente's "
          "consulent (direct to a dev intake-service)");
ABSL_FLAG(std::string, gemeente, "GM0603", "the records' gemeente when --bearer is empty");
ABSL_FLAG(std::string, ids_file, "", "'id version' per line: the records to update");
ABSL_FLAG(std::string, versions_out, "", "file for 'id version' of every record at the end");
ABSL_FLAG(double, rate, 0, "open loop: updates/s; 0 = closed loop with --inflight calls");
ABSL_FLAG(int, inflight, 16, "closed loop: calls in flight");
ABSL_FLAG(int, channels, 2, "connections, calls spread round-robin");
ABSL_FLAG(double, duration, 10, "seconds to run after the warm-up");
ABSL_FLAG(double, warmup, 0, "seconds of calls before measuring (not counted)");
ABSL_FLAG(int, deadline_ms, 5000, "deadline of every call");
ABSL_FLAG(bool, json, false, "print one JSON line on stdout (the human report goes to stderr)");

namespace inburgering::bench {
namespace {

using Clock = VersionedUpdater::Clock;

[[noreturn]] void Fail(int code, const std::string& message) {
  std::cerr << "versioned_updates: " << message << "\n";
  std::exit(code);
}

int Main(int argc, char** argv) {
  ParseFlagsWithEnvironment(argc, argv, "versioned_updates: updates of existing statushouders");
  const std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) Fail(2, "--target is required");
  const double rate = absl::GetFlag(FLAGS_rate);
  const int inflight = absl::GetFlag(FLAGS_inflight);
  const int channel_count = absl::GetFlag(FLAGS_channels);
  if (rate < 0 || inflight < 1 || channel_count < 1) {
    Fail(2, "--rate must not be negative, --inflight and --channels must be >= 1");
  }

  std::ifstream in(absl::GetFlag(FLAGS_ids_file));
  std::vector<std::pair<std::string, int64_t>> lines;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t version = 0;
    if (fields.size() != 2 || !absl::SimpleAtoi(fields[1], &version) || version < 1) {
      Fail(2, "--ids_file: lines must be 'id version'");
    }
    lines.emplace_back(fields[0], version);
  }
  if (lines.empty()) Fail(2, "--ids_file: no records");
  std::vector<VersionedUpdater::Record> records(lines.size());
  const std::string gemeente = absl::GetFlag(FLAGS_gemeente);
  for (size_t i = 0; i < lines.size(); ++i) {
    records[i].gemeente = gemeente;
    records[i].id = lines[i].first;
    records[i].version = lines[i].second;
  }

  auto credentials = ChannelCredentialsFor(target);
  if (!credentials.ok()) Fail(1, std::string(credentials.status().message()));
  auto channels = ConnectChannels(target, *credentials, channel_count,
                                  std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!channels.ok()) Fail(1, std::string(channels.status().message()));

  VersionedUpdater updater(
      *channels, records,
      {.kind = VersionedUpdater::Kind::kProfile,
       .bearer = absl::GetFlag(FLAGS_bearer),
       .subject = "bench-versioned-updates",
       .deadline = std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms))});
  const double cpu_before = ProcessCpuSeconds();
  const auto start = Clock::now();
  const auto measure_from =
      start + std::chrono::nanoseconds(static_cast<int64_t>(absl::GetFlag(FLAGS_warmup) * 1e9));
  const auto end = measure_from + std::chrono::nanoseconds(
                                      static_cast<int64_t>(absl::GetFlag(FLAGS_duration) * 1e9));
  if (rate > 0) {
    updater.RunOpen(rate, start, measure_from, end);
  } else {
    updater.RunClosed(inflight, measure_from, end);
  }
  const std::chrono::duration<double> wall = Clock::now() - start;

  RunReport report = updater.Report(target);
  report.warmup_seconds = absl::GetFlag(FLAGS_warmup);
  report.client_cpu_cores = (ProcessCpuSeconds() - cpu_before) / wall.count();
  if (const std::string path = absl::GetFlag(FLAGS_versions_out); !path.empty()) {
    std::ofstream out(path);
    for (const auto& r : records) out << r.id << ' ' << r.version.load() << '\n';
    if (!out.flush()) Fail(1, "cannot write " + path);
  }
  const std::string extra = absl::StrCat("skipped_busy ", updater.skipped_busy(), ", resyncs ",
                                         updater.resyncs(), " (GetStatushouder after a failure)\n");
  if (absl::GetFlag(FLAGS_json)) {
    std::cerr << FormatHuman(report) << extra;
    std::string json = FormatJson(report);
    json.pop_back();  // the closing brace: two fields of this tool go in front of it
    std::cout << json << ",\"skipped_busy\":" << updater.skipped_busy()
              << ",\"resyncs\":" << updater.resyncs() << "}" << std::endl;
  } else {
    std::cout << FormatHuman(report) << extra << std::flush;
  }
  return report.statuses.ok() > 0 && report.statuses.failed() == 0 ? 0 : 3;
}

}  // namespace
}  // namespace inburgering::bench

int main(int argc, char** argv) { return inburgering::bench::Main(argc, argv); }

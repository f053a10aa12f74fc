// versioned_updates: trajectory and profile updates of existing statushouders, each sent with the
// version the previous answer for that record returned, so that a load can change records for as
// long as it runs without adding any (bench/scenarios/soak.sh: a steady working set).
//
// Each record alternates between RecordBredeIntake (the brede intake's findings, cycling through a
// few variants) and UpdateStatushouder (max_travel_km and availability). Both replace values, so a
// record does not grow however often it is updated (RecordLanguageLevel would append a
// measurement per call). A record is updated by one call at a time: in the open loop (--rate) a
// record whose previous call has not answered when its turn comes is skipped (counted), so no call
// goes out with a version known to be stale. A record whose call failed (the version may or may
// not have moved: a deadline can expire after the commit) is read with GetStatushouder before its
// next update; these reads are counted, and the update's latency includes them.
//
//   bench/versioned_updates --target GATEWAY --bearer TOKEN --ids_file ids --rate 200 --duration 60
//
// --ids_file: "id version" per line (the version to send first; 1 for a fresh registration);
// --versions_out writes the same format at the end, for a following run on the same records.
// Output as loadgen's (--json: one JSON line, plus "skipped_busy" and "resyncs"). Exit code 0 when
// every measured update was OK, 3 otherwise, 1 when the run could not start, 2 for bad flags.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/loadgen_stats.h"
#include "common/config.h"
#include "common/principal.h"
#include "common/tls.h"
#include "inburgering/v1/intake.grpc.pb.h"

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

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(int code, const std::string& message) {
  std::cerr << "versioned_updates: " << message << "\n";
  std::exit(code);
}

class Updater {
 public:
  struct Record {
    std::string id;
    std::atomic<int64_t> version{1};
    std::atomic<bool> busy{false};
    // Only touched by the one call that holds `busy`.
    bool stale = false;
    uint64_t updates = 0;
  };

  Updater(std::vector<std::shared_ptr<grpc::Channel>> channels, std::vector<Record>& records)
      : records_(records),
        authorization_(absl::GetFlag(FLAGS_bearer).empty()
                           ? ""
                           : absl::StrCat("Bearer ", absl::GetFlag(FLAGS_bearer))),
        gemeente_(absl::GetFlag(FLAGS_gemeente)),
        deadline_(std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms))) {
    for (auto& ch : channels) stubs_.push_back(v1::IntakeService::NewStub(ch));
  }

  // Open loop: update k is due at start + k / rate; a busy record's turn is skipped.
  void RunOpen(double rate, Clock::time_point start, Clock::time_point measure_from,
               Clock::time_point end) {
    Begin(measure_from, end);
    for (uint64_t n = 0;; ++n) {
      const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(n * 1e9 / rate));
      if (due >= end) break;
      std::this_thread::sleep_until(due);
      Record& r = records_[n % records_.size()];
      if (r.busy.exchange(true)) {
        if (due >= measure_from) ++skipped_busy_;
        continue;
      }
      Start(r, due, n);
    }
    WaitIdle();
  }

  // Closed loop: `inflight` calls at a time, each followed at once by the next free record's.
  void RunClosed(int inflight, Clock::time_point measure_from, Clock::time_point end) {
    Begin(measure_from, end);
    for (int i = 0; i < inflight; ++i) Next();
    WaitIdle();
  }

  RunReport Report(const std::string& target, double rate, int inflight) {
    std::lock_guard lock(mu_);
    RunReport report;
    report.target = target;
    report.method = "RecordBredeIntake+UpdateStatushouder (versioned)";
    report.channels = static_cast<int>(stubs_.size());
    report.inflight = inflight;
    report.target_rate = rate;
    report.measured_seconds = std::chrono::duration<double>(last_done_ - measure_from_).count();
    report.latency = latency_;
    report.statuses = statuses_;
    return report;
  }
  uint64_t skipped_busy() const { return skipped_busy_; }
  uint64_t resyncs() const { return resyncs_; }

 private:
  struct Call {
    Record* record = nullptr;
    Clock::time_point due;
    bool measured = false;
    uint64_t n = 0;
    grpc::ClientContext context;
    v1::GetStatushouderRequest get;
    v1::RecordBredeIntakeRequest brede_intake;
    v1::UpdateStatushouderRequest update;
    v1::Statushouder response;
  };

  void Begin(Clock::time_point measure_from, Clock::time_point end) {
    std::lock_guard lock(mu_);
    measure_from_ = measure_from;
    last_done_ = measure_from;
    end_ = end;
  }

  void WaitIdle() {
    while (in_flight_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  // Closed loop: the next record that is not busy (all busy: this lane ends).
  void Next() {
    const auto now = Clock::now();
    if (now >= end_) return;
    for (size_t tries = 0; tries < records_.size(); ++tries) {
      const uint64_t n = next_.fetch_add(1);
      Record& r = records_[n % records_.size()];
      if (!r.busy.exchange(true)) {
        Start(r, now, n, /*closed_loop=*/true);
        return;
      }
    }
  }

  std::unique_ptr<Call> NewCall(Record& r, Clock::time_point due, uint64_t n) {
    auto call = std::make_unique<Call>();
    call->record = &r;
    call->due = due;
    call->measured = due >= measure_from_;
    call->n = n;
    if (!authorization_.empty()) {
      call->context.AddMetadata("authorization", authorization_);
    } else {
      AttachPrincipal({gemeente_, Role::kConsulent, "bench-versioned-updates"}, call->context);
    }
    call->context.set_deadline(std::chrono::system_clock::now() + deadline_);
    return call;
  }

  void Start(Record& r, Clock::time_point due, uint64_t n, bool closed_loop = false) {
    ++in_flight_;
    if (r.stale) {
      // The last answer was lost or refused: read the record's version first.
      ++resyncs_;
      auto call = NewCall(r, due, n);
      call->get.set_id(r.id);
      Call* c = call.release();
      stubs_[n % stubs_.size()]->async()->GetStatushouder(
          &c->context, &c->get, &c->response, [this, c, closed_loop](grpc::Status status) {
            std::unique_ptr<Call> owned(c);
            if (status.ok()) {
              c->record->version.store(c->response.version());
              c->record->stale = false;
              Update(*c->record, c->due, c->n, closed_loop);
            } else {
              Done(*c, status, closed_loop);
            }
            --in_flight_;
          });
      return;
    }
    Update(r, due, n, closed_loop);
    --in_flight_;
  }

  void Update(Record& r, Clock::time_point due, uint64_t n, bool closed_loop) {
    ++in_flight_;
    auto call = NewCall(r, due, n);
    Call* c = call.release();
    auto on_done = [this, c, closed_loop](grpc::Status status) {
      std::unique_ptr<Call> owned(c);
      if (status.ok()) {
        c->record->version.store(c->response.version());
      } else {
        c->record->stale = true;
      }
      Done(*c, status, closed_loop);
      --in_flight_;
    };
    const uint64_t k = r.updates++;
    auto* stub = stubs_[n % stubs_.size()]->async();
    if (k % 2 == 0) {
      // The brede intake's findings; the values cycle so every call changes the record.
      v1::RecordBredeIntakeRequest& q = c->brede_intake;
      q.set_id(r.id);
      q.set_version(r.version.load());
      const int v = static_cast<int>((k / 2) % 3);
      v1::BredeIntake* b = q.mutable_brede_intake();
      b->set_date("2026-06-01");
      b->set_leerbaarheid(static_cast<v1::Leerbaarheid>(1 + v));
      b->set_advised_leerroute(static_cast<v1::Leerroute>(1 + v));
      b->set_intake_groep(static_cast<v1::IntakeGroep>(1));
      q.mutable_opleiding()->set_geschoold(v != 2);
      q.set_prior_occupation_isco(kIsco[v]);
      q.add_work_wishes_isco(kIsco[(v + 1) % 3]);
      q.add_availability(static_cast<v1::Dagdeel>(1 + v));
      q.add_availability(static_cast<v1::Dagdeel>(4 + v));
      stub->RecordBredeIntake(&c->context, &q, &c->response, std::move(on_done));
    } else {
      v1::UpdateStatushouderRequest& q = c->update;
      q.set_id(r.id);
      q.set_version(r.version.load());
      const int v = static_cast<int>((k / 2) % 4);
      q.mutable_statushouder()->set_max_travel_km(10 + 5 * v);
      q.mutable_statushouder()->add_availability(static_cast<v1::Dagdeel>(2 + v));
      q.mutable_statushouder()->add_availability(static_cast<v1::Dagdeel>(6 + v));
      q.add_update_mask("max_travel_km");
      q.add_update_mask("availability");
      stub->UpdateStatushouder(&c->context, &q, &c->response, std::move(on_done));
    }
  }

  void Done(Call& c, const grpc::Status& status, bool closed_loop) {
    {
      std::lock_guard lock(mu_);
      if (c.measured) {
        statuses_.Add(status);
        if (status.ok()) {
          latency_.Record(static_cast<uint64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - c.due).count()));
        }
        last_done_ = Clock::now();
      }
    }
    c.record->busy.store(false);
    if (closed_loop) Next();
  }

  static constexpr const char* kIsco[] = {"5120", "9112", "8322"};  // cook, cleaner, driver

  std::vector<Record>& records_;
  std::vector<std::unique_ptr<v1::IntakeService::Stub>> stubs_;
  // The flags every call needs, read once (absl::GetFlag copies a string under a lock).
  const std::string authorization_;  // "Bearer <token>", or empty: principal metadata instead
  const std::string gemeente_;
  const std::chrono::milliseconds deadline_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> skipped_busy_{0};
  std::atomic<uint64_t> resyncs_{0};
  std::mutex mu_;
  LatencyHistogram latency_;
  StatusCounts statuses_;
  Clock::time_point measure_from_;
  Clock::time_point last_done_;
  Clock::time_point end_;
};

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
  std::vector<Updater::Record> records(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    records[i].id = lines[i].first;
    records[i].version = lines[i].second;
  }

  auto credentials = ChannelCredentialsFor(target);
  if (!credentials.ok()) Fail(1, std::string(credentials.status().message()));
  auto channels = ConnectChannels(target, *credentials, channel_count,
                                  std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!channels.ok()) Fail(1, std::string(channels.status().message()));

  Updater updater(*channels, records);
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

  RunReport report = updater.Report(target, rate, rate > 0 ? 0 : inflight);
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

// event_lag: how long an intake write takes to reach reporting-service's figures, measured two
// ways while some other process (bench/loadgen) drives intake writes at a rate.
//
// 1. End to end, for a sample: one thread per --gemeenten code registers a statushouder there as
//    its consulent, and from the moment the write is OK polls GetGemeenteReport as the
//    gemeente's analist (own gemeente: no disclosure control) every --report_poll_ms (later
//    every tenth of the time waited) until the population count shows it; then waits
//    --sample_gap_ms and writes the next. Only these threads write in those gemeenten (the load
//    goes to another one), so the count is exact.
// 2. For every event: a thread reads intake's outbox head (outbox_head, the sequencer) and
//    reporting's stored cursor (consumer_cursors, which commits with the event's effect) every
//    --cursor_poll_ms; at the end each event of the measured window (by its occur_time, stamped
//    in the writing transaction) gets the time of the first poll that saw its sequence numbered
//    and applied. Resolution: the poll interval plus one query.
//
// Optionally it is also the writer (--update_rate): RecordLanguageLevel open loop on preloaded
// statushouders (--update_ids, load_region's "gemeente id" lines), each sent with the version
// the previous update of that record returned (bench/versioned_updater.h: a busy record's turn
// is skipped, a record whose update failed is read again first; both are counted).
//
// Prints one block (stdout); --json_out FILE gets the figures as one JSON line. Personal data
// never leaves the process: BSNs come from a file and are not printed.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/loadgen_stats.h"
#include "bench/versioned_updater.h"
#include "common/config.h"
#include "common/dates.h"
#include "common/mysql_pool.h"
#include "common/principal.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "inburgering/v1/events.pb.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/reporting.grpc.pb.h"

ABSL_FLAG(std::string, intake_target, "127.0.0.1:50061", "intake-service");
ABSL_FLAG(std::string, reporting_target, "127.0.0.1:50063", "reporting-service");
ABSL_FLAG(std::string, gemeenten, "GM0603",
          "comma-separated gemeenten for the end-to-end samples, one writer each; none = skip");
ABSL_FLAG(std::string, register_json, "",
          "file whose first line is a RegisterStatushouderRequest (JSON) for the samples; its "
          "bsn and request_id are replaced per sample");
ABSL_FLAG(std::string, bsn_file, "", "valid BSNs for the samples, one a line, used in turn");
ABSL_FLAG(double, duration, 30, "seconds to measure (after the warm-up)");
ABSL_FLAG(double, warmup, 5, "seconds before measuring (writes and events then are not counted)");
ABSL_FLAG(int, report_poll_ms, 10, "interval of the GetGemeenteReport polls of a sample");
ABSL_FLAG(int, sample_gap_ms, 100, "pause between one sample being seen and the next write");
ABSL_FLAG(int, cursor_poll_ms, 10, "interval of the outbox head / consumer cursor polls");
ABSL_FLAG(double, drain_s, 60, "after the run, how long to wait for reporting to catch up");
ABSL_FLAG(std::string, intake_schema, "intake", "intake-service's schema (for its outbox)");
ABSL_FLAG(double, update_rate, 0, "RecordLanguageLevel calls/s (open loop); 0 = no writer");
ABSL_FLAG(std::string, update_ids, "", "'gemeente id' lines of the records to update");
ABSL_FLAG(int, channels, 4, "connections of the update writer");
ABSL_FLAG(std::string, json_out, "", "file for the figures as one JSON line");

namespace {

using namespace inburgering;
using SteadyClock = std::chrono::steady_clock;

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// p50/p99/max of a set of lags in ms, as "p50 X ms  p99 Y ms  max Z ms".
struct Lags {
  std::vector<double> ms;
  double Quantile(double q) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(ms.size())));
    return ms[std::clamp<size_t>(rank, 1, ms.size()) - 1];
  }
  std::string Human() {
    return absl::StrFormat("p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d)", Quantile(0.5),
                           Quantile(0.99), Quantile(1.0), ms.size());
  }
  std::string Json(absl::string_view name) {
    return absl::StrFormat("\"%s\":{\"n\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f}",
                           name, ms.size(), Quantile(0.5), Quantile(0.99), Quantile(1.0));
  }
};

// The window (wall clock) whose writes count: after the warm-up, before the end.
struct Window {
  absl::Time from, to;
  bool Contains(absl::Time t) const { return t >= from && t < to; }
};

// ---- 1. end-to-end samples through GetGemeenteReport ----

// In Amsterdam time, as the service checks periods: in UTC it is a month behind for the first
// hour or two of a month.
std::string FirstOfNextMonth() {
  const absl::CivilMonth next = absl::CivilMonth(AmsterdamToday()) + 1;
  return absl::StrFormat("%04d-%02d-01", next.year(), next.month());
}

class ReportSampler {
 public:
  ReportSampler(std::string gemeente, v1::IntakeService::Stub& intake,
                v1::ReportingService::Stub& reporting, v1::RegisterStatushouderRequest prototype,
                std::vector<std::string> bsns, std::string run)
      : gemeente_(std::move(gemeente)),
        intake_(intake),
        reporting_(reporting),
        prototype_(std::move(prototype)),
        bsns_(std::move(bsns)),
        run_(std::move(run)) {}

  // Until `stop` (steady clock); lags of writes made inside `window` are kept.
  void Run(const Window& window, SteadyClock::time_point stop) {
    auto count = Population();
    if (!count.ok()) {
      error_ = absl::StrCat("GetGemeenteReport: ", count.status().ToString());
      return;
    }
    int64_t expected = *count;
    const auto poll = absl::Milliseconds(absl::GetFlag(FLAGS_report_poll_ms));
    const auto gap = absl::Milliseconds(absl::GetFlag(FLAGS_sample_gap_ms));
    for (size_t n = 0; SteadyClock::now() < stop; ++n) {
      if (n >= bsns_.size()) {
        error_ = "ran out of BSNs (--bsn_file)";
        return;
      }
      v1::RegisterStatushouderRequest request = prototype_;
      request.set_request_id(absl::StrCat("lag-", run_, "-", gemeente_, "-", n));
      request.mutable_statushouder()->set_bsn(bsns_[n]);
      grpc::ClientContext context;
      AttachPrincipal({gemeente_, Role::kConsulent, "bench-event-lag"}, context);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::Statushouder created;
      grpc::Status status = intake_.RegisterStatushouder(&context, request, &created);
      if (!status.ok()) {
        ++write_failures_;
        continue;  // a failed write is not in the count; the next one tries again
      }
      const absl::Time ok_at = absl::Now();
      ++expected;
      bool seen = false;
      int polls = 0;
      while (!seen && absl::Now() - ok_at < absl::Seconds(30)) {
        auto c = Population();
        ++polls;
        if (c.ok() && *c >= expected) {
          seen = true;
          if (*c > expected) {
            error_ =
                "population count rose by more than this sampler wrote: another writer "
                "uses the sample gemeente";
            return;
          }
          break;
        }
        // Every --report_poll_ms at first, then every tenth of the time waited so far: the
        // resolution stays within 10 % while a lagging consumer is not slowed down further by
        // the probe's own reports (each one reads the aggregates in MariaDB).
        absl::SleepFor(std::max(poll, (absl::Now() - ok_at) / 10));
      }
      all_polls_ += polls;
      const absl::Time seen_at = absl::Now();
      if (window.Contains(ok_at)) {
        if (seen) {
          lags.ms.push_back(absl::ToDoubleMilliseconds(seen_at - ok_at));
          polls_ += polls;
        } else {
          ++not_seen_;
        }
      }
      if (!seen) expected = -1;  // resynchronise below
      if (expected < 0) {
        auto c = Population();
        if (!c.ok()) continue;
        expected = *c;
      }
      absl::SleepFor(gap);
    }
  }

  Lags lags;
  std::string error_;
  int64_t write_failures_ = 0;
  int64_t not_seen_ = 0;
  int64_t polls_ = 0;
  int64_t all_polls_ = 0;  // over the whole run, for the reports/s the probe caused
  const std::string& gemeente() const { return gemeente_; }

 private:
  // The "Totaal" row of "Populatie naar type" over all months up to now, as the own analist.
  absl::StatusOr<int64_t> Population() {
    v1::GetGemeenteReportRequest request;
    request.set_gemeente(gemeente_);
    request.mutable_period()->set_from("2000-01-01");
    request.mutable_period()->set_to(FirstOfNextMonth());
    grpc::ClientContext context;
    AttachPrincipal({gemeente_, Role::kAnalist, "bench-event-lag"}, context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::Report report;
    grpc::Status status = reporting_.GetGemeenteReport(&context, request, &report);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    for (const auto& table : report.tables()) {
      if (table.key() != "populatie_type") continue;
      for (const auto& row : table.rows()) {
        if (row.key() == "totaal" && row.cells_size() > 0) return row.cells(0).count();
      }
    }
    return absl::NotFoundError("report has no populatie_type/totaal");
  }

  const std::string gemeente_;
  v1::IntakeService::Stub& intake_;
  v1::ReportingService::Stub& reporting_;
  const v1::RegisterStatushouderRequest prototype_;
  const std::vector<std::string> bsns_;
  const std::string run_;
};

// ---- 2. every event: outbox head and consumer cursor over time ----

struct CursorSample {
  absl::Time at;
  int64_t head;    // intake's outbox_head: numbered (committed, streamable)
  int64_t cursor;  // reporting's consumer cursor: applied
};

class CursorPoller {
 public:
  CursorPoller(MysqlPool& pool, std::string intake_schema)
      : pool_(pool),
        sql_(absl::StrCat("SELECT (SELECT last_sequence FROM `", intake_schema,
                          "`.outbox_head WHERE id = 1), COALESCE((SELECT last_sequence FROM "
                          "consumer_cursors WHERE stream = 'intake'), 0)")) {}

  absl::StatusOr<CursorSample> Once() {
    CursorSample s{};
    absl::Status status = pool_.Run("poll cursors", [&](PooledConnection& c) {
      std::unique_ptr<sql::ResultSet> rs(c.Prepare(sql_).executeQuery());
      rs->next();
      s.head = rs->getInt64(1);
      s.cursor = rs->getInt64(2);
      return absl::OkStatus();
    });
    s.at = absl::Now();
    if (!status.ok()) return status;
    return s;
  }

  // Polls until `stop` is set; keeps the samples where something moved.
  void Run(const std::atomic<bool>& stop) {
    const auto interval = absl::Milliseconds(absl::GetFlag(FLAGS_cursor_poll_ms));
    while (!stop.load()) {
      auto s = Once();
      if (s.ok()) {
        std::lock_guard lock(mu_);
        if (samples_.empty() || s->head != samples_.back().head ||
            s->cursor != samples_.back().cursor) {
          samples_.push_back(*s);
        }
        ++polls_;
        last_poll_ = s->at;
      } else {
        ++errors_;
      }
      absl::SleepFor(interval);
    }
  }

  std::vector<CursorSample> samples() {
    std::lock_guard lock(mu_);
    return samples_;
  }
  int64_t polls() const { return polls_; }
  absl::Time last_poll() {
    std::lock_guard lock(mu_);
    return last_poll_;
  }
  int64_t errors() const { return errors_; }

 private:
  MysqlPool& pool_;
  const std::string sql_;
  std::mutex mu_;
  std::vector<CursorSample> samples_;
  absl::Time last_poll_ = absl::Now();
  std::atomic<int64_t> polls_{0};
  std::atomic<int64_t> errors_{0};
};

// Events with sequence > after, as (sequence, occur_time).
absl::StatusOr<std::vector<std::pair<int64_t, absl::Time>>> EventTimes(
    MysqlPool& pool, const std::string& intake_schema, int64_t after) {
  std::vector<std::pair<int64_t, absl::Time>> out;
  const std::string sql = absl::StrCat("SELECT sequence, payload FROM `", intake_schema,
                                       "`.outbox WHERE sequence > ? ORDER BY sequence");
  absl::Status status = pool.Run("read event times", [&](PooledConnection& c) {
    out.clear();
    auto& select = c.Prepare(sql);
    select.setInt64(1, after);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    v1::Event event;
    while (rs->next()) {
      std::string payload(rs->getString(2));
      if (!event.ParseFromString(payload)) return absl::DataLossError("an event does not parse");
      out.emplace_back(
          rs->getInt64(1),
          absl::FromUnixMicros(
              google::protobuf::util::TimeUtil::TimestampToMicroseconds(event.occur_time())));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

std::shared_ptr<grpc::Channel> Connect(const std::string& target, int index) {
  grpc::ChannelArguments args;
  args.SetInt("bench.channel", index);  // distinct arguments: a connection of its own
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return channel;
}

int Fail(const std::string& message) {
  std::cerr << "event_lag: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ParseFlagsWithEnvironment(argc, argv, "event_lag: intake write -> reporting figures lag");
  const std::string intake_schema = absl::GetFlag(FLAGS_intake_schema);
  const double duration = absl::GetFlag(FLAGS_duration);
  const double warmup = absl::GetFlag(FLAGS_warmup);
  const std::string run = absl::StrFormat("%x", absl::ToUnixMicros(absl::Now()));

  auto pool = MysqlPool::Create(MysqlOptionsFromFlags("reporting"));
  if (!pool.ok()) return Fail(pool.status().ToString());
  CursorPoller poller(**pool, intake_schema);
  auto first = poller.Once();
  if (!first.ok())
    return Fail(absl::StrCat("cannot read the cursors: ", first.status().ToString()));

  auto intake = v1::IntakeService::NewStub(Connect(absl::GetFlag(FLAGS_intake_target), 0));
  auto reporting = v1::ReportingService::NewStub(Connect(absl::GetFlag(FLAGS_reporting_target), 0));

  std::vector<std::unique_ptr<ReportSampler>> samplers;
  std::vector<std::string> gemeenten =
      absl::StrSplit(absl::GetFlag(FLAGS_gemeenten), ',', absl::SkipEmpty());
  if (!gemeenten.empty()) {
    std::ifstream in(absl::GetFlag(FLAGS_register_json));
    std::string line;
    if (!std::getline(in, line)) return Fail("--register_json: no request in the file");
    v1::RegisterStatushouderRequest prototype;
    if (!google::protobuf::util::JsonStringToMessage(line, &prototype).ok()) {
      return Fail("--register_json: not a RegisterStatushouderRequest");
    }
    std::vector<std::string> bsns = ReadLines(absl::GetFlag(FLAGS_bsn_file));
    const size_t per = bsns.size() / gemeenten.size();
    if (per == 0) return Fail("--bsn_file: not enough BSNs");
    for (size_t g = 0; g < gemeenten.size(); ++g) {
      samplers.push_back(std::make_unique<ReportSampler>(
          gemeenten[g], *intake, *reporting, prototype,
          std::vector<std::string>(bsns.begin() + g * per, bsns.begin() + (g + 1) * per), run));
    }
  }

  // The optional writer: RecordLanguageLevel open loop, each call with the record's last version.
  std::unique_ptr<bench::VersionedUpdater> writer;
  std::vector<bench::VersionedUpdater::Record> records;
  const double update_rate = absl::GetFlag(FLAGS_update_rate);
  if (update_rate > 0) {
    const std::vector<std::string> lines = ReadLines(absl::GetFlag(FLAGS_update_ids));
    records = std::vector<bench::VersionedUpdater::Record>(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      std::vector<std::string> fields =
          absl::StrSplit(lines[i], absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (fields.size() != 2) return Fail("--update_ids: lines must be 'gemeente id'");
      records[i].gemeente = fields[0];
      records[i].id = fields[1];
    }
    if (records.empty()) return Fail("--update_ids: no records");
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
      channels.push_back(Connect(absl::GetFlag(FLAGS_intake_target), i + 1));
    }
    bench::VersionedUpdater::Options options;
    options.kind = bench::VersionedUpdater::Kind::kLanguageLevel;
    options.subject = "bench-event-lag";
    writer = std::make_unique<bench::VersionedUpdater>(channels, records, options);
  }

  const double cpu0 = bench::ProcessCpuSeconds();
  const auto start = SteadyClock::now();
  const absl::Time wall_start = absl::Now();
  const Window window{wall_start + absl::Seconds(warmup),
                      wall_start + absl::Seconds(warmup + duration)};
  const auto measure_from = start + std::chrono::microseconds(static_cast<int64_t>(warmup * 1e6));
  const auto stop =
      start + std::chrono::microseconds(static_cast<int64_t>((warmup + duration) * 1e6));

  std::atomic<bool> stop_polling{false};
  std::thread poll_thread([&] { poller.Run(stop_polling); });
  std::vector<std::thread> threads;
  for (auto& s : samplers) threads.emplace_back([&, p = s.get()] { p->Run(window, stop); });
  std::thread writer_thread;
  if (writer) {
    writer_thread = std::thread([&] { writer->RunOpen(update_rate, start, measure_from, stop); });
  }
  std::this_thread::sleep_until(stop);
  if (writer_thread.joinable()) writer_thread.join();
  for (auto& t : threads) t.join();
  const double run_cpu = bench::ProcessCpuSeconds() - cpu0;
  const double run_wall = std::chrono::duration<double>(SteadyClock::now() - start).count();

  // Let reporting catch up with everything written in the window, then stop polling.
  auto at_end = poller.Once();
  const int64_t head_at_end = at_end.ok() ? at_end->head : 0;
  const absl::Time drain_until = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_drain_s));
  int64_t cursor_at_end = 0;
  while (absl::Now() < drain_until) {
    auto s = poller.Once();
    if (s.ok()) cursor_at_end = s->cursor;
    if (s.ok() && s->cursor >= head_at_end && s->head == head_at_end) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  stop_polling = true;
  poll_thread.join();

  // Per event of the window: first poll where it was numbered, and first where it was applied.
  auto events = EventTimes(**pool, intake_schema, first->cursor);
  if (!events.ok()) return Fail(events.status().ToString());
  const std::vector<CursorSample> samples = poller.samples();
  const absl::Time last_poll = samples.empty() ? absl::Now() : poller.last_poll();
  Lags applied, numbered;
  int64_t in_window = 0, not_applied = 0;
  size_t hi = 0, ni = 0;
  for (const auto& [sequence, occur] : *events) {
    if (!window.Contains(occur)) continue;
    ++in_window;
    while (ni < samples.size() && samples[ni].head < sequence) ++ni;
    while (hi < samples.size() && samples[hi].cursor < sequence) ++hi;
    if (ni < samples.size())
      numbered.ms.push_back(absl::ToDoubleMilliseconds(samples[ni].at - occur));
    if (hi < samples.size()) {
      applied.ms.push_back(absl::ToDoubleMilliseconds(samples[hi].at - occur));
    } else {
      // Not applied by the last poll: its lag is at least that long (counted as a lower bound,
      // so a consumer that falls behind cannot look good by leaving events out).
      applied.ms.push_back(absl::ToDoubleMilliseconds(last_poll - occur));
      ++not_applied;
    }
  }

  // The consumer's pace in the window and what it still had to do at its end.
  auto at = [&](absl::Time t) {
    CursorSample last = *first;
    for (const CursorSample& c : samples) {
      if (c.at > t) break;
      last = c;
    }
    return last;
  };
  const CursorSample w0 = at(window.from), w1 = at(window.to);
  std::string out;
  absl::StrAppendFormat(&out,
                        "pace      intake numbered %.0f events/s, reporting applied %.0f events/s "
                        "in the window; backlog at its end %d events\n",
                        (w1.head - w0.head) / duration, (w1.cursor - w0.cursor) / duration,
                        w1.head - w1.cursor);
  absl::StrAppendFormat(&out,
                        "events    %d written in the %.0f s window (occur_time), %d not applied "
                        "within %.0f s after it (their lag counted up to then: a lower bound)\n",
                        in_window, duration, not_applied, absl::GetFlag(FLAGS_drain_s));
  absl::StrAppendFormat(&out, "numbered  %s   write -> sequenced in intake's outbox (streamable)\n",
                        numbered.Human());
  absl::StrAppendFormat(&out, "applied   %s   write -> reporting's cursor (effect committed)\n",
                        applied.Human());
  absl::StrAppendFormat(&out, "          cursor polls %d every %d ms (%d failed)\n", poller.polls(),
                        absl::GetFlag(FLAGS_cursor_poll_ms), poller.errors());
  Lags report_all;
  int64_t sample_failures = 0, not_seen = 0, polls = 0, all_polls = 0;
  for (auto& s : samplers) {
    if (!s->error_.empty()) return Fail(absl::StrCat(s->gemeente(), ": ", s->error_));
    report_all.ms.insert(report_all.ms.end(), s->lags.ms.begin(), s->lags.ms.end());
    sample_failures += s->write_failures_;
    not_seen += s->not_seen_;
    polls += s->polls_;
    all_polls += s->all_polls_;
  }
  if (!samplers.empty()) {
    absl::StrAppendFormat(
        &out,
        "report    %s   write OK -> GetGemeenteReport shows it (end to end)\n"
        "          %d sample writers, polls from every %d ms (%.1f per sample, %.0f reports/s), "
        "%d writes failed, %d not seen within 30 s\n",
        report_all.Human(), samplers.size(), absl::GetFlag(FLAGS_report_poll_ms),
        report_all.ms.empty() ? 0.0 : static_cast<double>(polls) / report_all.ms.size(),
        static_cast<double>(all_polls) / run_wall, sample_failures, not_seen);
  }
  std::string writer_json;
  if (writer) {
    bench::RunReport r = writer->Report(absl::GetFlag(FLAGS_intake_target));
    r.client_cpu_cores = run_cpu / run_wall;
    absl::StrAppendFormat(&out,
                          "writer    RecordLanguageLevel open loop at %.0f/s: %.0f ok/s, %d "
                          "failed, %d skipped (record still busy), %d read again after a "
                          "failure; p50 %.2f ms, p99 %.2f ms\n",
                          update_rate, r.ok_per_second(), r.statuses.failed(),
                          writer->skipped_busy(), writer->resyncs(),
                          r.latency.ValueAtQuantile(0.5) / 1e6,
                          r.latency.ValueAtQuantile(0.99) / 1e6);
    std::string status;
    for (int code = 0; code < bench::StatusCounts::kCodes; ++code) {
      const auto c = static_cast<grpc::StatusCode>(code);
      if (r.statuses.count(c) == 0) continue;
      absl::StrAppend(&status, " ", bench::StatusCodeName(c), " ", r.statuses.count(c));
      if (code != 0) absl::StrAppend(&status, " (", r.statuses.sample_message(c), ")");
    }
    absl::StrAppend(&out, "          status", status, "\n");
    writer_json = absl::StrFormat(
        ",\"writer\":{\"ok_per_s\":%.1f,\"failed\":%d,\"skipped\":%d,\"resyncs\":%d}",
        r.ok_per_second(), r.statuses.failed(), writer->skipped_busy(), writer->resyncs());
  }
  absl::StrAppendFormat(&out, "client    %.2f CPU cores (event_lag itself)\n", run_cpu / run_wall);
  std::cout << out;

  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    std::ofstream json(path);
    json << "{\"events\":" << in_window << ",\"not_applied\":" << not_applied << ","
         << numbered.Json("numbered") << "," << applied.Json("applied") << ","
         << report_all.Json("report") << ",\"report_not_seen\":" << not_seen << writer_json
         << ",\"applied_per_s\":" << (w1.cursor - w0.cursor) / duration
         << ",\"backlog_at_end\":" << w1.head - w1.cursor << ",\"head_at_end\":" << head_at_end
         << ",\"cursor_at_end\":" << cursor_at_end << "}\n";
  }
  return (not_applied == 0 && not_seen == 0) ? 0 : 3;
}

#include "bench/versioned_updater.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/principal.h"

namespace inburgering::bench {

struct VersionedUpdater::Call {
  Record* record = nullptr;
  Clock::time_point due;
  bool measured = false;
  uint64_t n = 0;
  grpc::ClientContext context;
  v1::GetStatushouderRequest get;
  v1::RecordBredeIntakeRequest brede_intake;
  v1::UpdateStatushouderRequest update;
  v1::RecordLanguageLevelRequest language_level;
  v1::Statushouder response;
};

namespace {
constexpr const char* kIsco[] = {"5120", "9112", "8322"};  // cook, cleaner, driver
}  // namespace

VersionedUpdater::VersionedUpdater(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                   std::vector<Record>& records, Options options)
    : records_(records),
      options_(std::move(options)),
      authorization_(options_.bearer.empty() ? "" : absl::StrCat("Bearer ", options_.bearer)) {
  for (const auto& channel : channels) stubs_.push_back(v1::IntakeService::NewStub(channel));
}

void VersionedUpdater::RunOpen(double rate, Clock::time_point start, Clock::time_point measure_from,
                               Clock::time_point end) {
  Begin(measure_from, end);
  rate_ = rate;
  for (uint64_t n = 0;; ++n) {
    const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(n * 1e9 / rate));
    if (due >= end) break;
    std::this_thread::sleep_until(due);
    Record& r = records_[n % records_.size()];
    if (r.busy.exchange(true)) {
      if (due >= measure_from) ++skipped_busy_;
      continue;
    }
    Start(r, due, n, /*closed_loop=*/false);
  }
  WaitIdle();
}

void VersionedUpdater::RunClosed(int inflight, Clock::time_point measure_from,
                                 Clock::time_point end) {
  Begin(measure_from, end);
  inflight_ = inflight;
  for (int i = 0; i < inflight; ++i) Next();
  WaitIdle();
}

RunReport VersionedUpdater::Report(const std::string& target) {
  std::lock_guard lock(mu_);
  RunReport report;
  report.target = target;
  report.method = options_.kind == Kind::kProfile
                      ? "RecordBredeIntake+UpdateStatushouder (versioned)"
                      : "/inburgering.v1.IntakeService/RecordLanguageLevel (versioned)";
  report.channels = static_cast<int>(stubs_.size());
  report.inflight = inflight_;
  report.target_rate = rate_;
  if (measured_.last > measure_from_) {
    report.measured_seconds = std::chrono::duration<double>(measured_.last - measure_from_).count();
  }
  report.latency = measured_.latency;
  report.statuses = measured_.statuses;
  return report;
}

void VersionedUpdater::Begin(Clock::time_point measure_from, Clock::time_point end) {
  std::lock_guard lock(mu_);
  measure_from_ = measure_from;
  end_ = end;
}

void VersionedUpdater::WaitIdle() {
  while (in_flight_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// Closed loop: the next record that is not busy (all busy: this lane ends).
void VersionedUpdater::Next() {
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

std::unique_ptr<VersionedUpdater::Call> VersionedUpdater::NewCall(Record& r, Clock::time_point due,
                                                                  uint64_t n) {
  auto call = std::make_unique<Call>();
  call->record = &r;
  call->due = due;
  call->measured = due >= measure_from_;
  call->n = n;
  if (!authorization_.empty()) {
    call->context.AddMetadata("authorization", authorization_);
  } else {
    AttachPrincipal({r.gemeente, Role::kConsulent, options_.subject}, call->context);
  }
  call->context.set_deadline(std::chrono::system_clock::now() + options_.deadline);
  return call;
}

void VersionedUpdater::Start(Record& r, Clock::time_point due, uint64_t n, bool closed_loop) {
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

void VersionedUpdater::Update(Record& r, Clock::time_point due, uint64_t n, bool closed_loop) {
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
  if (options_.kind == Kind::kLanguageLevel) {
    v1::RecordLanguageLevelRequest& q = c->language_level;
    q.set_id(r.id);
    q.set_version(r.version.load());
    v1::TaalMeting* m = q.mutable_meting();
    m->set_vaardigheid(static_cast<v1::TaalVaardigheid>(1 + n % 4));
    m->set_level(static_cast<v1::CefrLevel>(2 + n % 4));
    m->set_date("2026-11-01");
    m->set_bron(static_cast<v1::MeetBron>(1));
    stub->RecordLanguageLevel(&c->context, &q, &c->response, std::move(on_done));
  } else if (k % 2 == 0) {
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

void VersionedUpdater::Done(Call& c, const grpc::Status& status, bool closed_loop) {
  {
    std::lock_guard lock(mu_);
    if (c.measured) measured_.Record(status, c.due, Clock::now());
  }
  c.record->busy.store(false);
  if (closed_loop) Next();
}

}  // namespace inburgering::bench

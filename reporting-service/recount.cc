#include "reporting-service/recount.h"

#include "absl/strings/str_cat.h"
#include "common/outbox.h"
#include "common/status.h"
#include "reporting-service/projection.h"

namespace inburgering::reporting {
namespace {

using Counters = std::map<AggregateKey, int64_t>;

void ReadCounters(PooledConnection& c, Ledger ledger, Counters& out) {
  auto& select = c.Prepare(
      "SELECT gemeente, month, dimension, value, count FROM aggregates "
      "WHERE ledger = ? AND count <> 0");
  select.setInt(1, static_cast<int>(ledger));
  std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
  while (rs->next()) {
    out[{std::string(rs->getString(1)), std::string(rs->getString(2)),
         std::string(rs->getString(3)), std::string(rs->getString(4))}] = rs->getInt64(5);
  }
  // Histogram rows compare as one counter per number of days.
  auto& histograms =
      c.Prepare("SELECT gemeente, month, dimension, data FROM histograms WHERE ledger = ?");
  histograms.setInt(1, static_cast<int>(ledger));
  std::unique_ptr<sql::ResultSet> hs(histograms.executeQuery());
  while (hs->next()) {
    const std::string gemeente(hs->getString(1)), month(hs->getString(2)),
        dimension(hs->getString(3));
    for (const auto& [days, count] : DecodeHistogram(std::string(hs->getString(4)))) {
      out[{gemeente, month, dimension, absl::StrCat(days)}] += count;
    }
  }
}

}  // namespace

absl::StatusOr<RecountResult> Recount(MysqlPool& pool,
                                      const std::map<std::string, StreamOpener>& streams,
                                      const Principal& principal) {
  RecountResult result;
  Counters maintained;
  // One transaction, so the cursors and the counters are one consistent snapshot.
  RETURN_IF_ERROR(pool.InTransaction("recount snapshot", [&](PooledConnection& c) {
    maintained.clear();
    result.cursors.clear();
    auto& cursor = c.Prepare("SELECT last_sequence FROM consumer_cursors WHERE stream = ?");
    for (const auto& [stream, open] : streams) {
      cursor.setString(1, stream);
      std::unique_ptr<sql::ResultSet> rs(cursor.executeQuery());
      result.cursors[stream] = rs->next() ? rs->getInt64(1) : 0;
    }
    ReadCounters(c, Ledger::kMaintained, maintained);
    return absl::OkStatus();
  }));

  const Projection scratch(Ledger::kRecount);
  RETURN_IF_ERROR(scratch.Clear(pool));
  for (const auto& [stream_name, open] : streams) {
    // A copy the lambdas below can capture (clang 14 cannot capture a structured binding).
    const std::string& stream = stream_name;
    const int64_t until = result.cursors[stream];
    if (until == 0) continue;
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
    v1::StreamEventsRequest request;
    request.set_after_sequence(0);
    request.set_stop_at_head(true);
    std::unique_ptr<grpc::ClientReaderInterface<v1::Event>> reader = open(&context, request);
    std::vector<v1::Event> batch;
    int64_t last = 0;
    auto flush = [&]() -> absl::Status {
      if (batch.empty()) return absl::OkStatus();
      RETURN_IF_ERROR(pool.InTransaction("recount apply", [&](PooledConnection& c) {
        return scratch.ApplyBatch(stream, batch, c);
      }));
      result.events_replayed += static_cast<int64_t>(batch.size());
      batch.clear();
      return absl::OkStatus();
    };
    v1::Event event;
    while (last < until && reader->Read(&event)) {
      if (absl::Status gap = CheckNextSequence(stream, last, event.sequence()); !gap.ok()) {
        context.TryCancel();
        reader->Finish();
        return gap;
      }
      last = event.sequence();
      if (last > until) break;
      batch.push_back(event);
      if (batch.size() >= 500) RETURN_IF_ERROR(flush());
    }
    RETURN_IF_ERROR(flush());
    if (last < until) {
      context.TryCancel();
      reader->Finish();
      return absl::UnavailableError(
          absl::StrCat("recount: stream ", stream, " ended before sequence ", until));
    }
    context.TryCancel();
    reader->Finish();
  }

  Counters recounted;
  RETURN_IF_ERROR(pool.Run("read recount", [&](PooledConnection& c) {
    recounted.clear();
    ReadCounters(c, Ledger::kRecount, recounted);
    return absl::OkStatus();
  }));
  Counters keys = maintained;
  for (const auto& [key, n] : recounted) keys.emplace(key, 0);
  result.counters_compared = static_cast<int64_t>(keys.size());
  for (const auto& [key, unused] : keys) {
    auto m = maintained.find(key);
    auto r = recounted.find(key);
    const int64_t mv = m == maintained.end() ? 0 : m->second;
    const int64_t rv = r == recounted.end() ? 0 : r->second;
    if (mv != rv) result.differences.push_back({key, mv, rv});
  }
  return result;
}

}  // namespace inburgering::reporting

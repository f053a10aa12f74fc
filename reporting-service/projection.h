// Applies intake's and matching's events to the reporting schema: keeps the latest record per
// statushouder, placement and werkplek, and the aggregate counters they contribute to (each
// change applied as a diff of aggregate keys, so updates and replays stay exact).
//
// Stateless apart from its ledger (kMaintained, or kRecount for the recount's rebuild);
// thread-safe. Apply runs inside the caller's transaction.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/migrations.h"
#include "common/mysql_pool.h"
#include "inburgering/v1/events.pb.h"
#include "reporting-service/contributions.h"

namespace inburgering::reporting {

// The reporting schema: its own migrations plus the common outbox/cursor tables.
std::vector<Migration> ReportingMigrations();

// Which set of rows of the projection tables (the `ledger` column).
enum class Ledger { kMaintained = 0, kRecount = 1 };

class Projection {
 public:
  explicit Projection(Ledger ledger = Ledger::kMaintained) : ledger_(static_cast<int>(ledger)) {}

  // Applies `events` of `stream` ("intake" or "matching"), in order, on `c`, within its
  // transaction. The records change event by event; the aggregate changes of the whole batch
  // are summed and written at the end, a few multi-row statements for the batch instead of a
  // statement per key and event (the events of a batch mostly hit the same gemeente × month ×
  // dimension keys). Unknown payloads are skipped (OK): a newer producer may add event kinds.
  absl::Status ApplyBatch(const std::string& stream, const std::vector<v1::Event>& events,
                          PooledConnection& c) const;
  absl::Status Apply(const std::string& stream, const v1::Event& event, PooledConnection& c) const {
    return ApplyBatch(stream, {event}, c);
  }

  // Deletes this ledger's rows (for the recount's rebuild).
  absl::Status Clear(MysqlPool& pool) const;

 private:
  struct Batch;
  void Load(const std::vector<v1::Event>& events, PooledConnection& c, Batch& batch) const;
  void ApplyEvent(const v1::Event& event, Batch& batch) const;
  void Store(const Batch& batch, PooledConnection& c) const;
  void WriteDelta(PooledConnection& c, const AggregateDelta& delta) const;

  const int ledger_;
};

}  // namespace inburgering::reporting

// Applies intake's and matching's events to the reporting schema: keeps the latest record per
// statushouder, placement and werkplek, and the aggregate counters they contribute to (each
// change applied as a diff of aggregate keys, so updates and replays stay exact).
//
// Stateless apart from its table prefix ("" for the maintained tables, "recount_" for the
// recount's scratch tables); thread-safe. Apply runs inside the caller's transaction.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "common/migrations.h"
#include "common/mysql_pool.h"
#include "inburgering/v1/events.pb.h"
#include "reporting-service/contributions.h"

namespace inburgering::reporting {

// The reporting schema: its own migrations plus the common outbox/cursor tables.
std::vector<Migration> ReportingMigrations();

class Projection {
 public:
  explicit Projection(std::string table_prefix = "") : prefix_(std::move(table_prefix)) {}

  // Applies one event of `stream` ("intake" or "matching") on `c`, within its transaction.
  // Unknown payloads are skipped (OK): a newer producer may add event kinds.
  absl::Status Apply(const std::string& stream, const v1::Event& event, PooledConnection& c) const;

  // Empties the tables of this prefix (for the recount's scratch tables).
  absl::Status Clear(MysqlPool& pool) const;

  const std::string& prefix() const { return prefix_; }

 private:
  std::string T(const char* table) const { return prefix_ + table; }
  void RecomputePerson(PooledConnection& c, const std::string& id) const;
  void ApplyDelta(PooledConnection& c, const AggregateDelta& delta) const;

  const std::string prefix_;
};

}  // namespace inburgering::reporting

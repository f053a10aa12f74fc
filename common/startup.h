// Start-up steps every service main shares: fail fast with one clear line (Envoy's rule: bad
// config or an unreachable schema stops the process; run-time faults only degrade it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/migrations.h"
#include "common/mysql_pool.h"

namespace inburgering {

// Logs the reason and prints one line to stderr; returns the exit code 1 for main to return.
int StartupFailed(absl::string_view service, const absl::Status& status);

struct DurabilitySettings {
  int innodb_flush_log_at_trx_commit = 0;
  bool log_bin = false;
  int sync_binlog = 0;
  // Commits survive a crash of the server or the machine: the redo log is flushed at every commit,
  // and so is the binlog when there is one.
  bool durable() const { return innodb_flush_log_at_trx_commit == 1 && (!log_bin || sync_binlog == 1); }
};

absl::StatusOr<DurabilitySettings> ReadDurabilitySettings(MysqlPool& pool);

// Opens the pool from the --mysql_* flags (schema default `schema`) and applies `migrations`.
// With --production it refuses (FAILED_PRECONDITION) a server whose commits are not durable.
absl::StatusOr<std::unique_ptr<MysqlPool>> OpenDatabase(absl::string_view schema,
                                                        const std::vector<Migration>& migrations);

}  // namespace inburgering

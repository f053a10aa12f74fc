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

// Opens the pool from the --mysql_* flags (schema default `schema`) and applies `migrations`.
absl::StatusOr<std::unique_ptr<MysqlPool>> OpenDatabase(absl::string_view schema,
                                                        const std::vector<Migration>& migrations);

}  // namespace inburgering

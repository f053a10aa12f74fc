// Versioned schema migrations, applied at start-up and recorded in the table schema_migrations.
//
// Each service checks its migrations/NNN_name.sql into the repo; the build embeds them (see
// cmake/Helpers.cmake inburgering_migrations). Applying is safe to repeat and safe for several
// replicas starting at once (a named lock serialises them). Statements are separated by a ';' at
// the end of a line. A recorded version whose name differs from the binary's is an error: the
// database belongs to another build.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/mysql_pool.h"

namespace inburgering {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Applies, in version order, the migrations not yet recorded. Returns the number applied through
// `applied` when not null.
absl::Status ApplyMigrations(MysqlPool& pool, const std::vector<Migration>& migrations,
                             int* applied = nullptr);

// Splits a migration file into statements (exposed for tests).
std::vector<std::string> SplitSqlStatements(absl::string_view sql);

}  // namespace inburgering

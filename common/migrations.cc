#include "common/migrations.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/status.h"

namespace inburgering {

std::vector<std::string> SplitSqlStatements(absl::string_view sql) {
  std::vector<std::string> statements;
  std::string current;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      std::string statement(absl::StripAsciiWhitespace(current));
      statement.pop_back();  // the ';'
      statements.push_back(std::move(statement));
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) {
    statements.emplace_back(absl::StripAsciiWhitespace(current));
  }
  return statements;
}

absl::Status ApplyMigrations(MysqlPool& pool, const std::vector<Migration>& migrations,
                             int* applied) {
  std::vector<Migration> sorted = migrations;
  std::sort(sorted.begin(), sorted.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  int count = 0;
  const std::string lock_name = absl::StrCat("inburgering.migrate.", pool.options().schema);
  absl::Status status = pool.Run("apply migrations", [&](PooledConnection& c) -> absl::Status {
    auto& lock = c.Prepare("SELECT GET_LOCK(?, 60)");
    lock.setString(1, lock_name);
    std::unique_ptr<sql::ResultSet> locked(lock.executeQuery());
    if (!locked->next() || locked->getInt(1) != 1) {
      return absl::UnavailableError("apply migrations: another replica holds the migration lock");
    }
    auto release = [&] {
      auto& unlock = c.Prepare("SELECT RELEASE_LOCK(?)");
      unlock.setString(1, lock_name);
      std::unique_ptr<sql::ResultSet> ignored(unlock.executeQuery());
    };
    c.Prepare(
         "CREATE TABLE IF NOT EXISTS schema_migrations ("
         " version INT NOT NULL PRIMARY KEY,"
         " name VARCHAR(200) NOT NULL,"
         " applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
         ") ENGINE=InnoDB")
        .execute();
    absl::flat_hash_map<int, std::string> done;
    {
      std::unique_ptr<sql::ResultSet> rs(
          c.Prepare("SELECT version, name FROM schema_migrations").executeQuery());
      while (rs->next()) done[rs->getInt("version")] = std::string(rs->getString("name"));
    }
    for (const Migration& m : sorted) {
      auto it = done.find(m.version);
      if (it != done.end()) {
        if (it->second != m.name) {
          release();
          return absl::FailedPreconditionError(
              absl::StrCat("migration ", m.version, " is recorded as '", it->second,
                           "' but this build has '", m.name, "'"));
        }
        continue;
      }
      for (const std::string& statement : SplitSqlStatements(m.sql)) {
        // DDL cannot be cached usefully and commits implicitly; prepare it once, here.
        std::unique_ptr<sql::PreparedStatement> ddl(c.raw().prepareStatement(statement));
        ddl->execute();
      }
      auto& record = c.Prepare("INSERT INTO schema_migrations (version, name) VALUES (?, ?)");
      record.setInt(1, m.version);
      record.setString(2, m.name);
      record.execute();
      LogInfo("migration_applied", {{"schema", pool.options().schema},
                                    {"version", m.version},
                                    {"name", m.name}});
      ++count;
    }
    release();
    return absl::OkStatus();
  });
  if (applied != nullptr) *applied = count;
  return status;
}

}  // namespace inburgering

#include "common/startup.h"

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

ABSL_FLAG(bool, production, false,
          "production mode: refuse to start unless the database makes every commit durable "
          "(innodb_flush_log_at_trx_commit=1 and, with the binlog on, sync_binlog=1)");

namespace inburgering {

absl::StatusOr<DurabilitySettings> ReadDurabilitySettings(MysqlPool& pool) {
  DurabilitySettings settings;
  absl::Status status = pool.Run("read durability settings", [&](PooledConnection& c) {
    std::unique_ptr<sql::ResultSet> rs(
        c.Prepare("SELECT @@innodb_flush_log_at_trx_commit, @@log_bin, @@sync_binlog")
            .executeQuery());
    if (!rs->next()) return absl::InternalError("read durability settings: no row");
    settings.innodb_flush_log_at_trx_commit = rs->getInt(1);
    settings.log_bin = rs->getInt(2) != 0;
    settings.sync_binlog = rs->getInt(3);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return settings;
}

int StartupFailed(absl::string_view service, const absl::Status& status) {
  LogError("startup_failed", {{"reason", std::string(status.message())}});
  std::fprintf(stderr, "%s: %s\n", std::string(service).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

absl::StatusOr<std::unique_ptr<MysqlPool>> OpenDatabase(absl::string_view schema,
                                                        const std::vector<Migration>& migrations) {
  auto pool = MysqlPool::Create(MysqlOptionsFromFlags(schema));
  if (!pool.ok()) return pool.status();
  auto durability = ReadDurabilitySettings(**pool);
  if (!durability.ok()) return durability.status();
  LogInfo("database_durability", {{"innodb_flush_log_at_trx_commit",
                                   durability->innodb_flush_log_at_trx_commit},
                                  {"log_bin", durability->log_bin},
                                  {"sync_binlog", durability->sync_binlog},
                                  {"durable", durability->durable()}});
  if (absl::GetFlag(FLAGS_production) && !durability->durable()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "production mode needs durable commits: innodb_flush_log_at_trx_commit=1 and "
        "sync_binlog=1 (server has ",
        durability->innodb_flush_log_at_trx_commit, " and ", durability->sync_binlog, ")"));
  }
  if (absl::Status s = ApplyMigrations(**pool, migrations); !s.ok()) return s;
  return pool;
}

}  // namespace inburgering

#include "common/startup.h"

#include <cstdio>

#include "common/log.h"

namespace inburgering {

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
  if (absl::Status s = ApplyMigrations(**pool, migrations); !s.ok()) return s;
  return pool;
}

}  // namespace inburgering

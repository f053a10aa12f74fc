// A private, empty schema on the test MariaDB for one test, dropped afterwards. The server is the
// one scripts/test.sh starts; it is found through INBURGERING_TEST_MYSQL_{HOST,PORT,USER,PASSWORD}.
// Without those variables the test fails (it never silently skips).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/migrations.h"
#include "common/mysql_pool.h"

namespace inburgering::testing {

// Connection settings of the test server (schema empty), from the environment.
absl::StatusOr<MysqlOptions> TestServerOptions();

class TestDatabase {
 public:
  // Creates schema t_<random>, opens a pool on it and applies `migrations`.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      const std::vector<Migration>& migrations = {}, int pool_size = 16);
  ~TestDatabase();

  MysqlPool& pool() { return *pool_; }
  const MysqlOptions& options() const { return options_; }
  const std::string& schema() const { return options_.schema; }

  // Runs one statement (no parameters) outside any pool, for test set-up and checks.
  absl::Status Execute(const std::string& statement);
  // The first column of the first row of `query` as int64 (e.g. SELECT COUNT(*) ...).
  absl::StatusOr<int64_t> QueryInt(const std::string& query);

 private:
  explicit TestDatabase(MysqlOptions options) : options_(std::move(options)) {}
  MysqlOptions options_;
  std::unique_ptr<MysqlPool> pool_;
};

}  // namespace inburgering::testing

#include "tests/support/test_database.h"

#include <cstdlib>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace inburgering::testing {

absl::StatusOr<MysqlOptions> TestServerOptions() {
  const char* host = std::getenv("INBURGERING_TEST_MYSQL_HOST");
  const char* port = std::getenv("INBURGERING_TEST_MYSQL_PORT");
  const char* user = std::getenv("INBURGERING_TEST_MYSQL_USER");
  const char* password = std::getenv("INBURGERING_TEST_MYSQL_PASSWORD");
  if (host == nullptr || port == nullptr || user == nullptr || password == nullptr) {
    return absl::FailedPreconditionError(
        "INBURGERING_TEST_MYSQL_* are not set: run the tests with scripts/test.sh");
  }
  MysqlOptions options;
  options.host = host;
  if (!absl::SimpleAtoi(port, &options.port)) {
    return absl::InvalidArgumentError("INBURGERING_TEST_MYSQL_PORT is not a number");
  }
  options.user = user;
  options.password = password;
  return options;
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(
    const std::vector<Migration>& migrations, int pool_size) {
  auto options = TestServerOptions();
  if (!options.ok()) return options.status();
  absl::BitGen gen;
  options->schema = absl::StrCat("t_", absl::Uniform<uint64_t>(gen));
  options->pool_size = pool_size;
  std::unique_ptr<TestDatabase> db(new TestDatabase(*options));
  if (absl::Status s = db->Execute(absl::StrCat("CREATE DATABASE ", options->schema,
                                                " CHARACTER SET utf8mb4"));
      !s.ok()) {
    return s;
  }
  auto pool = MysqlPool::Create(db->options_);
  if (!pool.ok()) return pool.status();
  db->pool_ = *std::move(pool);
  if (!migrations.empty()) {
    if (absl::Status s = ApplyMigrations(*db->pool_, migrations); !s.ok()) return s;
  }
  return db;
}

TestDatabase::~TestDatabase() {
  pool_.reset();
  (void)Execute(absl::StrCat("DROP DATABASE IF EXISTS ", options_.schema));
}

absl::Status TestDatabase::Execute(const std::string& statement) {
  MysqlOptions server = options_;
  server.schema = "";
  auto pool = MysqlPool::Create(server);
  if (!pool.ok()) return pool.status();
  return (*pool)->Run("test statement", [&](PooledConnection& c) {
    std::unique_ptr<sql::PreparedStatement> s(c.raw().prepareStatement(statement));
    s->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> TestDatabase::QueryInt(const std::string& query) {
  int64_t value = 0;
  absl::Status status = pool_->Run("test query", [&](PooledConnection& c) {
    std::unique_ptr<sql::PreparedStatement> s(c.raw().prepareStatement(query));
    std::unique_ptr<sql::ResultSet> rs(s->executeQuery());
    if (!rs->next()) return absl::NotFoundError("no row");
    value = rs->getInt64(1);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return value;
}

}  // namespace inburgering::testing

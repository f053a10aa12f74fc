#include "common/mysql_pool.h"

#include <mysql_driver.h>

#include <algorithm>
#include <mutex>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/call_deadline.h"
#include "common/log.h"

ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MySQL/MariaDB host");
ABSL_FLAG(int, mysql_port, 3306, "MySQL/MariaDB port");
ABSL_FLAG(std::string, mysql_user, "inburgering", "database user");
ABSL_FLAG(std::string, mysql_password, "",
          "database password (set INBURGERING_MYSQL_PASSWORD rather than the flag)");
ABSL_FLAG(std::string, mysql_schema, "", "schema of this service (default: the service's name)");
ABSL_FLAG(int, mysql_pool_size, 32, "maximum open database connections");

namespace inburgering {
namespace {

// Connector/C++'s driver singleton is not safe to create from two threads at once.
sql::mysql::MySQL_Driver* Driver() {
  static std::once_flag once;
  static sql::mysql::MySQL_Driver* driver = nullptr;
  std::call_once(once, [] { driver = sql::mysql::get_mysql_driver_instance(); });
  return driver;
}

constexpr int kDeadlock = 1213;
constexpr int kLockWaitTimeout = 1205;
constexpr int kDuplicateKey = 1062;
constexpr int kTooManyConnections = 1040;
constexpr int kQueryInterrupted = 1317;
constexpr int kUnknownSystemVariable = 1193;
constexpr int kStatementTimeout = 1969;   // MariaDB: max_statement_time exceeded
constexpr int kMysqlQueryTimeout = 3024;  // MySQL: max_execution_time exceeded
constexpr int kMaxAttempts = 4;

}  // namespace

MysqlOptions MysqlOptionsFromFlags(absl::string_view default_schema) {
  MysqlOptions options;
  options.host = absl::GetFlag(FLAGS_mysql_host);
  options.port = absl::GetFlag(FLAGS_mysql_port);
  options.user = absl::GetFlag(FLAGS_mysql_user);
  options.password = absl::GetFlag(FLAGS_mysql_password);
  options.schema = absl::GetFlag(FLAGS_mysql_schema);
  if (options.schema.empty()) options.schema = std::string(default_schema);
  options.pool_size = absl::GetFlag(FLAGS_mysql_pool_size);
  return options;
}

bool IsConnectionLost(int code) {
  switch (code) {
    case 0:     // Connector/C++ "connection closed" errors carry no code
    case 1053:  // server shutdown in progress
    case 1927:  // connection killed
    case 2002:  // cannot connect (socket)
    case 2003:  // cannot connect (tcp)
    case 2006:  // server has gone away
    case 2013:  // lost connection during query
    case 2055:  // lost connection (extended)
    case 4031:  // disconnected by the server for inactivity
      return true;
    default:
      return false;
  }
}

absl::Status SqlErrorToStatus(const sql::SQLException& e, absl::string_view what) {
  const int code = e.getErrorCode();
  if (code == kDuplicateKey) {
    return absl::AlreadyExistsError(absl::StrCat(what, ": already exists"));
  }
  if (code == kDeadlock || code == kLockWaitTimeout) {
    return absl::AbortedError(absl::StrCat(what, ": concurrent update, try again"));
  }
  if (code == kStatementTimeout || code == kMysqlQueryTimeout) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": deadline exceeded, statement stopped"));
  }
  if (IsConnectionLost(code) || code == kTooManyConnections || code == kQueryInterrupted) {
    return absl::UnavailableError(absl::StrCat(what, ": database unavailable"));
  }
  LogError("sql_error", {{"operation", what}, {"mysql_error", code}});
  return absl::InternalError(absl::StrCat(what, ": database error ", code));
}

MysqlConnection::MysqlConnection(std::unique_ptr<sql::Connection> connection, uint64_t generation)
    : connection_(std::move(connection)), generation_(generation) {}

MysqlConnection::~MysqlConnection() {
  statements_.clear();  // statements before their connection
  try {
    connection_->close();
  } catch (const sql::SQLException&) {
    // Already gone; nothing to release on the server.
  }
}

sql::PreparedStatement& MysqlConnection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    std::unique_ptr<sql::PreparedStatement> statement(connection_->prepareStatement(sql));
    it = statements_.emplace(sql, std::move(statement)).first;
  }
  return *it->second;
}

PooledConnection::PooledConnection(MysqlPool* pool, std::unique_ptr<MysqlConnection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)), broken_(other.broken_) {}

PooledConnection::~PooledConnection() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_), broken_);
}

MysqlPool::MysqlPool(const MysqlOptions& options) : options_(options) {}

MysqlPool::~MysqlPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<MysqlPool>> MysqlPool::Create(const MysqlOptions& options) {
  if (options.pool_size < 1) return absl::InvalidArgumentError("mysql_pool_size: must be >= 1");
  std::unique_ptr<MysqlPool> pool(new MysqlPool(options));
  auto connection = pool->Acquire();
  if (!connection.ok()) return connection.status();
  return pool;
}

absl::StatusOr<std::unique_ptr<MysqlConnection>> MysqlPool::Connect(uint64_t generation) {
  sql::ConnectOptionsMap map;
  map["hostName"] = sql::SQLString(absl::StrCat("tcp://", options_.host, ":", options_.port));
  map["userName"] = sql::SQLString(options_.user);
  map["password"] = sql::SQLString(options_.password);
  map["schema"] = sql::SQLString(options_.schema);
  map["OPT_CONNECT_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(options_.connect_timeout));
  map["OPT_READ_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(options_.read_timeout));
  map["OPT_WRITE_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(options_.read_timeout));
  map["OPT_RECONNECT"] = false;  // a silent reconnect would lose session state mid-transaction
  map["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  try {
    std::unique_ptr<sql::Connection> connection(Driver()->connect(map));
    connection->setTransactionIsolation(sql::TRANSACTION_READ_COMMITTED);
    connection->setAutoCommit(true);
    return std::make_unique<MysqlConnection>(std::move(connection), generation);
  } catch (const sql::SQLException& e) {
    if (IsConnectionLost(e.getErrorCode())) {
      return absl::UnavailableError("database unavailable");
    }
    // Wrong credentials or unknown schema: a configuration problem, reported as such.
    LogError("mysql_connect_failed",
             {{"mysql_error", e.getErrorCode()}, {"schema", options_.schema}});
    return absl::UnavailableError(absl::StrCat("cannot connect to database schema ",
                                               options_.schema, " (error ", e.getErrorCode(), ")"));
  }
}

absl::StatusOr<PooledConnection> MysqlPool::Acquire() {
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    auto can_proceed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.pool_size;
    };
    const absl::Duration left = CallDeadlineScope::Current() - absl::Now();
    if (!mu_.AwaitWithTimeout(absl::Condition(&can_proceed),
                              std::min(options_.acquire_timeout, left))) {
      if (left < options_.acquire_timeout) {
        return absl::DeadlineExceededError("deadline exceeded waiting for a database connection");
      }
      return absl::UnavailableError("database connection pool exhausted");
    }
    if (!idle_.empty()) {
      std::unique_ptr<MysqlConnection> connection = std::move(idle_.back());
      idle_.pop_back();
      return PooledConnection(this, std::move(connection));
    }
    ++open_;
    generation = generation_;
  }
  auto connection = Connect(generation);
  absl::MutexLock lock(&mu_);
  if (!connection.ok()) {
    --open_;
    return connection.status();
  }
  ++opened_total_;
  return PooledConnection(this, *std::move(connection));
}

void MysqlPool::Release(std::unique_ptr<MysqlConnection> connection, bool broken) {
  // Declared before the lock so that closing happens after it is released.
  std::unique_ptr<MysqlConnection> to_close;
  std::vector<std::unique_ptr<MysqlConnection>> stale;
  absl::MutexLock lock(&mu_);
  if (broken) {
    // The server probably restarted: every idle connection of this or an older generation is dead.
    if (connection->generation() >= generation_) {
      ++generation_;
      stale.swap(idle_);
      open_ -= static_cast<int>(stale.size());
    }
    --open_;
    to_close = std::move(connection);
  } else if (connection->generation() < generation_) {
    --open_;
    to_close = std::move(connection);
  } else {
    connection->last_used = absl::Now();
    idle_.push_back(std::move(connection));
  }
}

int64_t MysqlPool::connections_opened() const {
  absl::MutexLock lock(&mu_);
  return opened_total_;
}

namespace {

// Ends the open transaction on `connection` with ROLLBACK as a statement; a connection where that
// fails is dropped (closing it rolls back on the server). Connector/C++ 1.1's rollback() does not
// look at mysql_rollback's result, so it cannot tell.
void RollbackOrDrop(PooledConnection& connection) {
  try {
    connection.Prepare("ROLLBACK").execute();
  } catch (const sql::SQLException&) {
    connection.MarkBroken();
  }
}

}  // namespace

absl::Status MysqlPool::RunWithRetry(absl::string_view what, bool transactional,
                                     const std::function<absl::Status(PooledConnection&)>& work) {
  absl::Status last;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto connection = Acquire();
    if (!connection.ok()) return connection.status();
    bool committing = false;
    try {
      if (absl::Status s = LimitStatementTime(*connection, what); !s.ok()) return s;
      // An explicit transaction on an autocommit connection: one round trip to begin, where
      // switching autocommit off and on again would take two around every transaction.
      if (transactional) connection->Prepare("START TRANSACTION").execute();
      absl::Status status = work(*connection);
      if (!transactional) return status;
      if (!status.ok()) {
        RollbackOrDrop(*connection);
        return status;
      }
      committing = true;
      // COMMIT as a statement, which throws when the server does not confirm it. Connector/C++
      // 1.1's commit() calls mysql_commit without looking at its result, so a COMMIT lost with
      // the server (killed, restarted, connection dropped) came back as success.
      connection->Prepare("COMMIT").execute();
      return status;
    } catch (const sql::SQLException& e) {
      const int code = e.getErrorCode();
      if (IsConnectionLost(code)) {
        connection->MarkBroken();
        last = SqlErrorToStatus(e, what);
        if (committing) {
          // The server may or may not have made it durable: never OK, never retried here.
          return absl::UnavailableError(
              absl::StrCat(what, ": database unavailable during commit, outcome unknown"));
        }
        continue;  // a stale pooled connection: retry on a fresh one
      }
      if (transactional) RollbackOrDrop(*connection);
      last = SqlErrorToStatus(e, what);
      if (transactional && (code == kDeadlock || code == kLockWaitTimeout)) continue;
      return last;
    }
  }
  return last;
}

absl::Status MysqlPool::LimitStatementTime(PooledConnection& connection, absl::string_view what) {
  const absl::Time deadline = CallDeadlineScope::Current();
  double limit_s = 0;  // no limit
  if (deadline != absl::InfiniteFuture()) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(what, ": deadline exceeded"));
    }
    // Rounded up (to 0.1 s when short, else to whole seconds) so that calls with similar
    // deadlines (the gateway's default, a client's usual one) find the limit already set and pay
    // no extra round trip.
    const absl::Duration step =
        left < absl::Seconds(2) ? absl::Milliseconds(100) : absl::Seconds(1);
    limit_s = absl::ToDoubleSeconds(absl::Ceil(left, step));
  }
  MysqlConnection& c = connection.connection();
  if (limit_s == c.statement_time_s || !statement_time_supported_.load()) return absl::OkStatus();
  try {
    auto& set = c.Prepare("SET max_statement_time = ?");
    set.setDouble(1, limit_s);
    set.execute();
    c.statement_time_s = limit_s;
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kUnknownSystemVariable) throw;
    statement_time_supported_ = false;
    LogWarning("max_statement_time_unsupported",
               {{"advice", "deadlines bound only the wait for a connection on this server"}});
  }
  return absl::OkStatus();
}

absl::Status MysqlPool::InTransaction(absl::string_view what,
                                      const std::function<absl::Status(PooledConnection&)>& work) {
  return RunWithRetry(what, /*transactional=*/true, work);
}

absl::Status MysqlPool::Run(absl::string_view what,
                            const std::function<absl::Status(PooledConnection&)>& work) {
  return RunWithRetry(what, /*transactional=*/false, work);
}

}  // namespace inburgering

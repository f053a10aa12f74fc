// A bounded pool of MySQL/MariaDB connections over Connector/C++ 1.1, with per-connection caches
// of server-side prepared statements (the only way this code base sends SQL).
//
// Thread-safe. The pool is made in main and passed by reference; PooledConnection is an RAII
// handle that gives its connection back. A connection that saw a lost-connection error is dropped
// along with every idle connection made before it, so the next caller gets a fresh one after a
// database restart. Errors become absl::Status by SqlErrorToStatus: never with SQL text.
//
// Work done under a CallDeadlineScope (every ServeBlocking call) is bounded by that deadline: each
// unit of work sets MariaDB's max_statement_time on its connection to the time left, so a
// statement waiting on a row lock or running long is stopped by the server (DEADLINE_EXCEEDED)
// and the connection comes back, instead of serving a caller that has gone.
#pragma once

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace inburgering {

struct MysqlOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user;
  std::string password;
  std::string schema;  // the service's own schema; must exist
  int pool_size = 16;
  absl::Duration acquire_timeout = absl::Seconds(2);
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration read_timeout = absl::Seconds(30);
};

// Reads MysqlOptions from the common --mysql_* flags (defined in mysql_pool.cc), with the given
// schema as default for --mysql_schema.
MysqlOptions MysqlOptionsFromFlags(absl::string_view default_schema);

// Error codes of the client library and server that mean "this connection is gone".
bool IsConnectionLost(int mysql_error_code);

// Maps a database error to a status. `what` names the operation for the message, e.g.
// "register statushouder". Duplicate key -> ALREADY_EXISTS, deadlock/lock timeout -> ABORTED,
// connection problems -> UNAVAILABLE, anything else -> INTERNAL.
absl::Status SqlErrorToStatus(const sql::SQLException& e, absl::string_view what);

class MysqlPool;

// One open connection and its prepared statements. Not thread-safe: owned by one caller at a time.
class MysqlConnection {
 public:
  MysqlConnection(std::unique_ptr<sql::Connection> connection, uint64_t generation);
  ~MysqlConnection();

  // The cached prepared statement for `sql`, prepared on first use. Throws sql::SQLException.
  sql::PreparedStatement& Prepare(const std::string& sql);
  sql::Connection& raw() { return *connection_; }
  uint64_t generation() const { return generation_; }
  absl::Time last_used = absl::Now();
  // The session's max_statement_time in seconds as last set by the pool; 0 = no limit.
  double statement_time_s = 0;

 private:
  std::unique_ptr<sql::Connection> connection_;
  absl::flat_hash_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
  uint64_t generation_;
};

// A connection borrowed from the pool; returns it when destroyed.
class PooledConnection {
 public:
  PooledConnection(MysqlPool* pool, std::unique_ptr<MysqlConnection> connection);
  PooledConnection(PooledConnection&&) noexcept;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();

  sql::PreparedStatement& Prepare(const std::string& sql) { return connection_->Prepare(sql); }
  sql::Connection& raw() { return connection_->raw(); }
  MysqlConnection& connection() { return *connection_; }
  // Drops this connection instead of returning it (after a lost-connection error).
  void MarkBroken() { broken_ = true; }

 private:
  MysqlPool* pool_;
  std::unique_ptr<MysqlConnection> connection_;
  bool broken_ = false;
};

class MysqlPool {
 public:
  // Opens one connection to check the options; fails fast (UNAVAILABLE) when it cannot.
  static absl::StatusOr<std::unique_ptr<MysqlPool>> Create(const MysqlOptions& options);
  ~MysqlPool();

  // A connection within acquire_timeout, or UNAVAILABLE (database down or pool exhausted);
  // DEADLINE_EXCEEDED when the current CallDeadlineScope ends first.
  absl::StatusOr<PooledConnection> Acquire();

  // Runs `work` in one transaction: commits when it returns OK, rolls back otherwise. `work` may
  // throw sql::SQLException. The whole of `work` is retried on deadlock and when the connection
  // was lost before commit, so it must not have effects outside the transaction. OK only when the
  // server confirmed the COMMIT (sent as a statement and checked); a connection lost during COMMIT
  // is UNAVAILABLE (outcome unknown: clients retry with their request_id).
  absl::Status InTransaction(absl::string_view what,
                             const std::function<absl::Status(PooledConnection&)>& work);

  // Runs `work` outside a transaction (autocommit; for reads), retried once on a stale connection.
  absl::Status Run(absl::string_view what,
                   const std::function<absl::Status(PooledConnection&)>& work);

  const MysqlOptions& options() const { return options_; }
  // Counters for tests and metrics.
  int64_t connections_opened() const;

 private:
  friend class PooledConnection;
  explicit MysqlPool(const MysqlOptions& options);
  absl::StatusOr<std::unique_ptr<MysqlConnection>> Connect(uint64_t generation);
  void Release(std::unique_ptr<MysqlConnection> connection, bool broken);
  absl::Status RunWithRetry(absl::string_view what, bool transactional,
                            const std::function<absl::Status(PooledConnection&)>& work);
  // Sets the connection's statement time limit from the current CallDeadlineScope (when it
  // changed); DEADLINE_EXCEEDED when no time is left. Throws sql::SQLException.
  absl::Status LimitStatementTime(PooledConnection& connection, absl::string_view what);

  const MysqlOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<MysqlConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + borrowed + being opened
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t opened_total_ ABSL_GUARDED_BY(mu_) = 0;
  // False once the server said it has no max_statement_time (MySQL): deadlines then bound only
  // the wait for a connection.
  std::atomic<bool> statement_time_supported_{true};
};

// Reads one column of the current row as an int64 / string; shorthands for result sets.
inline int64_t GetInt64(sql::ResultSet& rs, const char* column) { return rs.getInt64(column); }
inline std::string GetString(sql::ResultSet& rs, const char* column) {
  return std::string(rs.getString(column));
}

}  // namespace inburgering

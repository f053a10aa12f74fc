// Idempotent creates: a create RPC claims its client `request_id` in a ledger table in the same
// transaction as the record it creates, so a replay returns the first result and a reuse of the
// id for other content is refused, also when the two arrive at the same time.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/mysql_pool.h"

namespace inburgering {

// The two statements of a service's ledger table, as fixed text:
//   insert_sql: INSERT INTO t (scope, request_id, request_hash, resource_id) VALUES (?, ?, ?, ?)
//   select_sql: SELECT request_hash, resource_id FROM t WHERE scope = ? AND request_id = ?
struct RequestLedger {
  const char* insert_sql;
  const char* select_sql;
  const char* what;  // for messages, e.g. "registration"
};

// Claims `request_id` within `scope` for the resource `new_id`, inside the caller's transaction.
// Returns nullopt when the claim is new (go on and create `new_id`), the id of the resource the
// first request created when this is a replay of it, ALREADY_EXISTS naming request_id when the
// id was used for other content. Throws sql::SQLException like any statement.
absl::StatusOr<std::optional<std::string>> ClaimRequestId(
    PooledConnection& connection, const RequestLedger& ledger, const std::string& scope,
    const std::string& request_id, const std::string& request_hash, const std::string& new_id);

}  // namespace inburgering

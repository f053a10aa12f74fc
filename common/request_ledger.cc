#include "common/request_ledger.h"

#include "absl/strings/str_cat.h"

namespace inburgering {
namespace {

constexpr int kDuplicateKey = 1062;

}  // namespace

absl::StatusOr<std::optional<std::string>> ClaimRequestId(
    PooledConnection& c, const RequestLedger& ledger, const std::string& scope,
    const std::string& request_id, const std::string& request_hash, const std::string& new_id) {
  auto& claim = c.Prepare(ledger.insert_sql);
  claim.setString(1, scope);
  claim.setString(2, request_id);
  claim.setString(3, request_hash);
  claim.setString(4, new_id);
  try {
    claim.executeUpdate();
    return std::nullopt;
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kDuplicateKey) throw;
  }
  // Seen before (possibly just now, by a concurrent replay that waited for this key's lock):
  // answer as the first time did.
  auto& prior = c.Prepare(ledger.select_sql);
  prior.setString(1, scope);
  prior.setString(2, request_id);
  std::unique_ptr<sql::ResultSet> rs(prior.executeQuery());
  if (!rs->next()) return absl::AbortedError(absl::StrCat(ledger.what, ": try again"));
  if (std::string(rs->getString(1)) != request_hash) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id: already used for a different ", ledger.what));
  }
  return std::string(rs->getString(2));
}

}  // namespace inburgering

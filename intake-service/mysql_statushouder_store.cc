#include "intake-service/mysql_statushouder_store.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace inburgering::intake {
namespace migrations {
const std::vector<Migration>& Migrations();  // generated from migrations/*.sql
}  // namespace migrations

namespace {

using google::protobuf::util::TimeUtil;

constexpr int kDuplicateKey = 1062;

// Binds the indexed columns kept beside the serialized record, starting at parameter `first`.
// Order: phase, type, leerroute, bijstand, pip_due_date, has_pip.
void BindIndexedColumns(sql::PreparedStatement& statement, int first, const v1::Statushouder& s) {
  statement.setInt(first, s.phase());
  statement.setInt(first + 1, s.type());
  statement.setInt(first + 2, s.pip().leerroute());
  statement.setBoolean(first + 3, s.uitkering().bijstand());
  const std::string& due =
      s.has_pip() ? s.pip().due_date() : s.pip_deadline().due_date();
  if (due.empty()) {
    statement.setNull(first + 4, sql::DataType::DATE);
  } else {
    statement.setString(first + 4, due);
  }
  statement.setBoolean(first + 5, s.has_pip());
}

absl::StatusOr<v1::Statushouder> ParseRecord(sql::ResultSet& rs) {
  v1::Statushouder statushouder;
  std::string record(rs.getString("record"));
  if (!statushouder.ParseFromString(record)) {
    return absl::DataLossError("statushouder record does not parse");
  }
  return statushouder;
}

absl::StatusOr<v1::Statushouder> SelectById(PooledConnection& c, const std::string& gemeente,
                                            const std::string& id, bool for_update) {
  auto& select = c.Prepare(for_update
                               ? "SELECT record FROM statushouders WHERE id = ? AND gemeente = ? "
                                 "FOR UPDATE"
                               : "SELECT record FROM statushouders WHERE id = ? AND gemeente = ?");
  select.setString(1, id);
  select.setString(2, gemeente);
  std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
  if (!rs->next()) return absl::NotFoundError("statushouder not found");
  return ParseRecord(*rs);
}

}  // namespace

std::vector<Migration> IntakeMigrations() {
  std::vector<Migration> all = migrations::Migrations();
  const auto& outbox = OutboxMigrations();
  all.insert(all.end(), outbox.begin(), outbox.end());
  return all;
}

v1::Event StatushouderEvent(v1::StatushouderChanged::Change change,
                            const v1::Statushouder& statushouder) {
  v1::Event event;
  event.set_gemeente(statushouder.gemeente());
  event.set_aggregate_id(statushouder.id());
  auto* changed = event.mutable_statushouder_changed();
  changed->set_change(change);
  v1::Statushouder* copy = changed->mutable_statushouder();
  *copy = statushouder;
  copy->clear_bsn();
  copy->clear_given_names();
  copy->clear_family_name();
  copy->clear_birth_date();
  copy->clear_azc_location();
  int year = 0;
  if (statushouder.birth_date().size() >= 4 &&
      absl::SimpleAtoi(statushouder.birth_date().substr(0, 4), &year)) {
    changed->set_birth_year(year);
  }
  return event;
}

absl::StatusOr<v1::Statushouder> MysqlStatushouderStore::Create(const std::string& request_id,
                                                                const std::string& request_hash,
                                                                v1::Statushouder statushouder) {
  v1::Statushouder result;
  absl::Status status = pool_.InTransaction("register statushouder", [&](PooledConnection& c) {
    // The idempotency key first: a concurrent replay waits on this row and then sees the result.
    auto& claim = c.Prepare(
        "INSERT INTO create_requests (gemeente, request_id, request_hash, statushouder_id) "
        "VALUES (?, ?, ?, ?)");
    const std::string id = NewId();
    claim.setString(1, statushouder.gemeente());
    claim.setString(2, request_id);
    claim.setString(3, request_hash);
    claim.setString(4, id);
    try {
      claim.executeUpdate();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() != kDuplicateKey) throw;
      // Seen before (possibly just now, by a concurrent replay that waited for this key's lock):
      // answer as the first time did.
      auto& prior = c.Prepare(
          "SELECT request_hash, statushouder_id FROM create_requests "
          "WHERE gemeente = ? AND request_id = ?");
      prior.setString(1, statushouder.gemeente());
      prior.setString(2, request_id);
      std::unique_ptr<sql::ResultSet> rs(prior.executeQuery());
      if (!rs->next()) return absl::AbortedError("register statushouder: try again");
      if (std::string(rs->getString(1)) != request_hash) {
        return absl::AlreadyExistsError("request_id: already used for a different registration");
      }
      ASSIGN_OR_RETURN(result, SelectById(c, statushouder.gemeente(), std::string(rs->getString(2)),
                                          /*for_update=*/false));
      return absl::OkStatus();
    }
    auto& exists = c.Prepare("SELECT 1 FROM statushouders WHERE gemeente = ? AND bsn = ?");
    exists.setString(1, statushouder.gemeente());
    exists.setString(2, statushouder.bsn());
    if (std::unique_ptr<sql::ResultSet> rs(exists.executeQuery()); rs->next()) {
      return absl::AlreadyExistsError("bsn: already registered in this gemeente");
    }
    const auto now = TimeUtil::GetCurrentTime();
    statushouder.set_id(id);
    statushouder.set_version(1);
    *statushouder.mutable_create_time() = now;
    *statushouder.mutable_update_time() = now;
    auto& insert = c.Prepare(
        "INSERT INTO statushouders (id, gemeente, bsn, version, record, phase, type, leerroute, "
        "bijstand, pip_due_date, has_pip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.setString(1, id);
    insert.setString(2, statushouder.gemeente());
    insert.setString(3, statushouder.bsn());
    insert.setInt64(4, statushouder.version());
    insert.setString(5, statushouder.SerializeAsString());
    BindIndexedColumns(insert, 6, statushouder);
    insert.executeUpdate();
    Outbox::Append(c, StatushouderEvent(v1::StatushouderChanged::REGISTERED, statushouder));
    result = statushouder;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  outbox_.NotifyCommitted();
  return result;
}

absl::StatusOr<v1::Statushouder> MysqlStatushouderStore::Get(const std::string& gemeente,
                                                             const std::string& id) {
  v1::Statushouder result;
  absl::Status status = pool_.Run("get statushouder", [&](PooledConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(result, SelectById(c, gemeente, id, /*for_update=*/false));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::Statushouder> MysqlStatushouderStore::Update(
    const std::string& gemeente, const std::string& id, int64_t expected_version,
    v1::StatushouderChanged::Change change, const Mutation& mutate) {
  v1::Statushouder result;
  absl::Status status = pool_.InTransaction("update statushouder", [&](PooledConnection& c) {
    ASSIGN_OR_RETURN(v1::Statushouder statushouder,
                     SelectById(c, gemeente, id, /*for_update=*/true));
    if (statushouder.version() != expected_version) {
      return absl::AbortedError(absl::StrCat("version: the record is at version ",
                                             statushouder.version(), "; read it again"));
    }
    RETURN_IF_ERROR(mutate(statushouder));
    statushouder.set_version(expected_version + 1);
    *statushouder.mutable_update_time() = TimeUtil::GetCurrentTime();
    auto& update = c.Prepare(
        "UPDATE statushouders SET version = ?, record = ?, phase = ?, type = ?, leerroute = ?, "
        "bijstand = ?, pip_due_date = ?, has_pip = ?, updated_at = CURRENT_TIMESTAMP(6) "
        "WHERE id = ? AND gemeente = ?");
    update.setInt64(1, statushouder.version());
    update.setString(2, statushouder.SerializeAsString());
    BindIndexedColumns(update, 3, statushouder);
    update.setString(9, id);
    update.setString(10, gemeente);
    update.executeUpdate();
    Outbox::Append(c, StatushouderEvent(change, statushouder));
    result = std::move(statushouder);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  outbox_.NotifyCommitted();
  return result;
}

}  // namespace inburgering::intake

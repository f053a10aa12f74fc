#include "intake-service/mysql_statushouder_store.h"

#include <algorithm>
#include <bit>
#include <iterator>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/chunked_statement.h"
#include "common/dates.h"
#include "common/ids.h"
#include "common/request_ledger.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace inburgering::intake {
namespace migrations {
const std::vector<Migration>& Migrations();  // generated from migrations/*.sql
}  // namespace migrations

namespace {

using google::protobuf::util::TimeUtil;

constexpr int kDuplicateKey = 1062;

constexpr RequestLedger kRegistrationLedger = {
    "INSERT INTO create_requests (gemeente, request_id, request_hash, statushouder_id) "
    "VALUES (?, ?, ?, ?)",
    "SELECT request_hash, statushouder_id FROM create_requests "
    "WHERE gemeente = ? AND request_id = ?",
    "registration"};

// Binds the indexed columns kept beside the serialized record, starting at parameter `first`.
// Order: phase, type, leerroute, bijstand, pip_due_date, has_pip.
void BindIndexedColumns(sql::PreparedStatement& statement, int first, const v1::Statushouder& s) {
  statement.setInt(first, s.phase());
  statement.setInt(first + 1, s.type());
  statement.setInt(first + 2, s.pip().leerroute());
  statement.setBoolean(first + 3, s.uitkering().bijstand());
  const std::string& due = s.has_pip() ? s.pip().due_date() : s.pip_deadline().due_date();
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
  auto& select =
      c.Prepare(for_update ? "SELECT record FROM statushouders WHERE id = ? AND gemeente = ? "
                             "FOR UPDATE"
                           : "SELECT record FROM statushouders WHERE id = ? AND gemeente = ?");
  select.setString(1, id);
  select.setString(2, gemeente);
  std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
  if (!rs->next()) return absl::NotFoundError("statushouder not found");
  return ParseRecord(*rs);
}

// Multi-row statements (ChunkedStatement) for imports: chunks of 500, 50, 5 and 1 rows; for
// registration batches (at most StatushouderStore::kMaxCreateMany rows): 16, 8, 4, 2 and 1.
const std::vector<int> kRowChunks = {500, 50, 5, 1};
const std::vector<int> kRegistrationChunks = {16, 8, 4, 2, 1};
static_assert(StatushouderStore::kMaxCreateMany == 16, "kRegistrationChunks start at 16");

// The multi-row statements, one constant text per chunk size, built once from fixed fragments:
// data only ever travels as bound parameters.
std::string SelectByBsnText(int rows) {
  return absl::StrCat("SELECT seq, record FROM statushouders WHERE gemeente = ? AND bsn IN (",
                      ChunkedStatement::Rows("?", rows), ") FOR UPDATE");
}
std::string InsertText(int rows) {
  return absl::StrCat(
      "INSERT INTO statushouders (id, gemeente, bsn, version, record, phase, type, leerroute, "
      "bijstand, pip_due_date, has_pip) VALUES ",
      ChunkedStatement::Rows("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows));
}
// Every row named exists (locked by SelectByBsn), so each one takes the UPDATE branch.
std::string UpsertText(int rows) {
  return absl::StrCat(
      "INSERT INTO statushouders (seq, id, gemeente, bsn, version, record, phase, type, "
      "leerroute, bijstand, pip_due_date, has_pip) VALUES ",
      ChunkedStatement::Rows("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows),
      " ON DUPLICATE KEY UPDATE version = VALUES(version), record = VALUES(record), "
      "phase = VALUES(phase), type = VALUES(type), leerroute = VALUES(leerroute), "
      "bijstand = VALUES(bijstand), pip_due_date = VALUES(pip_due_date), "
      "has_pip = VALUES(has_pip), updated_at = CURRENT_TIMESTAMP(6)");
}

// SELECT of up to StatushouderStore::kMaxGetMany ids, padded to a power of two (a repeated id
// matches its row once), so that each connection caches six shapes. The index is named because
// an IN list is a range, and for a range MariaDB weighs every index that starts with the
// gemeente (six of them) by diving into each on every batch; the unique id index is always the
// one it picks, and naming it cut mariadbd's CPU per point read by a fifth (bench/RESULTS.md).
std::string SelectByIdsText(int rows) {
  return absl::StrCat(
      "SELECT id, record FROM statushouders FORCE INDEX (statushouders_id) "
      "WHERE gemeente = ? AND id IN (",
      ChunkedStatement::Rows("?", rows), ")");
}
static_assert(StatushouderStore::kMaxGetMany == 32, "PrepareSelectByIds has shapes up to 32");

sql::PreparedStatement& PrepareSelectByIds(PooledConnection& c, int rows) {
  static const std::string kSelect32 = SelectByIdsText(32);
  static const std::string kSelect16 = SelectByIdsText(16);
  static const std::string kSelect8 = SelectByIdsText(8);
  static const std::string kSelect4 = SelectByIdsText(4);
  static const std::string kSelect2 = SelectByIdsText(2);
  static const std::string kSelect1 = SelectByIdsText(1);
  return rows > 16  ? c.Prepare(kSelect32)
         : rows > 8 ? c.Prepare(kSelect16)
         : rows > 4 ? c.Prepare(kSelect8)
         : rows > 2 ? c.Prepare(kSelect4)
         : rows > 1 ? c.Prepare(kSelect2)
                    : c.Prepare(kSelect1);
}

std::string ClaimText(int rows) {
  return absl::StrCat(
      "INSERT INTO create_requests (gemeente, request_id, request_hash, statushouder_id) VALUES ",
      ChunkedStatement::Rows("(?, ?, ?, ?)", rows));
}

// The 11 columns of a new row, starting at parameter `first`.
void BindNewRow(sql::PreparedStatement& statement, int first, const v1::Statushouder& s) {
  statement.setString(first, s.id());
  statement.setString(first + 1, s.gemeente());
  statement.setString(first + 2, s.bsn());
  statement.setInt64(first + 3, s.version());
  statement.setString(first + 4, s.SerializeAsString());
  BindIndexedColumns(statement, first + 5, s);
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
    const std::string id = NewId();
    ASSIGN_OR_RETURN(std::optional<std::string> prior,
                     ClaimRequestId(c, kRegistrationLedger, statushouder.gemeente(), request_id,
                                    request_hash, id));
    if (prior.has_value()) {
      ASSIGN_OR_RETURN(result,
                       SelectById(c, statushouder.gemeente(), *prior, /*for_update=*/false));
      return absl::OkStatus();
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
    try {
      insert.executeUpdate();
    } catch (const sql::SQLException& e) {
      // The id is new, so a duplicate can only be the (gemeente, bsn) key: no separate look-up
      // (one round trip less per registration).
      if (e.getErrorCode() != kDuplicateKey) throw;
      return absl::AlreadyExistsError("bsn: already registered in this gemeente");
    }
    Outbox::Append(c, StatushouderEvent(v1::StatushouderChanged::REGISTERED, statushouder));
    result = statushouder;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  outbox_.NotifyCommitted();
  return result;
}

std::vector<absl::StatusOr<v1::Statushouder>> MysqlStatushouderStore::CreateMany(
    std::vector<NewRegistration> registrations) {
  std::vector<absl::StatusOr<v1::Statushouder>> results;
  results.reserve(registrations.size());
  if (registrations.size() > 1) {
    std::vector<v1::Statushouder> created;
    bool conflict = false;
    absl::Status status = pool_.InTransaction("register statushouders", [&](PooledConnection& c) {
      conflict = false;
      created.clear();
      const auto now = TimeUtil::GetCurrentTime();
      for (const NewRegistration& r : registrations) {
        v1::Statushouder& s = created.emplace_back(r.statushouder);
        s.set_id(NewId());
        s.set_version(1);
        *s.mutable_create_time() = now;
        *s.mutable_update_time() = now;
      }
      try {
        static const ChunkedStatement kClaims(ClaimText, kRegistrationChunks);
        static const ChunkedStatement kInserts(InsertText, kRegistrationChunks);
        kClaims.ForEach(c, created.size(),
                        [&](sql::PreparedStatement& claim, size_t begin, size_t n) {
                          for (size_t i = 0; i < n; ++i) {
                            const int p = static_cast<int>(4 * i);
                            claim.setString(p + 1, created[begin + i].gemeente());
                            claim.setString(p + 2, registrations[begin + i].request_id);
                            claim.setString(p + 3, registrations[begin + i].request_hash);
                            claim.setString(p + 4, created[begin + i].id());
                          }
                          claim.executeUpdate();
                        });
        kInserts.ForEach(c, created.size(),
                         [&](sql::PreparedStatement& insert, size_t begin, size_t n) {
                           for (size_t i = 0; i < n; ++i) {
                             BindNewRow(insert, static_cast<int>(11 * i + 1), created[begin + i]);
                           }
                           insert.executeUpdate();
                         });
      } catch (const sql::SQLException& e) {
        if (e.getErrorCode() != kDuplicateKey) throw;
        // A replay, a reused request_id or a BSN already registered: which one, and for whom,
        // is Create's to say, one registration at a time.
        conflict = true;
        return absl::AbortedError("register statushouders: a key of the batch exists");
      }
      std::vector<v1::Event> events;
      events.reserve(created.size());
      for (const v1::Statushouder& s : created) {
        events.push_back(StatushouderEvent(v1::StatushouderChanged::REGISTERED, s));
      }
      Outbox::AppendMany(c, events);
      return absl::OkStatus();
    });
    if (status.ok()) {
      outbox_.NotifyCommitted();
      for (v1::Statushouder& s : created) results.push_back(std::move(s));
      return results;
    }
    if (!conflict) {  // the database failed: it would have failed each of them
      results.assign(registrations.size(), status);
      return results;
    }
  }
  for (NewRegistration& r : registrations) {
    results.push_back(Create(r.request_id, r.request_hash, std::move(r.statushouder)));
  }
  return results;
}

absl::StatusOr<absl::flat_hash_map<std::string, v1::Statushouder>> MysqlStatushouderStore::GetMany(
    const std::string& gemeente, const std::vector<std::string>& ids) {
  if (ids.empty() || ids.size() > static_cast<size_t>(kMaxGetMany)) {
    return absl::InvalidArgumentError(
        absl::StrCat("get statushouders: 1 to ", kMaxGetMany, " ids"));
  }
  absl::flat_hash_map<std::string, v1::Statushouder> found;
  absl::Status status = pool_.Run("get statushouders", [&](PooledConnection& c) -> absl::Status {
    found.clear();
    sql::PreparedStatement& select = PrepareSelectByIds(c, static_cast<int>(ids.size()));
    const int slots = static_cast<int>(std::bit_ceil(ids.size()));
    select.setString(1, gemeente);
    for (int i = 0; i < slots; ++i)
      select.setString(i + 2, ids[std::min<size_t>(i, ids.size() - 1)]);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    while (rs->next()) {
      ASSIGN_OR_RETURN(v1::Statushouder record, ParseRecord(*rs));
      found.emplace(std::string(rs->getString("id")), std::move(record));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
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

absl::StatusOr<std::vector<ListedStatushouder>> MysqlStatushouderStore::List(
    const std::string& gemeente, const ListQuery& query) {
  std::vector<ListedStatushouder> result;
  absl::Status status = pool_.Run("list statushouders", [&](PooledConnection& c) -> absl::Status {
    result.clear();
    // One text for every combination of filters: a filter whose flag parameter is 0 drops out.
    // MariaDB optimises a prepared statement again at each execution with the bound values, so
    // the constant branches fold away and the optimiser may pick the (gemeente, filter, seq) index
    // of a selective filter (EXPLAIN with the values inlined shows it: bijstand = 1 uses
    // statushouders_bijstand; an unselective one keeps the (gemeente, seq) scan, cheaper with
    // LIMIT).
    auto& select = c.Prepare(
        "SELECT seq, record FROM statushouders WHERE gemeente = ? AND seq > ? "
        "AND (? = 0 OR phase = ?) AND (? = 0 OR leerroute = ?) AND (? = 0 OR type = ?) "
        "AND (? = 0 OR bijstand = ?) "
        "AND (? = 0 OR (has_pip = FALSE AND pip_due_date < ?)) "
        "ORDER BY seq LIMIT ?");
    const bool bijstand = query.uitkering == v1::ListStatushoudersRequest::MET_BIJSTAND;
    select.setString(1, gemeente);
    select.setInt64(2, query.after_seq);
    select.setInt(3, query.phase);
    select.setInt(4, query.phase);
    select.setInt(5, query.leerroute);
    select.setInt(6, query.leerroute);
    select.setInt(7, query.type);
    select.setInt(8, query.type);
    select.setInt(9, query.uitkering);
    select.setBoolean(10, bijstand);
    select.setInt(11, query.pip_overdue ? 1 : 0);
    select.setString(12, FormatDate(query.today));
    select.setInt(13, query.limit);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    while (rs->next()) {
      ASSIGN_OR_RETURN(v1::Statushouder record, ParseRecord(*rs));
      result.push_back({rs->getInt64("seq"), std::move(record)});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<ImportOutcome>> MysqlStatushouderStore::Import(
    const std::string& gemeente, const std::vector<ImportCandidate>& candidates,
    const ImportMerge& merge) {
  std::vector<ImportOutcome> outcomes;
  bool wrote = false;
  absl::Status status = pool_.InTransaction("import statushouders", [&](PooledConnection& c) {
    outcomes.assign(candidates.size(), ImportOutcome());
    wrote = false;
    // 1. The stored records of the batch's BSNs, locked, in a few round trips.
    struct Stored {
      int64_t seq;
      v1::Statushouder record;
    };
    absl::flat_hash_map<std::string, Stored> stored;
    absl::Status read_status;
    static const ChunkedStatement kSelectByBsn(SelectByBsnText, kRowChunks);
    static const ChunkedStatement kInsert(InsertText, kRowChunks);
    static const ChunkedStatement kUpsert(UpsertText, kRowChunks);
    kSelectByBsn.ForEach(
        c, candidates.size(), [&](sql::PreparedStatement& select, size_t begin, size_t chunk) {
          select.setString(1, gemeente);
          for (size_t i = 0; i < chunk; ++i) {
            select.setString(static_cast<int>(i) + 2, candidates[begin + i].statushouder.bsn());
          }
          std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
          while (rs->next()) {
            auto record = ParseRecord(*rs);
            if (!record.ok()) {
              read_status = record.status();
              continue;
            }
            std::string bsn = record->bsn();
            stored[bsn] = Stored{rs->getInt64("seq"), *std::move(record)};
          }
        });
    RETURN_IF_ERROR(read_status);

    // 2. Decide per row; collect the writes.
    const auto now = TimeUtil::GetCurrentTime();
    std::vector<const v1::Statushouder*> created;
    std::vector<std::pair<int64_t, const v1::Statushouder*>> updated;
    std::vector<v1::Statushouder> records(candidates.size());
    std::vector<v1::Event> events;
    for (size_t i = 0; i < candidates.size(); ++i) {
      const v1::Statushouder& row = candidates[i].statushouder;
      ImportOutcome& outcome = outcomes[i];
      auto it = stored.find(row.bsn());
      if (it == stored.end()) {
        v1::Statushouder& record = records[i];
        record = row;
        record.set_id(NewId());
        record.set_gemeente(gemeente);
        record.set_version(1);
        *record.mutable_create_time() = now;
        *record.mutable_update_time() = now;
        outcome.outcome = v1::ImportRowResult::CREATED;
        outcome.id = record.id();
        created.push_back(&record);
        events.push_back(StatushouderEvent(v1::StatushouderChanged::IMPORTED, record));
        continue;
      }
      v1::Statushouder record = it->second.record;
      outcome.id = record.id();
      absl::StatusOr<bool> changed = merge(record, row);
      if (!changed.ok()) {
        outcome.outcome = v1::ImportRowResult::REJECTED;
        outcome.rejection = changed.status();
        outcome.id.clear();
        continue;
      }
      if (!*changed) {
        outcome.outcome = v1::ImportRowResult::UNCHANGED;
        continue;
      }
      record.set_version(record.version() + 1);
      *record.mutable_update_time() = now;
      outcome.outcome = v1::ImportRowResult::UPDATED;
      // Later rows of the batch see this state (the service rejects repeated BSNs anyway).
      it->second.record = record;
      records[i] = std::move(record);
      updated.emplace_back(it->second.seq, &records[i]);
      events.push_back(StatushouderEvent(v1::StatushouderChanged::IMPORTED, records[i]));
    }

    // 3. Multi-row writes: inserts, upserts on the primary key for updates, then the events.
    try {
      kInsert.ForEach(c, created.size(),
                      [&](sql::PreparedStatement& insert, size_t begin, size_t chunk) {
                        for (size_t i = 0; i < chunk; ++i) {
                          BindNewRow(insert, static_cast<int>(11 * i + 1), *created[begin + i]);
                        }
                        insert.executeUpdate();
                      });
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() != kDuplicateKey) throw;
      return absl::AbortedError(
          "import statushouders: a bsn of the batch was registered concurrently; send the batch "
          "again");
    }
    kUpsert.ForEach(
        c, updated.size(), [&](sql::PreparedStatement& upsert, size_t begin, size_t chunk) {
          for (size_t i = 0; i < chunk; ++i) {
            upsert.setInt64(static_cast<int>(12 * i + 1), updated[begin + i].first);
            BindNewRow(upsert, static_cast<int>(12 * i + 2), *updated[begin + i].second);
          }
          upsert.executeUpdate();
        });
    Outbox::AppendManyNumbered(c, events);  // last: it holds the sequencer until commit
    wrote = !events.empty();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (wrote) outbox_.NotifyCommitted();
  return outcomes;
}

}  // namespace inburgering::intake

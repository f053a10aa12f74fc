#include "matching-service/mysql_matching_store.h"

#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/ids.h"
#include "common/request_ledger.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"
#include "matching-service/matching_core.h"

namespace inburgering::matching {
namespace migrations {
const std::vector<Migration>& Migrations();  // generated from migrations/*.sql
}  // namespace migrations

namespace {

using google::protobuf::util::TimeUtil;

constexpr RequestLedger kWerkplekLedger = {
    "INSERT INTO werkplek_requests (region, request_id, request_hash, werkplek_id) "
    "VALUES (?, ?, ?, ?)",
    "SELECT request_hash, werkplek_id FROM werkplek_requests WHERE region = ? AND request_id = ?",
    "werkplek"};

constexpr RequestLedger kPlacementLedger = {
    "INSERT INTO placement_requests (gemeente, request_id, request_hash, placement_id) "
    "VALUES (?, ?, ?, ?)",
    "SELECT request_hash, placement_id FROM placement_requests "
    "WHERE gemeente = ? AND request_id = ?",
    "placement"};

template <typename Message>
absl::StatusOr<Message> ParseRecord(sql::ResultSet& rs, const char* column, const char* what) {
  Message message;
  std::string record(rs.getString(column));
  if (!message.ParseFromString(record)) {
    return absl::DataLossError(absl::StrCat(what, " record does not parse"));
  }
  return message;
}

// The start-up reads of the in-memory index and cache.
constexpr char kLoadWerkplekken[] = "SELECT record FROM werkplekken ORDER BY seq";
constexpr char kLoadKandidaten[] = "SELECT record FROM kandidaten";
constexpr char kLoadPlacements[] = "SELECT record FROM placements";

// Every row's `record` column of the fixed statement `kSelect`, parsed.
template <typename Message, const char* kSelect>
absl::StatusOr<std::vector<Message>> LoadAll(MysqlPool& pool, const char* what) {
  std::vector<Message> all;
  absl::Status status =
      pool.Run(absl::StrCat("load ", what), [&](PooledConnection& c) -> absl::Status {
        all.clear();
        std::unique_ptr<sql::ResultSet> rs(c.Prepare(kSelect).executeQuery());
        while (rs->next()) {
          ASSIGN_OR_RETURN(Message m, ParseRecord<Message>(*rs, "record", what));
          all.push_back(std::move(m));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return all;
}

absl::StatusOr<v1::Werkplek> SelectWerkplek(PooledConnection& c, const std::string& region,
                                            const std::string& id, bool for_update) {
  auto& select =
      c.Prepare(for_update ? "SELECT record FROM werkplekken WHERE id = ? AND region = ? "
                             "FOR UPDATE"
                           : "SELECT record FROM werkplekken WHERE id = ? AND region = ?");
  select.setString(1, id);
  select.setString(2, region);
  std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
  if (!rs->next()) return absl::NotFoundError("werkplek not found");
  return ParseRecord<v1::Werkplek>(*rs, "record", "werkplek");
}

// Writes the record and the columns kept beside it for filters and capacity accounting.
void StoreWerkplek(PooledConnection& c, const v1::Werkplek& w) {
  auto& update = c.Prepare(
      "UPDATE werkplekken SET gemeente = ?, type = ?, occupation_isco = ?, "
      "min_language_level = ?, capacity = ?, capacity_used = ?, open_from = ?, open_until = ?, "
      "version = ?, record = ? WHERE id = ?");
  update.setString(1, w.gemeente());
  update.setInt(2, w.type());
  update.setString(3, w.occupation_isco());
  update.setInt(4, w.min_language_level());
  update.setInt(5, w.capacity());
  update.setInt(6, w.capacity_used());
  update.setString(7, w.open_from());
  if (w.open_until().empty()) {
    update.setNull(8, sql::DataType::DATE);
  } else {
    update.setString(8, w.open_until());
  }
  update.setInt64(9, w.version());
  update.setString(10, w.SerializeAsString());
  update.setString(11, w.id());
  update.executeUpdate();
}

v1::Event WerkplekEvent(v1::WerkplekChanged::Change change, const v1::Werkplek& w) {
  v1::Event event;
  event.set_gemeente(w.gemeente());
  event.set_aggregate_id(w.id());
  event.mutable_werkplek_changed()->set_change(change);
  *event.mutable_werkplek_changed()->mutable_werkplek() = w;
  return event;
}

v1::Event PlacementEvent(v1::PlacementChanged::Change change, const v1::Placement& p) {
  v1::Event event;
  event.set_gemeente(p.gemeente());
  event.set_aggregate_id(p.id());
  event.mutable_placement_changed()->set_change(change);
  *event.mutable_placement_changed()->mutable_placement() = p;
  return event;
}

absl::StatusOr<v1::Placement> SelectPlacement(PooledConnection& c, const std::string& id,
                                              bool for_update) {
  auto& select = c.Prepare(for_update ? "SELECT record FROM placements WHERE id = ? FOR UPDATE"
                                      : "SELECT record FROM placements WHERE id = ?");
  select.setString(1, id);
  std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
  if (!rs->next()) return absl::NotFoundError("placement not found");
  return ParseRecord<v1::Placement>(*rs, "record", "placement");
}

}  // namespace

std::vector<Migration> MatchingMigrations() {
  std::vector<Migration> all = migrations::Migrations();
  const auto& outbox = OutboxMigrations();
  all.insert(all.end(), outbox.begin(), outbox.end());
  return all;
}

absl::StatusOr<std::vector<v1::Werkplek>> MysqlMatchingStore::LoadWerkplekken() {
  return LoadAll<v1::Werkplek, kLoadWerkplekken>(pool_, "werkplek");
}

absl::StatusOr<std::vector<v1::KandidaatProfiel>> MysqlMatchingStore::LoadKandidaten() {
  return LoadAll<v1::KandidaatProfiel, kLoadKandidaten>(pool_, "kandidaat");
}

absl::StatusOr<std::vector<v1::Placement>> MysqlMatchingStore::LoadPlacements() {
  return LoadAll<v1::Placement, kLoadPlacements>(pool_, "placement");
}

absl::StatusOr<v1::Werkplek> MysqlMatchingStore::CreateWerkplek(const std::string& request_id,
                                                                const std::string& request_hash,
                                                                v1::Werkplek werkplek) {
  v1::Werkplek result;
  absl::Status status = pool_.InTransaction("register werkplek", [&](PooledConnection& c) {
    const std::string id = NewId();
    ASSIGN_OR_RETURN(
        std::optional<std::string> prior,
        ClaimRequestId(c, kWerkplekLedger, werkplek.region(), request_id, request_hash, id));
    if (prior.has_value()) {
      ASSIGN_OR_RETURN(result, SelectWerkplek(c, werkplek.region(), *prior, /*for_update=*/false));
      return absl::OkStatus();
    }
    const auto now = TimeUtil::GetCurrentTime();
    werkplek.set_id(id);
    werkplek.set_version(1);
    werkplek.set_capacity_used(0);
    *werkplek.mutable_create_time() = now;
    *werkplek.mutable_update_time() = now;
    auto& insert = c.Prepare(
        "INSERT INTO werkplekken (id, region, gemeente, type, occupation_isco, "
        "min_language_level, capacity, capacity_used, open_from, version, record) "
        "VALUES (?, ?, '', 0, '', 0, 0, 0, ?, 0, '')");
    insert.setString(1, id);
    insert.setString(2, werkplek.region());
    insert.setString(3, werkplek.open_from());
    insert.executeUpdate();
    StoreWerkplek(c, werkplek);
    Outbox::Append(c, WerkplekEvent(v1::WerkplekChanged::REGISTERED, werkplek));
    result = werkplek;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  outbox_.NotifyCommitted();
  return result;
}

absl::StatusOr<v1::Werkplek> MysqlMatchingStore::GetWerkplek(const std::string& region,
                                                             const std::string& id) {
  v1::Werkplek result;
  absl::Status status = pool_.Run("get werkplek", [&](PooledConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(result, SelectWerkplek(c, region, id, /*for_update=*/false));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::Werkplek> MysqlMatchingStore::UpdateWerkplek(const std::string& region,
                                                                const std::string& id,
                                                                int64_t expected_version,
                                                                const WerkplekMutation& mutate) {
  v1::Werkplek result;
  absl::Status status = pool_.InTransaction("update werkplek", [&](PooledConnection& c) {
    ASSIGN_OR_RETURN(v1::Werkplek w, SelectWerkplek(c, region, id, /*for_update=*/true));
    if (w.version() != expected_version) {
      return absl::AbortedError(
          absl::StrCat("version: the werkplek is at version ", w.version(), "; read it again"));
    }
    RETURN_IF_ERROR(mutate(w));
    w.set_version(expected_version + 1);
    *w.mutable_update_time() = TimeUtil::GetCurrentTime();
    StoreWerkplek(c, w);
    Outbox::Append(c, WerkplekEvent(v1::WerkplekChanged::UPDATED, w));
    result = std::move(w);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  outbox_.NotifyCommitted();
  return result;
}

absl::StatusOr<std::pair<std::vector<v1::Werkplek>, int64_t>> MysqlMatchingStore::ListWerkplekken(
    const std::string& region, const WerkplekFilter& f, absl::CivilDay today, int64_t after_seq,
    int limit) {
  std::vector<v1::Werkplek> page;
  int64_t last_seq = 0;
  absl::Status status = pool_.Run("list werkplekken", [&](PooledConnection& c) -> absl::Status {
    page.clear();
    last_seq = 0;
    // Every filter is a bound parameter with an "any" value, so the text is fixed.
    auto& select = c.Prepare(
        "SELECT seq, record FROM werkplekken WHERE region = ? AND seq > ? "
        "AND (? = 0 OR type = ?) "
        "AND (? = '' OR occupation_isco LIKE CONCAT(?, '%')) "
        "AND (? = '' OR gemeente = ?) "
        "AND (? = 0 OR (open_from <= ? AND (open_until IS NULL OR open_until > ?))) "
        "AND (? = 0 OR min_language_level <= ?) "
        "AND (? = 0 OR capacity_used < capacity) "
        "ORDER BY seq LIMIT ?");
    const std::string day = FormatDate(today);
    int i = 1;
    select.setString(i++, region);
    select.setInt64(i++, after_seq);
    select.setInt(i++, f.type);
    select.setInt(i++, f.type);
    select.setString(i++, f.isco_prefix);
    select.setString(i++, f.isco_prefix);
    select.setString(i++, f.gemeente);
    select.setString(i++, f.gemeente);
    select.setInt(i++, f.open_only ? 1 : 0);
    select.setString(i++, day);
    select.setString(i++, day);
    select.setInt(i++, f.max_min_language_level);
    select.setInt(i++, f.max_min_language_level);
    select.setInt(i++, f.with_capacity_left ? 1 : 0);
    select.setInt(i++, limit + 1);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    while (rs->next()) {
      if (static_cast<int>(page.size()) == limit) {
        return absl::OkStatus();  // there is more: last_seq marks where the next page starts
      }
      ASSIGN_OR_RETURN(v1::Werkplek w, ParseRecord<v1::Werkplek>(*rs, "record", "werkplek"));
      page.push_back(std::move(w));
      last_seq = rs->getInt64("seq");
    }
    last_seq = 0;  // the last page
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return std::make_pair(std::move(page), last_seq);
}

bool MysqlMatchingStore::UpsertKandidaat(PooledConnection& c, const v1::KandidaatProfiel& p) {
  // Insert, or replace only an older version: a replayed or out-of-date event changes nothing.
  auto& upsert = c.Prepare(
      "INSERT INTO kandidaten (id, gemeente, version, record) VALUES (?, ?, ?, ?) "
      "ON DUPLICATE KEY UPDATE "
      "gemeente = IF(VALUES(version) > version, VALUES(gemeente), gemeente), "
      "record = IF(VALUES(version) > version, VALUES(record), record), "
      "version = GREATEST(version, VALUES(version))");
  upsert.setString(1, p.statushouder_id());
  upsert.setString(2, p.gemeente());
  upsert.setInt64(3, p.version());
  upsert.setString(4, p.SerializeAsString());
  return upsert.executeUpdate() > 0;
}

absl::StatusOr<std::pair<v1::Placement, v1::Werkplek>> MysqlMatchingStore::CreatePlacement(
    const std::string& caller_gemeente, const std::string& request_id,
    const std::string& request_hash, const std::string& region, v1::Placement placement,
    const std::string& prior_isco, absl::CivilDay today) {
  std::pair<v1::Placement, v1::Werkplek> result;
  bool replay = false;
  absl::Status status = pool_.InTransaction("create placement", [&](PooledConnection& c) {
    replay = false;
    const std::string id = NewId();
    ASSIGN_OR_RETURN(
        std::optional<std::string> prior,
        ClaimRequestId(c, kPlacementLedger, caller_gemeente, request_id, request_hash, id));
    if (prior.has_value()) {
      ASSIGN_OR_RETURN(result.first, SelectPlacement(c, *prior, /*for_update=*/false));
      ASSIGN_OR_RETURN(result.second, SelectWerkplek(c, region, result.first.werkplek_id(),
                                                     /*for_update=*/false));
      replay = true;
      return absl::OkStatus();
    }
    // The row lock on the kandidaat serialises every placement of one statushouder: under READ
    // COMMITTED the check for an active placement below locks no gap, so two creates on different
    // werkplekken would otherwise both find none and both insert.
    auto& kandidaat =
        c.Prepare("SELECT 1 FROM kandidaten WHERE id = ? AND gemeente = ? FOR UPDATE");
    kandidaat.setString(1, placement.statushouder_id());
    kandidaat.setString(2, placement.gemeente());
    if (std::unique_ptr<sql::ResultSet> rs(kandidaat.executeQuery()); !rs->next()) {
      return absl::NotFoundError("statushouder not found");
    }
    // The row lock on the werkplek serialises every placement on it, so capacity_used can never
    // pass capacity (nor go below zero when placements end).
    ASSIGN_OR_RETURN(v1::Werkplek w,
                     SelectWerkplek(c, region, placement.werkplek_id(), /*for_update=*/true));
    auto& active = c.Prepare(
        "SELECT 1 FROM placements WHERE statushouder_id = ? AND status IN (1, 2) FOR UPDATE");
    active.setString(1, placement.statushouder_id());
    if (std::unique_ptr<sql::ResultSet> rs(active.executeQuery()); rs->next()) {
      return absl::FailedPreconditionError(
          "statushouder_id: already has a placement that is voorgesteld or gestart");
    }
    const Place place = PlaceFrom(std::make_shared<const v1::Werkplek>(w));
    if (today < place.open_from || (place.open_until && today >= *place.open_until)) {
      return absl::FailedPreconditionError("werkplek_id: the werkplek is not open today");
    }
    if (w.capacity_used() >= w.capacity()) {
      return absl::FailedPreconditionError("werkplek_id: the werkplek has no capacity left");
    }
    const auto now = TimeUtil::GetCurrentTime();
    placement.set_id(id);
    placement.set_status(v1::PLACEMENT_STATUS_VOORGESTELD);
    placement.set_op_niveau(OpNiveauOf(prior_isco, w.occupation_isco()));
    placement.set_version(1);
    *placement.mutable_create_time() = now;
    *placement.mutable_update_time() = now;
    auto& insert = c.Prepare(
        "INSERT INTO placements (id, statushouder_id, werkplek_id, gemeente, region, status, "
        "version, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insert.setString(1, id);
    insert.setString(2, placement.statushouder_id());
    insert.setString(3, placement.werkplek_id());
    insert.setString(4, placement.gemeente());
    insert.setString(5, region);
    insert.setInt(6, placement.status());
    insert.setInt64(7, placement.version());
    insert.setString(8, placement.SerializeAsString());
    insert.executeUpdate();
    w.set_capacity_used(w.capacity_used() + 1);
    *w.mutable_update_time() = now;
    StoreWerkplek(c, w);
    Outbox::Append(c, PlacementEvent(v1::PlacementChanged::CREATED, placement));
    Outbox::Append(c, WerkplekEvent(v1::WerkplekChanged::UPDATED, w));
    result = {placement, w};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!replay) outbox_.NotifyCommitted();
  return result;
}

absl::StatusOr<std::pair<v1::Placement, v1::Werkplek>> MysqlMatchingStore::UpdatePlacement(
    const std::string& id, int64_t expected_version, const PlacementMutation& mutate) {
  std::pair<v1::Placement, v1::Werkplek> result;
  absl::Status status = pool_.InTransaction("update placement", [&](PooledConnection& c) {
    ASSIGN_OR_RETURN(v1::Placement p, SelectPlacement(c, id, /*for_update=*/true));
    const bool was_active = IsUnderWay(p.status());
    const v1::Placement before = p;
    RETURN_IF_ERROR(mutate(p));  // checks scope first: NOT_FOUND before any version detail
    if (before.version() != expected_version) {
      return absl::AbortedError(absl::StrCat("version: the placement is at version ",
                                             before.version(), "; read it again"));
    }
    auto& region_of = c.Prepare("SELECT region FROM placements WHERE id = ?");
    region_of.setString(1, id);
    std::unique_ptr<sql::ResultSet> rs(region_of.executeQuery());
    if (!rs->next()) return absl::NotFoundError("placement not found");
    const std::string region(rs->getString(1));
    ASSIGN_OR_RETURN(v1::Werkplek w, SelectWerkplek(c, region, p.werkplek_id(),
                                                    /*for_update=*/true));
    const auto now = TimeUtil::GetCurrentTime();
    p.set_version(expected_version + 1);
    *p.mutable_update_time() = now;
    auto& update = c.Prepare(
        "UPDATE placements SET status = ?, version = ?, record = ? "
        "WHERE id = ?");
    update.setInt(1, p.status());
    update.setInt64(2, p.version());
    update.setString(3, p.SerializeAsString());
    update.setString(4, id);
    update.executeUpdate();
    Outbox::Append(c, PlacementEvent(v1::PlacementChanged::UPDATED, p));
    if (was_active && !IsUnderWay(p.status())) {
      w.set_capacity_used(std::max(0, w.capacity_used() - 1));
      *w.mutable_update_time() = now;
      StoreWerkplek(c, w);
      Outbox::Append(c, WerkplekEvent(v1::WerkplekChanged::UPDATED, w));
    }
    result = {std::move(p), std::move(w)};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  outbox_.NotifyCommitted();
  return result;
}

}  // namespace inburgering::matching

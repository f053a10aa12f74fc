#include "reporting-service/projection.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/chunked_statement.h"
#include "common/outbox.h"
#include "common/status.h"

namespace inburgering::reporting {
namespace migrations {
const std::vector<Migration>& Migrations();  // generated from migrations/*.sql
}  // namespace migrations

std::vector<Migration> ReportingMigrations() {
  std::vector<Migration> all = migrations::Migrations();
  const auto& outbox = OutboxMigrations();
  all.insert(all.end(), outbox.begin(), outbox.end());
  return all;
}

namespace {

std::string Blob(sql::ResultSet& rs, int column) { return std::string(rs.getString(column)); }

void AddDelta(const AggregateDelta& delta, AggregateDelta& pending) {
  for (const auto& [key, change] : delta) pending[key] += change;
}

// Chunk sizes of the multi-row statements (see ChunkedStatement).
const std::vector<int> kChunks = {64, 16, 4, 1};

std::string Ids(int n) { return ChunkedStatement::Rows("?", n); }

// Locked: the intake and matching consumers both change persons, each in its own transaction; the
// second to come waits and then reads what the first committed.
std::string SelectPersons(int n) {
  return "SELECT id, gemeente, record, keys_text FROM persons WHERE ledger = ? AND id IN (" +
         Ids(n) + ") FOR UPDATE";
}
// A row for every person a batch names, before it is read: a person's first event (of either
// stream) makes it, so the other consumer finds a row to wait on instead of making a second.
std::string InsertPersonStubs(int n) {
  return "INSERT IGNORE INTO persons (ledger, id, gemeente, record, keys_text) VALUES " +
         ChunkedStatement::Rows("(?, ?, ?, NULL, '')", n);
}
std::string SelectPlacementsOfPersons(int n) {
  return "SELECT id, record, keys_text FROM placements WHERE ledger = ? AND statushouder_id IN (" +
         Ids(n) + ")";
}
std::string SelectPlacementsById(int n) {
  return "SELECT id, record, keys_text FROM placements WHERE ledger = ? AND id IN (" + Ids(n) + ")";
}
std::string SelectPlacedAt(int n) {
  return "SELECT DISTINCT statushouder_id FROM placements WHERE ledger = ? AND werkplek_id IN (" +
         Ids(n) + ")";
}
std::string SelectWerkplekken(int n) {
  return "SELECT id, record FROM werkplekken WHERE ledger = ? AND id IN (" + Ids(n) + ")";
}
std::string UpsertPersons(int n) {
  return "INSERT INTO persons (ledger, id, gemeente, record, keys_text) VALUES " +
         ChunkedStatement::Rows("(?, ?, ?, ?, ?)", n) +
         " ON DUPLICATE KEY UPDATE record = VALUES(record), keys_text = VALUES(keys_text)";
}
std::string UpsertPlacements(int n) {
  return "INSERT INTO placements (ledger, id, gemeente, statushouder_id, werkplek_id, record, "
         "keys_text) VALUES " +
         ChunkedStatement::Rows("(?, ?, ?, ?, ?, ?, ?)", n) +
         " ON DUPLICATE KEY UPDATE gemeente = VALUES(gemeente), "
         "statushouder_id = VALUES(statushouder_id), werkplek_id = VALUES(werkplek_id), "
         "record = VALUES(record), keys_text = VALUES(keys_text)";
}
std::string AddCounters(int n) {
  return "INSERT INTO aggregates (ledger, gemeente, month, dimension, value, count) VALUES " +
         ChunkedStatement::Rows("(?, ?, ?, ?, ?, ?)", n) +
         " ON DUPLICATE KEY UPDATE count = count + VALUES(count)";
}
// gemeente, bucket, dimension, value
using CounterKey = std::tuple<std::string, std::string, std::string, std::string>;
std::string UpsertWerkplekken(int n) {
  return "INSERT INTO werkplekken (ledger, id, record) VALUES " +
         ChunkedStatement::Rows("(?, ?, ?)", n) +
         " ON DUPLICATE KEY UPDATE record = VALUES(record)";
}

// Runs `select` (ledger, then ids) over `ids` in chunks and hands each row to `row`.
template <typename Row>
void SelectByIds(PooledConnection& c, const ChunkedStatement& select, int ledger,
                 const std::vector<std::string>& ids, Row row) {
  select.ForEach(c, ids.size(), [&](sql::PreparedStatement& statement, size_t begin, size_t n) {
    statement.setInt(1, ledger);
    for (size_t i = 0; i < n; ++i) statement.setString(static_cast<int>(i) + 2, ids[begin + i]);
    std::unique_ptr<sql::ResultSet> rs(statement.executeQuery());
    while (rs->next()) row(*rs);
  });
}

template <typename Map>
std::vector<std::string> Keys(const Map& map) {
  std::vector<std::string> keys;
  keys.reserve(map.size());
  for (const auto& [key, value] : map) keys.push_back(key);
  return keys;
}

}  // namespace

// The rows a batch touches, loaded once, changed in memory event by event, written once.
struct Projection::Batch {
  struct Person {
    std::string gemeente;               // fixed when the row is first made
    std::optional<std::string> record;  // serialized Statushouder; none for a stub
    std::string keys_text;              // as stored before the batch
    bool dirty = false;
    bool recompute = false;
  };
  struct Placement {
    v1::Placement record;
    std::string keys_text;
    bool dirty = false;
  };
  std::map<std::string, Person> persons;
  std::map<std::string, Placement> placements;  // by id, the order the table returns them in
  std::map<std::string, std::optional<v1::Werkplek>> werkplekken;
  std::set<std::string> werkplekken_dirty;
  AggregateDelta delta;

  // A person's keys from its record and placements as they stand now; the difference to the keys
  // stored before the batch goes into `delta`.
  void Recompute(Person& person, const std::vector<const Placement*>& placements_of_person);
};

absl::Status Projection::ApplyBatch(const std::string& stream, const std::vector<v1::Event>& events,
                                    PooledConnection& c) const {
  Batch batch;
  Load(events, c, batch);
  int64_t head_us = -1;
  for (const v1::Event& event : events) {
    ApplyEvent(event, batch);
    if (event.has_occur_time()) {
      head_us = std::max<int64_t>(
          head_us, event.occur_time().seconds() * 1000000 + event.occur_time().nanos() / 1000);
    }
  }
  // Each touched person once, with its placements (in id order, as the table returns them).
  std::map<std::string, std::vector<const Batch::Placement*>> placements_of;
  for (const auto& [id, placement] : batch.placements) {
    placements_of[placement.record.statushouder_id()].push_back(&placement);
  }
  for (auto& [id, person] : batch.persons) {
    if (person.recompute) batch.Recompute(person, placements_of[id]);
  }
  Store(batch, c);
  WriteDelta(c, batch.delta);
  if (head_us >= 0) {
    auto& head = c.Prepare(
        "INSERT INTO stream_heads (ledger, stream, occur_time) VALUES (?, ?, ?) "
        "ON DUPLICATE KEY UPDATE occur_time = GREATEST(occur_time, VALUES(occur_time))");
    head.setInt(1, ledger_);
    head.setString(2, stream);
    head.setInt64(3, head_us);
    head.executeUpdate();
  }
  return absl::OkStatus();
}

void Projection::Load(const std::vector<v1::Event>& events, PooledConnection& c,
                      Batch& batch) const {
  static const ChunkedStatement kStubs(InsertPersonStubs, kChunks);
  static const ChunkedStatement kPersons(SelectPersons, kChunks);
  static const ChunkedStatement kPlacementsOfPersons(SelectPlacementsOfPersons, kChunks);
  static const ChunkedStatement kPlacementsById(SelectPlacementsById, kChunks);
  static const ChunkedStatement kPlacedAt(SelectPlacedAt, kChunks);
  static const ChunkedStatement kWerkplekken(SelectWerkplekken, kChunks);
  std::set<std::string> person_ids, placement_ids, werkplek_ids, changed_werkplekken;
  std::map<std::string, std::string> new_persons;  // id -> gemeente of its first event here
  for (const v1::Event& event : events) {
    switch (event.payload_case()) {
      case v1::Event::kStatushouderChanged: {
        const v1::Statushouder& s = event.statushouder_changed().statushouder();
        if (s.id().empty() || s.gemeente().empty()) break;
        person_ids.insert(s.id());
        new_persons.try_emplace(s.id(), s.gemeente());
        break;
      }
      case v1::Event::kPlacementChanged: {
        const v1::Placement& p = event.placement_changed().placement();
        if (p.id().empty() || p.gemeente().empty()) break;
        placement_ids.insert(p.id());
        person_ids.insert(p.statushouder_id());
        werkplek_ids.insert(p.werkplek_id());
        new_persons.try_emplace(p.statushouder_id(), p.gemeente());
        break;
      }
      case v1::Event::kWerkplekChanged:
        changed_werkplekken.insert(event.werkplek_changed().werkplek().id());
        break;
      default:
        break;
    }
  }
  // Whether a place is talend, and its type, feed the figures of the people placed there.
  SelectByIds(c, kPlacedAt, ledger_, {changed_werkplekken.begin(), changed_werkplekken.end()},
              [&](sql::ResultSet& rs) { person_ids.insert(Blob(rs, 1)); });
  const std::vector<std::pair<std::string, std::string>> stubs(new_persons.begin(),
                                                               new_persons.end());
  kStubs.ForEach(c, stubs.size(), [&](sql::PreparedStatement& insert, size_t begin, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const int p = static_cast<int>(3 * i);
      insert.setInt(p + 1, ledger_);
      insert.setString(p + 2, stubs[begin + i].first);
      insert.setString(p + 3, stubs[begin + i].second);
    }
    insert.executeUpdate();
  });
  const std::vector<std::string> persons(person_ids.begin(), person_ids.end());
  SelectByIds(c, kPersons, ledger_, persons, [&](sql::ResultSet& rs) {
    Batch::Person& person = batch.persons[Blob(rs, 1)];
    person.gemeente = Blob(rs, 2);
    if (!rs.isNull(3)) person.record = Blob(rs, 3);
    person.keys_text = Blob(rs, 4);
  });
  auto placement_row = [&](sql::ResultSet& rs) {
    Batch::Placement& placement = batch.placements[Blob(rs, 1)];
    placement.record.ParseFromString(Blob(rs, 2));
    placement.keys_text = Blob(rs, 3);
    werkplek_ids.insert(placement.record.werkplek_id());
  };
  SelectByIds(c, kPlacementsOfPersons, ledger_, persons, placement_row);
  SelectByIds(c, kPlacementsById, ledger_, {placement_ids.begin(), placement_ids.end()},
              placement_row);
  werkplek_ids.insert(changed_werkplekken.begin(), changed_werkplekken.end());
  for (const std::string& id : werkplek_ids) batch.werkplekken[id];
  SelectByIds(c, kWerkplekken, ledger_, Keys(batch.werkplekken), [&](sql::ResultSet& rs) {
    v1::Werkplek werkplek;
    if (werkplek.ParseFromString(Blob(rs, 2))) batch.werkplekken[Blob(rs, 1)] = werkplek;
  });
}

void Projection::ApplyEvent(const v1::Event& event, Batch& batch) const {
  switch (event.payload_case()) {
    case v1::Event::kStatushouderChanged: {
      const v1::Statushouder& s = event.statushouder_changed().statushouder();
      if (s.id().empty() || s.gemeente().empty()) break;
      auto [it, inserted] = batch.persons.try_emplace(s.id());
      if (inserted) it->second.gemeente = s.gemeente();
      it->second.record = s.SerializeAsString();
      it->second.dirty = it->second.recompute = true;
      break;
    }
    case v1::Event::kPlacementChanged: {
      const v1::Placement& p = event.placement_changed().placement();
      if (p.id().empty() || p.gemeente().empty()) break;
      Batch::Placement& placement = batch.placements[p.id()];
      const std::vector<AggregateKey> new_keys = PlacementContributions(p);
      AddDelta(Diff(DecodeKeys(p.gemeente(), placement.keys_text), new_keys), batch.delta);
      placement.record = p;
      placement.keys_text = EncodeKeys(new_keys);
      placement.dirty = true;
      // The placement may arrive before the statushouder (separate streams): keep a stub row
      // whose figures appear once the record does.
      auto [person, inserted] = batch.persons.try_emplace(p.statushouder_id());
      if (inserted) person->second.gemeente = p.gemeente();
      person->second.dirty = person->second.dirty || inserted;
      person->second.recompute = true;
      break;
    }
    case v1::Event::kWerkplekChanged: {
      const v1::Werkplek& w = event.werkplek_changed().werkplek();
      if (w.id().empty()) break;
      batch.werkplekken[w.id()] = w;
      batch.werkplekken_dirty.insert(w.id());
      for (const auto& [id, placement] : batch.placements) {
        if (placement.record.werkplek_id() != w.id()) continue;
        auto it = batch.persons.find(placement.record.statushouder_id());
        if (it != batch.persons.end()) it->second.recompute = true;
      }
      break;
    }
    default:
      break;
  }
}

void Projection::Batch::Recompute(Person& person,
                                  const std::vector<const Placement*>& placements_of_person) {
  std::vector<AggregateKey> new_keys;
  v1::Statushouder record;
  if (person.record.has_value() && record.ParseFromString(*person.record)) {
    std::vector<PlacementWithWerkplek> placements;
    for (const Batch::Placement* placement : placements_of_person) {
      PlacementWithWerkplek& pw = placements.emplace_back();
      pw.placement = placement->record;
      const auto& werkplek = werkplekken[placement->record.werkplek_id()];
      if (werkplek.has_value()) {
        pw.werkplek_known = true;
        pw.werkplek = *werkplek;
      }
    }
    new_keys = PersonContributions(record, DerivePlacementFacts(placements));
  }
  std::string new_text = EncodeKeys(new_keys);
  if (new_text == person.keys_text) return;
  AddDelta(Diff(DecodeKeys(person.gemeente, person.keys_text), new_keys), delta);
  person.keys_text = std::move(new_text);
  person.dirty = true;
}

void Projection::Store(const Batch& batch, PooledConnection& c) const {
  static const ChunkedStatement kPersons(UpsertPersons, kChunks);
  static const ChunkedStatement kPlacements(UpsertPlacements, kChunks);
  static const ChunkedStatement kWerkplekken(UpsertWerkplekken, kChunks);
  std::vector<std::pair<const std::string*, const Batch::Person*>> persons;
  for (const auto& [id, person] : batch.persons) {
    if (person.dirty) persons.emplace_back(&id, &person);
  }
  kPersons.ForEach(c, persons.size(), [&](sql::PreparedStatement& upsert, size_t begin, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const auto& [id, person] = persons[begin + i];
      const int p = static_cast<int>(5 * i);
      upsert.setInt(p + 1, ledger_);
      upsert.setString(p + 2, *id);
      upsert.setString(p + 3, person->gemeente);
      if (person->record.has_value()) {
        upsert.setString(p + 4, *person->record);
      } else {
        upsert.setNull(p + 4, sql::DataType::LONGVARBINARY);
      }
      upsert.setString(p + 5, person->keys_text);
    }
    upsert.executeUpdate();
  });
  std::vector<const Batch::Placement*> placements;
  for (const auto& [id, placement] : batch.placements) {
    if (placement.dirty) placements.push_back(&placement);
  }
  kPlacements.ForEach(c, placements.size(),
                      [&](sql::PreparedStatement& upsert, size_t begin, size_t n) {
                        for (size_t i = 0; i < n; ++i) {
                          const v1::Placement& record = placements[begin + i]->record;
                          const int p = static_cast<int>(7 * i);
                          upsert.setInt(p + 1, ledger_);
                          upsert.setString(p + 2, record.id());
                          upsert.setString(p + 3, record.gemeente());
                          upsert.setString(p + 4, record.statushouder_id());
                          upsert.setString(p + 5, record.werkplek_id());
                          upsert.setString(p + 6, record.SerializeAsString());
                          upsert.setString(p + 7, placements[begin + i]->keys_text);
                        }
                        upsert.executeUpdate();
                      });
  const std::vector<std::string> werkplekken(batch.werkplekken_dirty.begin(),
                                             batch.werkplekken_dirty.end());
  kWerkplekken.ForEach(
      c, werkplekken.size(), [&](sql::PreparedStatement& upsert, size_t begin, size_t n) {
        for (size_t i = 0; i < n; ++i) {
          const int p = static_cast<int>(3 * i);
          upsert.setInt(p + 1, ledger_);
          upsert.setString(p + 2, werkplekken[begin + i]);
          upsert.setString(p + 3,
                           batch.werkplekken.at(werkplekken[begin + i])->SerializeAsString());
        }
        upsert.executeUpdate();
      });
}

void Projection::WriteDelta(PooledConnection& c, const AggregateDelta& delta) const {
  // Counter changes per (gemeente, bucket, dimension, value), in key order (so that concurrent
  // writers lock rows in one order), and histogram changes per (gemeente, bucket, dimension):
  // days -> change. Each key counts for its month and its year roll-up (see YearBucket).
  std::map<CounterKey, int64_t> counters;
  std::map<std::tuple<std::string, std::string, std::string>, std::map<int64_t, int64_t>> days;
  for (const auto& [key, change] : delta) {
    if (change == 0) continue;  // a key left and re-entered within the batch
    for (const std::string& bucket : {key.month, YearBucket(key.month)}) {
      int64_t value;
      if (IsHistogramDimension(key.dimension) && absl::SimpleAtoi(key.value, &value)) {
        days[{key.gemeente, bucket, key.dimension}][value] += change;
      } else {
        counters[{key.gemeente, bucket, key.dimension, key.value}] += change;
      }
    }
  }
  static const ChunkedStatement kAdd(AddCounters, kChunks);
  const std::vector<std::pair<CounterKey, int64_t>> rows(counters.begin(), counters.end());
  kAdd.ForEach(c, rows.size(), [&](sql::PreparedStatement& add, size_t begin, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const auto& [gemeente, bucket, dimension, value] = rows[begin + i].first;
      const int p = static_cast<int>(6 * i);
      add.setInt(p + 1, ledger_);
      add.setString(p + 2, gemeente);
      add.setString(p + 3, bucket);
      add.setString(p + 4, dimension);
      add.setString(p + 5, value);
      add.setInt64(p + 6, rows[begin + i].second);
    }
    add.executeUpdate();
  });
  if (days.empty()) return;
  auto& select = c.Prepare(
      "SELECT data FROM histograms WHERE ledger = ? AND gemeente = ? AND month = ? "
      "AND dimension = ? FOR UPDATE");
  auto& upsert = c.Prepare(
      "INSERT INTO histograms (ledger, gemeente, month, dimension, data) VALUES (?, ?, ?, ?, ?) "
      "ON DUPLICATE KEY UPDATE data = VALUES(data)");
  for (const auto& [where, changes] : days) {
    const auto& [gemeente, bucket, dimension] = where;
    select.setInt(1, ledger_);
    select.setString(2, gemeente);
    select.setString(3, bucket);
    select.setString(4, dimension);
    std::map<int64_t, int64_t> histogram;
    {
      std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
      if (rs->next()) histogram = DecodeHistogram(Blob(*rs, 1));
    }
    for (const auto& [value, change] : changes) histogram[value] += change;
    upsert.setInt(1, ledger_);
    upsert.setString(2, gemeente);
    upsert.setString(3, bucket);
    upsert.setString(4, dimension);
    upsert.setString(5, EncodeHistogram(histogram));
    upsert.executeUpdate();
  }
}

absl::Status Projection::Clear(MysqlPool& pool) const {
  return pool.InTransaction("clear projection", [&](PooledConnection& c) {
    auto run = [&](sql::PreparedStatement& statement) {
      statement.setInt(1, ledger_);
      statement.executeUpdate();
    };
    run(c.Prepare("DELETE FROM persons WHERE ledger = ?"));
    run(c.Prepare("DELETE FROM placements WHERE ledger = ?"));
    run(c.Prepare("DELETE FROM werkplekken WHERE ledger = ?"));
    run(c.Prepare("DELETE FROM aggregates WHERE ledger = ?"));
    run(c.Prepare("DELETE FROM stream_heads WHERE ledger = ?"));
    run(c.Prepare("DELETE FROM histograms WHERE ledger = ?"));
    return absl::OkStatus();
  });
}

}  // namespace inburgering::reporting

#include "reporting-service/projection.h"

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
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

}  // namespace

absl::Status Projection::ApplyBatch(const std::string& stream, const std::vector<v1::Event>& events,
                                    PooledConnection& c) const {
  AggregateDelta pending;
  int64_t head_us = -1;
  for (const v1::Event& event : events) {
    ApplyEvent(event, c, pending);
    if (event.has_occur_time()) {
      head_us = std::max<int64_t>(
          head_us, event.occur_time().seconds() * 1000000 + event.occur_time().nanos() / 1000);
    }
  }
  WriteDelta(c, pending);
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

void Projection::ApplyEvent(const v1::Event& event, PooledConnection& c,
                            AggregateDelta& pending) const {
  switch (event.payload_case()) {
    case v1::Event::kStatushouderChanged: {
      const v1::Statushouder& s = event.statushouder_changed().statushouder();
      if (s.id().empty() || s.gemeente().empty()) break;
      auto& upsert = c.Prepare(
          "INSERT INTO persons (ledger, id, gemeente, record, keys_text) VALUES (?, ?, ?, ?, '') "
          "ON DUPLICATE KEY UPDATE record = VALUES(record)");
      upsert.setInt(1, ledger_);
      upsert.setString(2, s.id());
      upsert.setString(3, s.gemeente());
      upsert.setString(4, s.SerializeAsString());
      upsert.executeUpdate();
      RecomputePerson(c, s.id(), pending);
      break;
    }
    case v1::Event::kPlacementChanged: {
      const v1::Placement& p = event.placement_changed().placement();
      if (p.id().empty() || p.gemeente().empty()) break;
      std::vector<AggregateKey> old_keys;
      {
        auto& select = c.Prepare("SELECT keys_text FROM placements WHERE ledger = ? AND id = ?");
        select.setInt(1, ledger_);
        select.setString(2, p.id());
        std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
        if (rs->next()) old_keys = DecodeKeys(p.gemeente(), Blob(*rs, 1));
      }
      const std::vector<AggregateKey> new_keys = PlacementContributions(p);
      auto& upsert = c.Prepare(
          "INSERT INTO placements "
          "(ledger, id, gemeente, statushouder_id, werkplek_id, record, keys_text) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE gemeente = VALUES(gemeente), "
          "statushouder_id = VALUES(statushouder_id), werkplek_id = VALUES(werkplek_id), "
          "record = VALUES(record), keys_text = VALUES(keys_text)");
      upsert.setInt(1, ledger_);
      upsert.setString(2, p.id());
      upsert.setString(3, p.gemeente());
      upsert.setString(4, p.statushouder_id());
      upsert.setString(5, p.werkplek_id());
      upsert.setString(6, p.SerializeAsString());
      upsert.setString(7, EncodeKeys(new_keys));
      upsert.executeUpdate();
      AddDelta(Diff(old_keys, new_keys), pending);
      // The placement may arrive before the statushouder (separate streams): keep a stub row
      // whose figures appear once the record does.
      auto& stub = c.Prepare(
          "INSERT IGNORE INTO persons (ledger, id, gemeente, record, keys_text) "
          "VALUES (?, ?, ?, NULL, '')");
      stub.setInt(1, ledger_);
      stub.setString(2, p.statushouder_id());
      stub.setString(3, p.gemeente());
      stub.executeUpdate();
      RecomputePerson(c, p.statushouder_id(), pending);
      break;
    }
    case v1::Event::kWerkplekChanged: {
      const v1::Werkplek& w = event.werkplek_changed().werkplek();
      if (w.id().empty()) break;
      auto& upsert = c.Prepare(
          "INSERT INTO werkplekken (ledger, id, record) VALUES (?, ?, ?) "
          "ON DUPLICATE KEY UPDATE record = VALUES(record)");
      upsert.setInt(1, ledger_);
      upsert.setString(2, w.id());
      upsert.setString(3, w.SerializeAsString());
      upsert.executeUpdate();
      // Whether the place is talend, and its type, feed the figures of the people placed there.
      std::vector<std::string> people;
      {
        auto& select = c.Prepare(
            "SELECT DISTINCT statushouder_id FROM placements WHERE ledger = ? AND werkplek_id = ?");
        select.setInt(1, ledger_);
        select.setString(2, w.id());
        std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
        while (rs->next()) people.push_back(Blob(*rs, 1));
      }
      for (const std::string& id : people) RecomputePerson(c, id, pending);
      break;
    }
    default:
      break;
  }
}

void Projection::RecomputePerson(PooledConnection& c, const std::string& id,
                                 AggregateDelta& pending) const {
  std::string gemeente, keys_text;
  v1::Statushouder record;
  bool known = false;
  {
    auto& select =
        c.Prepare("SELECT gemeente, record, keys_text FROM persons WHERE ledger = ? AND id = ?");
    select.setInt(1, ledger_);
    select.setString(2, id);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    if (!rs->next()) return;
    gemeente = Blob(*rs, 1);
    if (!rs->isNull(2)) known = record.ParseFromString(Blob(*rs, 2));
    keys_text = Blob(*rs, 3);
  }
  std::vector<AggregateKey> new_keys;
  if (known) {
    std::vector<PlacementWithWerkplek> placements;
    auto& select = c.Prepare(
        "SELECT p.record, w.record FROM placements p LEFT JOIN werkplekken w "
        "ON w.ledger = p.ledger AND w.id = p.werkplek_id "
        "WHERE p.ledger = ? AND p.statushouder_id = ?");
    select.setInt(1, ledger_);
    select.setString(2, id);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    while (rs->next()) {
      PlacementWithWerkplek pw;
      pw.placement.ParseFromString(Blob(*rs, 1));
      if (!rs->isNull(2)) pw.werkplek_known = pw.werkplek.ParseFromString(Blob(*rs, 2));
      placements.push_back(std::move(pw));
    }
    new_keys = PersonContributions(record, DerivePlacementFacts(placements));
  }
  const std::string new_text = EncodeKeys(new_keys);
  if (new_text == keys_text) return;
  AddDelta(Diff(DecodeKeys(gemeente, keys_text), new_keys), pending);
  auto& update = c.Prepare("UPDATE persons SET keys_text = ? WHERE ledger = ? AND id = ?");
  update.setString(1, new_text);
  update.setInt(2, ledger_);
  update.setString(3, id);
  update.executeUpdate();
}

void Projection::WriteDelta(PooledConnection& c, const AggregateDelta& delta) const {
  // Counter changes per (gemeente, bucket, dimension, value), in key order (so that concurrent
  // writers lock rows in one order), and histogram changes per (gemeente, bucket, dimension):
  // days -> change. Each key counts for its month and its year roll-up (see YearBucket).
  std::map<std::tuple<std::string, std::string, std::string, std::string>, int64_t> counters;
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
  // Multi-row upserts in chunks of 64, 16, 4 and 1 rows; the texts are constants built from
  // fixed fragments, the values travel as parameters.
  auto rows = [](int n) {
    std::string sql =
        "INSERT INTO aggregates (ledger, gemeente, month, dimension, value, count) VALUES "
        "(?, ?, ?, ?, ?, ?)";
    for (int i = 1; i < n; ++i) sql += ", (?, ?, ?, ?, ?, ?)";
    return sql + " ON DUPLICATE KEY UPDATE count = count + VALUES(count)";
  };
  static const std::string kAdd64 = rows(64);
  static const std::string kAdd16 = rows(16);
  static const std::string kAdd4 = rows(4);
  static const std::string kAdd1 = rows(1);
  auto next = counters.begin();
  size_t left = counters.size();
  for (size_t chunk : {64, 16, 4, 1}) {
    while (left >= chunk) {
      sql::PreparedStatement& add = chunk == 64   ? c.Prepare(kAdd64)
                                    : chunk == 16 ? c.Prepare(kAdd16)
                                    : chunk == 4  ? c.Prepare(kAdd4)
                                                  : c.Prepare(kAdd1);
      for (size_t i = 0; i < chunk; ++i, ++next) {
        const auto& [gemeente, bucket, dimension, value] = next->first;
        const int p = static_cast<int>(6 * i);
        add.setInt(p + 1, ledger_);
        add.setString(p + 2, gemeente);
        add.setString(p + 3, bucket);
        add.setString(p + 4, dimension);
        add.setString(p + 5, value);
        add.setInt64(p + 6, next->second);
      }
      add.executeUpdate();
      left -= chunk;
    }
  }
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

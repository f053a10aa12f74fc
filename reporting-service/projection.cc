#include "reporting-service/projection.h"

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

}  // namespace

absl::Status Projection::Apply(const std::string& stream, const v1::Event& event,
                               PooledConnection& c) const {
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
      RecomputePerson(c, s.id());
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
      ApplyDelta(c, Diff(old_keys, new_keys));
      // The placement may arrive before the statushouder (separate streams): keep a stub row
      // whose figures appear once the record does.
      auto& stub = c.Prepare(
          "INSERT IGNORE INTO persons (ledger, id, gemeente, record, keys_text) "
          "VALUES (?, ?, ?, NULL, '')");
      stub.setInt(1, ledger_);
      stub.setString(2, p.statushouder_id());
      stub.setString(3, p.gemeente());
      stub.executeUpdate();
      RecomputePerson(c, p.statushouder_id());
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
      for (const std::string& id : people) RecomputePerson(c, id);
      break;
    }
    default:
      break;
  }
  if (event.has_occur_time()) {
    auto& head = c.Prepare(
        "INSERT INTO stream_heads (ledger, stream, occur_time) VALUES (?, ?, ?) "
        "ON DUPLICATE KEY UPDATE occur_time = GREATEST(occur_time, VALUES(occur_time))");
    head.setInt(1, ledger_);
    head.setString(2, stream);
    head.setInt64(3, event.occur_time().seconds() * 1000000 + event.occur_time().nanos() / 1000);
    head.executeUpdate();
  }
  return absl::OkStatus();
}

void Projection::RecomputePerson(PooledConnection& c, const std::string& id) const {
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
  ApplyDelta(c, Diff(DecodeKeys(gemeente, keys_text), new_keys));
  auto& update = c.Prepare("UPDATE persons SET keys_text = ? WHERE ledger = ? AND id = ?");
  update.setString(1, new_text);
  update.setInt(2, ledger_);
  update.setString(3, id);
  update.executeUpdate();
}

void Projection::ApplyDelta(PooledConnection& c, const AggregateDelta& delta) const {
  if (delta.empty()) return;
  auto& add = c.Prepare(
      "INSERT INTO aggregates (ledger, gemeente, month, dimension, value, count) "
      "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE count = count + VALUES(count)");
  // Histogram changes, per (gemeente, bucket, dimension): days -> change.
  std::map<std::tuple<std::string, std::string, std::string>, std::map<int64_t, int64_t>> days;
  for (const auto& [key, change] : delta) {
    // The month and its year roll-up (see YearBucket).
    for (const std::string& bucket : {key.month, YearBucket(key.month)}) {
      int64_t value;
      if (IsHistogramDimension(key.dimension) && absl::SimpleAtoi(key.value, &value)) {
        days[{key.gemeente, bucket, key.dimension}][value] += change;
        continue;
      }
      add.setInt(1, ledger_);
      add.setString(2, key.gemeente);
      add.setString(3, bucket);
      add.setString(4, key.dimension);
      add.setString(5, key.value);
      add.setInt64(6, change);
      add.executeUpdate();
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

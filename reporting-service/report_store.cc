#include "reporting-service/report_store.h"

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace inburgering::reporting {

absl::StatusOr<Figures> MysqlReportStore::Sum(const std::vector<std::string>& gemeenten,
                                              const std::string& from_month,
                                              const std::string& to_month) {
  std::vector<BucketRange> ranges = PeriodBuckets(from_month, to_month);
  ranges.resize(3);  // unused ranges stay empty ("" to "") and match nothing
  // Each gemeente on its own connection, at the same time: a regional report's reads then use
  // every core MariaDB has instead of one after another. No thread holds two connections.
  std::vector<Figures> parts(gemeenten.size());
  std::vector<absl::Status> statuses(gemeenten.size());
  std::vector<std::thread> readers;
  for (size_t i = 1; i < gemeenten.size(); ++i) {
    readers.emplace_back([&, i] { statuses[i] = SumGemeente(gemeenten[i], ranges, parts[i]); });
  }
  if (!gemeenten.empty()) statuses[0] = SumGemeente(gemeenten[0], ranges, parts[0]);
  for (std::thread& reader : readers) reader.join();
  Figures figures;
  for (size_t i = 0; i < gemeenten.size(); ++i) {
    RETURN_IF_ERROR(statuses[i]);
    figures.merge(parts[i]);
  }
  return figures;
}

absl::Status MysqlReportStore::SumGemeente(const std::string& gemeente,
                                           const std::vector<BucketRange>& ranges,
                                           Figures& figures) {
  return pool_.Run("read aggregates", [&](PooledConnection& c) {
    figures.clear();
    // Up to three range scans of the primary key: leading months, whole years (the roll-up
    // rows), trailing months.
    auto& select = c.Prepare(
        "SELECT dimension, value, SUM(count) FROM aggregates WHERE ledger = ? AND gemeente = ? "
        "AND ((month >= ? AND month < ?) OR (month >= ? AND month < ?) OR "
        "(month >= ? AND month < ?)) GROUP BY dimension, value");
    auto& histograms = c.Prepare(
        "SELECT dimension, data FROM histograms WHERE ledger = ? AND gemeente = ? "
        "AND ((month >= ? AND month < ?) OR (month >= ? AND month < ?) OR "
        "(month >= ? AND month < ?))");
    select.setInt(1, ledger_);
    select.setString(2, gemeente);
    for (int r = 0; r < 3; ++r) {
      select.setString(3 + 2 * r, ranges[r].from);
      select.setString(4 + 2 * r, ranges[r].to);
    }
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    auto& of_gemeente = figures[gemeente];
    while (rs->next()) {
      of_gemeente[std::string(rs->getString(1))][std::string(rs->getString(2))] += rs->getInt64(3);
    }
    // The exact-median histograms, one row per bucket and dimension.
    histograms.setInt(1, ledger_);
    histograms.setString(2, gemeente);
    for (int r = 0; r < 3; ++r) {
      histograms.setString(3 + 2 * r, ranges[r].from);
      histograms.setString(4 + 2 * r, ranges[r].to);
    }
    std::unique_ptr<sql::ResultSet> hs(histograms.executeQuery());
    while (hs->next()) {
      auto& of_dimension = of_gemeente[std::string(hs->getString(1))];
      for (const auto& [days, count] : DecodeHistogram(std::string(hs->getString(2)))) {
        of_dimension[absl::StrCat(days)] += count;
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<google::protobuf::Timestamp> MysqlReportStore::AsOf() {
  google::protobuf::Timestamp as_of;
  absl::Status status = pool_.Run("read stream heads", [&](PooledConnection& c) {
    auto& select =
        c.Prepare("SELECT COALESCE(MAX(occur_time), 0) FROM stream_heads WHERE ledger = ?");
    select.setInt(1, ledger_);
    std::unique_ptr<sql::ResultSet> rs(select.executeQuery());
    const int64_t micros = rs->next() ? rs->getInt64(1) : 0;
    as_of.set_seconds(micros / 1000000);
    as_of.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return as_of;
}

}  // namespace inburgering::reporting

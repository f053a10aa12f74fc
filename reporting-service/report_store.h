// Read side of the reporting schema: the aggregate counters summed over a range of months.
// MysqlReportStore reads the tables the Projection maintains; tests may use other implementations.
//
// Implementations are thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mysql_pool.h"
#include "google/protobuf/timestamp.pb.h"
#include "reporting-service/contributions.h"
#include "reporting-service/projection.h"
#include "reporting-service/report_builder.h"

namespace inburgering::reporting {

class ReportStore {
 public:
  virtual ~ReportStore() = default;
  // Counters of `gemeenten` for months in [from_month, to_month) ("YYYY-MM"), summed per
  // gemeente, dimension and value. UNAVAILABLE when the database is.
  virtual absl::StatusOr<Figures> Sum(const std::vector<std::string>& gemeenten,
                                      const std::string& from_month,
                                      const std::string& to_month) = 0;
  // Occurrence time of the newest event applied (epoch when none yet).
  virtual absl::StatusOr<google::protobuf::Timestamp> AsOf() = 0;
};

class MysqlReportStore final : public ReportStore {
 public:
  explicit MysqlReportStore(MysqlPool& pool, Ledger ledger = Ledger::kMaintained)
      : pool_(pool), ledger_(static_cast<int>(ledger)) {}

  absl::StatusOr<Figures> Sum(const std::vector<std::string>& gemeenten,
                              const std::string& from_month, const std::string& to_month) override;
  absl::StatusOr<google::protobuf::Timestamp> AsOf() override;

 private:
  absl::Status SumGemeente(const std::string& gemeente, const std::vector<BucketRange>& ranges,
                           Figures& figures);

  MysqlPool& pool_;
  const int ledger_;
};

}  // namespace inburgering::reporting

// The ReportingService gRPC handlers (callback API): check the principal and the request, read the
// maintained aggregates on the worker pool, build the report and apply disclosure control for
// every column the caller does not own.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/dates.h"
#include "common/principal.h"
#include "common/worker_pool.h"
#include "inburgering/config/v1/config.pb.h"
#include "inburgering/v1/reporting.grpc.pb.h"
#include "reporting-service/report_builder.h"
#include "reporting-service/report_store.h"

namespace inburgering::reporting {

// The months [from, to) of a valid period; INVALID_ARGUMENT naming the field and rule otherwise.
// A period is whole months, from < to, from not after this month and to at most next month's
// first day (no open-ended periods beyond the data).
struct MonthRange {
  std::string from;  // "YYYY-MM", inclusive
  std::string to;    // "YYYY-MM", exclusive
};
absl::StatusOr<MonthRange> ValidatePeriod(const v1::Period& period, absl::CivilDay today);

// The columns of a report on `scope`: the gemeente's own (a configured CBS code), or one per
// gemeente of the region and its total when `regional`. INVALID_ARGUMENT when not configured.
absl::StatusOr<std::vector<ReportColumn>> ReportColumns(const config::v1::Regions& regions,
                                                        const std::string& scope, bool regional);

// The format and the scope's presence of an export; the scope and period are then checked as
// for a report.
absl::Status ValidateExportRequest(const v1::ExportReportRequest& request);

class ReportingServiceImpl final : public v1::ReportingService::CallbackService {
 public:
  ReportingServiceImpl(ReportStore& store, config::v1::ReportingConfig config, WorkerPool& workers,
                       Clock today);

  grpc::ServerUnaryReactor* GetGemeenteReport(grpc::CallbackServerContext* context,
                                              const v1::GetGemeenteReportRequest* request,
                                              v1::Report* response) override;
  grpc::ServerUnaryReactor* GetRegionalReport(grpc::CallbackServerContext* context,
                                              const v1::GetRegionalReportRequest* request,
                                              v1::Report* response) override;
  grpc::ServerUnaryReactor* ExportReport(grpc::CallbackServerContext* context,
                                         const v1::ExportReportRequest* request,
                                         v1::ExportReportResponse* response) override;

  // The report for `principal` (exposed for tests and the export): scope is a gemeente code or a
  // region id, `regional` says which.
  absl::StatusOr<v1::Report> BuildReport(const Principal& principal, const std::string& scope,
                                         bool regional, const v1::Period& period,
                                         bool unsuppressed);

 private:
  ReportStore& store_;
  const config::v1::ReportingConfig config_;
  WorkerPool& workers_;
  Clock today_;
  int threshold_;
};

}  // namespace inburgering::reporting

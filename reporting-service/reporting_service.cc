#include "reporting-service/reporting_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/blocking_reactor.h"
#include "common/status.h"
#include "reporting-service/report_export.h"

namespace inburgering::reporting {
namespace {

// Roles that see their own gemeente's figures in full.
bool SeesOwnGemeente(Role role) {
  return role == Role::kConsulent || role == Role::kAnalist || role == Role::kBeheerder;
}

absl::Status CheckRole(const Principal& principal) {
  if (principal.role == Role::kService) {
    return absl::PermissionDeniedError("role: service principals may not read reports");
  }
  return absl::OkStatus();
}

std::string GemeenteName(const config::v1::Regions& regions, const std::string& code) {
  for (const auto& g : regions.gemeenten()) {
    if (g.code() == code) return g.name().empty() ? code : g.name();
  }
  return code;
}

}  // namespace

absl::StatusOr<std::vector<ReportColumn>> ReportColumns(const config::v1::Regions& regions,
                                                        const std::string& scope, bool regional) {
  std::vector<ReportColumn> columns;
  if (regional) {
    if (scope.empty()) return InvalidField("region", "is required");
    const config::v1::Region* region = nullptr;
    for (const auto& r : regions.regions()) {
      if (r.id() == scope) region = &r;
    }
    if (region == nullptr) return InvalidField("region", "is not a configured region");
    ReportColumn total{"totaal", "Totaal " + (region->name().empty() ? scope : region->name()), {}};
    for (const std::string& g : region->gemeenten()) {
      columns.push_back({g, GemeenteName(regions, g), {g}});
      total.gemeenten.push_back(g);
    }
    columns.push_back(std::move(total));
  } else {
    if (scope.empty()) return InvalidField("gemeente", "is required");
    const bool known = std::any_of(regions.gemeenten().begin(), regions.gemeenten().end(),
                                   [&](const auto& g) { return g.code() == scope; });
    if (!known) return InvalidField("gemeente", "is not a configured gemeente (CBS code)");
    columns.push_back({scope, GemeenteName(regions, scope), {scope}});
  }
  return columns;
}

absl::StatusOr<MonthRange> ValidatePeriod(const v1::Period& period, absl::CivilDay today) {
  if (period.from().empty()) return InvalidField("period.from", "is required");
  if (period.to().empty()) {
    return InvalidField("period.to", "is required (open-ended periods are not allowed)");
  }
  ASSIGN_OR_RETURN(absl::CivilDay from, ParseDate("period.from", period.from()));
  ASSIGN_OR_RETURN(absl::CivilDay to, ParseDate("period.to", period.to()));
  if (from.day() != 1) {
    return InvalidField("period.from", "must be the first day of a month (figures are monthly)");
  }
  if (to.day() != 1) {
    return InvalidField("period.to", "must be the first day of a month (figures are monthly)");
  }
  if (to <= from) return InvalidField("period", "from must be before to");
  const absl::CivilMonth this_month(today);
  if (absl::CivilMonth(from) > this_month) {
    return InvalidField("period.from", "lies in the future: there are no figures yet");
  }
  if (absl::CivilMonth(to) > this_month + 1) {
    return InvalidField("period.to", "lies beyond the data: at most the first day of next month");
  }
  return MonthRange{period.from().substr(0, 7), period.to().substr(0, 7)};
}

absl::Status ValidateExportRequest(const v1::ExportReportRequest& request) {
  if (request.format() != v1::ExportReportRequest::CSV &&
      request.format() != v1::ExportReportRequest::JSON) {
    return InvalidField("format", "must be CSV or JSON");
  }
  if (request.scope_case() == v1::ExportReportRequest::SCOPE_NOT_SET) {
    return InvalidField("gemeente", "a gemeente or a region is required");
  }
  return absl::OkStatus();
}

ReportingServiceImpl::ReportingServiceImpl(ReportStore& store, config::v1::ReportingConfig config,
                                           WorkerPool& workers, Clock today)
    : store_(store),
      config_(std::move(config)),
      workers_(workers),
      today_(std::move(today)),
      threshold_(config_.suppression_threshold() > 0 ? config_.suppression_threshold() : 10) {}

absl::StatusOr<v1::Report> ReportingServiceImpl::BuildReport(const Principal& principal,
                                                             const std::string& scope,
                                                             bool regional,
                                                             const v1::Period& period,
                                                             bool unsuppressed) {
  RETURN_IF_ERROR(CheckRole(principal));
  ASSIGN_OR_RETURN(std::vector<ReportColumn> columns,
                   ReportColumns(config_.regions(), scope, regional));
  ASSIGN_OR_RETURN(MonthRange months, ValidatePeriod(period, today_()));

  std::set<int> owned;
  if (SeesOwnGemeente(principal.role)) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (columns[c].gemeenten.size() == 1 && columns[c].gemeenten[0] == principal.gemeente) {
        owned.insert(static_cast<int>(c));
      }
    }
  }
  const bool owns_all = owned.size() == columns.size() ||
                        (regional && owned.size() + 1 == columns.size() && columns.size() == 2);
  if (unsuppressed && !owns_all) {
    return absl::PermissionDeniedError(
        "unsuppressed: only a gemeente's own consulenten, analisten and beheerders may see its "
        "figures without disclosure control");
  }

  std::vector<std::string> gemeenten;
  for (const ReportColumn& c : columns) {
    if (c.gemeenten.size() == 1) gemeenten.push_back(c.gemeenten[0]);
  }
  ASSIGN_OR_RETURN(Figures figures, store_.Sum(gemeenten, months.from, months.to));
  ASSIGN_OR_RETURN(google::protobuf::Timestamp as_of, store_.AsOf());

  ReportModel model = BuildReportModel(figures, std::move(columns), regional);
  const Suppression suppression = Suppress(model, owned, owns_all ? 0 : threshold_);
  v1::Report report;
  report.set_scope(scope);
  *report.mutable_period() = period;
  *report.mutable_as_of() = as_of;
  report.set_suppression_threshold(threshold_);
  report.set_suppression_applied(!owns_all);
  ToProto(model, suppression, &report);
  return report;
}

grpc::ServerUnaryReactor* ReportingServiceImpl::GetGemeenteReport(
    grpc::CallbackServerContext* context, const v1::GetGemeenteReportRequest* request,
    v1::Report* response) {
  return ServeBlocking(context, workers_, [=, this]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, PrincipalFromContext(*context));
    ASSIGN_OR_RETURN(*response, BuildReport(principal, request->gemeente(), false,
                                            request->period(), request->unsuppressed()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportingServiceImpl::GetRegionalReport(
    grpc::CallbackServerContext* context, const v1::GetRegionalReportRequest* request,
    v1::Report* response) {
  return ServeBlocking(context, workers_, [=, this]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, PrincipalFromContext(*context));
    ASSIGN_OR_RETURN(*response, BuildReport(principal, request->region(), true, request->period(),
                                            request->unsuppressed()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportingServiceImpl::ExportReport(grpc::CallbackServerContext* context,
                                                             const v1::ExportReportRequest* request,
                                                             v1::ExportReportResponse* response) {
  return ServeBlocking(context, workers_, [=, this]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, PrincipalFromContext(*context));
    RETURN_IF_ERROR(ValidateExportRequest(*request));
    const bool regional = request->scope_case() == v1::ExportReportRequest::kRegion;
    const std::string scope = regional ? request->region() : request->gemeente();
    ASSIGN_OR_RETURN(v1::Report report, BuildReport(principal, scope, regional, request->period(),
                                                    request->unsuppressed()));
    const std::string stem = absl::StrCat("rapportage_", scope, "_", request->period().from(), "_",
                                          request->period().to());
    if (request->format() == v1::ExportReportRequest::CSV) {
      response->set_content_type("text/csv; charset=utf-8");
      response->set_filename(stem + ".csv");
      response->set_content(ReportToCsv(report));
    } else {
      ASSIGN_OR_RETURN(std::string json, ReportToJson(report));
      response->set_content_type("application/json");
      response->set_filename(stem + ".json");
      response->set_content(std::move(json));
    }
    return absl::OkStatus();
  });
}

}  // namespace inburgering::reporting

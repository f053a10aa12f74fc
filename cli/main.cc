// inburgering: the command-line client of the inburgering suite, for gemeente IT (scripts,
// nightly imports) and consulenten. Talks to the gateway; see docs/CLI.md.
//
// Flags are Abseil flags, parsed here rather than by absl::ParseCommandLine so that a bad command
// line exits with code 2 (usage) and `--help` prints the help of the command it follows.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/csv.h"
#include "cli/enums.h"
#include "cli/output.h"
#include "cli/statushouder_csv.h"
#include "common/dates.h"
#include "common/ids.h"
#include "common/principal.h"
#include "common/tls.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"
#include "inburgering/v1/reporting.grpc.pb.h"

// Connection (every command).
ABSL_FLAG(std::string, target, "127.0.0.1:50051", "gateway address (env INBURGERING_TARGET)");
ABSL_FLAG(std::string, token, "",
          "bearer token (env INBURGERING_TOKEN; prefer the variable: flags show in `ps`)");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(30), "deadline of each call");
ABSL_FLAG(std::string, principal, "",
          "DEV ONLY, loopback targets only: GEMEENTE:ROLE:SUBJECT sent as principal metadata "
          "straight to a service without gateway (tests, local debugging)");
// Output.
ABSL_FLAG(std::string, format, "table", "output: table or json (report: table, csv or json)");
ABSL_FLAG(std::string, output, "", "write the export to this file instead of stdout");
// import statushouders.
ABSL_FLAG(int, batch_size, 1000, "rows per import batch (1..5000); each batch is all-or-nothing");
ABSL_FLAG(std::string, rejects, "",
          "rejects CSV to write (default: next to the input, FILE.rejects.csv)");
ABSL_FLAG(absl::Duration, import_deadline, absl::Minutes(30), "deadline of the whole import");
ABSL_FLAG(std::string, separator, "", "CSV separator ; , or tab (default: detected)");
// Listing filters.
ABSL_FLAG(int, limit, 100, "at most this many results (0 = all pages)");
ABSL_FLAG(std::string, phase, "", "filter on phase");
ABSL_FLAG(std::string, leerroute, "", "filter on the PIP leerroute: b1|onderwijsroute|z_route");
ABSL_FLAG(std::string, type, "", "statushouder or werkplek type");
ABSL_FLAG(std::string, uitkering, "", "filter: met (bijstand) or zonder");
ABSL_FLAG(bool, pip_overdue, false, "only statushouders without a PIP past the 10-week deadline");
ABSL_FLAG(std::string, isco_prefix, "", "filter: ISCO-08 group, 1 to 4 digits");
ABSL_FLAG(std::string, gemeente, "", "CBS code of the gemeente, e.g. GM0603");
ABSL_FLAG(bool, open_only, false, "only werkplekken open today");
ABSL_FLAG(std::string, max_taalniveau, "", "only werkplekken asking at most this CEFR level");
ABSL_FLAG(bool, with_capacity_left, false, "only werkplekken with capacity left");
// werkplek add.
ABSL_FLAG(std::string, request_id, "", "idempotency key of a create (default: a new random one)");
ABSL_FLAG(std::string, employer, "", "organisation offering the werkplek");
ABSL_FLAG(std::string, title, "", "short job title, e.g. Tandartsassistent");
ABSL_FLAG(std::string, isco, "", "ISCO-08 unit group of the werkplek (4 digits)");
ABSL_FLAG(double, lat, 0, "latitude of the werkplek");
ABSL_FLAG(double, lon, 0, "longitude of the werkplek");
ABSL_FLAG(std::string, min_taalniveau, "", "minimum CEFR level: a0|a1|a2|b1|b2|c1|c2");
ABSL_FLAG(bool, dutch_working_language, true, "Dutch is the language of the work floor");
ABSL_FLAG(int, contact_hours, 0, "hours per week of Dutch conversation at work");
ABSL_FLAG(bool, taalcoach, false, "a taalcoach or buddy on the floor");
ABSL_FLAG(int, hours, 0, "hours per week (1..40)");
ABSL_FLAG(std::string, dagdelen, "", "dagdelen the place needs, e.g. ma-o,ma-m,di-o");
ABSL_FLAG(int, capacity, 1, "candidates the place can take at once");
ABSL_FLAG(std::string, open_from, "", "YYYY-MM-DD the place opens (default today)");
ABSL_FLAG(std::string, open_until, "",
          "YYYY-MM-DD the place closes (exclusive; empty = open-ended)");
// placement.
ABSL_FLAG(std::string, statushouder, "", "statushouder id");
ABSL_FLAG(std::string, werkplek, "", "werkplek id");
ABSL_FLAG(int64_t, version, 0, "version you read (optimistic concurrency)");
ABSL_FLAG(std::string, status, "", "new placement status: gestart|beeindigd|afgewezen|ingetrokken");
ABSL_FLAG(std::string, date, "", "YYYY-MM-DD of the change (default today)");
ABSL_FLAG(std::string, outcome, "",
          "outcome when beeindigd: werk|werkervaringsplaats|opleiding|nog_niet_in_staat");
ABSL_FLAG(std::string, reason_code, "",
          "coded reason: for nog_niet_in_staat, and when afgewezen or ingetrokken");
ABSL_FLAG(std::string, declined_by, "",
          "who declined or withdrew, when afgewezen or ingetrokken: kandidaat|werkgever|consulent");
// report.
ABSL_FLAG(std::string, from, "",
          "first day of a month: start of the period (default: 1 January this year)");
ABSL_FLAG(std::string, to, "",
          "first day of the month after the period (default: the first day of next month)");

namespace inburgering::cli {
namespace {

constexpr const char* kGlobalFlags[] = {"target",      "token",         "deadline",    "principal",
                                        "tls_ca_file", "tls_cert_file", "tls_key_file"};

// A usage error: printed with a pointer to --help, exit code 2.
struct UsageError {
  std::string message;
};

class Session;
using RunFn = int (*)(Session&, const std::vector<std::string>&);

struct Command {
  std::vector<std::string> words;
  std::string args;  // e.g. "FILE.csv"
  size_t min_args, max_args;
  std::string summary;
  std::vector<std::string> flags;
  RunFn run;
};

// The connection and the per-call settings every command uses.
class Session {
 public:
  Session(std::string name, std::shared_ptr<grpc::Channel> channel)
      : name_(std::move(name)), channel_(std::move(channel)) {}

  const std::string& name() const { return name_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  // A context with the credentials and the deadline `timeout`.
  void Configure(grpc::ClientContext& context, absl::Duration timeout) const {
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    if (const std::string token = absl::GetFlag(FLAGS_token); !token.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    }
    if (principal_.has_value()) AttachPrincipal(*principal_, context);
  }
  void Configure(grpc::ClientContext& context) const {
    Configure(context, absl::GetFlag(FLAGS_deadline));
  }
  void SetPrincipal(Principal principal) { principal_ = std::move(principal); }

  // Prints the one-line error and returns the exit code for `status`.
  int Fail(const std::string& rpc, const grpc::Status& status) const {
    std::cerr << "inburgering " << ErrorLine(name_, rpc, absl::GetFlag(FLAGS_target), status)
              << std::endl;
    return ExitCodeFor(status.error_code());
  }

 private:
  std::string name_;
  std::shared_ptr<grpc::Channel> channel_;
  std::optional<Principal> principal_;
};

template <typename Enum>
Enum EnumFlag(const std::string& flag, const std::string& text,
              const google::protobuf::EnumDescriptor* type) {
  if (text.empty()) return static_cast<Enum>(0);
  auto value = ParseEnumValue(type, text);
  if (!value.ok()) throw UsageError{absl::StrCat("--", flag, ": ", value.status().message())};
  return static_cast<Enum>(*value);
}

std::string DateFlag(const std::string& flag, const std::string& text) {
  if (text.empty()) return "";
  auto day = ParseDate(flag, text);
  if (!day.ok()) throw UsageError{absl::StrCat("--", flag, ": must be a real date YYYY-MM-DD")};
  return FormatDate(*day);
}

std::string Format(std::initializer_list<std::string> allowed) {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (std::find(allowed.begin(), allowed.end(), format) != allowed.end()) return format;
  throw UsageError{absl::StrCat("--format: must be ", absl::StrJoin(allowed, ", "))};
}

std::string RequestId() {
  const std::string id = absl::GetFlag(FLAGS_request_id);
  return id.empty() ? NewId() : id;
}

// ---- import statushouders ----------------------------------------------------------------------

// A progress bar on stderr when it is a terminal; silent in scripts and logs.
class Progress {
 public:
  explicit Progress(int64_t total) : total_(total), enabled_(isatty(STDERR_FILENO) == 1) {}
  void Update(int64_t done, absl::string_view what) {
    if (!enabled_ || total_ == 0) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total_);
    std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] "
              << done << "/" << total_ << " " << what << std::flush;
  }
  void Done() {
    if (enabled_ && total_ > 0) std::cerr << "\n";
  }

 private:
  int64_t total_;
  bool enabled_;
};

std::string DefaultRejectsPath(const std::string& input) {
  std::string stem = input;
  if (absl::EndsWithIgnoreCase(stem, ".csv")) stem.resize(stem.size() - 4);
  return absl::StrCat(stem, ".rejects.csv");
}

int ImportStatushouders(Session& session, const std::vector<std::string>& args) {
  const std::string& path = args[0];
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  if (batch_size < 1 || batch_size > 5000) throw UsageError{"--batch_size: must be 1..5000"};
  char separator = 0;
  if (const std::string s = absl::GetFlag(FLAGS_separator); !s.empty()) {
    if (s == ";" || s == ",")
      separator = s[0];
    else if (s == "tab" || s == "\t")
      separator = '\t';
    else
      throw UsageError{"--separator: must be ; , or tab"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError{absl::StrCat("cannot read ", path)};
  std::stringstream buffer;
  buffer << in.rdbuf();

  auto doc = ParseCsv(buffer.str(), separator);
  if (!doc.ok()) {
    std::cerr << "inburgering " << session.name() << ": " << path << ": " << doc.status().message()
              << std::endl;
    return kExitError;
  }
  auto mapper = StatushouderCsv::ForHeader(doc->header);
  if (!mapper.ok()) {
    std::cerr << "inburgering " << session.name() << ": " << path << ": "
              << mapper.status().message() << std::endl;
    return kExitError;
  }

  std::vector<RowReject> rejects;
  std::vector<v1::ImportRow> rows;
  std::map<std::string, int64_t> line_of_bsn;
  for (const CsvRecord& record : doc->rows) {
    auto mapped = mapper->Map(record);
    if (auto* reject = std::get_if<RowReject>(&mapped)) {
      rejects.push_back(std::move(*reject));
      continue;
    }
    v1::Statushouder& s = std::get<v1::Statushouder>(mapped);
    auto [it, inserted] = line_of_bsn.emplace(s.bsn(), record.line);
    if (!inserted) {
      rejects.push_back({record.line, "bsn", absl::StrCat("same BSN as row ", it->second)});
      continue;
    }
    v1::ImportRow row;
    row.set_row_number(record.line);
    *row.mutable_statushouder() = std::move(s);
    rows.push_back(std::move(row));
  }

  v1::ImportStatushoudersResponse response;
  if (!rows.empty()) {
    auto stub = v1::IntakeService::NewStub(session.channel());
    grpc::ClientContext context;
    session.Configure(context, absl::GetFlag(FLAGS_import_deadline));
    std::unique_ptr<grpc::ClientWriter<v1::ImportStatushoudersRequest>> writer =
        stub->ImportStatushouders(&context, &response);
    Progress progress(static_cast<int64_t>(rows.size()));
    size_t sent = 0;
    while (sent < rows.size()) {
      v1::ImportStatushoudersRequest batch;
      const size_t end = std::min(rows.size(), sent + static_cast<size_t>(batch_size));
      for (size_t i = sent; i < end; ++i) *batch.add_rows() = rows[i];
      if (!writer->Write(batch)) break;  // the server ended the call; Finish() says why
      sent = end;
      progress.Update(static_cast<int64_t>(sent), "rows sent");
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    progress.Done();
    if (!status.ok()) {
      int code = session.Fail("inburgering.v1.IntakeService/ImportStatushouders", status);
      std::cerr << "inburgering " << session.name()
                << ": batches are all-or-nothing and rows are keyed by BSN, so running the same "
                   "import again is safe"
                << std::endl;
      return code;
    }
    for (const v1::ImportRowResult& result : response.results()) {
      if (result.outcome() == v1::ImportRowResult::REJECTED) {
        rejects.push_back(
            {result.row_number(), ColumnForApiField(result.field()), result.reason()});
      }
    }
  }
  std::sort(rejects.begin(), rejects.end(),
            [](const RowReject& a, const RowReject& b) { return a.row < b.row; });

  const std::string rejects_path = absl::GetFlag(FLAGS_rejects).empty()
                                       ? DefaultRejectsPath(path)
                                       : absl::GetFlag(FLAGS_rejects);
  if (!rejects.empty()) {
    std::ofstream out(rejects_path, std::ios::binary | std::ios::trunc);
    out << CsvLine({"rij", "veld", "reden"}, doc->separator);
    for (const RowReject& r : rejects) {
      out << CsvLine({absl::StrCat(r.row), r.field, r.reason}, doc->separator);
    }
    out.close();
    if (!out) {
      std::cerr << "inburgering " << session.name() << ": cannot write " << rejects_path
                << std::endl;
      return kExitError;
    }
  }
  const int64_t rejected = static_cast<int64_t>(rejects.size());
  if (absl::GetFlag(FLAGS_format) == "json") {
    std::cout << "{\"rows\": " << doc->rows.size() << ", \"created\": " << response.created()
              << ", \"updated\": " << response.updated()
              << ", \"unchanged\": " << response.unchanged() << ", \"rejected\": " << rejected
              << (rejected > 0 ? absl::StrCat(", \"rejects_file\": \"", rejects_path, "\"") : "")
              << "}\n";
  } else {
    std::cout << "rows       " << doc->rows.size() << "\n"
              << "created    " << response.created() << "\n"
              << "updated    " << response.updated() << "\n"
              << "unchanged  " << response.unchanged() << "\n"
              << "rejected   " << rejected
              << (rejected > 0 ? absl::StrCat("  (row, field and reason in ", rejects_path, ")")
                               : "")
              << "\n";
  }
  return rejected > 0 ? kExitRejectedRows : kExitOk;
}

// ---- statushouders -----------------------------------------------------------------------------

int GetStatushouder(Session& session, const std::vector<std::string>& args) {
  const std::string format = Format({"table", "json"});
  auto stub = v1::IntakeService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Configure(context);
  v1::GetStatushouderRequest request;
  request.set_id(args[0]);
  v1::Statushouder response;
  grpc::Status status = stub->GetStatushouder(&context, request, &response);
  if (!status.ok()) return session.Fail("inburgering.v1.IntakeService/GetStatushouder", status);
  std::cout << (format == "json" ? ToJson(response) : StatushouderDetails(response));
  return kExitOk;
}

// Pages through ListStatushouders until --limit results (0 = all).
int ListStatushouders(Session& session, v1::ListStatushoudersRequest request, bool overdue_view) {
  const std::string format = Format({"table", "json"});
  const int limit = absl::GetFlag(FLAGS_limit);
  if (limit < 0) throw UsageError{"--limit: must be 0 or more"};
  auto stub = v1::IntakeService::NewStub(session.channel());
  v1::ListStatushoudersResponse all;
  do {
    const int wanted = limit == 0 ? 500 : std::min(500, limit - all.statushouders_size());
    request.set_page_size(wanted);
    grpc::ClientContext context;
    session.Configure(context);
    v1::ListStatushoudersResponse page;
    grpc::Status status = stub->ListStatushouders(&context, request, &page);
    if (!status.ok()) return session.Fail("inburgering.v1.IntakeService/ListStatushouders", status);
    for (auto& s : *page.mutable_statushouders()) {
      if (limit > 0 && all.statushouders_size() >= limit) break;
      *all.add_statushouders() = std::move(s);
    }
    request.set_page_token(page.next_page_token());
    all.set_next_page_token(page.next_page_token());
  } while (!request.page_token().empty() && (limit == 0 || all.statushouders_size() < limit));
  if (format == "json") {
    std::cout << ToJson(all);
  } else {
    std::cout << (overdue_view ? PipOverdueTable(all) : StatushouderTable(all));
    if (!all.next_page_token().empty()) {
      std::cout << "(more with --limit=0 or a higher --limit)\n";
    }
  }
  return kExitOk;
}

int ListStatushoudersCommand(Session& session, const std::vector<std::string>&) {
  v1::ListStatushoudersRequest request;
  request.set_phase(
      EnumFlag<v1::Phase>("phase", absl::GetFlag(FLAGS_phase), v1::Phase_descriptor()));
  request.set_leerroute(EnumFlag<v1::Leerroute>("leerroute", absl::GetFlag(FLAGS_leerroute),
                                                v1::Leerroute_descriptor()));
  request.set_type(EnumFlag<v1::StatushouderType>("type", absl::GetFlag(FLAGS_type),
                                                  v1::StatushouderType_descriptor()));
  const std::string uitkering = absl::GetFlag(FLAGS_uitkering);
  if (uitkering == "met")
    request.set_uitkering(v1::ListStatushoudersRequest::MET_BIJSTAND);
  else if (uitkering == "zonder")
    request.set_uitkering(v1::ListStatushoudersRequest::ZONDER_BIJSTAND);
  else if (!uitkering.empty())
    throw UsageError{"--uitkering: must be met or zonder"};
  request.set_pip_overdue(absl::GetFlag(FLAGS_pip_overdue));
  return ListStatushouders(session, std::move(request), false);
}

int PipOverdue(Session& session, const std::vector<std::string>&) {
  v1::ListStatushoudersRequest request;
  request.set_pip_overdue(true);
  return ListStatushouders(session, std::move(request), true);
}

// ---- werkplekken, matching, placements ---------------------------------------------------------

std::vector<v1::Dagdeel> DagdelenFlag(const std::string& text) {
  std::vector<v1::Dagdeel> out;
  // Reuse the CSV cell rules ("ma-o", "maandag-ochtend") through a one-column mapping.
  for (absl::string_view token : absl::StrSplit(text, absl::ByAnyChar(",| "), absl::SkipEmpty())) {
    CsvRecord record{1, {"123456782", "x", "2000-01-01", "overig", "NL", std::string(token)}};
    auto mapper = StatushouderCsv::ForHeader(
        {"bsn", "achternaam", "geboortedatum", "type", "land_van_herkomst", "beschikbaarheid"});
    auto mapped = mapper->Map(record);
    if (std::holds_alternative<RowReject>(mapped)) {
      throw UsageError{"--dagdelen: must be dagdelen such as ma-o,ma-m,di-a (day, then o/m/a)"};
    }
    out.push_back(std::get<v1::Statushouder>(mapped).availability(0));
  }
  return out;
}

int AddWerkplek(Session& session, const std::vector<std::string>&) {
  const std::string format = Format({"table", "json"});
  v1::RegisterWerkplekRequest request;
  request.set_request_id(RequestId());
  v1::Werkplek* w = request.mutable_werkplek();
  for (const char* required : {"employer", "title", "isco", "type", "gemeente"}) {
    if (absl::FindCommandLineFlag(required)->CurrentValue().empty()) {
      throw UsageError{absl::StrCat("--", required, " is required")};
    }
  }
  w->set_employer(absl::GetFlag(FLAGS_employer));
  w->set_title(absl::GetFlag(FLAGS_title));
  w->set_occupation_isco(absl::GetFlag(FLAGS_isco));
  w->set_type(
      EnumFlag<v1::WerkplekType>("type", absl::GetFlag(FLAGS_type), v1::WerkplekType_descriptor()));
  w->set_gemeente(absl::GetFlag(FLAGS_gemeente));
  w->mutable_location()->set_latitude(absl::GetFlag(FLAGS_lat));
  w->mutable_location()->set_longitude(absl::GetFlag(FLAGS_lon));
  w->set_min_language_level(EnumFlag<v1::CefrLevel>(
      "min_taalniveau", absl::GetFlag(FLAGS_min_taalniveau), v1::CefrLevel_descriptor()));
  w->mutable_talende_omgeving()->set_dutch_working_language(
      absl::GetFlag(FLAGS_dutch_working_language));
  w->mutable_talende_omgeving()->set_dutch_contact_hours(absl::GetFlag(FLAGS_contact_hours));
  w->mutable_talende_omgeving()->set_taalcoach(absl::GetFlag(FLAGS_taalcoach));
  w->set_hours_per_week(absl::GetFlag(FLAGS_hours));
  for (v1::Dagdeel d : DagdelenFlag(absl::GetFlag(FLAGS_dagdelen))) w->add_dagdelen(d);
  w->set_capacity(absl::GetFlag(FLAGS_capacity));
  std::string open_from = DateFlag("open_from", absl::GetFlag(FLAGS_open_from));
  w->set_open_from(open_from.empty() ? FormatDate(AmsterdamToday()) : open_from);
  w->set_open_until(DateFlag("open_until", absl::GetFlag(FLAGS_open_until)));

  auto stub = v1::MatchingService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Configure(context);
  v1::Werkplek response;
  grpc::Status status = stub->RegisterWerkplek(&context, request, &response);
  if (!status.ok()) return session.Fail("inburgering.v1.MatchingService/RegisterWerkplek", status);
  if (format == "json") {
    std::cout << ToJson(response);
  } else {
    v1::ListWerkplekkenResponse one;
    *one.add_werkplekken() = response;
    std::cout << WerkplekTable(one);
  }
  return kExitOk;
}

int ListWerkplekken(Session& session, const std::vector<std::string>&) {
  const std::string format = Format({"table", "json"});
  const int limit = absl::GetFlag(FLAGS_limit);
  if (limit < 0) throw UsageError{"--limit: must be 0 or more"};
  v1::ListWerkplekkenRequest request;
  request.set_type(
      EnumFlag<v1::WerkplekType>("type", absl::GetFlag(FLAGS_type), v1::WerkplekType_descriptor()));
  request.set_isco_prefix(absl::GetFlag(FLAGS_isco_prefix));
  request.set_gemeente(absl::GetFlag(FLAGS_gemeente));
  request.set_open_only(absl::GetFlag(FLAGS_open_only));
  request.set_max_min_language_level(EnumFlag<v1::CefrLevel>(
      "max_taalniveau", absl::GetFlag(FLAGS_max_taalniveau), v1::CefrLevel_descriptor()));
  request.set_with_capacity_left(absl::GetFlag(FLAGS_with_capacity_left));
  auto stub = v1::MatchingService::NewStub(session.channel());
  v1::ListWerkplekkenResponse all;
  do {
    request.set_page_size(limit == 0 ? 500 : std::min(500, limit - all.werkplekken_size()));
    grpc::ClientContext context;
    session.Configure(context);
    v1::ListWerkplekkenResponse page;
    grpc::Status status = stub->ListWerkplekken(&context, request, &page);
    if (!status.ok()) return session.Fail("inburgering.v1.MatchingService/ListWerkplekken", status);
    for (auto& w : *page.mutable_werkplekken()) {
      if (limit > 0 && all.werkplekken_size() >= limit) break;
      *all.add_werkplekken() = std::move(w);
    }
    request.set_page_token(page.next_page_token());
    all.set_next_page_token(page.next_page_token());
  } while (!request.page_token().empty() && (limit == 0 || all.werkplekken_size() < limit));
  std::cout << (format == "json" ? ToJson(all) : WerkplekTable(all));
  return kExitOk;
}

int Recommend(Session& session, const std::vector<std::string>& args) {
  const std::string format = Format({"table", "json"});
  v1::RecommendWerkplekkenRequest request;
  request.set_statushouder_id(args[0]);
  const int limit = absl::GetFlag(FLAGS_limit);
  if (limit < 1 || limit > 100) throw UsageError{"--limit: must be 1..100 for recommendations"};
  request.set_limit(limit);
  auto stub = v1::MatchingService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Configure(context);
  v1::RecommendWerkplekkenResponse response;
  grpc::Status status = stub->RecommendWerkplekken(&context, request, &response);
  if (!status.ok()) {
    return session.Fail("inburgering.v1.MatchingService/RecommendWerkplekken", status);
  }
  std::cout << (format == "json" ? ToJson(response) : RecommendationsTable(response));
  return kExitOk;
}

int Propose(Session& session, const std::vector<std::string>& args) {
  const std::string format = Format({"table", "json"});
  v1::ProposeAssignmentRequest request;
  request.set_region(args[0]);
  auto stub = v1::MatchingService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Configure(context);
  v1::ProposeAssignmentResponse response;
  grpc::Status status = stub->ProposeAssignment(&context, request, &response);
  if (!status.ok()) return session.Fail("inburgering.v1.MatchingService/ProposeAssignment", status);
  std::cout << (format == "json" ? ToJson(response) : ProposalTable(response));
  return kExitOk;
}

int PrintPlacement(const v1::Placement& placement) {
  std::cout << (absl::GetFlag(FLAGS_format) == "json" ? ToJson(placement)
                                                      : PlacementDetails(placement));
  return kExitOk;
}

int CreatePlacement(Session& session, const std::vector<std::string>&) {
  Format({"table", "json"});
  v1::CreatePlacementRequest request;
  request.set_request_id(RequestId());
  request.set_statushouder_id(absl::GetFlag(FLAGS_statushouder));
  request.set_werkplek_id(absl::GetFlag(FLAGS_werkplek));
  if (request.statushouder_id().empty()) throw UsageError{"--statushouder is required"};
  if (request.werkplek_id().empty()) throw UsageError{"--werkplek is required"};
  auto stub = v1::MatchingService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Configure(context);
  v1::Placement response;
  grpc::Status status = stub->CreatePlacement(&context, request, &response);
  if (!status.ok()) return session.Fail("inburgering.v1.MatchingService/CreatePlacement", status);
  return PrintPlacement(response);
}

int UpdatePlacement(Session& session, const std::vector<std::string>& args) {
  Format({"table", "json"});
  v1::UpdatePlacementRequest request;
  request.set_id(args[0]);
  request.set_version(absl::GetFlag(FLAGS_version));
  if (request.version() <= 0) throw UsageError{"--version is required (the version you read)"};
  request.set_status(EnumFlag<v1::PlacementStatus>("status", absl::GetFlag(FLAGS_status),
                                                   v1::PlacementStatus_descriptor()));
  if (request.status() == v1::PLACEMENT_STATUS_UNSPECIFIED)
    throw UsageError{"--status is required"};
  const std::string date = DateFlag("date", absl::GetFlag(FLAGS_date));
  request.set_date(date.empty() ? FormatDate(AmsterdamToday()) : date);
  request.set_outcome(EnumFlag<v1::PlacementOutcome>("outcome", absl::GetFlag(FLAGS_outcome),
                                                     v1::PlacementOutcome_descriptor()));
  // One --reason_code: the outcome's when beeindigd, the decline's when afgewezen or ingetrokken.
  if (request.status() == v1::PLACEMENT_STATUS_AFGEWEZEN ||
      request.status() == v1::PLACEMENT_STATUS_INGETROKKEN) {
    request.set_declined_by(EnumFlag<v1::PlacementParty>(
        "declined_by", absl::GetFlag(FLAGS_declined_by), v1::PlacementParty_descriptor()));
    request.set_decline_reason_code(absl::GetFlag(FLAGS_reason_code));
  } else {
    request.set_outcome_reason_code(absl::GetFlag(FLAGS_reason_code));
  }
  auto stub = v1::MatchingService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Configure(context);
  v1::Placement response;
  grpc::Status status = stub->UpdatePlacement(&context, request, &response);
  if (!status.ok()) return session.Fail("inburgering.v1.MatchingService/UpdatePlacement", status);
  return PrintPlacement(response);
}

// ---- reports -----------------------------------------------------------------------------------

v1::Period PeriodFlags() {
  v1::Period period;
  // Default: this year so far, i.e. [1 January, first day of next month): figures are monthly
  // and the service refuses a period reaching beyond the data.
  const absl::CivilMonth month(AmsterdamToday());
  const std::string from = DateFlag("from", absl::GetFlag(FLAGS_from));
  const std::string to = DateFlag("to", absl::GetFlag(FLAGS_to));
  period.set_from(from.empty() ? FormatDate(absl::CivilDay(month.year(), 1, 1)) : from);
  period.set_to(to.empty() ? FormatDate(absl::CivilDay(month + 1)) : to);
  if (period.to() <= period.from()) throw UsageError{"--to: must be after --from"};
  return period;
}

int Report(Session& session, const std::vector<std::string>& args, bool region) {
  const std::string format = Format({"table", "csv", "json"});
  auto stub = v1::ReportingService::NewStub(session.channel());
  grpc::ClientContext context;
  session.Configure(context);
  if (format == "table") {
    v1::Report report;
    grpc::Status status;
    if (region) {
      v1::GetRegionalReportRequest request;
      request.set_region(args[0]);
      *request.mutable_period() = PeriodFlags();
      status = stub->GetRegionalReport(&context, request, &report);
      if (!status.ok())
        return session.Fail("inburgering.v1.ReportingService/GetRegionalReport", status);
    } else {
      v1::GetGemeenteReportRequest request;
      request.set_gemeente(args[0]);
      *request.mutable_period() = PeriodFlags();
      status = stub->GetGemeenteReport(&context, request, &report);
      if (!status.ok())
        return session.Fail("inburgering.v1.ReportingService/GetGemeenteReport", status);
    }
    std::cout << ReportText(report);
    return kExitOk;
  }
  v1::ExportReportRequest request;
  request.set_format(format == "csv" ? v1::ExportReportRequest::CSV
                                     : v1::ExportReportRequest::JSON);
  if (region)
    request.set_region(args[0]);
  else
    request.set_gemeente(args[0]);
  *request.mutable_period() = PeriodFlags();
  v1::ExportReportResponse response;
  grpc::Status status = stub->ExportReport(&context, request, &response);
  if (!status.ok()) return session.Fail("inburgering.v1.ReportingService/ExportReport", status);
  if (const std::string path = absl::GetFlag(FLAGS_output); !path.empty()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << response.content();
    out.close();
    if (!out) {
      std::cerr << "inburgering " << session.name() << ": cannot write " << path << std::endl;
      return kExitError;
    }
    std::cerr << "wrote " << path << " (" << response.content().size() << " bytes)\n";
  } else {
    std::cout << response.content();
  }
  return kExitOk;
}

// ---- the command table, help and argument parsing ----------------------------------------------

const std::vector<Command>& Commands() {
  static const auto* commands = new std::vector<Command>{
      {{"import", "statushouders"},
       "FILE.csv",
       1,
       1,
       "Imports a CSV of statushouders (format: docs/CLI.md) with the client-streaming import. "
       "Prints created/updated/unchanged/rejected and writes rejected rows (row, field, reason) to "
       "a rejects CSV. Exit 6 when some rows were rejected.",
       {"batch_size", "rejects", "separator", "import_deadline", "format"},
       ImportStatushouders},
      {{"statushouder", "get"},
       "ID",
       1,
       1,
       "Shows one statushouder of your gemeente.",
       {"format"},
       GetStatushouder},
      {{"statushouder", "list"},
       "",
       0,
       0,
       "Lists your gemeente's statushouders.",
       {"phase", "leerroute", "type", "uitkering", "pip_overdue", "limit", "format"},
       ListStatushoudersCommand},
      {{"pip", "overdue"},
       "",
       0,
       0,
       "Lists statushouders without a PIP past the 10-week deadline (pip_overdue).",
       {"limit", "format"},
       PipOverdue},
      {{"werkplek", "add"},
       "",
       0,
       0,
       "Registers a talende werkplek in your region.",
       {"employer", "title", "isco", "type", "gemeente", "lat", "lon", "min_taalniveau",
        "dutch_working_language", "contact_hours", "taalcoach", "hours", "dagdelen", "capacity",
        "open_from", "open_until", "request_id", "format"},
       AddWerkplek},
      {{"werkplek", "list"},
       "",
       0,
       0,
       "Lists the region's werkplekken.",
       {"type", "isco_prefix", "gemeente", "open_only", "max_taalniveau", "with_capacity_left",
        "limit", "format"},
       ListWerkplekken},
      {{"match", "recommend"},
       "STATUSHOUDER_ID",
       1,
       1,
       "Ranked werkplekken for one statushouder, with the score of every component and why.",
       {"limit", "format"},
       Recommend},
      {{"match", "propose"},
       "REGION",
       1,
       1,
       "The proposed assignment of the region's candidates to werkplekken (advice, not a "
       "decision), with scores, reasons and the fairness table.",
       {"format"},
       Propose},
      {{"placement", "create"},
       "",
       0,
       0,
       "Proposes a placement (status voorgesteld).",
       {"statushouder", "werkplek", "request_id", "format"},
       CreatePlacement},
      {{"placement", "update"},
       "PLACEMENT_ID",
       1,
       1,
       "Moves a placement to gestart or beeindigd (with an outcome), or declines or withdraws a "
       "proposal that has not started (afgewezen or ingetrokken, with who and a coded reason).",
       {"version", "status", "date", "outcome", "reason_code", "declined_by", "format"},
       UpdatePlacement},
      {{"report", "gemeente"},
       "GEMEENTE",
       1,
       1,
       "Figures of one gemeente: a table, or the export as CSV or JSON.",
       {"from", "to", "format", "output"},
       [](Session& s, const std::vector<std::string>& a) { return Report(s, a, false); }},
      {{"report", "region"},
       "REGION",
       1,
       1,
       "Figures of a region with disclosure control: a table, or the export as CSV or JSON.",
       {"from", "to", "format", "output"},
       [](Session& s, const std::vector<std::string>& a) { return Report(s, a, true); }},
  };
  return *commands;
}

std::string FlagHelp(const std::string& name) {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) return "";
  std::string line = absl::StrCat("  --", name);
  line.resize(std::max<size_t>(line.size() + 1, 28), ' ');
  std::string default_value = name == "token" ? "" : flag->DefaultValue();
  return absl::StrCat(line, flag->Help(),
                      default_value.empty() || default_value == "false"
                          ? ""
                          : absl::StrCat(" [", default_value, "]"),
                      "\n");
}

std::string GlobalHelp() {
  std::string out = "Connection (every command):\n";
  for (const char* name : kGlobalFlags) out += FlagHelp(name);
  return out;
}

std::string ExitCodeHelp() {
  return "Exit codes: 0 ok, 1 other error, 2 usage, 3 not found, 4 denied (unauthenticated or "
         "permission denied), 5 unavailable (retry), 6 import with rejected rows, 7 not offered "
         "by the server.\n";
}

std::string MainHelp() {
  std::string out =
      "inburgering: command-line client of the inburgering services (talks to the gateway).\n\n"
      "Usage: inburgering COMMAND [ARGS] [--flags]   (inburgering COMMAND --help for details)\n\n"
      "Commands:\n";
  for (const Command& c : Commands()) {
    std::string line = absl::StrCat("  ", absl::StrJoin(c.words, " "), " ", c.args);
    line.resize(std::max<size_t>(line.size() + 1, 40), ' ');
    const size_t end = c.summary.find(". ");
    out += absl::StrCat(line, end == std::string::npos ? c.summary : c.summary.substr(0, end + 1),
                        "\n");
  }
  return absl::StrCat(out, "\n", GlobalHelp(), "\n", ExitCodeHelp(),
                      "Documentation: docs/CLI.md\n");
}

std::string CommandHelp(const Command& c) {
  std::string out =
      absl::StrCat("Usage: inburgering ", absl::StrJoin(c.words, " "), c.args.empty() ? "" : " ",
                   c.args, " [--flags]\n\n", c.summary, "\n\n");
  if (!c.flags.empty()) {
    out += "Flags:\n";
    for (const std::string& f : c.flags) out += FlagHelp(f);
    out += "\n";
  }
  return absl::StrCat(out, GlobalHelp(), "\n", ExitCodeHelp());
}

struct ParsedArgs {
  std::vector<std::string> positional;
  std::set<std::string> flags_given;
  bool help = false;
};

// Sets Abseil flags from --name=value, --name value, --bool and --nobool; positional words are
// returned. Unknown flags and bad values are usage errors (exit 2), never an abort.
ParsedArgs ParseArgs(int argc, char** argv) {
  ParsedArgs parsed;
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-') {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help" || arg == "--helpfull") {
      parsed.help = true;
      continue;
    }
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string name = body, value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && !has_value && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) {
        flag = negated;
        name = name.substr(2);
        value = "false";
        has_value = true;
      }
    }
    if (flag == nullptr) throw UsageError{absl::StrCat("unknown flag --", name)};
    if (!has_value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw UsageError{absl::StrCat("--", name, " needs a value")};
      }
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      throw UsageError{absl::StrCat("--", name, ": ", error)};
    }
    parsed.flags_given.insert(name);
  }
  return parsed;
}

// INBURGERING_TARGET, INBURGERING_TOKEN, ... for the connection flags; the command line wins.
void ApplyEnvironment() {
  for (const char* name : kGlobalFlags) {
    const std::string variable = absl::StrCat("INBURGERING_", absl::AsciiStrToUpper(name));
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || *value == '\0') continue;
    std::string error;
    if (!absl::FindCommandLineFlag(name)->ParseFrom(value, &error)) {
      throw UsageError{absl::StrCat(variable, ": ", error)};
    }
  }
}

int Main(int argc, char** argv) {
  std::string command_name;
  try {
    ApplyEnvironment();
    ParsedArgs args = ParseArgs(argc, argv);
    const Command* command = nullptr;
    for (const Command& c : Commands()) {
      if (args.positional.size() >= c.words.size() &&
          std::equal(c.words.begin(), c.words.end(), args.positional.begin())) {
        command = &c;
      }
    }
    if (command == nullptr) {
      if (args.help || args.positional.empty() || args.positional[0] == "help") {
        std::cout << MainHelp();
        return args.help || !args.positional.empty() ? kExitOk : kExitUsage;
      }
      throw UsageError{
          absl::StrCat("unknown command \"", absl::StrJoin(args.positional, " "), "\"")};
    }
    command_name = absl::StrJoin(command->words, " ");
    if (args.help) {
      std::cout << CommandHelp(*command);
      return kExitOk;
    }
    for (const std::string& flag : args.flags_given) {
      if (std::find(std::begin(kGlobalFlags), std::end(kGlobalFlags), flag) ==
              std::end(kGlobalFlags) &&
          std::find(command->flags.begin(), command->flags.end(), flag) == command->flags.end()) {
        throw UsageError{absl::StrCat("--", flag, " does not apply to ", command_name)};
      }
    }
    std::vector<std::string> rest(args.positional.begin() + command->words.size(),
                                  args.positional.end());
    if (rest.size() < command->min_args || rest.size() > command->max_args) {
      throw UsageError{command->args.empty()
                           ? absl::StrCat(command_name, " takes no arguments")
                           : absl::StrCat(command_name, " expects ", command->args)};
    }

    const std::string target = absl::GetFlag(FLAGS_target);
    auto credentials = ChannelCredentialsFor(target);
    if (!credentials.ok()) throw UsageError{std::string(credentials.status().message())};
    // The import's answer has one result per row: a large nightly file outgrows gRPC's default
    // 4 MB receive limit.
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(256 << 20);
    Session session(command_name, grpc::CreateCustomChannel(target, *credentials, channel_args));
    if (const std::string principal = absl::GetFlag(FLAGS_principal); !principal.empty()) {
      if (!IsLoopbackAddress(target)) {
        throw UsageError{"--principal is a development aid for loopback targets only"};
      }
      std::vector<std::string> parts = absl::StrSplit(principal, absl::MaxSplits(':', 2));
      auto role = parts.size() == 3 ? ParseRole(parts[1]) : absl::InvalidArgumentError("");
      if (parts.size() != 3 || !IsGemeenteCode(parts[0]) || !role.ok() || parts[2].empty()) {
        throw UsageError{"--principal: must be GEMEENTE:ROLE:SUBJECT, e.g. GM0603:consulent:dev"};
      }
      session.SetPrincipal(Principal{parts[0], *role, parts[2]});
    }
    return command->run(session, rest);
  } catch (const UsageError& error) {
    std::cerr << "inburgering" << (command_name.empty() ? "" : " ") << command_name << ": "
              << error.message << " (see --help)" << std::endl;
    return kExitUsage;
  }
}

}  // namespace
}  // namespace inburgering::cli

int main(int argc, char** argv) { return inburgering::cli::Main(argc, argv); }

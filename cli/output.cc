#include "cli/output.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/enums.h"
#include "cli/table.h"
#include "google/protobuf/util/json_util.h"

namespace inburgering::cli {
namespace {

std::string Name(const v1::Statushouder& s) {
  if (s.given_names().empty()) return s.family_name();
  return absl::StrCat(s.given_names(), " ", s.family_name());
}

std::string Score(double value) { return absl::StrFormat("%.2f", value); }

std::string Dagdelen(const google::protobuf::RepeatedField<int>& values) {
  std::vector<std::string> labels;
  for (int v : values) labels.push_back(EnumLabel(v1::Dagdeel_descriptor(), v));
  return absl::StrJoin(labels, " ");
}

std::string Kandidaat(const v1::Kandidaat& k) {
  return k.pseudonymised() || k.statushouder_id().empty() ? k.pseudonym() : k.statushouder_id();
}

}  // namespace

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitDenied;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnavailable;
    case grpc::StatusCode::UNIMPLEMENTED:
      return kExitUnimplemented;
    default:
      return kExitError;
  }
}

std::string StatusCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index >= 0 && index < static_cast<int>(std::size(kNames))) return kNames[index];
  return absl::StrCat("CODE_", index);
}

std::string ErrorLine(const std::string& command, const std::string& rpc, const std::string& target,
                      const grpc::Status& status) {
  const std::string message =
      absl::StrReplaceAll(status.error_message(), {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  std::string hint;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      hint = " (give a token with --token or INBURGERING_TOKEN, or a client certificate)";
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      hint = " (not allowed for your token's gemeente or role)";
      break;
    case grpc::StatusCode::UNAVAILABLE:
      hint = absl::StrCat(" (is the gateway running at ", target, "? retry later)");
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      hint = " (no answer within --deadline; retry later)";
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::StrCat(command, ": UNIMPLEMENTED: the server at ", target, " does not offer ",
                          rpc, " (yet)");
    case grpc::StatusCode::ABORTED:
      hint = " (the record changed meanwhile: read it again and retry with its new version)";
      break;
    default:
      break;
  }
  return absl::StrCat(command, ": ", StatusCodeName(status.error_code()), ": ",
                      message.empty() ? "(no message)" : message, hint);
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  if (out.empty() || out.back() != '\n') out.push_back('\n');
  return out;
}

std::string StatushouderTable(const v1::ListStatushoudersResponse& list) {
  Table table({"id", "bsn", "naam", "type", "fase", "vestiging", "pip", "taalniveau"});
  for (const v1::Statushouder& s : list.statushouders()) {
    std::string pip = s.has_pip() ? absl::StrCat("gezet ", s.pip().date())
                      : s.has_pip_deadline()
                          ? absl::StrCat("uiterlijk ", s.pip_deadline().due_date())
                          : "";
    table.AddRow({s.id(), s.bsn(), Name(s), EnumLabel(v1::StatushouderType_descriptor(), s.type()),
                  EnumLabel(v1::Phase_descriptor(), s.phase()), s.vestigingsdatum(), pip,
                  EnumLabel(v1::CefrLevel_descriptor(), s.language_level())});
  }
  return absl::StrCat(table.Render(), list.statushouders_size(), " statushouder(s)\n");
}

std::string PipOverdueTable(const v1::ListStatushoudersResponse& list) {
  Table table({"id", "naam", "vestiging", "pip uiterlijk", "dagen te laat", "fase"});
  table.AlignRight(4);
  for (const v1::Statushouder& s : list.statushouders()) {
    table.AddRow({s.id(), Name(s), s.vestigingsdatum(), s.pip_deadline().due_date(),
                  absl::StrCat(-s.pip_deadline().days_left()),
                  EnumLabel(v1::Phase_descriptor(), s.phase())});
  }
  return absl::StrCat(table.Render(), list.statushouders_size(),
                      " statushouder(s) without a PIP past the 10-week deadline\n");
}

std::string StatushouderDetails(const v1::Statushouder& s) {
  Table table({"veld", "waarde"});
  table.AddRow({"id", s.id()});
  table.AddRow({"gemeente", s.gemeente()});
  table.AddRow({"bsn", s.bsn()});
  table.AddRow({"naam", Name(s)});
  table.AddRow({"geboortedatum", s.birth_date()});
  table.AddRow({"geslacht", EnumLabel(v1::Gender_descriptor(), s.gender())});
  table.AddRow({"type", EnumLabel(v1::StatushouderType_descriptor(), s.type())});
  table.AddRow({"land_van_herkomst", s.country_of_origin()});
  table.AddRow({"fase", EnumLabel(v1::Phase_descriptor(), s.phase())});
  table.AddRow({"vestigingsdatum", s.vestigingsdatum()});
  table.AddRow({"azc_locatie", s.azc_location()});
  table.AddRow({"bijstand", s.uitkering().bijstand() ? "ja" : "nee"});
  table.AddRow({"taalniveau", EnumLabel(v1::CefrLevel_descriptor(), s.language_level())});
  if (s.has_brede_intake()) {
    table.AddRow({"brede_intake", absl::StrCat(s.brede_intake().date(), " ",
                                               EnumLabel(v1::IntakeGroep_descriptor(),
                                                         s.brede_intake().intake_groep()))});
  }
  if (s.has_pip()) {
    table.AddRow({"pip", absl::StrCat(s.pip().date(), " ",
                                      EnumLabel(v1::Leerroute_descriptor(), s.pip().leerroute()),
                                      s.pip().on_time() ? " (op tijd)" : " (te laat)")});
  } else if (s.has_pip_deadline()) {
    table.AddRow(
        {"pip_uiterlijk",
         absl::StrCat(s.pip_deadline().due_date(),
                      s.pip_deadline().overdue()
                          ? absl::StrCat(" (", -s.pip_deadline().days_left(), " dagen te laat)")
                          : absl::StrCat(" (nog ", s.pip_deadline().days_left(), " dagen)"))});
  }
  table.AddRow({"beroep_isco", s.prior_occupation_isco()});
  table.AddRow({"werkwensen_isco", absl::StrJoin(s.work_wishes_isco(), " ")});
  table.AddRow({"beschikbaarheid", Dagdelen(s.availability())});
  table.AddRow({"toestemming_identiteit", s.consent_share_identity() ? "ja" : "nee"});
  table.AddRow({"versie", absl::StrCat(s.version())});
  return table.Render();
}

std::string WerkplekTable(const v1::ListWerkplekkenResponse& list) {
  Table table({"id", "titel", "werkgever", "type", "isco", "gemeente", "min taal", "uren",
               "plaatsen", "open vanaf"});
  table.AlignRight(7).AlignRight(8);
  for (const v1::Werkplek& w : list.werkplekken()) {
    table.AddRow({w.id(), w.title(), w.employer(),
                  EnumLabel(v1::WerkplekType_descriptor(), w.type()), w.occupation_isco(),
                  w.gemeente(), EnumLabel(v1::CefrLevel_descriptor(), w.min_language_level()),
                  absl::StrCat(w.hours_per_week()),
                  absl::StrCat(w.capacity_used(), "/", w.capacity()), w.open_from()});
  }
  return absl::StrCat(table.Render(), list.werkplekken_size(), " werkplek(ken)\n");
}

std::string RecommendationsTable(const v1::RecommendWerkplekkenResponse& response) {
  Table summary({"#", "werkplek", "titel", "werkgever", "type", "score", "afstand km"});
  summary.AlignRight(0).AlignRight(5).AlignRight(6);
  Table reasons({"#", "onderdeel", "gewicht", "waarde", "reden"});
  reasons.AlignRight(0).AlignRight(2).AlignRight(3);
  int rank = 0;
  for (const v1::WerkplekRecommendation& r : response.recommendations()) {
    ++rank;
    summary.AddRow({absl::StrCat(rank), r.werkplek().id(), r.werkplek().title(),
                    r.werkplek().employer(),
                    EnumLabel(v1::WerkplekType_descriptor(), r.werkplek().type()),
                    Score(r.match().score()), absl::StrFormat("%.1f", r.match().distance_km())});
    for (const v1::ScoreComponent& c : r.match().components()) {
      reasons.AddRow(
          {absl::StrCat(rank), c.name(), Score(c.weight()), Score(c.value()), c.reason()});
    }
  }
  return absl::StrCat(summary.Render(), response.recommendations_size(), " of ",
                      response.places_considered(),
                      " werkplek(ken) passing the hard constraints\n\nWhy:\n", reasons.Render());
}

std::string ProposalTable(const v1::ProposeAssignmentResponse& response) {
  Table pairs({"#", "kandidaat", "gemeente", "werkplek", "score", "afstand km"});
  pairs.AlignRight(0).AlignRight(4).AlignRight(5);
  Table reasons({"#", "onderdeel", "gewicht", "waarde", "reden"});
  reasons.AlignRight(0).AlignRight(2).AlignRight(3);
  int number = 0;
  for (const v1::ProposedPair& p : response.pairs()) {
    ++number;
    pairs.AddRow({absl::StrCat(number), Kandidaat(p.kandidaat()), p.kandidaat().gemeente(),
                  p.werkplek_id(), Score(p.match().score()),
                  absl::StrFormat("%.1f", p.match().distance_km())});
    for (const v1::ScoreComponent& c : p.match().components()) {
      reasons.AddRow(
          {absl::StrCat(number), c.name(), Score(c.weight()), Score(c.value()), c.reason()});
    }
  }
  Table fairness({"dimensie", "groep", "kandidaten", "voorgesteld", "aandeel", "gem. score"});
  fairness.AlignRight(2).AlignRight(3).AlignRight(4).AlignRight(5);
  for (const v1::FairnessRow& f : response.fairness()) {
    fairness.AddRow({f.dimension(), f.group(), absl::StrCat(f.candidates()),
                     absl::StrCat(f.proposed()), absl::StrFormat("%.0f%%", 100 * f.proposed_rate()),
                     Score(f.mean_score())});
  }
  return absl::StrCat(pairs.Render(), response.pairs_size(), " pair(s) for ", response.candidates(),
                      " candidate(s) and ", response.places(), " place(s); total score ",
                      Score(response.total_score()), " (greedy baseline ",
                      Score(response.greedy_total_score()),
                      ")\nThis is advice to a consulent, not a decision.\n\nWhy:\n",
                      reasons.Render(), "\nFairness:\n", fairness.Render());
}

std::string PlacementDetails(const v1::Placement& p) {
  Table table({"veld", "waarde"});
  table.AddRow({"id", p.id()});
  table.AddRow({"statushouder", p.statushouder_id()});
  table.AddRow({"werkplek", p.werkplek_id()});
  table.AddRow({"status", EnumLabel(v1::PlacementStatus_descriptor(), p.status())});
  table.AddRow({"uitkomst", EnumLabel(v1::PlacementOutcome_descriptor(), p.outcome())});
  table.AddRow({"reden", p.outcome_reason_code()});
  table.AddRow({"op_niveau", EnumLabel(v1::OpNiveau_descriptor(), p.op_niveau())});
  table.AddRow({"start", p.start_date()});
  table.AddRow({"eind", p.end_date()});
  if (p.declined_by() != v1::PLACEMENT_PARTY_UNSPECIFIED) {
    table.AddRow({"afgewezen_door", EnumLabel(v1::PlacementParty_descriptor(), p.declined_by())});
    table.AddRow({"reden_afwijzing", p.decline_reason_code()});
  }
  table.AddRow({"versie", absl::StrCat(p.version())});
  return table.Render();
}

std::string FormatCell(const v1::ReportCell& cell) {
  if (cell.suppressed()) return "*";
  switch (cell.value_case()) {
    case v1::ReportCell::kCount:
      return absl::StrCat(cell.count());
    case v1::ReportCell::kPercentage:
      return absl::StrFormat("%.1f%%", cell.percentage());
    case v1::ReportCell::kDays:
      return absl::StrFormat("%.0f d", cell.days());
    default:
      return "-";  // not applicable (e.g. a percentage without a denominator)
  }
}

std::string ReportText(const v1::Report& report) {
  std::string out = absl::StrCat("Rapportage ", report.scope(), ", van ", report.period().from(),
                                 " tot ", report.period().to(), "\n");
  bool suppressed = false;
  for (const v1::ReportTable& t : report.tables()) {
    std::vector<std::string> headers = {""};
    for (int i = 0; i < t.columns_size(); ++i) {
      headers.push_back(i < t.column_labels_size() ? t.column_labels(i) : t.columns(i));
    }
    Table table(headers);
    for (size_t i = 1; i < headers.size(); ++i) table.AlignRight(i);
    for (const v1::ReportRow& row : t.rows()) {
      std::vector<std::string> cells = {row.label().empty() ? row.key() : row.label()};
      for (const v1::ReportCell& cell : row.cells()) {
        suppressed |= cell.suppressed();
        cells.push_back(FormatCell(cell));
      }
      table.AddRow(std::move(cells));
    }
    absl::StrAppend(&out, "\n", t.title().empty() ? t.key() : t.title(), "\n", table.Render());
  }
  if (suppressed) {
    absl::StrAppend(&out, "\n* onderdrukt: minder dan ", report.suppression_threshold(),
                    " personen (of af te leiden uit andere cellen)\n");
  }
  return out;
}

}  // namespace inburgering::cli

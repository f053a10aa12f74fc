#include "reporting-service/contributions.h"

#include <algorithm>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/dates.h"

namespace inburgering::reporting {
namespace {

std::optional<absl::CivilDay> Day(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto day = ParseDate("date", text);
  if (!day.ok()) return std::nullopt;
  return *day;
}

const char* TypeValue(v1::StatushouderType type) {
  switch (type) {
    case v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER:
      return "asielstatushouder";
    case v1::STATUSHOUDER_TYPE_GEZINSMIGRANT:
      return "gezinsmigrant";
    case v1::STATUSHOUDER_TYPE_OVERIG:
      return "overig";
    default:
      return "onbekend";
  }
}

const char* PhaseValue(v1::Phase phase) {
  switch (phase) {
    case v1::PHASE_VOORINBURGERING:
      return "voorinburgering";
    case v1::PHASE_INTAKE:
      return "intake";
    case v1::PHASE_INBURGERING:
      return "inburgering";
    case v1::PHASE_AFGEROND:
      return "afgerond";
    case v1::PHASE_ONTHEVEN:
      return "ontheven";
    case v1::PHASE_VRIJGESTELD:
      return "vrijgesteld";
    case v1::PHASE_VERTROKKEN:
      return "vertrokken";
    default:
      return "onbekend";
  }
}

const char* IntakeGroepValue(v1::IntakeGroep groep) {
  switch (groep) {
    case v1::INTAKE_GROEP_KLAAR_VOOR_WERK:
      return "klaar_voor_werk";
    case v1::INTAKE_GROEP_ROUTE_NAAR_WERK:
      return "route_naar_werk";
    case v1::INTAKE_GROEP_NU_NIET_IN_STAAT:
      return "nu_niet_in_staat";
    default:
      return "onbekend";
  }
}

const char* OutcomeValue(v1::PlacementOutcome outcome) {
  switch (outcome) {
    case v1::PLACEMENT_OUTCOME_WERK:
      return "werk";
    case v1::PLACEMENT_OUTCOME_WERKERVARINGSPLAATS:
      return "werkervaringsplaats";
    case v1::PLACEMENT_OUTCOME_OPLEIDING:
      return "opleiding";
    case v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT:
      return "nog_niet_in_staat";
    default:
      return nullptr;
  }
}

// The order of the outcomes when one person has two on the same day: the better first.
int OutcomeRank(v1::PlacementOutcome outcome) {
  switch (outcome) {
    case v1::PLACEMENT_OUTCOME_WERK:
      return 1;
    case v1::PLACEMENT_OUTCOME_OPLEIDING:
      return 2;
    case v1::PLACEMENT_OUTCOME_WERKERVARINGSPLAATS:
      return 3;
    case v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT:
      return 4;
    default:
      return 5;
  }
}

// A placement that started: only those carry an outcome. Declined and withdrawn proposals
// (AFGEWEZEN, INGETROKKEN), and one ended before that rule without ever starting (BEEINDIGD
// with no start date), count nowhere as a placement or an outcome.
bool Started(const v1::Placement& p) {
  return (p.status() == v1::PLACEMENT_STATUS_GESTART ||
          p.status() == v1::PLACEMENT_STATUS_BEEINDIGD) &&
         !p.start_date().empty();
}

// The one rule for what counts as an outcome, per placement and per person: a placement that
// started and ended with one of the four outcomes on a valid date. Its value ("werk", ...), or
// nullptr.
const char* OutcomeOf(const v1::Placement& p) {
  if (p.status() != v1::PLACEMENT_STATUS_BEEINDIGD || !Started(p) || !Day(p.end_date())) {
    return nullptr;
  }
  return OutcomeValue(p.outcome());
}

// The earliest date of a measurement at or above `level`, whatever the skill.
std::string FirstReached(const v1::Statushouder& s, v1::CefrLevel level) {
  std::string first;
  for (const v1::TaalMeting& m : s.language_measurements()) {
    if (m.level() < level || !Day(m.date())) continue;
    if (first.empty() || m.date() < first) first = m.date();
  }
  return first;
}

}  // namespace

std::string MonthOf(const std::string& date) {
  if (!Day(date)) return "";
  return date.substr(0, 7);
}

std::string YearBucket(const std::string& month) { return "Y" + month.substr(0, 4); }

std::vector<BucketRange> PeriodBuckets(const std::string& from_month, const std::string& to_month) {
  int fy = 0, fm = 0, ty = 0, tm = 0;
  if (from_month.size() != 7 || to_month.size() != 7 ||
      !absl::SimpleAtoi(from_month.substr(0, 4), &fy) ||
      !absl::SimpleAtoi(from_month.substr(5, 2), &fm) ||
      !absl::SimpleAtoi(to_month.substr(0, 4), &ty) ||
      !absl::SimpleAtoi(to_month.substr(5, 2), &tm) || to_month <= from_month) {
    return {};
  }
  const int first_full = fm == 1 ? fy : fy + 1;
  if (first_full >= ty) return {{from_month, to_month}};
  std::vector<BucketRange> ranges;
  if (fm != 1) ranges.push_back({from_month, absl::StrFormat("%04d-01", first_full)});
  ranges.push_back({absl::StrFormat("Y%04d", first_full), absl::StrFormat("Y%04d", ty)});
  if (tm != 1) ranges.push_back({absl::StrFormat("%04d-01", ty), to_month});
  return ranges;
}

PlacementFacts DerivePlacementFacts(const std::vector<PlacementWithWerkplek>& placements) {
  PlacementFacts facts;
  for (const PlacementWithWerkplek& pw : placements) {
    const v1::Placement& p = pw.placement;
    if (!Started(p)) continue;
    if (Day(p.start_date()) &&
        (facts.first_start_date.empty() || p.start_date() < facts.first_start_date)) {
      facts.first_start_date = p.start_date();
    }
    if (pw.werkplek_known && pw.werkplek.talende_omgeving().dutch_working_language()) {
      facts.talend = true;
    }
    int route = 0;
    if (p.outcome() == v1::PLACEMENT_OUTCOME_WERK) {
      route = kRouteWerk;
    } else if (p.outcome() == v1::PLACEMENT_OUTCOME_OPLEIDING) {
      route = kRouteOnderwijs;
    } else if (pw.werkplek_known) {
      switch (pw.werkplek.type()) {
        case v1::WERKPLEK_TYPE_BETAALD_WERK:
          route = kRouteWerk;
          break;
        case v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS:
        case v1::WERKPLEK_TYPE_LEERWERKBAAN:
        case v1::WERKPLEK_TYPE_PROEFPLAATSING:
        case v1::WERKPLEK_TYPE_TAALSTAGE:
          route = kRouteActivering;
          break;
        case v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK:
          route = kRouteParticipatie;
          break;
        default:
          break;
      }
    }
    if (route != 0 && (facts.route == 0 || route < facts.route)) facts.route = route;
    if (OutcomeOf(p) != nullptr && (p.end_date() > facts.outcome_date ||
                                    (p.end_date() == facts.outcome_date &&
                                     OutcomeRank(p.outcome()) < OutcomeRank(facts.outcome)))) {
      facts.outcome = p.outcome();
      facts.outcome_date = p.end_date();
    }
  }
  return facts;
}

std::vector<AggregateKey> PersonContributions(const v1::Statushouder& s,
                                              const PlacementFacts& facts) {
  std::vector<AggregateKey> keys;
  if (s.id().empty() || s.gemeente().empty()) return keys;
  const std::optional<absl::CivilDay> vestiging = Day(s.vestigingsdatum());
  std::string month = MonthOf(s.vestigingsdatum());
  if (month.empty()) {
    // Still in the azc (voorinburgering): counted from the month of registration.
    month = absl::FormatTime("%Y-%m", absl::FromUnixSeconds(s.create_time().seconds()),
                             absl::UTCTimeZone());
  }
  auto add = [&](const char* dimension, std::string value) {
    keys.push_back({s.gemeente(), month, dimension, std::move(value)});
  };
  auto add_days = [&](const char* dimension, const std::string& to) {
    const std::optional<absl::CivilDay> end = Day(to);
    if (vestiging && end) add(dimension, absl::StrCat(*end - *vestiging));
  };

  add("populatie", "totaal");
  add("type", TypeValue(s.type()));
  add("herkomst", s.country_of_origin().empty() ? "onbekend" : s.country_of_origin());
  const bool had_bijstand = s.uitkering().bijstand() || !s.uitkering().start_date().empty();
  add("bijstand", had_bijstand ? "ja" : "nee");
  add("geschoold", s.opleiding().geschoold() ? "ja" : "nee");
  add("fase", PhaseValue(s.phase()));

  const bool has_pip = !s.pip().date().empty();
  if (has_pip) {
    switch (s.pip().leerroute()) {
      case v1::LEERROUTE_B1:
        add("leerroute", "b1");
        break;
      case v1::LEERROUTE_ONDERWIJSROUTE:
        add("leerroute", "onderwijsroute");
        break;
      case v1::LEERROUTE_Z_ROUTE:
        add("leerroute", "z_route");
        break;
      default:
        add("leerroute", "geen");
        break;
    }
  } else if (s.phase() == v1::PHASE_VOORINBURGERING || s.phase() == v1::PHASE_INTAKE ||
             s.phase() == v1::PHASE_UNSPECIFIED) {
    add("leerroute", "brede_intake");
  } else {
    add("leerroute", "geen");  // left the trajectory before a PIP (e.g. vrijgesteld)
  }

  const bool intake_started = !s.brede_intake().date().empty();
  add("brede_intake", intake_started ? "gestart" : "niet_gestart");
  if (intake_started) add("intakegroep", IntakeGroepValue(s.brede_intake().intake_groep()));

  // Outcomes per person (seed 000's table counts people): one outcome per person, in the month
  // it was reached. The outcome of the placement that ended last (PlacementFacts); without one,
  // "nog niet in staat" when the brede intake found the person not able now, in the month of the
  // intake: recording that needs no placement.
  if (!facts.outcome_date.empty()) {
    keys.push_back({s.gemeente(), MonthOf(facts.outcome_date), "uitkomst_persoon",
                    OutcomeValue(facts.outcome)});
  } else if (intake_started &&
             s.brede_intake().intake_groep() == v1::INTAKE_GROEP_NU_NIET_IN_STAAT &&
             !MonthOf(s.brede_intake().date()).empty()) {
    keys.push_back(
        {s.gemeente(), MonthOf(s.brede_intake().date()), "uitkomst_persoon", "nog_niet_in_staat"});
  }

  if (has_pip) {
    add("pip", s.pip().on_time() ? "op_tijd" : "te_laat");
    add_days("dagen_vestiging_pip", s.pip().date());
  } else {
    add("pip", "geen");
  }

  const bool placed = !facts.first_start_date.empty();
  add("plaatsing", placed ? "ja" : "nee");
  if (placed) add_days("dagen_vestiging_plaatsing", facts.first_start_date);

  const std::string a2 = FirstReached(s, v1::CEFR_LEVEL_A2);
  const std::string b1 = FirstReached(s, v1::CEFR_LEVEL_B1);
  add("b1", b1.empty() ? "nee" : "ja");
  if (!b1.empty()) add_days("dagen_vestiging_b1", b1);
  if (!a2.empty() && !b1.empty()) {
    const char* group = facts.talend ? "talend" : "niet_talend";
    add("a2_b1", group);
    add(facts.talend ? "dagen_a2_b1_talend" : "dagen_a2_b1_niet_talend",
        absl::StrCat(*Day(b1) - *Day(a2)));
  }

  int route = facts.route;
  if (route == 0 || route > kRouteOnderwijs) {
    if (has_pip && s.pip().leerroute() == v1::LEERROUTE_ONDERWIJSROUTE) route = kRouteOnderwijs;
  }
  if (route == 0 && has_pip && s.pip().leerroute() == v1::LEERROUTE_Z_ROUTE) {
    route = kRouteParticipatie;
  }
  if (route == 0) route = kRouteGeenInzet;
  add("integratieroute", absl::StrCat(route));

  if (had_bijstand) {
    add("bijstand_uitstroom",
        s.uitkering().end_date().empty() ? "nog_in_bijstand" : "uitgestroomd");
  }
  return keys;
}

std::vector<AggregateKey> PlacementContributions(const v1::Placement& p) {
  std::vector<AggregateKey> keys;
  const char* outcome = OutcomeOf(p);
  if (outcome == nullptr || p.gemeente().empty()) return keys;
  const std::string month = MonthOf(p.end_date());
  keys.push_back({p.gemeente(), month, "uitkomst", outcome});
  if (p.outcome() == v1::PLACEMENT_OUTCOME_WERK) {
    const char* niveau = p.op_niveau() == v1::OP_NIVEAU_OP_NIVEAU      ? "op_niveau"
                         : p.op_niveau() == v1::OP_NIVEAU_ONDER_NIVEAU ? "onder_niveau"
                                                                       : "onbekend";
    keys.push_back({p.gemeente(), month, "werk_niveau", niveau});
  }
  return keys;
}

AggregateDelta Diff(const std::vector<AggregateKey>& old_keys,
                    const std::vector<AggregateKey>& new_keys) {
  AggregateDelta delta;
  for (const AggregateKey& k : old_keys) --delta[k];
  for (const AggregateKey& k : new_keys) ++delta[k];
  for (auto it = delta.begin(); it != delta.end();) {
    it = it->second == 0 ? delta.erase(it) : std::next(it);
  }
  return delta;
}

bool IsHistogramDimension(const std::string& dimension) {
  return dimension.rfind("dagen_", 0) == 0;
}

std::string EncodeHistogram(const std::map<int64_t, int64_t>& histogram) {
  std::string text;
  for (const auto& [days, count] : histogram) {
    if (count == 0) continue;
    absl::StrAppend(&text, text.empty() ? "" : ",", days, ":", count);
  }
  return text;
}

std::map<int64_t, int64_t> DecodeHistogram(const std::string& text) {
  std::map<int64_t, int64_t> histogram;
  for (absl::string_view pair : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const size_t colon = pair.find(':');
    int64_t days, count;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(pair.substr(0, colon), &days) ||
        !absl::SimpleAtoi(pair.substr(colon + 1), &count)) {
      continue;
    }
    histogram[days] += count;
  }
  return histogram;
}

std::string EncodeKeys(const std::vector<AggregateKey>& keys) {
  std::string text;
  for (const AggregateKey& k : keys)
    absl::StrAppend(&text, k.month, "|", k.dimension, "|", k.value, "\n");
  return text;
}

std::vector<AggregateKey> DecodeKeys(const std::string& gemeente, const std::string& text) {
  std::vector<AggregateKey> keys;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, '|');
    if (parts.size() != 3) continue;
    keys.push_back({gemeente, parts[0], parts[1], parts[2]});
  }
  return keys;
}

}  // namespace inburgering::reporting

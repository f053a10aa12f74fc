#include "matching-service/matching_core.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/dates.h"
#include "matching-service/isco.h"

namespace inburgering::matching {
namespace {

constexpr double kEarthRadiusKm = 6371.0088;
constexpr double kPi = 3.14159265358979323846;
constexpr char kOnbekend[] = "onbekend";

void SetReason(std::string* reason, std::string text) {
  if (reason != nullptr) *reason = std::move(text);
}

bool IsParticipation(v1::WerkplekType type) {
  return type == v1::WERKPLEK_TYPE_TAALSTAGE || type == v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK;
}

absl::string_view TypeName(v1::WerkplekType type) {
  switch (type) {
    case v1::WERKPLEK_TYPE_BETAALD_WERK:
      return "betaald werk";
    case v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS:
      return "werkervaringsplaats";
    case v1::WERKPLEK_TYPE_LEERWERKBAAN:
      return "leerwerkbaan";
    case v1::WERKPLEK_TYPE_PROEFPLAATSING:
      return "proefplaatsing";
    case v1::WERKPLEK_TYPE_TAALSTAGE:
      return "taalstage";
    case v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK:
      return "vrijwilligerswerk";
    default:
      return "onbekend type";
  }
}

}  // namespace

DagdeelMask MaskOf(const google::protobuf::RepeatedField<int>& dagdelen) {
  DagdeelMask mask = 0;
  for (int d : dagdelen) {
    if (d >= 1 && d <= 21) mask |= DagdeelMask{1} << d;
  }
  return mask;
}

int CountDagdelen(DagdeelMask mask) { return __builtin_popcount(mask); }

Profile ProfileFrom(const v1::KandidaatProfiel& p) {
  Profile profile;
  profile.id = p.statushouder_id();
  profile.gemeente = p.gemeente();
  profile.version = p.version();
  profile.language_level = p.language_level();
  profile.availability = MaskOf(p.availability());
  profile.lessons = MaskOf(p.lesson_dagdelen());
  profile.prior_isco = p.prior_occupation_isco();
  profile.wishes_isco.assign(p.work_wishes_isco().begin(), p.work_wishes_isco().end());
  profile.has_location = p.has_home_location();
  profile.lat = p.home_location().latitude();
  profile.lon = p.home_location().longitude();
  profile.max_travel_km = p.max_travel_km();
  profile.leerroute = p.leerroute();
  profile.phase = p.phase();
  profile.intake_groep = p.intake_groep();
  profile.consent = p.consent_share_identity();
  profile.gender = p.gender();
  profile.country_of_origin = p.country_of_origin();
  return profile;
}

v1::KandidaatProfiel ProfielFromStatushouder(const v1::Statushouder& s) {
  v1::KandidaatProfiel p;
  p.set_statushouder_id(s.id());
  p.set_gemeente(s.gemeente());
  p.set_version(s.version());
  p.set_language_level(s.language_level());
  *p.mutable_availability() = s.availability();
  *p.mutable_lesson_dagdelen() = s.lesson_dagdelen();
  p.set_prior_occupation_isco(s.prior_occupation_isco());
  *p.mutable_work_wishes_isco() = s.work_wishes_isco();
  if (s.has_home_location()) *p.mutable_home_location() = s.home_location();
  p.set_max_travel_km(s.max_travel_km());
  p.set_leerroute(s.has_pip() && s.pip().leerroute() != v1::LEERROUTE_UNSPECIFIED
                      ? s.pip().leerroute()
                      : s.brede_intake().advised_leerroute());
  p.set_phase(s.phase());
  p.set_intake_groep(s.brede_intake().intake_groep());
  p.set_consent_share_identity(s.consent_share_identity());
  p.set_gender(s.gender());
  p.set_country_of_origin(s.country_of_origin());
  return p;
}

Place PlaceFrom(std::shared_ptr<const v1::Werkplek> record) {
  Place place;
  const v1::Werkplek& w = *record;
  place.lat = w.location().latitude();
  place.lon = w.location().longitude();
  place.type = w.type();
  place.min_level = w.min_language_level();
  place.dagdelen = MaskOf(w.dagdelen());
  place.capacity_left = std::max(0, w.capacity() - w.capacity_used());
  place.isco = w.occupation_isco();
  place.talende_omgeving_value = TalendeOmgevingValue(w, nullptr);
  place.hours = w.hours_per_week();
  if (auto from = ParseDate("open_from", w.open_from()); from.ok()) place.open_from = *from;
  if (auto until = ParseDate("open_until", w.open_until()); until.ok()) place.open_until = *until;
  place.record = std::move(record);
  return place;
}

absl::string_view ConstraintName(Constraint constraint) {
  switch (constraint) {
    case Constraint::kOpen:
      return "open";
    case Constraint::kCapaciteit:
      return "capaciteit";
    case Constraint::kType:
      return "type";
    case Constraint::kTaalniveau:
      return "taalniveau";
    case Constraint::kDagdelen:
      return "dagdelen";
    case Constraint::kReisafstand:
      return "reisafstand";
  }
  return "";
}

double DistanceKm(double lat1, double lon1, double lat2, double lon2) {
  const double to_rad = kPi / 180.0;
  const double dlat = (lat2 - lat1) * to_rad;
  const double dlon = (lon2 - lon1) * to_rad;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * to_rad) * std::cos(lat2 * to_rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

bool TypeAllowed(const Profile& profile, v1::WerkplekType type) {
  if (type == v1::WERKPLEK_TYPE_UNSPECIFIED) return false;
  // Someone who left the gemeente or the country is no longer a candidate here.
  if (profile.phase == v1::PHASE_VERTROKKEN) return false;
  // Not able now: back to inburgering; at most a taalstage or volunteering next to it.
  if (profile.intake_groep == v1::INTAKE_GROEP_NU_NIET_IN_STAAT) return IsParticipation(type);
  // The Z-route aims at self-reliance and participation, not at a job.
  if (profile.leerroute == v1::LEERROUTE_Z_ROUTE) return IsParticipation(type);
  return true;
}

bool LanguageLevelFits(v1::CefrLevel candidate, v1::CefrLevel place_minimum) {
  // A place asking A0 (or nothing) asks no Dutch, so even an unmeasured candidate fits it; any
  // other minimum needs a measured level: an unknown level never counts as a fit.
  if (place_minimum <= v1::CEFR_LEVEL_A0) return true;
  return candidate != v1::CEFR_LEVEL_UNSPECIFIED && candidate >= place_minimum;
}

std::optional<Constraint> FirstFailedConstraint(const Profile& profile, const Place& place,
                                                absl::CivilDay today, double* distance_km) {
  if (today < place.open_from || (place.open_until && today >= *place.open_until)) {
    return Constraint::kOpen;
  }
  if (place.capacity_left <= 0) return Constraint::kCapaciteit;
  if (!TypeAllowed(profile, place.type)) return Constraint::kType;
  if (!LanguageLevelFits(profile.language_level, place.min_level)) return Constraint::kTaalniveau;
  // Unknown availability is the empty set, so it fits no place.
  if (place.dagdelen == 0 || (place.dagdelen & ~profile.free_dagdelen()) != 0) {
    return Constraint::kDagdelen;
  }
  if (!profile.has_location || profile.max_travel_km <= 0) return Constraint::kReisafstand;
  const double d = DistanceKm(profile.lat, profile.lon, place.lat, place.lon);
  if (distance_km != nullptr) *distance_km = d;
  if (d > profile.max_travel_km) return Constraint::kReisafstand;
  return std::nullopt;
}

Weights NormalisedWeights(const config::v1::MatchingWeights& c) {
  Weights w{c.beroep(), c.wensen(), c.talende_omgeving(), c.reisafstand(), c.uren(), c.type()};
  const double parts[] = {w.beroep, w.wensen, w.talende_omgeving, w.reisafstand, w.uren, w.type};
  double sum = 0;
  for (double p : parts) {
    if (p < 0 || !std::isfinite(p)) return Weights{};
    sum += p;
  }
  if (sum <= 0) return Weights{};
  w.beroep /= sum;
  w.wensen /= sum;
  w.talende_omgeving /= sum;
  w.reisafstand /= sum;
  w.uren /= sum;
  w.type /= sum;
  return w;
}

double BeroepValue(const Profile& profile, const v1::Werkplek& place, std::string* reason) {
  return BeroepValueFor(profile, place.occupation_isco(), reason);
}

double BeroepValueFor(const Profile& profile, const std::string& isco, std::string* reason) {
  if (profile.prior_isco.size() != 4 || isco.size() != 4) {
    SetReason(reason, kOnbekend);
    return 0;
  }
  const IscoKinship kinship = Kinship(profile.prior_isco, isco);
  if (reason != nullptr) {
    *reason = absl::StrCat(KinshipReason(kinship), " (ISCO ", profile.prior_isco, " → ", isco, ")");
  }
  return KinshipValue(kinship);
}

double WensenValue(const Profile& profile, const v1::Werkplek& place, std::string* reason) {
  return WensenValueFor(profile, place.occupation_isco(), reason);
}

double WensenValueFor(const Profile& profile, const std::string& isco, std::string* reason) {
  if (profile.wishes_isco.empty() || isco.empty()) {
    SetReason(reason, kOnbekend);
    return 0;
  }
  // The most specific wish that contains the place's occupation counts: a wish for the unit
  // group itself is worth more than one for its whole major group.
  size_t best = 0;
  const std::string* best_wish = nullptr;
  for (const std::string& wish : profile.wishes_isco) {
    if (!wish.empty() && wish.size() > best && isco.compare(0, wish.size(), wish) == 0) {
      best = wish.size();
      best_wish = &wish;
    }
  }
  static constexpr double kByDigits[] = {0, 0.5, 0.7, 0.85, 1.0};
  if (best_wish == nullptr) {
    SetReason(reason, "niet bij de wensen");
    return 0;
  }
  SetReason(reason, absl::StrCat("past bij wens ISCO ", *best_wish));
  return kByDigits[std::min<size_t>(best, 4)];
}

double TalendeOmgevingValue(const v1::Werkplek& place, std::string* reason) {
  if (!place.has_talende_omgeving()) {
    SetReason(reason, kOnbekend);
    return 0;
  }
  const v1::TalendeOmgeving& t = place.talende_omgeving();
  const double hours = std::clamp(t.dutch_contact_hours(), 0, 20) / 20.0;
  const double value =
      (t.dutch_working_language() ? 0.5 : 0.0) + 0.3 * hours + (t.taalcoach() ? 0.2 : 0.0);
  if (reason != nullptr) {
    *reason = absl::StrCat(
        t.dutch_working_language() ? "Nederlands is de werktaal" : "Nederlands is niet de werktaal",
        ", ", t.dutch_contact_hours(), " contacturen Nederlands per week",
        t.taalcoach() ? ", met taalcoach" : ", zonder taalcoach");
  }
  return value;
}

double ReisafstandValue(const Profile& profile, double distance_km, std::string* reason) {
  if (!profile.has_location || profile.max_travel_km <= 0 || distance_km < 0) {
    SetReason(reason, kOnbekend);
    return 0;
  }
  const double value = std::clamp(1.0 - distance_km / profile.max_travel_km, 0.0, 1.0);
  SetReason(reason, absl::StrFormat("%.1f km van huis (maximaal %d km)", distance_km,
                                    profile.max_travel_km));
  return value;
}

double UrenValue(const Profile& profile, const v1::Werkplek& place, std::string* reason) {
  return UrenValueFor(profile, place.hours_per_week(), reason);
}

double UrenValueFor(const Profile& profile, int hours, std::string* reason) {
  // A dagdeel is about four working hours; more hours than the free dagdelen hold do not fit
  // next to the lessons, far fewer leave a candidate ready for work under-used.
  const int free_hours = std::min(40, 4 * CountDagdelen(profile.free_dagdelen()));
  if (free_hours == 0 || hours <= 0) {
    SetReason(reason, kOnbekend);
    return 0;
  }
  const double value =
      static_cast<double>(std::min(hours, free_hours)) / std::max(hours, free_hours);
  SetReason(reason,
            absl::StrCat(hours, " uur per week, ", free_hours, " uur beschikbaar naast de lessen"));
  return value;
}

double TypeValue(const Profile& profile, v1::WerkplekType type, std::string* reason) {
  // Progression towards paid work, by where the intake placed the candidate.
  double value = 0;
  switch (profile.intake_groep) {
    case v1::INTAKE_GROEP_KLAAR_VOOR_WERK:
      switch (type) {
        case v1::WERKPLEK_TYPE_BETAALD_WERK:
          value = 1.0;
          break;
        case v1::WERKPLEK_TYPE_LEERWERKBAAN:
          value = 0.85;
          break;
        case v1::WERKPLEK_TYPE_PROEFPLAATSING:
          value = 0.8;
          break;
        case v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS:
          value = 0.7;
          break;
        case v1::WERKPLEK_TYPE_TAALSTAGE:
          value = 0.4;
          break;
        case v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK:
          value = 0.2;
          break;
        default:
          break;
      }
      break;
    case v1::INTAKE_GROEP_ROUTE_NAAR_WERK:
      switch (type) {
        case v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS:
          value = 1.0;
          break;
        case v1::WERKPLEK_TYPE_LEERWERKBAAN:
          value = 0.9;
          break;
        case v1::WERKPLEK_TYPE_PROEFPLAATSING:
          value = 0.8;
          break;
        case v1::WERKPLEK_TYPE_TAALSTAGE:
          value = 0.7;
          break;
        case v1::WERKPLEK_TYPE_BETAALD_WERK:
          value = 0.6;
          break;
        case v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK:
          value = 0.4;
          break;
        default:
          break;
      }
      break;
    case v1::INTAKE_GROEP_NU_NIET_IN_STAAT:
      value = type == v1::WERKPLEK_TYPE_TAALSTAGE           ? 1.0
              : type == v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK ? 0.8
                                                            : 0.0;
      break;
    default:
      SetReason(reason, kOnbekend);
      return 0;
  }
  if (reason != nullptr) {
    const absl::string_view groep =
        profile.intake_groep == v1::INTAKE_GROEP_KLAAR_VOOR_WERK   ? "klaar voor werk"
        : profile.intake_groep == v1::INTAKE_GROEP_ROUTE_NAAR_WERK ? "route naar werk"
                                                                   : "nu niet in staat";
    *reason = absl::StrCat(TypeName(type), " voor iemand die ", groep, " is");
  }
  return value;
}

double Score(const Profile& profile, const Place& place, double distance_km, const Weights& w) {
  // The same components as Explain, from the inputs kept inline in Place (no record access).
  return w.beroep * BeroepValueFor(profile, place.isco, nullptr) +
         w.wensen * WensenValueFor(profile, place.isco, nullptr) +
         w.talende_omgeving * place.talende_omgeving_value +
         w.reisafstand * ReisafstandValue(profile, distance_km, nullptr) +
         w.uren * UrenValueFor(profile, place.hours, nullptr) +
         w.type * TypeValue(profile, place.type, nullptr);
}

v1::Match Explain(const Profile& profile, const Place& place, double distance_km,
                  const Weights& w) {
  const v1::Werkplek& r = *place.record;
  v1::Match match;
  double total = 0;
  auto add = [&](const char* name, double weight, auto&& value_fn) {
    v1::ScoreComponent* c = match.add_components();
    c->set_name(name);
    c->set_weight(weight);
    c->set_value(value_fn(c->mutable_reason()));
    total += weight * c->value();
  };
  add("beroep", w.beroep, [&](std::string* s) { return BeroepValue(profile, r, s); });
  add("wensen", w.wensen, [&](std::string* s) { return WensenValue(profile, r, s); });
  add("talende_omgeving", w.talende_omgeving,
      [&](std::string* s) { return TalendeOmgevingValue(r, s); });
  add("reisafstand", w.reisafstand,
      [&](std::string* s) { return ReisafstandValue(profile, distance_km, s); });
  add("uren", w.uren, [&](std::string* s) { return UrenValue(profile, r, s); });
  add("type", w.type, [&](std::string* s) { return TypeValue(profile, place.type, s); });
  match.set_score(std::clamp(total, 0.0, 1.0));
  match.set_distance_km(distance_km);
  return match;
}

v1::OpNiveau OpNiveauOf(absl::string_view prior_isco, absl::string_view place_isco) {
  const int prior = IscoSkillLevel(prior_isco);
  const int place = IscoSkillLevel(place_isco);
  if (prior == 0 || place == 0) return v1::OP_NIVEAU_UNSPECIFIED;
  return place >= prior ? v1::OP_NIVEAU_OP_NIVEAU : v1::OP_NIVEAU_ONDER_NIVEAU;
}

bool IsUnderWay(v1::PlacementStatus status) {
  return status == v1::PLACEMENT_STATUS_VOORGESTELD || status == v1::PLACEMENT_STATUS_GESTART;
}

bool PlacementMayMove(v1::PlacementStatus from, v1::PlacementStatus to) {
  switch (from) {
    case v1::PLACEMENT_STATUS_VOORGESTELD:
      return to == v1::PLACEMENT_STATUS_GESTART || to == v1::PLACEMENT_STATUS_AFGEWEZEN ||
             to == v1::PLACEMENT_STATUS_INGETROKKEN;
    case v1::PLACEMENT_STATUS_GESTART:
      return to == v1::PLACEMENT_STATUS_BEEINDIGD;
    default:
      return false;
  }
}

bool KeepsCandidateFromProposals(const v1::Placement& placement) {
  if (IsUnderWay(placement.status())) return true;
  return placement.status() == v1::PLACEMENT_STATUS_BEEINDIGD &&
         (placement.outcome() == v1::PLACEMENT_OUTCOME_WERK ||
          placement.outcome() == v1::PLACEMENT_OUTCOME_OPLEIDING);
}

}  // namespace inburgering::matching

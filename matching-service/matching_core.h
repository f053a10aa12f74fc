// The matching rules, free of storage and RPC: hard constraints a werkplek must pass for a
// candidate, and the explained score in [0, 1] of a pair (docs/ALGORITHM.md describes both).
// Pure functions over value types; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "inburgering/config/v1/config.pb.h"
#include "inburgering/v1/matching.pb.h"

namespace inburgering::matching {

// A set of dagdelen: bit d is Dagdeel d (1..21).
using DagdeelMask = uint32_t;
DagdeelMask MaskOf(const google::protobuf::RepeatedField<int>& dagdelen);
int CountDagdelen(DagdeelMask mask);

// A candidate as matching sees it (from KandidaatProfiel), laid out for fast checks.
struct Profile {
  std::string id;
  std::string gemeente;
  int64_t version = 0;
  v1::CefrLevel language_level = v1::CEFR_LEVEL_UNSPECIFIED;
  DagdeelMask availability = 0;
  DagdeelMask lessons = 0;
  std::string prior_isco;
  std::vector<std::string> wishes_isco;
  bool has_location = false;
  double lat = 0, lon = 0;
  int max_travel_km = 0;
  v1::Leerroute leerroute = v1::LEERROUTE_UNSPECIFIED;
  v1::Phase phase = v1::PHASE_UNSPECIFIED;
  v1::IntakeGroep intake_groep = v1::INTAKE_GROEP_UNSPECIFIED;
  bool consent = false;
  v1::Gender gender = v1::GENDER_UNSPECIFIED;
  std::string country_of_origin;

  // Dagdelen free for work: available and not taken by language lessons.
  DagdeelMask free_dagdelen() const { return availability & ~lessons; }
};

Profile ProfileFrom(const v1::KandidaatProfiel& profiel);
// The profile matching keeps of a statushouder record (as carried by intake's events).
v1::KandidaatProfiel ProfielFromStatushouder(const v1::Statushouder& statushouder);

// A werkplek as matching sees it, with the record it came from (for responses).
struct Place {
  std::shared_ptr<const v1::Werkplek> record;
  const std::string& id() const { return record->id(); }
  double lat = 0, lon = 0;
  v1::WerkplekType type = v1::WERKPLEK_TYPE_UNSPECIFIED;
  v1::CefrLevel min_level = v1::CEFR_LEVEL_UNSPECIFIED;
  DagdeelMask dagdelen = 0;
  int capacity_left = 0;
  // Score inputs kept inline, so ranking many places never follows `record`.
  std::string isco;
  double talende_omgeving_value = 0;
  int hours = 0;
  absl::CivilDay open_from;
  std::optional<absl::CivilDay> open_until;  // exclusive
};

// Fails only on a malformed stored date (records are validated before they are stored).
Place PlaceFrom(std::shared_ptr<const v1::Werkplek> record);

// The hard constraints, in the order they are checked.
enum class Constraint {
  kOpen,         // the place is open today
  kCapaciteit,   // capacity left
  kType,         // type allowed for the candidate's leerroute, phase and intake group
  kTaalniveau,   // language level >= the place's minimum
  kDagdelen,     // the place's dagdelen within availability after language lessons
  kReisafstand,  // distance <= the candidate's max travel
};
absl::string_view ConstraintName(Constraint constraint);

// Great-circle distance (haversine, mean earth radius 6371.0088 km).
double DistanceKm(double lat1, double lon1, double lat2, double lon2);

bool TypeAllowed(const Profile& profile, v1::WerkplekType type);
bool LanguageLevelFits(v1::CefrLevel candidate, v1::CefrLevel place_minimum);

// The first hard constraint the pair fails, or nullopt when it passes all. `distance_km` is set
// when the distance was computed.
std::optional<Constraint> FirstFailedConstraint(const Profile& profile, const Place& place,
                                                absl::CivilDay today,
                                                double* distance_km = nullptr);

// Score weights, normalised to sum to 1 (all-zero or negative configuration -> the defaults).
struct Weights {
  double beroep = 0.25, wensen = 0.10, talende_omgeving = 0.30, reisafstand = 0.15, uren = 0.10,
         type = 0.10;
};
Weights NormalisedWeights(const config::v1::MatchingWeights& configured);

// Component values, each in [0, 1]; a missing input gives 0 and the reason "onbekend".
// When `reason` is not null it receives a short Dutch explanation.
double BeroepValue(const Profile& profile, const v1::Werkplek& place, std::string* reason);
double WensenValue(const Profile& profile, const v1::Werkplek& place, std::string* reason);
double TalendeOmgevingValue(const v1::Werkplek& place, std::string* reason);
double ReisafstandValue(const Profile& profile, double distance_km, std::string* reason);
double UrenValue(const Profile& profile, const v1::Werkplek& place, std::string* reason);
double TypeValue(const Profile& profile, v1::WerkplekType type, std::string* reason);
// The same from the place's fields (used by Score on Place's inline copies).
double BeroepValueFor(const Profile& profile, const std::string& isco, std::string* reason);
double WensenValueFor(const Profile& profile, const std::string& isco, std::string* reason);
double UrenValueFor(const Profile& profile, int hours, std::string* reason);

// The weighted score alone (the fast path for ranking many places).
double Score(const Profile& profile, const Place& place, double distance_km,
             const Weights& weights);
// The score with every component, its weight, value and reason.
v1::Match Explain(const Profile& profile, const Place& place, double distance_km,
                  const Weights& weights);

// Whether the place is work "op niveau" for the candidate: its ISCO skill level is at or above
// that of the prior occupation. UNSPECIFIED when either is unknown.
v1::OpNiveau OpNiveauOf(absl::string_view prior_isco, absl::string_view place_isco);

// A placement under way (voorgesteld or gestart): it holds one unit of its werkplek's capacity.
bool IsUnderWay(v1::PlacementStatus status);
// The legal moves (werkplek.proto, PlacementStatus): VOORGESTELD -> GESTART | AFGEWEZEN |
// INGETROKKEN; GESTART -> BEEINDIGD.
bool PlacementMayMove(v1::PlacementStatus from, v1::PlacementStatus to);
// Whether a placement keeps its candidate out of RecommendKandidaten and ProposeAssignment unless
// the caller asks for them: it is under way, or it ended in work or education (the person found
// what the matching is for). Declined, withdrawn and other ended placements do not.
bool KeepsCandidateFromProposals(const v1::Placement& placement);

}  // namespace inburgering::matching

// The matching rules: each hard constraint, each score component, the dentist case.
#include "matching-service/matching_core.h"

#include <gtest/gtest.h>

#include "matching-service/isco.h"

namespace inburgering::matching {
namespace {

const absl::CivilDay kToday(2026, 11, 23);

// Rijswijk town hall and a few points around it.
constexpr double kRijswijkLat = 52.0366, kRijswijkLon = 4.3232;

Profile ReadyCandidate() {
  Profile p;
  p.id = "S1";
  p.gemeente = "GM0603";
  p.language_level = v1::CEFR_LEVEL_A2;
  // Monday to Friday, mornings and afternoons; lessons on Tuesday and Thursday mornings.
  for (int d : {1, 2, 4, 5, 7, 8, 10, 11, 13, 14}) p.availability |= DagdeelMask{1} << d;
  for (int d : {4, 10}) p.lessons |= DagdeelMask{1} << d;
  p.prior_isco = "2261";
  p.wishes_isco = {"32"};
  p.has_location = true;
  p.lat = kRijswijkLat;
  p.lon = kRijswijkLon;
  p.max_travel_km = 15;
  p.leerroute = v1::LEERROUTE_B1;
  p.phase = v1::PHASE_INBURGERING;
  p.intake_groep = v1::INTAKE_GROEP_KLAAR_VOOR_WERK;
  return p;
}

v1::Werkplek BaseWerkplek(const std::string& id, const std::string& isco) {
  v1::Werkplek w;
  w.set_id(id);
  w.set_employer("Werkgever");
  w.set_gemeente("GM0603");
  w.set_region("haaglanden");
  w.mutable_location()->set_latitude(kRijswijkLat + 0.02);  // about 2.2 km north
  w.mutable_location()->set_longitude(kRijswijkLon);
  w.set_type(v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS);
  w.set_occupation_isco(isco);
  w.set_min_language_level(v1::CEFR_LEVEL_A1);
  w.mutable_talende_omgeving()->set_dutch_working_language(true);
  w.mutable_talende_omgeving()->set_dutch_contact_hours(10);
  w.mutable_talende_omgeving()->set_taalcoach(true);
  w.set_hours_per_week(16);
  for (int d : {1, 2, 7, 8}) w.add_dagdelen(static_cast<v1::Dagdeel>(d));
  w.set_capacity(2);
  w.set_open_from("2026-01-01");
  return w;
}

Place PlaceOf(const v1::Werkplek& w) { return PlaceFrom(std::make_shared<const v1::Werkplek>(w)); }

std::optional<Constraint> Check(const Profile& p, const v1::Werkplek& w) {
  return FirstFailedConstraint(p, PlaceOf(w), kToday);
}

TEST(HardConstraints, AFittingPairPassesAll) {
  EXPECT_EQ(Check(ReadyCandidate(), BaseWerkplek("W1", "3251")), std::nullopt);
}

TEST(HardConstraints, LanguageLevelBelowThePlacesMinimumFails) {
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  w.set_min_language_level(v1::CEFR_LEVEL_B1);
  EXPECT_EQ(Check(ReadyCandidate(), w), Constraint::kTaalniveau);
  w.set_min_language_level(v1::CEFR_LEVEL_A2);
  EXPECT_EQ(Check(ReadyCandidate(), w), std::nullopt) << "equal to the minimum fits";
}

TEST(HardConstraints, UnmeasuredLanguageLevelFitsOnlyPlacesAskingNoDutch) {
  Profile p = ReadyCandidate();
  p.language_level = v1::CEFR_LEVEL_UNSPECIFIED;
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  EXPECT_EQ(Check(p, w), Constraint::kTaalniveau);
  w.set_min_language_level(v1::CEFR_LEVEL_A0);
  EXPECT_EQ(Check(p, w), std::nullopt);
}

TEST(HardConstraints, DagdeelTakenByLessonsFails) {
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  w.add_dagdelen(v1::DAGDEEL_DINSDAG_OCHTEND);  // available, but a lesson then
  EXPECT_EQ(Check(ReadyCandidate(), w), Constraint::kDagdelen);
}

TEST(HardConstraints, DagdeelOutsideAvailabilityFails) {
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  w.add_dagdelen(v1::DAGDEEL_ZATERDAG_OCHTEND);
  EXPECT_EQ(Check(ReadyCandidate(), w), Constraint::kDagdelen);
}

TEST(HardConstraints, UnknownAvailabilityFitsNothing) {
  Profile p = ReadyCandidate();
  p.availability = 0;
  EXPECT_EQ(Check(p, BaseWerkplek("W1", "3251")), Constraint::kDagdelen);
}

TEST(HardConstraints, DistanceBeyondMaxTravelFails) {
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  w.mutable_location()->set_latitude(kRijswijkLat + 0.2);  // about 22 km
  EXPECT_EQ(Check(ReadyCandidate(), w), Constraint::kReisafstand);
  Profile far = ReadyCandidate();
  far.max_travel_km = 25;
  EXPECT_EQ(Check(far, w), std::nullopt);
}

TEST(HardConstraints, UnknownHomeOrTravelDistanceFails) {
  Profile p = ReadyCandidate();
  p.has_location = false;
  EXPECT_EQ(Check(p, BaseWerkplek("W1", "3251")), Constraint::kReisafstand);
  p = ReadyCandidate();
  p.max_travel_km = 0;
  EXPECT_EQ(Check(p, BaseWerkplek("W1", "3251")), Constraint::kReisafstand);
}

TEST(HardConstraints, NoCapacityLeftFails) {
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  w.set_capacity_used(2);
  EXPECT_EQ(Check(ReadyCandidate(), w), Constraint::kCapaciteit);
}

TEST(HardConstraints, PlaceNotYetOpenOrClosedFails) {
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  w.set_open_from("2026-12-01");
  EXPECT_EQ(Check(ReadyCandidate(), w), Constraint::kOpen);
  w.set_open_from("2026-01-01");
  w.set_open_until("2026-11-23");  // exclusive
  EXPECT_EQ(Check(ReadyCandidate(), w), Constraint::kOpen);
  w.set_open_until("2026-11-24");
  EXPECT_EQ(Check(ReadyCandidate(), w), std::nullopt);
}

TEST(HardConstraints, ZRouteGetsOnlyParticipationPlaces) {
  Profile p = ReadyCandidate();
  p.leerroute = v1::LEERROUTE_Z_ROUTE;
  EXPECT_FALSE(TypeAllowed(p, v1::WERKPLEK_TYPE_BETAALD_WERK));
  EXPECT_FALSE(TypeAllowed(p, v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS));
  EXPECT_FALSE(TypeAllowed(p, v1::WERKPLEK_TYPE_LEERWERKBAAN));
  EXPECT_TRUE(TypeAllowed(p, v1::WERKPLEK_TYPE_TAALSTAGE));
  EXPECT_TRUE(TypeAllowed(p, v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK));
  EXPECT_EQ(Check(p, BaseWerkplek("W1", "3251")), Constraint::kType);
}

TEST(HardConstraints, NuNietInStaatGetsAtMostTaalstageOrVrijwilligerswerk) {
  Profile p = ReadyCandidate();
  p.intake_groep = v1::INTAKE_GROEP_NU_NIET_IN_STAAT;
  EXPECT_FALSE(TypeAllowed(p, v1::WERKPLEK_TYPE_BETAALD_WERK));
  EXPECT_FALSE(TypeAllowed(p, v1::WERKPLEK_TYPE_PROEFPLAATSING));
  EXPECT_TRUE(TypeAllowed(p, v1::WERKPLEK_TYPE_TAALSTAGE));
  EXPECT_TRUE(TypeAllowed(p, v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK));
}

TEST(HardConstraints, VertrokkenGetsNothing) {
  Profile p = ReadyCandidate();
  p.phase = v1::PHASE_VERTROKKEN;
  EXPECT_FALSE(TypeAllowed(p, v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK));
}

TEST(Distance, HaversineMatchesKnownDistance) {
  // 0.03° north and 0.032° east at 52°N: 3.3 km and 2.2 km, so about 4 km.
  EXPECT_NEAR(DistanceKm(52.0366, 4.3232, 52.0067, 4.3556), 3.98, 0.05);
  EXPECT_NEAR(DistanceKm(52.0, 4.0, 53.0, 4.0), 111.2, 0.1);
  EXPECT_DOUBLE_EQ(DistanceKm(52.0, 4.0, 52.0, 4.0), 0.0);
}

TEST(Isco, KinshipFollowsTheHierarchy) {
  EXPECT_EQ(Kinship("2261", "2261"), IscoKinship::kSameUnitGroup);
  EXPECT_EQ(Kinship("2261", "3251"), IscoKinship::kCounterpartUnit);
  EXPECT_EQ(Kinship("2261", "2262"), IscoKinship::kSameMinorGroup);
  EXPECT_EQ(Kinship("2261", "2211"), IscoKinship::kSameSubMajorGroup);
  EXPECT_EQ(Kinship("2261", "3221"), IscoKinship::kRelatedField);
  EXPECT_EQ(Kinship("2261", "2411"), IscoKinship::kSameMajorGroup);
  EXPECT_EQ(Kinship("2261", "8322"), IscoKinship::kUnrelated);
  EXPECT_EQ(Kinship("22", "2261"), IscoKinship::kUnrelated) << "needs two unit groups";
  double previous = 2;
  for (IscoKinship k :
       {IscoKinship::kSameUnitGroup, IscoKinship::kCounterpartUnit, IscoKinship::kSameMinorGroup,
        IscoKinship::kSameSubMajorGroup, IscoKinship::kRelatedField, IscoKinship::kSameMajorGroup,
        IscoKinship::kUnrelated}) {
    EXPECT_LT(KinshipValue(k), previous);
    previous = KinshipValue(k);
  }
}

TEST(Isco, SkillLevels) {
  EXPECT_EQ(IscoSkillLevel("2261"), 4);
  EXPECT_EQ(IscoSkillLevel("3251"), 3);
  EXPECT_EQ(IscoSkillLevel("8322"), 2);
  EXPECT_EQ(IscoSkillLevel("9112"), 1);
  EXPECT_EQ(IscoSkillLevel("1411"), 3);
  EXPECT_EQ(IscoSkillLevel("1120"), 4);
  EXPECT_EQ(IscoSkillLevel(""), 0);
  EXPECT_EQ(IscoSkillLevel("x"), 0);
}

TEST(OpNiveau, ComparesSkillLevels) {
  EXPECT_EQ(OpNiveauOf("2261", "2261"), v1::OP_NIVEAU_OP_NIVEAU);
  EXPECT_EQ(OpNiveauOf("2261", "3251"), v1::OP_NIVEAU_ONDER_NIVEAU);
  EXPECT_EQ(OpNiveauOf("8322", "3251"), v1::OP_NIVEAU_OP_NIVEAU);
  EXPECT_EQ(OpNiveauOf("", "3251"), v1::OP_NIVEAU_UNSPECIFIED);
}

TEST(ScoreComponents, BeroepUnknownPriorOccupationIsZeroOnbekend) {
  Profile p = ReadyCandidate();
  p.prior_isco.clear();
  std::string reason;
  EXPECT_EQ(BeroepValue(p, BaseWerkplek("W1", "3251"), &reason), 0);
  EXPECT_EQ(reason, "onbekend");
}

TEST(ScoreComponents, BeroepExplainsTheCodes) {
  std::string reason;
  EXPECT_DOUBLE_EQ(BeroepValue(ReadyCandidate(), BaseWerkplek("W1", "3251"), &reason), 0.8);
  EXPECT_EQ(reason, "direct verwant beroep (ISCO 2261 → 3251)");
}

TEST(ScoreComponents, WensenTheMostSpecificWishCounts) {
  Profile p = ReadyCandidate();
  std::string reason;
  p.wishes_isco = {"3", "325"};
  EXPECT_DOUBLE_EQ(WensenValue(p, BaseWerkplek("W1", "3251"), &reason), 0.85);
  EXPECT_EQ(reason, "past bij wens ISCO 325");
  p.wishes_isco = {"3251"};
  EXPECT_DOUBLE_EQ(WensenValue(p, BaseWerkplek("W1", "3251"), nullptr), 1.0);
  p.wishes_isco = {"5"};
  EXPECT_DOUBLE_EQ(WensenValue(p, BaseWerkplek("W1", "3251"), &reason), 0);
  EXPECT_EQ(reason, "niet bij de wensen");
  p.wishes_isco.clear();
  EXPECT_DOUBLE_EQ(WensenValue(p, BaseWerkplek("W1", "3251"), &reason), 0);
  EXPECT_EQ(reason, "onbekend");
}

TEST(ScoreComponents, TalendeOmgevingRewardsDutchContactAndCoach) {
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  std::string reason;
  EXPECT_DOUBLE_EQ(TalendeOmgevingValue(w, &reason), 0.5 + 0.15 + 0.2);
  EXPECT_NE(reason.find("Nederlands is de werktaal"), std::string::npos);
  w.mutable_talende_omgeving()->set_dutch_contact_hours(40);
  EXPECT_DOUBLE_EQ(TalendeOmgevingValue(w, nullptr), 1.0);
  w.mutable_talende_omgeving()->set_dutch_working_language(false);
  w.mutable_talende_omgeving()->set_taalcoach(false);
  EXPECT_DOUBLE_EQ(TalendeOmgevingValue(w, nullptr), 0.3);
  w.clear_talende_omgeving();
  EXPECT_DOUBLE_EQ(TalendeOmgevingValue(w, &reason), 0);
  EXPECT_EQ(reason, "onbekend");
}

TEST(ScoreComponents, ReisafstandFallsWithDistance) {
  Profile p = ReadyCandidate();
  std::string reason;
  EXPECT_DOUBLE_EQ(ReisafstandValue(p, 0, nullptr), 1.0);
  EXPECT_DOUBLE_EQ(ReisafstandValue(p, 7.5, &reason), 0.5);
  EXPECT_EQ(reason, "7.5 km van huis (maximaal 15 km)");
  p.has_location = false;
  EXPECT_DOUBLE_EQ(ReisafstandValue(p, 1, &reason), 0);
  EXPECT_EQ(reason, "onbekend");
}

TEST(ScoreComponents, UrenComparesHoursWithFreeDagdelen) {
  Profile p = ReadyCandidate();  // 8 free dagdelen = 32 hours
  v1::Werkplek w = BaseWerkplek("W1", "3251");
  w.set_hours_per_week(32);
  std::string reason;
  EXPECT_DOUBLE_EQ(UrenValue(p, w, &reason), 1.0);
  EXPECT_EQ(reason, "32 uur per week, 32 uur beschikbaar naast de lessen");
  w.set_hours_per_week(16);
  EXPECT_DOUBLE_EQ(UrenValue(p, w, nullptr), 0.5);
  p.availability = 0;
  EXPECT_DOUBLE_EQ(UrenValue(p, w, &reason), 0);
  EXPECT_EQ(reason, "onbekend");
}

TEST(ScoreComponents, TypeProgressionDependsOnIntakeGroup) {
  Profile p = ReadyCandidate();
  EXPECT_GT(TypeValue(p, v1::WERKPLEK_TYPE_BETAALD_WERK, nullptr),
            TypeValue(p, v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS, nullptr));
  EXPECT_GT(TypeValue(p, v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS, nullptr),
            TypeValue(p, v1::WERKPLEK_TYPE_TAALSTAGE, nullptr));
  EXPECT_GT(TypeValue(p, v1::WERKPLEK_TYPE_TAALSTAGE, nullptr),
            TypeValue(p, v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK, nullptr));
  p.intake_groep = v1::INTAKE_GROEP_ROUTE_NAAR_WERK;
  EXPECT_GT(TypeValue(p, v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS, nullptr),
            TypeValue(p, v1::WERKPLEK_TYPE_BETAALD_WERK, nullptr));
  p.intake_groep = v1::INTAKE_GROEP_UNSPECIFIED;
  std::string reason;
  EXPECT_EQ(TypeValue(p, v1::WERKPLEK_TYPE_BETAALD_WERK, &reason), 0);
  EXPECT_EQ(reason, "onbekend");
}

TEST(Weights, AreNormalisedAndFallBackToDefaults) {
  config::v1::MatchingWeights c;
  c.set_beroep(2);
  c.set_talende_omgeving(6);
  c.set_reisafstand(2);
  Weights w = NormalisedWeights(c);
  EXPECT_DOUBLE_EQ(w.beroep, 0.2);
  EXPECT_DOUBLE_EQ(w.talende_omgeving, 0.6);
  EXPECT_DOUBLE_EQ(w.wensen, 0);
  Weights defaults = NormalisedWeights(config::v1::MatchingWeights());
  EXPECT_DOUBLE_EQ(defaults.talende_omgeving, Weights{}.talende_omgeving);
  c.set_uren(-1);
  EXPECT_DOUBLE_EQ(NormalisedWeights(c).beroep, Weights{}.beroep);
}

TEST(Explain, ScoreIsTheWeightedSumOfNamedComponents) {
  const Profile p = ReadyCandidate();
  const Place place = PlaceOf(BaseWerkplek("W1", "3251"));
  double distance = -1;
  ASSERT_EQ(FirstFailedConstraint(p, place, kToday, &distance), std::nullopt);
  const v1::Match match = Explain(p, place, distance, Weights{});
  ASSERT_EQ(match.components_size(), 6);
  double sum = 0, weights = 0;
  for (const auto& c : match.components()) {
    EXPECT_GE(c.value(), 0);
    EXPECT_LE(c.value(), 1);
    EXPECT_FALSE(c.reason().empty()) << c.name();
    sum += c.weight() * c.value();
    weights += c.weight();
  }
  EXPECT_NEAR(weights, 1.0, 1e-12);
  EXPECT_NEAR(match.score(), sum, 1e-12);
  EXPECT_NEAR(match.score(), Score(p, place, distance, Weights{}), 1e-12);
  EXPECT_EQ(match.components(0).name(), "beroep");
  EXPECT_NEAR(match.distance_km(), 2.22, 0.02);
}

TEST(Explain, ThinProfileCannotLookLikeAGoodMatch) {
  Profile thin;
  thin.id = "S2";
  thin.has_location = true;
  thin.lat = kRijswijkLat;
  thin.lon = kRijswijkLon;
  thin.max_travel_km = 10;
  const Place place = PlaceOf(BaseWerkplek("W1", "3251"));
  const v1::Match match = Explain(thin, place, 2.2, Weights{});
  int onbekend = 0;
  for (const auto& c : match.components()) onbekend += c.reason() == "onbekend";
  EXPECT_EQ(onbekend, 4);  // beroep, wensen, uren, type
  EXPECT_LT(match.score(), 0.5);
}

// A Syrian dentist (ISCO 2261) must see dental assistant work above a taxi company, with all
// else equal.
TEST(DentistCase, DentalAssistantRanksAboveTaxiCompany) {
  Profile dentist = ReadyCandidate();
  dentist.wishes_isco.clear();
  const Place dental = PlaceOf(BaseWerkplek("W-dental", "3251"));
  const Place taxi = PlaceOf(BaseWerkplek("W-taxi", "8322"));
  double d1 = -1, d2 = -1;
  ASSERT_EQ(FirstFailedConstraint(dentist, dental, kToday, &d1), std::nullopt);
  ASSERT_EQ(FirstFailedConstraint(dentist, taxi, kToday, &d2), std::nullopt);
  const v1::Match dental_match = Explain(dentist, dental, d1, Weights{});
  const v1::Match taxi_match = Explain(dentist, taxi, d2, Weights{});
  EXPECT_GT(dental_match.score(), taxi_match.score());
  EXPECT_DOUBLE_EQ(dental_match.components(0).value(), 0.8);
  EXPECT_DOUBLE_EQ(taxi_match.components(0).value(), 0.0);
  EXPECT_EQ(taxi_match.components(0).reason(), "ander vakgebied (ISCO 2261 → 8322)");
}

TEST(Profiel, TakenFromTheStatushouderWithoutIdentifiers) {
  v1::Statushouder s;
  s.set_id("S1");
  s.set_gemeente("GM0603");
  s.set_bsn("111222333");
  s.set_family_name("Haddad");
  s.set_version(4);
  s.set_language_level(v1::CEFR_LEVEL_A2);
  s.mutable_brede_intake()->set_advised_leerroute(v1::LEERROUTE_ONDERWIJSROUTE);
  s.mutable_brede_intake()->set_intake_groep(v1::INTAKE_GROEP_ROUTE_NAAR_WERK);
  s.mutable_pip()->set_leerroute(v1::LEERROUTE_B1);
  s.add_availability(v1::DAGDEEL_MAANDAG_OCHTEND);
  s.set_consent_share_identity(true);
  const v1::KandidaatProfiel p = ProfielFromStatushouder(s);
  EXPECT_EQ(p.version(), 4);
  EXPECT_EQ(p.leerroute(), v1::LEERROUTE_B1) << "the PIP's route wins over the advice";
  EXPECT_EQ(p.intake_groep(), v1::INTAKE_GROEP_ROUTE_NAAR_WERK);
  EXPECT_FALSE(p.has_home_location());
  EXPECT_EQ(p.SerializeAsString().find("Haddad"), std::string::npos);
  EXPECT_EQ(p.SerializeAsString().find("111222333"), std::string::npos);
  const Profile profile = ProfileFrom(p);
  EXPECT_EQ(profile.availability, DagdeelMask{1} << 1);
  EXPECT_TRUE(profile.consent);
}

}  // namespace
}  // namespace inburgering::matching

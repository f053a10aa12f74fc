// The trajectory rules and input validation of the intake service, without a database.
#include "intake-service/trajectory.h"

#include <gtest/gtest.h>

#include <cmath>

#include "intake-service/intake_service.h"
#include "intake-service/validation.h"

namespace inburgering::intake {
namespace {

const absl::CivilDay kToday(2026, 11, 23);

v1::Statushouder Settled(const std::string& vestiging) {
  v1::Statushouder s;
  s.set_bsn("111222333");
  s.set_family_name("Haddad");
  s.set_birth_date("1990-04-12");
  s.set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
  s.set_country_of_origin("SY");
  s.set_vestigingsdatum(vestiging);
  s.set_phase(vestiging.empty() ? v1::PHASE_VOORINBURGERING : v1::PHASE_INTAKE);
  return s;
}

v1::Opschorting Opschorting(const std::string& from, const std::string& to) {
  v1::Opschorting o;
  o.set_from(from);
  o.set_to(to);
  o.set_reason_code("MEDISCH");
  return o;
}

v1::TaalMeting Meting(v1::TaalVaardigheid skill, v1::CefrLevel level, const std::string& date) {
  v1::TaalMeting m;
  m.set_vaardigheid(skill);
  m.set_level(level);
  m.set_date(date);
  m.set_bron(v1::MEET_BRON_TOETS);
  return m;
}

v1::EstablishPipRequest PipRequest(const std::string& date) {
  v1::EstablishPipRequest r;
  r.set_id("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  r.set_version(1);
  r.set_date(date);
  r.set_leerroute(v1::LEERROUTE_B1);
  r.add_modules(v1::MODULE_TYPE_MAP);
  return r;
}

void WithBredeIntake(v1::Statushouder& s, const std::string& date) {
  s.mutable_brede_intake()->set_date(date);
  s.mutable_brede_intake()->set_advised_leerroute(v1::LEERROUTE_B1);
}

TEST(PhaseStateMachine, AllowsExactlyTheDocumentedTransitions) {
  using P = v1::Phase;
  const std::vector<std::pair<P, P>> legal = {
      {v1::PHASE_VOORINBURGERING, v1::PHASE_INTAKE},
      {v1::PHASE_VOORINBURGERING, v1::PHASE_VERTROKKEN},
      {v1::PHASE_INTAKE, v1::PHASE_INBURGERING},
      {v1::PHASE_INTAKE, v1::PHASE_VRIJGESTELD},
      {v1::PHASE_INTAKE, v1::PHASE_VERTROKKEN},
      {v1::PHASE_INBURGERING, v1::PHASE_AFGEROND},
      {v1::PHASE_INBURGERING, v1::PHASE_ONTHEVEN},
      {v1::PHASE_INBURGERING, v1::PHASE_VRIJGESTELD},
      {v1::PHASE_INBURGERING, v1::PHASE_VERTROKKEN},
  };
  int allowed = 0;
  for (int from = 0; from <= 7; ++from) {
    for (int to = 0; to <= 7; ++to) {
      const bool expected =
          std::find(legal.begin(), legal.end(), std::make_pair(P(from), P(to))) != legal.end();
      EXPECT_EQ(IsLegalPhaseTransition(P(from), P(to)), expected) << from << " -> " << to;
      allowed += expected;
    }
  }
  EXPECT_EQ(allowed, 9);
}

TEST(PhaseStateMachine, IllegalTransitionIsFailedPreconditionNamingBothPhases) {
  absl::Status s = CheckPhaseTransition(v1::PHASE_AFGEROND, v1::PHASE_INTAKE);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("PHASE_AFGEROND"), std::string::npos);
  EXPECT_NE(s.message().find("PHASE_INTAKE"), std::string::npos);
}

TEST(PhaseStateMachine, EnteringIntakeSetsTheVestigingsdatum) {
  v1::Statushouder s = Settled("");
  ASSERT_TRUE(ApplyPhaseChange(s, v1::PHASE_INTAKE, "2026-10-01").ok());
  EXPECT_EQ(s.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(s.vestigingsdatum(), "2026-10-01");
}

TEST(PhaseStateMachine, InburgeringIsReachedOnlyThroughEstablishPip) {
  v1::Statushouder s = Settled("2026-09-01");
  EXPECT_EQ(ApplyPhaseChange(s, v1::PHASE_INBURGERING, "").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.phase(), v1::PHASE_INTAKE);
}

TEST(PipDeadline, DueTenWeeksAfterVestiging) {
  v1::Statushouder s = Settled("2026-09-01");
  RefreshDerived(s, kToday);
  EXPECT_EQ(s.pip_deadline().due_date(), "2026-11-10");
  EXPECT_EQ(s.pip_deadline().days_left(), -13);
  EXPECT_TRUE(s.pip_deadline().overdue());
}

TEST(PipDeadline, SuspensionMovesDueDate) {
  v1::Statushouder s = Settled("2026-09-01");
  ASSERT_TRUE(ApplyOpschorting(s, Opschorting("2026-09-10", "2026-10-01")).ok());  // 21 days
  RefreshDerived(s, kToday);
  EXPECT_EQ(s.pip_deadline().due_date(), "2026-12-01");
  EXPECT_EQ(s.pip_deadline().days_left(), 8);
  EXPECT_FALSE(s.pip_deadline().overdue());
  ASSERT_EQ(s.pip_deadline().opschortingen_size(), 1);
}

TEST(PipDeadline, DueTodayIsNotOverdue) {
  v1::Statushouder s = Settled("2026-09-14");  // + 70 days = 2026-11-23
  RefreshDerived(s, kToday);
  EXPECT_EQ(s.pip_deadline().days_left(), 0);
  EXPECT_FALSE(s.pip_deadline().overdue());
}

TEST(PipDeadline, OverlappingSuspensionIsRejected) {
  v1::Statushouder s = Settled("2026-09-01");
  ASSERT_TRUE(ApplyOpschorting(s, Opschorting("2026-09-10", "2026-10-01")).ok());
  EXPECT_EQ(ApplyOpschorting(s, Opschorting("2026-09-30", "2026-10-05")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ApplyOpschorting(s, Opschorting("2026-10-01", "2026-10-05")).ok()) << "adjacent";
}

TEST(PipDeadline, SuspensionBeforeVestigingOrAfterPipIsRefused) {
  v1::Statushouder s = Settled("2026-09-01");
  EXPECT_EQ(ApplyOpschorting(s, Opschorting("2026-08-01", "2026-08-10")).code(),
            absl::StatusCode::kInvalidArgument);
  v1::Statushouder azc = Settled("");
  EXPECT_EQ(ApplyOpschorting(azc, Opschorting("2026-09-10", "2026-09-20")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PipDeadline, NoDeadlineInTheAzcOrAfterThePip) {
  v1::Statushouder azc = Settled("");
  RefreshDerived(azc, kToday);
  EXPECT_FALSE(azc.has_pip_deadline());
  v1::Statushouder s = Settled("2026-09-01");
  WithBredeIntake(s, "2026-09-15");
  ASSERT_TRUE(ApplyPip(s, PipRequest("2026-11-01")).ok());
  RefreshDerived(s, kToday);
  EXPECT_FALSE(s.has_pip_deadline());
}

TEST(Pip, OnTimeWhenSetByTheMovedDueDate) {
  v1::Statushouder s = Settled("2026-09-01");
  ASSERT_TRUE(ApplyOpschorting(s, Opschorting("2026-09-10", "2026-10-01")).ok());
  WithBredeIntake(s, "2026-09-15");
  ASSERT_TRUE(ApplyPip(s, PipRequest("2026-11-20")).ok());
  EXPECT_EQ(s.pip().due_date(), "2026-12-01");
  EXPECT_TRUE(s.pip().on_time());
  EXPECT_EQ(s.pip().opschortingen_size(), 1);
  EXPECT_EQ(s.phase(), v1::PHASE_INBURGERING);
  EXPECT_EQ(s.inburgeringstermijn().start_date(), "2026-11-20");
  EXPECT_EQ(s.inburgeringstermijn().end_date(), "2029-11-20");
}

TEST(Pip, LateWithoutSuspension) {
  v1::Statushouder s = Settled("2026-09-01");
  WithBredeIntake(s, "2026-09-15");
  ASSERT_TRUE(ApplyPip(s, PipRequest("2026-11-20")).ok());
  EXPECT_FALSE(s.pip().on_time());
}

TEST(Pip, NeedsBredeIntakeAndVestigingAndADateAfterBoth) {
  v1::Statushouder s = Settled("2026-09-01");
  EXPECT_EQ(ApplyPip(s, PipRequest("2026-11-01")).code(), absl::StatusCode::kFailedPrecondition);
  v1::Statushouder azc = Settled("");
  WithBredeIntake(azc, "2026-09-15");
  EXPECT_EQ(ApplyPip(azc, PipRequest("2026-11-01")).code(), absl::StatusCode::kFailedPrecondition);
  WithBredeIntake(s, "2026-09-15");
  EXPECT_EQ(ApplyPip(s, PipRequest("2026-08-01")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyPip(s, PipRequest("2026-09-10")).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(ApplyPip(s, PipRequest("2026-09-15")).ok());
  EXPECT_EQ(ApplyPip(s, PipRequest("2026-09-16")).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(LanguageLevel, LowestOfTheLatestMeasurementPerSkill) {
  v1::Statushouder s = Settled("2026-09-01");
  EXPECT_EQ(CurrentLanguageLevel(s.language_measurements()), v1::CEFR_LEVEL_UNSPECIFIED);
  ASSERT_TRUE(
      ApplyLanguageMeting(s, Meting(v1::TAAL_VAARDIGHEID_LEZEN, v1::CEFR_LEVEL_A1, "2026-09-10"))
          .ok());
  ASSERT_TRUE(
      ApplyLanguageMeting(s, Meting(v1::TAAL_VAARDIGHEID_SPREKEN, v1::CEFR_LEVEL_B1, "2026-09-10"))
          .ok());
  EXPECT_EQ(s.language_level(), v1::CEFR_LEVEL_A1);
  // A newer reading measurement replaces the old one; an older one recorded later does not.
  ASSERT_TRUE(
      ApplyLanguageMeting(s, Meting(v1::TAAL_VAARDIGHEID_LEZEN, v1::CEFR_LEVEL_B2, "2026-11-01"))
          .ok());
  ASSERT_TRUE(
      ApplyLanguageMeting(s, Meting(v1::TAAL_VAARDIGHEID_LEZEN, v1::CEFR_LEVEL_A0, "2026-08-01"))
          .ok());
  EXPECT_EQ(s.language_level(), v1::CEFR_LEVEL_B1);
}

TEST(Modules, MapStartsOnlyFromA2) {
  v1::Statushouder s = Settled("2026-09-01");
  v1::ModuleProgress map;
  map.set_module(v1::MODULE_TYPE_MAP);
  map.set_status(v1::MODULE_STATUS_GESTART);
  map.set_date("2026-11-01");
  EXPECT_EQ(ApplyModuleProgress(s, map).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(
      ApplyLanguageMeting(s, Meting(v1::TAAL_VAARDIGHEID_LEZEN, v1::CEFR_LEVEL_A1, "2026-10-01"))
          .ok());
  EXPECT_EQ(ApplyModuleProgress(s, map).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(
      ApplyLanguageMeting(s, Meting(v1::TAAL_VAARDIGHEID_LEZEN, v1::CEFR_LEVEL_A2, "2026-10-20"))
          .ok());
  ASSERT_TRUE(ApplyModuleProgress(s, map).ok());
  map.set_status(v1::MODULE_STATUS_AFGEROND);
  ASSERT_TRUE(ApplyModuleProgress(s, map).ok());
  ASSERT_EQ(s.modules_size(), 1);
  EXPECT_EQ(s.modules(0).status(), v1::MODULE_STATUS_AFGEROND);
  EXPECT_EQ(ApplyModuleProgress(s, map).code(), absl::StatusCode::kFailedPrecondition);
}

// Issue 19.10: the MAP threshold is a gemeente's policy (config IntakePolicy), A2 by default;
// the config is checked at start.
TEST(LocalPolicies, MapThresholdPerGemeenteWithTodaysDefault) {
  config::v1::IntakeConfig config;
  for (const char* code : {"GM0603", "GM0503"})
    config.mutable_regions()->add_gemeenten()->set_code(code);
  (*config.mutable_policies())["GM0603"].set_map_min_level(v1::CEFR_LEVEL_B1);
  auto policies = LocalPolicies::FromConfig(config);
  ASSERT_TRUE(policies.ok()) << policies.status();
  EXPECT_EQ(policies->For("GM0603").map_min_level, v1::CEFR_LEVEL_B1);
  EXPECT_EQ(policies->For("GM0503").map_min_level, v1::CEFR_LEVEL_A2) << "today's value";

  v1::Statushouder s = Settled("2026-09-01");
  ASSERT_TRUE(
      ApplyLanguageMeting(s, Meting(v1::TAAL_VAARDIGHEID_LEZEN, v1::CEFR_LEVEL_A2, "2026-10-20"))
          .ok());
  v1::ModuleProgress map;
  map.set_module(v1::MODULE_TYPE_MAP);
  map.set_status(v1::MODULE_STATUS_GESTART);
  map.set_date("2026-11-01");
  const absl::Status rijswijk = ApplyModuleProgress(s, map, policies->For("GM0603"));
  EXPECT_EQ(rijswijk.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(rijswijk.message().find("B1"), absl::string_view::npos) << rijswijk;
  EXPECT_TRUE(ApplyModuleProgress(s, map, policies->For("GM0503")).ok());

  config::v1::IntakeConfig unknown = config;
  (*unknown.mutable_policies())["GM9999"].set_map_min_level(v1::CEFR_LEVEL_A1);
  EXPECT_EQ(LocalPolicies::FromConfig(unknown).status().message(),
            "policies[GM9999]: not a gemeente of the configured regions");
  config::v1::IntakeConfig bad = config;
  bad.mutable_default_policy()->set_map_min_level(static_cast<v1::CefrLevel>(99));
  EXPECT_EQ(LocalPolicies::FromConfig(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Modules, PvtNeedsNoLanguageLevel) {
  v1::Statushouder s = Settled("2026-09-01");
  v1::ModuleProgress pvt;
  pvt.set_module(v1::MODULE_TYPE_PVT);
  pvt.set_status(v1::MODULE_STATUS_GESTART);
  pvt.set_date("2026-11-01");
  EXPECT_TRUE(ApplyModuleProgress(s, pvt).ok());
}

TEST(Inburgeringstermijn, ThreeYearsFromPipPlusExtensions) {
  EXPECT_EQ(TermijnEndDate(absl::CivilDay(2026, 11, 20), 0), absl::CivilDay(2029, 11, 20));
  EXPECT_EQ(TermijnEndDate(absl::CivilDay(2024, 2, 29), 0), absl::CivilDay(2027, 2, 28));
  EXPECT_EQ(TermijnEndDate(absl::CivilDay(2026, 11, 30), 3), absl::CivilDay(2030, 2, 28));
  v1::Statushouder s = Settled("2026-09-01");
  WithBredeIntake(s, "2026-09-15");
  EXPECT_EQ(ApplyTermijnExtension(s, 6, "ZIEKTE").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(ApplyPip(s, PipRequest("2026-11-01")).ok());
  ASSERT_TRUE(ApplyTermijnExtension(s, 6, "ZIEKTE").ok());
  ASSERT_TRUE(ApplyTermijnExtension(s, 2, "ZWANGERSCHAP").ok());
  EXPECT_EQ(s.inburgeringstermijn().extension_months(), 8);
  EXPECT_EQ(s.inburgeringstermijn().end_date(), "2030-07-01");
  EXPECT_EQ(s.inburgeringstermijn().extension_reason_codes_size(), 2);
}

TEST(Validation, BsnElfproef) {
  EXPECT_TRUE(IsValidBsn("111222333"));
  EXPECT_TRUE(IsValidBsn("123456782"));
  EXPECT_FALSE(IsValidBsn("123456789"));
  EXPECT_FALSE(IsValidBsn("12345678"));
  EXPECT_FALSE(IsValidBsn("000000000"));
  EXPECT_FALSE(IsValidBsn("12345678a"));
}

TEST(Validation, IscoCodesAreWellFormed) {
  EXPECT_TRUE(ValidateIscoUnitGroup("f", "2261").ok());
  EXPECT_FALSE(ValidateIscoUnitGroup("f", "226").ok());
  EXPECT_FALSE(ValidateIscoUnitGroup("f", "22611").ok());
  EXPECT_FALSE(ValidateIscoUnitGroup("f", "22a1").ok());
  EXPECT_TRUE(ValidateIscoWish("f", "2").ok());
  EXPECT_TRUE(ValidateIscoWish("f", "226").ok());
  EXPECT_FALSE(ValidateIscoWish("f", "").ok());
  EXPECT_FALSE(ValidateIscoWish("f", "22612").ok());
}

TEST(Validation, GeoLocationInRangeAndFinite) {
  v1::GeoLocation l;
  l.set_latitude(52.04);
  l.set_longitude(4.32);
  EXPECT_TRUE(ValidateGeoLocation("home_location", l).ok());
  l.set_latitude(91);
  absl::Status s = ValidateGeoLocation("home_location", l);
  EXPECT_EQ(s.message(), "home_location.latitude: must be within -90..90");
  l.set_latitude(NAN);
  EXPECT_FALSE(ValidateGeoLocation("home_location", l).ok());
  l.set_latitude(0);
  l.set_longitude(-180.5);
  EXPECT_FALSE(ValidateGeoLocation("home_location", l).ok());
}

TEST(Validation, Utf8RejectsOverlongSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8("Zoë Ağaoğlu ٱلْعَرَبِيَّة"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("abc\xE2\x82"));       // truncated
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // beyond U+10FFFF
}

TEST(Validation, ProfileNamesTheFieldAndTheRule) {
  v1::Statushouder s = Settled("2026-09-01");
  EXPECT_TRUE(ValidateNewStatushouder(s, kToday).ok());
  s.set_birth_date("2027-01-01");
  EXPECT_EQ(ValidateNewStatushouder(s, kToday).message(),
            "statushouder.birth_date: must not be in the future");
  s.set_birth_date("1990-02-30");
  EXPECT_EQ(ValidateNewStatushouder(s, kToday).message(),
            "statushouder.birth_date: must be a real date YYYY-MM-DD");
  s.set_birth_date("1990-04-12");
  s.set_family_name(std::string(201, 'a'));
  EXPECT_EQ(ValidateNewStatushouder(s, kToday).message(),
            "statushouder.family_name: at most 200 bytes");
  s.set_family_name("Haddad");
  s.add_availability(v1::DAGDEEL_MAANDAG_OCHTEND);
  s.add_availability(v1::DAGDEEL_MAANDAG_OCHTEND);
  EXPECT_EQ(ValidateNewStatushouder(s, kToday).message(),
            "statushouder.availability: must not repeat a value");
  s.clear_availability();
  s.add_belemmeringen(static_cast<v1::Belemmering>(99));
  EXPECT_EQ(ValidateNewStatushouder(s, kToday).message(),
            "statushouder.belemmeringen: unknown value");
  s.clear_belemmeringen();
  s.set_prior_occupation_isco("22");
  EXPECT_EQ(ValidateNewStatushouder(s, kToday).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Validation, UpdateMaskOnlyNamesUpdatablePaths) {
  v1::UpdateStatushouderRequest r;
  r.set_id("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  r.set_version(3);
  EXPECT_EQ(ValidateUpdateRequest(r).code(), absl::StatusCode::kInvalidArgument);
  r.add_update_mask("home_location");
  EXPECT_TRUE(ValidateUpdateRequest(r).ok());
  r.add_update_mask("bsn");
  EXPECT_EQ(ValidateUpdateRequest(r).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Validation, PipDateNotInTheFuture) {
  v1::EstablishPipRequest r = PipRequest("2026-11-24");
  EXPECT_EQ(ValidateEstablishPipRequest(r, kToday).message(), "date: must not be in the future");
  r.set_date("2026-11-23");
  EXPECT_TRUE(ValidateEstablishPipRequest(r, kToday).ok());
}

TEST(Import, UnchangedRowIsNotAChangeAndVestigingMovesToIntake) {
  v1::Statushouder stored = Settled("");
  v1::Statushouder row = stored;
  auto changed = MergeImported(stored, row, kToday);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  row.set_vestigingsdatum("2026-10-01");
  changed = MergeImported(stored, row, kToday);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(stored.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(stored.pip_deadline().due_date(), "2026-12-10");
  // Issue 19.1: a row without a vestigingsdatum does not name it, so nothing is cleared.
  row.clear_vestigingsdatum();
  changed = MergeImported(stored, row, kToday);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(stored.vestigingsdatum(), "2026-10-01");
  // A different one after the PIP is refused.
  stored.set_phase(v1::PHASE_INBURGERING);
  row.set_vestigingsdatum("2026-10-02");
  EXPECT_EQ(MergeImported(stored, row, kToday).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Issue 19.1: an import row changes only the profile fields it sets.
TEST(Import, ARowChangesOnlyTheFieldsItSets) {
  v1::Statushouder stored = Settled("2026-10-01");
  stored.mutable_opleiding()->set_geschoold(true);
  stored.set_prior_occupation_isco("2261");
  stored.add_work_wishes_isco("3251");
  stored.add_belemmeringen(v1::BELEMMERING_VERVOER);
  v1::Statushouder row;
  row.set_bsn(stored.bsn());
  row.set_azc_location("Rijswijk");
  auto changed = MergeImported(stored, row, kToday);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(stored.azc_location(), "Rijswijk");
  EXPECT_TRUE(stored.opleiding().geschoold());
  EXPECT_EQ(stored.prior_occupation_isco(), "2261");
  EXPECT_EQ(stored.work_wishes_isco_size(), 1);
  EXPECT_EQ(stored.belemmeringen_size(), 1);
  EXPECT_EQ(stored.vestigingsdatum(), "2026-10-01");
  EXPECT_EQ(stored.family_name(), Settled("").family_name());
}

TEST(PageToken, RoundTripsAndRefusesOtherFilters) {
  v1::ListStatushoudersRequest r;
  r.set_phase(v1::PHASE_INTAKE);
  r.set_page_token(EncodePageToken(12345, r));
  auto seq = DecodePageToken(r);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 12345);
  r.set_page_size(10);  // page size may change between pages
  EXPECT_TRUE(DecodePageToken(r).ok());
  r.set_phase(v1::PHASE_INBURGERING);
  EXPECT_EQ(DecodePageToken(r).status().code(), absl::StatusCode::kInvalidArgument);
  r.set_page_token("garbage!");
  EXPECT_EQ(DecodePageToken(r).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inburgering::intake

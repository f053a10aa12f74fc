#include "bench/datagen/synthetic.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "intake-service/trajectory.h"
#include "intake-service/validation.h"

namespace inburgering::bench {
namespace {

constexpr int kRows = 10'000;

std::string Bytes(uint64_t seed, int rows) {
  DatagenOptions options;
  options.seed = seed;
  options.gemeenten = 5;
  SyntheticData data(options);
  std::string out;
  for (int i = 0; i < rows; ++i) {
    std::string line;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(data.Statushouder(i), &line).ok());
    absl::StrAppend(&out, line, "\n");
    line.clear();
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(data.Werkplek(i), &line).ok());
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

TEST(SyntheticDataTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const std::string a = Bytes(42, 500);
  EXPECT_EQ(a, Bytes(42, 500));
  EXPECT_NE(a, Bytes(43, 500));
}

TEST(SyntheticDataTest, RowsDependOnlyOnSeedAndIndex) {
  DatagenOptions options;
  options.seed = 7;
  options.gemeenten = 3;
  SyntheticData data(options);
  EXPECT_EQ(data.Statushouder(1234).SerializeAsString(),
            data.Statushouder(1234).SerializeAsString());
  // Regenerating a slice gives the same rows as generating the whole set (streaming, slices).
  const std::string late = data.Statushouder(9999).SerializeAsString();
  for (int i = 0; i < 100; ++i) data.Statushouder(i);
  EXPECT_EQ(data.Statushouder(9999).SerializeAsString(), late);
}

TEST(SyntheticDataTest, DistributionsFollowTheSeedsWithinTolerance) {
  DatagenOptions options;
  options.seed = 1;
  options.gemeenten = 3;
  SyntheticData data(options);
  std::map<std::string, int> country, gemeente;
  std::map<int, int> type, leerroute, cefr;
  int geschoold = 0, bijstand = 0, dentists = 0;
  for (int i = 0; i < kRows; ++i) {
    const v1::Statushouder s = data.Statushouder(i).statushouder();
    ++country[s.country_of_origin()];
    ++gemeente[s.gemeente()];
    ++type[s.type()];
    ++leerroute[s.brede_intake().advised_leerroute()];
    ++cefr[s.language_level()];
    geschoold += s.opleiding().geschoold();
    bijstand += s.uitkering().bijstand();
    dentists += s.prior_occupation_isco() == "2261";
  }
  const auto share = [](int n) { return static_cast<double>(n) / kRows; };
  // Binomial standard error at n = 10,000 is at most 0.5 percentage point: 2 points is > 4 sigma.
  constexpr double kTolerance = 0.02;
  EXPECT_NEAR(share(country["SY"]), 0.70, kTolerance);
  EXPECT_NEAR(share(country["TR"]), 0.20, kTolerance);
  EXPECT_NEAR(share(kRows - country["SY"] - country["TR"]), 0.10, kTolerance);
  EXPECT_GE(country.size(), 6u);  // SY, TR and several other origins
  EXPECT_NEAR(share(geschoold), 160.0 / 267, kTolerance);
  EXPECT_NEAR(share(bijstand), 240.0 / 267, kTolerance);
  EXPECT_NEAR(share(type[v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER]), 154.0 / 267, kTolerance);
  EXPECT_NEAR(share(type[v1::STATUSHOUDER_TYPE_GEZINSMIGRANT]), 113.0 / 267, kTolerance);
  EXPECT_NEAR(share(leerroute[v1::LEERROUTE_ONDERWIJSROUTE]), 21.0 / 153, kTolerance);
  EXPECT_NEAR(share(leerroute[v1::LEERROUTE_B1]), 69.0 / 153, kTolerance);
  EXPECT_NEAR(share(leerroute[v1::LEERROUTE_Z_ROUTE]), 63.0 / 153, kTolerance);
  EXPECT_EQ(cefr[v1::CEFR_LEVEL_UNSPECIFIED], 0);
  EXPECT_GT(cefr[v1::CEFR_LEVEL_A2], cefr[v1::CEFR_LEVEL_B2]);
  EXPECT_GT(dentists, 0);
  ASSERT_EQ(gemeente.size(), 3u);
  for (const auto& [code, n] : gemeente) EXPECT_NEAR(share(n), 1.0 / 3, kTolerance) << code;
}

// load_region --kind trajectories gives a seeded share of the rows their trajectory: the same rows
// in every run, about the share asked for, and other rows under another seed.
TEST(SyntheticDataTest, TheTrajectoryPickIsFixedBySeedAndIndex) {
  DatagenOptions options;
  options.seed = 7;
  const SyntheticData a(options), again(options);
  options.seed = 8;
  const SyntheticData other(options);
  int picked = 0, same_as_other = 0;
  for (int i = 0; i < kRows; ++i) {
    const bool p = a.HasTrajectory(i, 0.25);
    EXPECT_EQ(p, again.HasTrajectory(i, 0.25));
    picked += p;
    same_as_other += p == other.HasTrajectory(i, 0.25);
  }
  EXPECT_NEAR(picked, kRows / 4, kRows / 50);
  EXPECT_LT(same_as_other, kRows * 7 / 10);  // independent picks agree on ~62.5 % of rows
  EXPECT_FALSE(a.HasTrajectory(1, 0.0));
  EXPECT_TRUE(a.HasTrajectory(1, 1.0));
}

TEST(SyntheticDataTest, RowsAreValidRegistrationsWithUniqueBsnsAndLocationsInTheirGemeente) {
  DatagenOptions options;
  options.seed = 3;
  options.gemeenten = 340;
  SyntheticData data(options);
  ASSERT_EQ(data.gemeenten().size(), 340u);
  std::map<std::string, const SyntheticGemeente*> by_code;
  for (const auto& g : data.gemeenten()) by_code[g.code] = &g;
  ASSERT_EQ(by_code.size(), 340u);
  std::set<std::string> bsns;
  const absl::CivilDay today(2026, 11, 23);
  for (int i = 0; i < kRows; ++i) {
    const v1::RegisterStatushouderRequest r = data.Statushouder(i);
    const v1::Statushouder& s = r.statushouder();
    ASSERT_TRUE(ValidateRequestId(r.request_id()).ok()) << i;
    ASSERT_TRUE(intake::ValidateNewStatushouder(s, today).ok())
        << i << ": " << intake::ValidateNewStatushouder(s, today);
    EXPECT_TRUE(bsns.insert(s.bsn()).second) << "duplicate BSN at row " << i;
    const SyntheticGemeente& g = *by_code.at(s.gemeente());
    EXPECT_GE(s.home_location().latitude(), g.lat_min);
    EXPECT_LE(s.home_location().latitude(), g.lat_max);
    EXPECT_GE(s.home_location().longitude(), g.lon_min);
    EXPECT_LE(s.home_location().longitude(), g.lon_max);
    for (int d : s.availability()) {
      for (int lesson : s.lesson_dagdelen()) EXPECT_NE(d, lesson);
    }
    EXPECT_EQ(SyntheticBsn(3, i), s.bsn());
  }
}

TEST(SyntheticDataTest, WerkplekkenOfEveryTypeWithCapacities) {
  DatagenOptions options;
  options.seed = 5;
  SyntheticData data(options);
  std::set<int> types;
  for (int i = 0; i < kRows; ++i) {
    const v1::Werkplek w = data.Werkplek(i).werkplek();
    types.insert(w.type());
    EXPECT_GE(w.capacity(), 1);
    EXPECT_GE(w.hours_per_week(), 1);
    EXPECT_LE(w.hours_per_week(), 40);
    EXPECT_EQ(w.occupation_isco().size(), 4u);
    EXPECT_EQ(static_cast<int>(w.dagdelen_size()) * 4, w.hours_per_week());
    EXPECT_FALSE(w.employer().empty());
  }
  EXPECT_EQ(types.size(), 6u);
  EXPECT_EQ(types.count(v1::WERKPLEK_TYPE_UNSPECIFIED), 0u);
}

// Every trajectory step passes intake's validation and applies, in order, to the record as the
// import creates it; the shares that make the report's figures vary are what the header says.
TEST(SyntheticDataTest, TrajectoriesApplyInOrderAndVary) {
  DatagenOptions options;
  options.seed = 1;
  SyntheticData data(options);
  const absl::CivilDay today(2026, 11, 23);
  int settled = 0, with_pip = 0, on_time = 0, with_level = 0, final_phase = 0;
  std::set<int> leerroutes, levels, phases;
  for (int i = 0; i < kRows; ++i) {
    const v1::RegisterStatushouderRequest row = data.Statushouder(i);
    const SyntheticData::Trajectory t = data.TrajectoryOf(row, i);
    v1::Statushouder s = row.statushouder();
    s.clear_brede_intake();
    intake::EnterInitialPhase(s);
    settled += s.vestigingsdatum().empty() ? 0 : 1;
    ASSERT_TRUE(t.brede_intake.has_value());
    v1::RecordBredeIntakeRequest intake = *t.brede_intake;
    intake.set_id("01J00000000000000000000000");
    intake.set_version(1);
    ASSERT_TRUE(intake::ValidateBredeIntakeRequest(intake, today).ok())
        << i << ": " << intake::ValidateBredeIntakeRequest(intake, today);
    ASSERT_TRUE(intake::ApplyBredeIntake(s, intake).ok()) << i;
    if (t.pip) {
      v1::EstablishPipRequest pip = *t.pip;
      pip.set_id(intake.id());
      pip.set_version(2);
      ASSERT_TRUE(intake::ValidateEstablishPipRequest(pip, today).ok()) << i;
      ASSERT_TRUE(intake::ApplyPip(s, pip).ok()) << i << ": " << intake::ApplyPip(s, pip);
      ++with_pip;
      on_time += s.pip().on_time() ? 1 : 0;
      leerroutes.insert(s.pip().leerroute());
    } else {
      EXPECT_FALSE(t.language_level.has_value() || t.phase.has_value()) << i;
    }
    if (t.language_level) {
      v1::RecordLanguageLevelRequest level = *t.language_level;
      level.set_id(intake.id());
      level.set_version(3);
      ASSERT_TRUE(intake::ValidateLanguageLevelRequest(level, today).ok()) << i;
      ASSERT_TRUE(intake::ApplyLanguageMeting(s, level.meting()).ok()) << i;
      ++with_level;
      levels.insert(level.meting().level());
    }
    if (t.phase) {
      v1::ChangePhaseRequest phase = *t.phase;
      phase.set_id(intake.id());
      phase.set_version(4);
      ASSERT_TRUE(intake::ValidateChangePhaseRequest(phase, today).ok()) << i;
      ASSERT_TRUE(intake::ApplyPhaseChange(s, phase.phase(), phase.date()).ok()) << i;
      ++final_phase;
      phases.insert(phase.phase());
    }
  }
  EXPECT_NEAR(static_cast<double>(with_pip) / settled, 0.85, 0.02);
  // PIP 3..16 weeks after the vestiging, due after 10: 50/92 on time, fewer where the intake
  // itself came late or the date was capped at the reference day.
  EXPECT_NEAR(static_cast<double>(on_time) / with_pip, 50.0 / 92.0, 0.05);
  EXPECT_NEAR(static_cast<double>(with_level) / with_pip, 0.70, 0.02);
  EXPECT_NEAR(static_cast<double>(final_phase) / with_pip, 0.15, 0.02);
  EXPECT_EQ(leerroutes.size(), 3u);
  EXPECT_EQ(levels.size(), 5u);
  EXPECT_EQ(phases.size(), 4u);
}

}  // namespace
}  // namespace inburgering::bench

#include "bench/datagen/synthetic.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
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

}  // namespace
}  // namespace inburgering::bench

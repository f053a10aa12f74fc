// The werkplek index returns exactly the places a full scan with the hard constraints returns.
#include "matching-service/werkplek_index.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "absl/strings/str_cat.h"

namespace inburgering::matching {
namespace {

const absl::CivilDay kToday(2026, 11, 23);

v1::Werkplek RandomWerkplek(std::mt19937& rng, int i) {
  std::uniform_real_distribution<double> lat(51.95, 52.15), lon(4.15, 4.50), u(0, 1);
  v1::Werkplek w;
  w.set_id(absl::StrCat("W", i));
  w.set_region(i % 10 == 0 ? "elders" : "haaglanden");
  w.mutable_location()->set_latitude(lat(rng));
  w.mutable_location()->set_longitude(lon(rng));
  w.set_type(static_cast<v1::WerkplekType>(1 + i % 6));
  w.set_occupation_isco("3251");
  w.set_min_language_level(static_cast<v1::CefrLevel>(i % 6));
  w.set_hours_per_week(16);
  w.add_dagdelen(static_cast<v1::Dagdeel>(1 + i % 21));
  w.set_capacity(1 + i % 3);
  w.set_capacity_used(i % 7 == 0 ? w.capacity() : 0);
  w.set_open_from(i % 11 == 0 ? "2027-01-01" : "2026-01-01");
  return w;
}

TEST(WerkplekIndex, FindsExactlyWhatAFullScanFinds) {
  std::mt19937 rng(42);
  WerkplekIndex index;
  std::vector<Place> all;
  for (int i = 0; i < 3000; ++i) {
    v1::Werkplek w = RandomWerkplek(rng, i);
    index.Upsert(w);
    all.push_back(PlaceFrom(std::make_shared<const v1::Werkplek>(w)));
  }
  ASSERT_EQ(index.size(), 3000u);
  std::uniform_real_distribution<double> lat(51.95, 52.15), lon(4.15, 4.50);
  for (int q = 0; q < 50; ++q) {
    Profile p;
    p.has_location = true;
    p.lat = lat(rng);
    p.lon = lon(rng);
    p.max_travel_km = 3 + q % 12;
    p.language_level = static_cast<v1::CefrLevel>(q % 8);
    p.availability = 0x3ffffe;
    p.lessons = DagdeelMask{1} << (1 + q % 21);
    p.intake_groep = static_cast<v1::IntakeGroep>(q % 4);
    std::set<std::string> expected, found;
    for (const Place& place : all) {
      if (place.record->region() == "haaglanden" &&
          !FirstFailedConstraint(p, place, kToday).has_value()) {
        expected.insert(place.id());
      }
    }
    const int64_t passed = index.ForEachFeasible(
        p, "haaglanden", kToday, [&](const Place& place, double) { found.insert(place.id()); });
    EXPECT_EQ(found, expected) << "query " << q;
    EXPECT_EQ(passed, static_cast<int64_t>(expected.size()));
  }
}

TEST(WerkplekIndex, UpsertMovesAPlaceAndRemoveDropsIt) {
  std::mt19937 rng(1);
  WerkplekIndex index;
  v1::Werkplek w = RandomWerkplek(rng, 1);
  w.set_min_language_level(v1::CEFR_LEVEL_A1);
  w.set_type(v1::WERKPLEK_TYPE_TAALSTAGE);
  w.set_capacity_used(0);
  index.Upsert(w);
  Profile p;
  p.has_location = true;
  p.lat = w.location().latitude();
  p.lon = w.location().longitude();
  p.max_travel_km = 5;
  p.language_level = v1::CEFR_LEVEL_A2;
  p.availability = 0x3ffffe;
  auto count = [&] { return index.ForEachFeasible(p, "haaglanden", kToday, [](auto&, double) {}); };
  EXPECT_EQ(count(), 1);
  w.mutable_location()->set_latitude(w.location().latitude() + 1.0);  // 111 km away
  index.Upsert(w);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(count(), 0);
  index.Remove(w.id());
  EXPECT_EQ(index.Get(w.id()), nullptr);
  EXPECT_EQ(index.size(), 0u);
}

}  // namespace
}  // namespace inburgering::matching

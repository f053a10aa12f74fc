#include "matching-service/werkplek_index.h"

#include <algorithm>
#include <cmath>

namespace inburgering::matching {
namespace {

// About 5.5 km in both directions at Dutch latitudes (52°N).
constexpr double kCellLat = 0.05;
constexpr double kCellLon = 0.08;
// A little under the true 111.19 km, so the search box always contains the search circle.
constexpr double kKmPerDegreeLat = 111.0;
constexpr double kPi = 3.14159265358979323846;
// Bounds the number of cells one query visits, whatever a profile says.
constexpr int kMaxTravelKmIndexed = 250;

}  // namespace

WerkplekIndex::CellKey WerkplekIndex::KeyOf(int lat_index, int lon_index) {
  return (static_cast<int64_t>(lat_index) << 32) ^ static_cast<uint32_t>(lon_index);
}
int WerkplekIndex::LatIndex(double lat) { return static_cast<int>(std::floor(lat / kCellLat)); }
int WerkplekIndex::LonIndex(double lon) { return static_cast<int>(std::floor(lon / kCellLon)); }

void WerkplekIndex::Upsert(const v1::Werkplek& werkplek) {
  auto place = std::make_unique<Place>(PlaceFrom(std::make_shared<const v1::Werkplek>(werkplek)));
  absl::MutexLock lock(&mu_);
  RemoveLocked(werkplek.id());
  const int level = std::clamp(static_cast<int>(place->min_level), 0, 7);
  cells_[werkplek.region()][KeyOf(LatIndex(place->lat), LonIndex(place->lon))]
      .by_level[level]
      .push_back(*place);
  places_[werkplek.id()] = std::move(place);
}

void WerkplekIndex::Remove(const std::string& id) {
  absl::MutexLock lock(&mu_);
  RemoveLocked(id);
}

void WerkplekIndex::RemoveLocked(const std::string& id) {
  auto it = places_.find(id);
  if (it == places_.end()) return;
  const Place* place = it->second.get();
  auto region = cells_.find(place->record->region());
  if (region != cells_.end()) {
    auto cell = region->second.find(KeyOf(LatIndex(place->lat), LonIndex(place->lon)));
    if (cell != region->second.end()) {
      auto& list = cell->second.by_level[std::clamp(static_cast<int>(place->min_level), 0, 7)];
      auto pos = std::find_if(list.begin(), list.end(), [place](const Place& p) {
        return p.record.get() == place->record.get();
      });
      if (pos != list.end()) {
        *pos = std::move(list.back());
        list.pop_back();
      }
    }
  }
  places_.erase(it);
}

std::shared_ptr<const v1::Werkplek> WerkplekIndex::Get(const std::string& id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = places_.find(id);
  return it == places_.end() ? nullptr : it->second->record;
}

size_t WerkplekIndex::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return places_.size();
}

int64_t WerkplekIndex::ForEachFeasible(
    const Profile& profile, const std::string& region, absl::CivilDay today,
    const std::function<void(const Place&, double)>& visit) const {
  // Without a location or a travel distance the distance constraint fails for every place.
  if (!profile.has_location || profile.max_travel_km <= 0) return 0;
  const double radius = std::min(profile.max_travel_km, kMaxTravelKmIndexed);
  const double dlat = radius / kKmPerDegreeLat;
  const double cos_lat = std::max(0.01, std::cos((std::abs(profile.lat) + dlat) * kPi / 180.0));
  const double dlon = radius / (kKmPerDegreeLat * cos_lat);
  // Levels a place may ask: up to the candidate's; a candidate without a measured level fits
  // only places asking nothing (A0 or unspecified), as LanguageLevelFits says.
  const int max_level = profile.language_level == v1::CEFR_LEVEL_UNSPECIFIED
                            ? static_cast<int>(v1::CEFR_LEVEL_A0)
                            : static_cast<int>(profile.language_level);
  const DagdeelMask free = profile.free_dagdelen();

  absl::ReaderMutexLock lock(&mu_);
  auto grid = cells_.find(region);
  if (grid == cells_.end()) return 0;
  int64_t passed = 0;
  for (int la = LatIndex(profile.lat - dlat); la <= LatIndex(profile.lat + dlat); ++la) {
    for (int lo = LonIndex(profile.lon - dlon); lo <= LonIndex(profile.lon + dlon); ++lo) {
      auto cell = grid->second.find(KeyOf(la, lo));
      if (cell == grid->second.end()) continue;
      for (int level = 0; level <= max_level; ++level) {
        for (const Place& place : cell->second.by_level[level]) {
          // Cheap rejections before the full check: capacity, dagdelen, and the bounding box
          // (the full check then computes the exact distance).
          if (place.capacity_left <= 0 || (place.dagdelen & ~free) != 0) continue;
          if (std::abs(place.lat - profile.lat) > dlat ||
              std::abs(place.lon - profile.lon) > dlon) {
            continue;
          }
          double distance = -1;
          if (FirstFailedConstraint(profile, place, today, &distance).has_value()) continue;
          ++passed;
          visit(place, distance);
        }
      }
    }
  }
  return passed;
}

void WerkplekIndex::ForEachInRegion(const std::string& region,
                                    const std::function<void(const Place&)>& visit) const {
  std::vector<const Place*> in_region;
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [id, place] : places_) {
    if (place->record->region() == region) in_region.push_back(place.get());
  }
  std::sort(in_region.begin(), in_region.end(),
            [](const Place* a, const Place* b) { return a->id() < b->id(); });
  for (const Place* place : in_region) visit(*place);
}

}  // namespace inburgering::matching

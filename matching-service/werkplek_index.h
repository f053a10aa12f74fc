// The open werkplekken in memory, indexed by the hard constraints that prune most: a coarse geo
// grid (about 5.5 km cells) and, per cell, one list per minimum language level. A query visits
// only the cells within the candidate's max travel and the lists at or below their level, so a
// recommendation never scores the whole register.
//
// Thread-safe: readers share a lock; Upsert/Remove take it exclusively.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "matching-service/matching_core.h"

namespace inburgering::matching {

class WerkplekIndex {
 public:
  // Adds or replaces the place with the record's id.
  void Upsert(const v1::Werkplek& werkplek);
  void Remove(const std::string& id);
  // The stored record, or null.
  std::shared_ptr<const v1::Werkplek> Get(const std::string& id) const;
  size_t size() const;

  // Calls `visit(place, distance_km)` for every place of `region` that passes all hard
  // constraints for `profile` today, in no particular order. Returns how many passed.
  int64_t ForEachFeasible(const Profile& profile, const std::string& region, absl::CivilDay today,
                          const std::function<void(const Place&, double)>& visit) const;

  // Calls `visit` for every place of `region` (no constraint checked), in id order.
  void ForEachInRegion(const std::string& region,
                       const std::function<void(const Place&)>& visit) const;

 private:
  using CellKey = int64_t;
  struct Cell {
    // by_level[l]: copies of the places whose minimum language level is l (0 = unspecified .. 7
    // = C2), stored by value so a scan reads them contiguously instead of chasing pointers.
    std::vector<Place> by_level[8];
  };
  static CellKey KeyOf(int lat_index, int lon_index);
  static int LatIndex(double lat);
  static int LonIndex(double lon);
  void RemoveLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Place>> places_ ABSL_GUARDED_BY(mu_);
  // region -> grid cell -> places
  absl::flat_hash_map<std::string, absl::flat_hash_map<CellKey, Cell>> cells_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inburgering::matching

// The candidate profiles in memory (the `kandidaten` table, kept current from intake's events)
// and whose placements keep them out of proposals (KeepsCandidateFromProposals), so
// recommendations and assignments never touch the database.
// Thread-safe: readers share a lock.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "matching-service/matching_core.h"

namespace inburgering::matching {

class KandidaatCache {
 public:
  // Keeps the newer of the stored and the given version (events are state-carrying and may be
  // replayed, so an older version never overwrites a newer one).
  void Put(const v1::KandidaatProfiel& profiel);
  // Null when unknown.
  std::shared_ptr<const Profile> Get(const std::string& id) const;
  size_t size() const;

  // Calls `visit` for each profile, with whether one of the candidate's placements keeps them out
  // of proposals, under a shared lock (visit must not call back into the cache).
  void ForEach(
      const std::function<void(const std::shared_ptr<const Profile>&, bool placed)>& visit) const;

  // Takes a placement's current state (at start from the store, then after each change).
  void TrackPlacement(const v1::Placement& placement);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Profile>> profiles_ ABSL_GUARDED_BY(mu_);
  // Candidate id -> ids of their placements that keep them out of proposals.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> placed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inburgering::matching

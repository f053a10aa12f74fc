// The matching reads, free of storage and RPC: the in-memory werkplek index and candidate cache,
// tenant scope (region, gemeente, consent), recommendations and the regional assignment. The
// service feeds it from the store and intake's stream; benchmarks feed it directly.
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/dates.h"
#include "common/principal.h"
#include "inburgering/config/v1/config.pb.h"
#include "inburgering/v1/matching.pb.h"
#include "matching-service/kandidaat_cache.h"
#include "matching-service/matching_core.h"
#include "matching-service/werkplek_index.h"

namespace inburgering::matching {

// The stable pseudonym of a candidate within a region: "K-" and 16 hex digits of
// HMAC-SHA256(key, region "|" statushouder_id). Without the key it cannot be linked back.
std::string Pseudonym(const std::string& key, const std::string& region,
                      const std::string& statushouder_id);

class Matcher {
 public:
  struct Options {
    config::v1::MatchingConfig config;
    std::string pseudonym_key;  // secret; never logged
  };
  Matcher(Options options, Clock today);

  WerkplekIndex& index() { return index_; }
  const WerkplekIndex& index() const { return index_; }
  KandidaatCache& kandidaten() { return kandidaten_; }
  const KandidaatCache& kandidaten() const { return kandidaten_; }
  absl::CivilDay today() const { return today_(); }

  // The region of the principal's gemeente, or PERMISSION_DENIED.
  absl::StatusOr<std::string> RegionOf(const Principal& principal) const;
  bool InRegion(const std::string& region, const std::string& gemeente) const;
  // The candidate if the principal may see them (consulent: own gemeente; wsp and beheerder: the
  // region), else NOT_FOUND with the same message as an unknown id.
  absl::StatusOr<std::shared_ptr<const Profile>> VisibleKandidaat(const Principal& principal,
                                                                  const std::string& region,
                                                                  const std::string& id) const;
  // Identity only for the candidate's own gemeente after recorded consent; else the pseudonym.
  v1::Kandidaat KandidaatFor(const Principal& principal, const std::string& region,
                             const Profile& profile) const;

  absl::Status RecommendWerkplekken(const Principal& principal,
                                    const v1::RecommendWerkplekkenRequest& request,
                                    v1::RecommendWerkplekkenResponse* response) const;
  absl::Status RecommendKandidaten(const Principal& principal,
                                   const v1::RecommendKandidatenRequest& request,
                                   v1::RecommendKandidatenResponse* response) const;
  // Where the wall-clock time of one ProposeAssignment went, in seconds (for the bench).
  struct AssignmentTimings {
    double candidates = 0;    // the region's candidates without an active placement
    double scoring = 0;       // hard constraints and scores of every candidate's places (threads)
    double problem = 0;       // places numbered in id order, pairs sorted
    double graph = 0;         // the flow graph
    double simplex = 0;       // the network simplex
    double greedy = 0;        // the greedy baseline (on another thread, beside graph and simplex)
    double explanations = 0;  // pseudonyms and explained matches of the proposed pairs
    double fairness = 0;      // the rows per group
  };
  absl::Status ProposeAssignment(const Principal& principal,
                                 const v1::ProposeAssignmentRequest& request,
                                 v1::ProposeAssignmentResponse* response,
                                 AssignmentTimings* timings = nullptr) const;

 private:
  const Options options_;
  const Weights weights_;
  const Clock today_;
  absl::flat_hash_map<std::string, std::string> region_of_gemeente_;
  WerkplekIndex index_;
  KandidaatCache kandidaten_;
};

}  // namespace inburgering::matching

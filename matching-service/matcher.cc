#include "matching-service/matcher.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <queue>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "matching-service/assignment.h"
#include "matching-service/validation.h"

namespace inburgering::matching {
namespace {

constexpr char kKandidaatNotFound[] = "statushouder not found";
constexpr char kWerkplekNotFound[] = "werkplek not found";

// A ranked candidate of a top-k selection: higher score first, then lower id.
struct Ranked {
  double score;
  std::string id;
  double distance_km;
  std::shared_ptr<const v1::Werkplek> werkplek;  // RecommendWerkplekken
  std::shared_ptr<const Profile> profile;        // RecommendKandidaten
};
struct RankedBetter {
  bool operator()(const Ranked& a, const Ranked& b) const {
    if (a.score != b.score) return a.score > b.score;
    return a.id < b.id;
  }
};

// Keeps the k best of a stream with a min-heap (the worst kept on top).
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  bool WouldKeep(double score, const std::string& id) const {
    if (heap_.size() < k_) return true;
    const Ranked& worst = heap_.top();
    return score > worst.score || (score == worst.score && id < worst.id);
  }
  void Offer(Ranked r) {
    if (!WouldKeep(r.score, r.id)) return;
    heap_.push(std::move(r));
    if (heap_.size() > k_) heap_.pop();
  }
  std::vector<Ranked> Sorted() {
    std::vector<Ranked> out;
    while (!heap_.empty()) {
      out.push_back(heap_.top());
      heap_.pop();
    }
    std::sort(out.begin(), out.end(), RankedBetter());
    return out;
  }

 private:
  size_t k_;
  std::priority_queue<Ranked, std::vector<Ranked>, RankedBetter> heap_;
};

std::string GenderGroup(v1::Gender g) {
  switch (g) {
    case v1::GENDER_VROUW:
      return "vrouw";
    case v1::GENDER_MAN:
      return "man";
    case v1::GENDER_X:
      return "x";
    default:
      return "onbekend";
  }
}

std::string LeerrouteGroup(v1::Leerroute l) {
  switch (l) {
    case v1::LEERROUTE_B1:
      return "B1-route";
    case v1::LEERROUTE_ONDERWIJSROUTE:
      return "onderwijsroute";
    case v1::LEERROUTE_Z_ROUTE:
      return "Z-route";
    default:
      return "onbekend";
  }
}

// Threads that score the candidates of one ProposeAssignment.
int ScoringThreads() {
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

}  // namespace

std::string Pseudonym(const std::string& key, const std::string& region,
                      const std::string& statushouder_id) {
  const std::string message = absl::StrCat(region, "|", statushouder_id);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return absl::StrCat("K-", HexEncode(std::string(reinterpret_cast<char*>(digest), 8)));
}

Matcher::Matcher(Options options, Clock today)
    : options_(std::move(options)),
      weights_(NormalisedWeights(options_.config.weights())),
      today_(std::move(today)) {
  for (const auto& region : options_.config.regions().regions()) {
    for (const std::string& gemeente : region.gemeenten()) {
      region_of_gemeente_[gemeente] = region.id();
    }
  }
}

absl::StatusOr<std::string> Matcher::RegionOf(const Principal& principal) const {
  auto it = region_of_gemeente_.find(principal.gemeente);
  if (it == region_of_gemeente_.end()) {
    return absl::PermissionDeniedError("the caller's gemeente is in no configured region");
  }
  return it->second;
}

bool Matcher::InRegion(const std::string& region, const std::string& gemeente) const {
  auto it = region_of_gemeente_.find(gemeente);
  return it != region_of_gemeente_.end() && it->second == region;
}

absl::StatusOr<std::shared_ptr<const Profile>> Matcher::VisibleKandidaat(
    const Principal& principal, const std::string& region, const std::string& id) const {
  std::shared_ptr<const Profile> profile = kandidaten_.Get(id);
  if (profile == nullptr) return absl::NotFoundError(kKandidaatNotFound);
  const bool visible = principal.role == Role::kConsulent ? profile->gemeente == principal.gemeente
                                                          : InRegion(region, profile->gemeente);
  if (!visible) return absl::NotFoundError(kKandidaatNotFound);
  return profile;
}

v1::Kandidaat Matcher::KandidaatFor(const Principal& principal, const std::string& region,
                                    const Profile& profile) const {
  v1::Kandidaat k;
  k.set_pseudonym(Pseudonym(options_.pseudonym_key, region, profile.id));
  k.set_gemeente(profile.gemeente);
  k.set_language_level(profile.language_level);
  k.set_prior_occupation_isco(profile.prior_isco);
  // Identity for the candidate's own gemeente always; for a WSP matcher of the region (the caller
  // is in the region: VisibleKandidaat and the region checks) only after recorded consent.
  const bool identify =
      profile.gemeente == principal.gemeente || (principal.role == Role::kWsp && profile.consent);
  k.set_pseudonymised(!identify);
  if (identify) k.set_statushouder_id(profile.id);
  return k;
}

absl::Status Matcher::RecommendWerkplekken(const Principal& principal,
                                           const v1::RecommendWerkplekkenRequest& request,
                                           v1::RecommendWerkplekkenResponse* response) const {
  ASSIGN_OR_RETURN(std::string region, RegionOf(principal));
  RETURN_IF_ERROR(ValidateRecordId("statushouder_id", request.statushouder_id()));
  ASSIGN_OR_RETURN(const int limit, ValidateLimit(request.limit()));
  ASSIGN_OR_RETURN(std::shared_ptr<const Profile> profile,
                   VisibleKandidaat(principal, region, request.statushouder_id()));
  TopK top(limit);
  const int64_t considered =
      index_.ForEachFeasible(*profile, region, today(), [&](const Place& place, double distance) {
        const double score = Score(*profile, place, distance, weights_);
        if (top.WouldKeep(score, place.id())) {
          top.Offer({score, place.id(), distance, place.record, nullptr});
        }
      });
  for (const Ranked& r : top.Sorted()) {
    v1::WerkplekRecommendation* rec = response->add_recommendations();
    *rec->mutable_werkplek() = *r.werkplek;
    *rec->mutable_match() = Explain(*profile, PlaceFrom(r.werkplek), r.distance_km, weights_);
  }
  response->set_places_considered(considered);
  return absl::OkStatus();
}

absl::Status Matcher::RecommendKandidaten(const Principal& principal,
                                          const v1::RecommendKandidatenRequest& request,
                                          v1::RecommendKandidatenResponse* response) const {
  ASSIGN_OR_RETURN(std::string region, RegionOf(principal));
  RETURN_IF_ERROR(ValidateRecordId("werkplek_id", request.werkplek_id()));
  ASSIGN_OR_RETURN(const int limit, ValidateLimit(request.limit()));
  std::shared_ptr<const v1::Werkplek> werkplek = index_.Get(request.werkplek_id());
  if (werkplek == nullptr || werkplek->region() != region) {
    return absl::NotFoundError(kWerkplekNotFound);
  }
  const Place place = PlaceFrom(werkplek);
  const absl::CivilDay today = today_();
  TopK top(limit);
  int64_t considered = 0;
  // A candidate whose placements keep them out of proposals is left out unless asked.
  kandidaten_.ForEach([&](const std::shared_ptr<const Profile>& candidate, bool placed) {
    const Profile& profile = *candidate;
    if (!InRegion(region, profile.gemeente)) return;
    if (placed && !request.include_actively_placed()) return;
    double distance = -1;
    if (FirstFailedConstraint(profile, place, today, &distance).has_value()) return;
    const double score = Score(profile, place, distance, weights_);
    if (!top.WouldKeep(score, profile.id)) {
      ++considered;
      return;
    }
    top.Offer({score, profile.id, distance, nullptr, nullptr});
    ++considered;
  });
  for (const Ranked& r : top.Sorted()) {
    std::shared_ptr<const Profile> profile = kandidaten_.Get(r.id);
    if (profile == nullptr) continue;
    v1::KandidaatRecommendation* rec = response->add_recommendations();
    *rec->mutable_kandidaat() = KandidaatFor(principal, region, *profile);
    *rec->mutable_match() = Explain(*profile, place, r.distance_km, weights_);
  }
  response->set_candidates_considered(considered);
  return absl::OkStatus();
}

absl::Status Matcher::ProposeAssignment(const Principal& principal,
                                        const v1::ProposeAssignmentRequest& request,
                                        v1::ProposeAssignmentResponse* response,
                                        AssignmentTimings* timings) const {
  AssignmentTimings unused;
  AssignmentTimings& t = timings != nullptr ? *timings : unused;
  auto lap = std::chrono::steady_clock::now();
  // Adds the time since the previous lap to `phase`.
  auto phase_done = [&lap](double& phase) {
    const auto now = std::chrono::steady_clock::now();
    phase += std::chrono::duration<double>(now - lap).count();
    lap = now;
  };
  ASSIGN_OR_RETURN(std::string region, RegionOf(principal));
  if (request.region().empty()) return InvalidField("region", "required");
  if (request.region() != region) {
    return absl::PermissionDeniedError("region: not the caller's region");
  }
  const absl::CivilDay today = today_();

  // Candidates of the region, in id order; without those whose placements keep them out of
  // proposals (KeepsCandidateFromProposals) unless the caller asks for them.
  std::vector<std::shared_ptr<const Profile>> candidates;
  kandidaten_.ForEach([&](const std::shared_ptr<const Profile>& profile, bool placed) {
    if (placed && !request.include_placed()) return;
    if (InRegion(region, profile->gemeente)) candidates.push_back(profile);
  });
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a->id < b->id; });
  phase_done(t.candidates);

  // Feasible pairs; places numbered in id order afterwards, so the problem (and the answer) does
  // not depend on hash-map iteration order.
  struct Pair {
    int candidate;
    int place;  // index into `places`, then (after sorting) into problem.capacities
    double score;
    double distance;
  };
  struct PlaceSlot {
    std::shared_ptr<const v1::Werkplek> record;  // keeps the record alive if it is replaced
    int capacity_left;
  };
  // Scored in chunks of consecutive candidates on several threads; each chunk numbers the places
  // it meets itself, and the chunks are joined in candidate order, so the pairs do not depend on
  // the number of threads or on which thread scored which chunk.
  struct Chunk {
    std::vector<Pair> pairs;
    std::vector<PlaceSlot> places;
  };
  const int n = static_cast<int>(candidates.size());
  const int workers = ScoringThreads();
  const int chunk_size = std::max(256, n / (4 * workers) + 1);
  std::vector<Chunk> chunks((n + chunk_size - 1) / chunk_size);
  std::atomic<size_t> next_chunk{0};
  auto score_chunks = [&] {
    for (size_t k = next_chunk++; k < chunks.size(); k = next_chunk++) {
      Chunk& chunk = chunks[k];
      absl::flat_hash_map<const v1::Werkplek*, int> slot_of;
      const int end = std::min(n, static_cast<int>(k + 1) * chunk_size);
      for (int c = static_cast<int>(k) * chunk_size; c < end; ++c) {
        index_.ForEachFeasible(*candidates[c], region, today, [&](const Place& place, double d) {
          const double score = Score(*candidates[c], place, d, weights_);
          if (ScoreUnits(score) <= 0) return;  // a zero-score pair adds nothing to the total
          auto [it, inserted] =
              slot_of.try_emplace(place.record.get(), static_cast<int>(chunk.places.size()));
          if (inserted) chunk.places.push_back({place.record, place.capacity_left});
          chunk.pairs.push_back({c, it->second, score, d});
        });
      }
    }
  };
  {
    std::vector<std::thread> threads;
    for (int w = 1; w < workers; ++w) threads.emplace_back(score_chunks);
    score_chunks();
    for (std::thread& thread : threads) thread.join();
  }
  std::vector<Pair> pairs;
  std::vector<PlaceSlot> places;
  {
    size_t total = 0;
    for (const Chunk& chunk : chunks) total += chunk.pairs.size();
    pairs.reserve(total);
    absl::flat_hash_map<const v1::Werkplek*, int> slot_of;
    std::vector<int> global;
    for (Chunk& chunk : chunks) {
      global.clear();
      for (PlaceSlot& slot : chunk.places) {
        auto [it, inserted] =
            slot_of.try_emplace(slot.record.get(), static_cast<int>(places.size()));
        if (inserted) places.push_back(std::move(slot));
        global.push_back(it->second);
      }
      for (Pair p : chunk.pairs) {
        p.place = global[p.place];
        pairs.push_back(p);
      }
      chunk = Chunk();
    }
  }
  phase_done(t.scoring);
  // Number places in id order and sort the pairs, so the problem is the same whatever order the
  // index visited them in.
  std::vector<int> by_id(places.size());
  for (size_t i = 0; i < by_id.size(); ++i) by_id[i] = static_cast<int>(i);
  std::sort(by_id.begin(), by_id.end(),
            [&](int a, int b) { return places[a].record->id() < places[b].record->id(); });
  std::vector<int> rank(places.size());
  AssignmentProblem problem;
  problem.candidates = static_cast<int>(candidates.size());
  std::vector<std::shared_ptr<const v1::Werkplek>> place_records;
  for (size_t r = 0; r < by_id.size(); ++r) {
    rank[by_id[r]] = static_cast<int>(r);
    problem.capacities.push_back(places[by_id[r]].capacity_left);
    place_records.push_back(places[by_id[r]].record);
  }
  for (Pair& p : pairs) p.place = rank[p.place];
  // The pairs are already in candidate order: sort each candidate's few pairs by place.
  for (auto begin = pairs.begin(); begin != pairs.end();) {
    auto end = std::find_if(begin, pairs.end(),
                            [&](const Pair& p) { return p.candidate != begin->candidate; });
    std::sort(begin, end, [](const Pair& a, const Pair& b) { return a.place < b.place; });
    begin = end;
  }
  problem.edges.reserve(pairs.size());
  for (const Pair& p : pairs) problem.edges.push_back({p.candidate, p.place, p.score});
  phase_done(t.problem);
  // The greedy baseline needs nothing from the optimum, so it runs on another core meanwhile.
  AssignmentResult greedy;
  std::thread greedy_thread([&problem, &greedy, &t] {
    const auto start = std::chrono::steady_clock::now();
    greedy = SolveGreedy(problem);
    t.greedy += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
  SolverTimings solver_timings;
  absl::StatusOr<AssignmentResult> solved = SolveOptimal(problem, &solver_timings);
  greedy_thread.join();
  if (!solved.ok()) return solved.status();
  const AssignmentResult& optimal = *solved;
  t.graph += solver_timings.graph;
  t.simplex += solver_timings.simplex;
  lap = std::chrono::steady_clock::now();

  // Fairness: per group, how many candidates, how many got a proposal, and their mean score.
  struct Group {
    int64_t candidates = 0, proposed = 0;
    double score_sum = 0;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  auto groups_of = [](const Profile& p) {
    return std::array<std::pair<std::string, std::string>, 3>{
        std::make_pair(std::string("gender"), GenderGroup(p.gender)),
        std::make_pair(std::string("country_of_origin"),
                       p.country_of_origin.empty() ? std::string("onbekend") : p.country_of_origin),
        std::make_pair(std::string("leerroute"), LeerrouteGroup(p.leerroute))};
  };
  for (const auto& c : candidates) {
    for (const auto& key : groups_of(*c)) ++groups[key].candidates;
  }
  for (int i : optimal.chosen) {
    const Pair& p = pairs[i];
    const Profile& profile = *candidates[p.candidate];
    v1::ProposedPair* out = response->add_pairs();
    *out->mutable_kandidaat() = KandidaatFor(principal, region, profile);
    out->set_werkplek_id(place_records[p.place]->id());
    *out->mutable_match() =
        Explain(profile, PlaceFrom(place_records[p.place]), p.distance, weights_);
    for (const auto& key : groups_of(profile)) {
      Group& g = groups[key];
      ++g.proposed;
      g.score_sum += p.score;
    }
  }
  phase_done(t.explanations);
  for (const auto& [key, g] : groups) {
    v1::FairnessRow* row = response->add_fairness();
    row->set_dimension(key.first);
    row->set_group(key.second);
    row->set_candidates(g.candidates);
    row->set_proposed(g.proposed);
    row->set_proposed_rate(g.candidates > 0 ? static_cast<double>(g.proposed) / g.candidates : 0);
    row->set_mean_score(g.proposed > 0 ? g.score_sum / g.proposed : 0);
  }
  phase_done(t.fairness);
  response->set_total_score(optimal.total_score);
  response->set_greedy_total_score(greedy.total_score);
  response->set_candidates(static_cast<int64_t>(candidates.size()));
  response->set_places(static_cast<int64_t>(problem.capacities.size()));
  return absl::OkStatus();
}

}  // namespace inburgering::matching

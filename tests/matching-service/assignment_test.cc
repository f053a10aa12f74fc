// The regional assignment: the flow solution equals brute force on small random instances, is
// never below greedy, and is the same for the same input.
#include "matching-service/assignment.h"

#include <gtest/gtest.h>

#include <random>

namespace inburgering::matching {
namespace {

// The best total over every assignment, by trying each candidate unassigned or on each of their
// edges whose place still has room. Exponential: only for a handful of candidates.
int64_t BruteForceBest(const AssignmentProblem& problem, int candidate, std::vector<int>& left) {
  if (candidate == problem.candidates) return 0;
  int64_t best = BruteForceBest(problem, candidate + 1, left);
  for (const AssignmentEdge& e : problem.edges) {
    if (e.candidate != candidate || left[e.place] == 0) continue;
    --left[e.place];
    best = std::max(best, ScoreUnits(e.score) + BruteForceBest(problem, candidate + 1, left));
    ++left[e.place];
  }
  return best;
}

AssignmentProblem RandomProblem(std::mt19937& rng, int candidates, int places, double density) {
  AssignmentProblem p;
  p.candidates = candidates;
  std::uniform_int_distribution<int> cap(0, 2);
  for (int i = 0; i < places; ++i) p.capacities.push_back(cap(rng));
  std::uniform_real_distribution<double> u(0, 1);
  for (int c = 0; c < candidates; ++c) {
    for (int q = 0; q < places; ++q) {
      if (u(rng) < density) p.edges.push_back({c, q, 0.05 + 0.95 * u(rng)});
    }
  }
  return p;
}

void ExpectValid(const AssignmentProblem& p, const AssignmentResult& r) {
  std::vector<int> used(p.capacities.size(), 0);
  std::vector<bool> seen(p.candidates, false);
  for (int i : r.chosen) {
    const AssignmentEdge& e = p.edges[i];
    EXPECT_FALSE(seen[e.candidate]) << "candidate assigned twice";
    seen[e.candidate] = true;
    ++used[e.place];
  }
  for (size_t q = 0; q < used.size(); ++q) EXPECT_LE(used[q], p.capacities[q]);
}

TEST(Assignment, OptimalEqualsBruteForceOnSmallRandomInstances) {
  std::mt19937 rng(20261123);
  for (int round = 0; round < 300; ++round) {
    const int candidates = 1 + round % 7;
    const int places = 1 + (round / 7) % 4;
    AssignmentProblem p = RandomProblem(rng, candidates, places, 0.6);
    auto optimal = SolveOptimal(p);
    ASSERT_TRUE(optimal.ok()) << optimal.status();
    ExpectValid(p, *optimal);
    std::vector<int> left = p.capacities;
    const int64_t best = BruteForceBest(p, 0, left);
    int64_t total = 0;
    for (int i : optimal->chosen) total += ScoreUnits(p.edges[i].score);
    EXPECT_EQ(total, best) << "round " << round;
    const AssignmentResult greedy = SolveGreedy(p);
    ExpectValid(p, greedy);
    EXPECT_GE(optimal->total_score + 1e-9, greedy.total_score);
  }
}

TEST(Assignment, OptimalBeatsGreedyWhereGreedyIsShortSighted) {
  // Greedy takes the 0.9 pair and leaves candidate 1 without a place; the optimum is 0.8 + 0.8.
  AssignmentProblem p;
  p.candidates = 2;
  p.capacities = {1, 1};
  p.edges = {{0, 0, 0.9}, {0, 1, 0.8}, {1, 0, 0.8}};
  auto optimal = SolveOptimal(p);
  ASSERT_TRUE(optimal.ok());
  EXPECT_DOUBLE_EQ(optimal->total_score, 1.6);
  EXPECT_EQ(optimal->chosen, (std::vector<int>{1, 2}));
  EXPECT_DOUBLE_EQ(SolveGreedy(p).total_score, 0.9);
}

TEST(Assignment, SameInputGivesTheSamePairs) {
  std::mt19937 rng(7);
  // Many equal scores, so several optima exist: the answer must still not vary.
  AssignmentProblem p = RandomProblem(rng, 60, 20, 0.3);
  for (auto& e : p.edges) e.score = e.score > 0.5 ? 0.75 : 0.5;
  auto first = SolveOptimal(p);
  ASSERT_TRUE(first.ok());
  for (int i = 0; i < 5; ++i) {
    auto again = SolveOptimal(p);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->chosen, first->chosen);
  }
}

TEST(Assignment, EmptyAndZeroCapacityProblems) {
  AssignmentProblem empty;
  auto r = SolveOptimal(empty);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->chosen.empty());
  AssignmentProblem full;
  full.candidates = 3;
  full.capacities = {0};
  full.edges = {{0, 0, 0.9}, {1, 0, 0.9}};
  r = SolveOptimal(full);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->chosen.empty());
  EXPECT_TRUE(SolveGreedy(full).chosen.empty());
}

TEST(Assignment, EdgeToAMissingPlaceIsInvalidArgument) {
  AssignmentProblem p;
  p.candidates = 1;
  p.capacities = {1};
  p.edges = {{0, 3, 0.5}};
  EXPECT_EQ(SolveOptimal(p).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inburgering::matching

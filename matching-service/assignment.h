// The regional assignment problem: pick candidate-place pairs maximising the total score, each
// candidate at most once and each place at most its capacity. Solved exactly as a min-cost flow
// (LEMON NetworkSimplex), with the greedy baseline alongside. Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace inburgering::matching {

struct AssignmentEdge {
  int candidate;  // 0 .. candidates-1
  int place;      // 0 .. capacities.size()-1
  double score;   // > 0; pairs that fail a hard constraint are not edges at all
};

struct AssignmentProblem {
  int candidates = 0;
  std::vector<int> capacities;  // capacity left per place
  std::vector<AssignmentEdge> edges;
};

struct AssignmentResult {
  std::vector<int> chosen;  // indexes into problem.edges, ascending
  double total_score = 0;
};

// Scores are compared in integer micro-units, so the optimum is exact at that resolution and the
// same input (same order) always gives the same pairs.
constexpr int64_t kScoreUnits = 1'000'000;
int64_t ScoreUnits(double score);

// The maximum-total-score assignment. INTERNAL when the solver reports no optimum (it cannot, for
// a well-formed problem); INVALID_ARGUMENT for an edge naming a missing candidate or place.
// When `timings` is not null it receives the wall-clock seconds of building the flow graph and of
// the network simplex (for the bench).
struct SolverTimings {
  double graph = 0;
  double simplex = 0;
};
absl::StatusOr<AssignmentResult> SolveOptimal(const AssignmentProblem& problem,
                                              SolverTimings* timings = nullptr);

// Greedy baseline: best-scoring edges first (ties: candidate, then place), taken while both ends
// have room.
AssignmentResult SolveGreedy(const AssignmentProblem& problem);

}  // namespace inburgering::matching

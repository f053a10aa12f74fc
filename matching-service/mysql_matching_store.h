// Storage of the matching schema on MySQL/MariaDB: the werkplekken register, candidate profiles
// (from intake's events) and placements with capacity accounting. Every change writes its event
// to the outbox in the same transaction. Werkplekken are scoped by region, placements by the
// caller-supplied check; another region's id is NOT_FOUND like a missing one. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/migrations.h"
#include "common/mysql_pool.h"
#include "common/outbox.h"
#include "inburgering/v1/matching.pb.h"

namespace inburgering::matching {

// The matching schema's migrations (generated from migrations/*.sql), outbox tables included.
std::vector<Migration> MatchingMigrations();

struct WerkplekFilter {
  v1::WerkplekType type = v1::WERKPLEK_TYPE_UNSPECIFIED;  // UNSPECIFIED = any
  std::string isco_prefix;                                // "" = any
  std::string gemeente;                                   // "" = any
  bool open_only = false;
  v1::CefrLevel max_min_language_level = v1::CEFR_LEVEL_UNSPECIFIED;  // UNSPECIFIED = any
  bool with_capacity_left = false;
};

class MysqlMatchingStore {
 public:
  MysqlMatchingStore(MysqlPool& pool, Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  // Everything, for the in-memory index and cache at start-up.
  absl::StatusOr<std::vector<v1::Werkplek>> LoadWerkplekken();
  absl::StatusOr<std::vector<v1::KandidaatProfiel>> LoadKandidaten();
  absl::StatusOr<std::vector<v1::Placement>> LoadPlacements();

  // Inserts `werkplek` (region set by the caller; id, version, capacity_used and times here)
  // unless `request_id` was used in the region: then the first result when `request_hash`
  // matches, ALREADY_EXISTS otherwise.
  absl::StatusOr<v1::Werkplek> CreateWerkplek(const std::string& request_id,
                                              const std::string& request_hash,
                                              v1::Werkplek werkplek);
  // NOT_FOUND when absent or of another region.
  absl::StatusOr<v1::Werkplek> GetWerkplek(const std::string& region, const std::string& id);
  // Reads for update, lets `mutate` change it (an error aborts with nothing written), stores it
  // with version + 1. ABORTED when the stored version is not `expected_version`.
  using WerkplekMutation = std::function<absl::Status(v1::Werkplek&)>;
  absl::StatusOr<v1::Werkplek> UpdateWerkplek(const std::string& region, const std::string& id,
                                              int64_t expected_version,
                                              const WerkplekMutation& mutate);
  // One page in register order after `after_seq`; returns the page and the last seq in it (0
  // when the page is the last).
  absl::StatusOr<std::pair<std::vector<v1::Werkplek>, int64_t>> ListWerkplekken(
      const std::string& region, const WerkplekFilter& filter, absl::CivilDay today,
      int64_t after_seq, int limit);

  // Stores `profiel` unless a profile of the same or a newer version is stored (events may be
  // replayed). Runs in the caller's transaction (the event consumer's). Returns whether it wrote.
  // Throws sql::SQLException like any statement.
  static bool UpsertKandidaat(PooledConnection& connection, const v1::KandidaatProfiel& profiel);

  // Creates a VOORGESTELD placement of `placement.statushouder_id()` (of gemeente
  // `placement.gemeente()`, a stored candidate) on werkplek `placement.werkplek_id()` of
  // `region`, taking one unit of its capacity under a row lock. Idempotent on (caller_gemeente,
  // request_id). NOT_FOUND for an unknown candidate or werkplek; FAILED_PRECONDITION when the
  // place is closed or full, or the candidate has an active placement. Returns the placement and
  // the werkplek after the change.
  absl::StatusOr<std::pair<v1::Placement, v1::Werkplek>> CreatePlacement(
      const std::string& caller_gemeente, const std::string& request_id,
      const std::string& request_hash, const std::string& region, v1::Placement placement,
      const std::string& prior_isco, absl::CivilDay today);

  // Reads the placement for update; `mutate` checks scope (returning NOT_FOUND for one the
  // caller may not see) and applies the transition. When it ends an active placement, the
  // werkplek's capacity is given back. ABORTED on a stale version. Returns the placement and
  // the werkplek after the change.
  using PlacementMutation = std::function<absl::Status(v1::Placement&)>;
  absl::StatusOr<std::pair<v1::Placement, v1::Werkplek>> UpdatePlacement(
      const std::string& id, int64_t expected_version, const PlacementMutation& mutate);

 private:
  MysqlPool& pool_;
  Outbox& outbox_;
};

}  // namespace inburgering::matching

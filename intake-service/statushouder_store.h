// Storage of statushouders for the intake service, behind an interface so that the service logic
// can be tested with a fake and run against MySQL (MysqlStatushouderStore).
//
// Every method is scoped to one gemeente: a record of another gemeente is NOT_FOUND, exactly like
// one that does not exist. Each change writes its event to the outbox in the same transaction.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "inburgering/v1/events.pb.h"
#include "inburgering/v1/intake.pb.h"
#include "inburgering/v1/statushouder.pb.h"

namespace inburgering::intake {

// Filters of a list, all optional (0 / UNSPECIFIED = any), and the keyset cursor.
struct ListQuery {
  v1::Phase phase = v1::PHASE_UNSPECIFIED;
  v1::Leerroute leerroute = v1::LEERROUTE_UNSPECIFIED;  // of the PIP
  v1::StatushouderType type = v1::STATUSHOUDER_TYPE_UNSPECIFIED;
  v1::ListStatushoudersRequest::UitkeringFilter uitkering =
      v1::ListStatushoudersRequest::UITKERING_FILTER_UNSPECIFIED;
  bool pip_overdue = false;  // no PIP and the due date before `today`
  absl::CivilDay today;
  int64_t after_seq = 0;  // rows with a larger registration sequence
  int limit = 50;
};

struct ListedStatushouder {
  int64_t seq;  // registration order; the paging key
  v1::Statushouder statushouder;
};

// One valid import row, ready to insert (gemeente, phase and derived fields set; no id).
struct ImportCandidate {
  v1::Statushouder statushouder;
};

// What became of an ImportCandidate: CREATED, UPDATED or UNCHANGED with the id, or REJECTED with
// the status the merge returned.
struct ImportOutcome {
  v1::ImportRowResult::Outcome outcome = v1::ImportRowResult::OUTCOME_UNSPECIFIED;
  std::string id;
  absl::Status rejection;
};

class StatushouderStore {
 public:
  virtual ~StatushouderStore() = default;

  // Inserts `statushouder` (id, version and timestamps assigned here) unless `request_id` was
  // used before in the gemeente: then returns the record it created when `request_hash` matches,
  // and ALREADY_EXISTS when it does not. A BSN already registered is ALREADY_EXISTS.
  virtual absl::StatusOr<v1::Statushouder> Create(const std::string& request_id,
                                                  const std::string& request_hash,
                                                  v1::Statushouder statushouder) = 0;

  // One registration of a CreateMany batch: Create's arguments.
  struct NewRegistration {
    std::string request_id;
    std::string request_hash;
    v1::Statushouder statushouder;
  };
  // Create for up to kMaxCreateMany registrations at once, with Create's answers, in order. In the
  // usual case they share one transaction of multi-row writes, and so one durable commit; when
  // any of them is a replay, reuses a request_id or repeats a BSN, each is done on its own by
  // Create.
  static constexpr int kMaxCreateMany = 16;
  virtual std::vector<absl::StatusOr<v1::Statushouder>> CreateMany(
      std::vector<NewRegistration> registrations) = 0;

  // The records of `ids` (1 to kMaxGetMany, repeats allowed) that exist in the gemeente, by id,
  // read in one statement; an id absent from the result (no such record, or another gemeente's)
  // is NOT_FOUND to its caller.
  static constexpr int kMaxGetMany = 32;
  virtual absl::StatusOr<absl::flat_hash_map<std::string, v1::Statushouder>> GetMany(
      const std::string& gemeente, const std::vector<std::string>& ids) = 0;

  // Reads the record for update, lets `mutate` change it (returning an error aborts with nothing
  // written) and stores it with version + 1 and an event of kind `change`. ABORTED when the stored
  // version is not `expected_version`.
  using Mutation = std::function<absl::Status(v1::Statushouder&)>;
  virtual absl::StatusOr<v1::Statushouder> Update(const std::string& gemeente,
                                                  const std::string& id, int64_t expected_version,
                                                  v1::StatushouderChanged::Change change,
                                                  const Mutation& mutate) = 0;

  // Up to query.limit records of the gemeente matching the filters, with seq > after_seq, in
  // seq order. A row committed after a page was read appears on a later page (seq only grows).
  virtual absl::StatusOr<std::vector<ListedStatushouder>> List(const std::string& gemeente,
                                                               const ListQuery& query) = 0;

  // Applies one import batch in one transaction, keyed by BSN within the gemeente: a candidate
  // whose BSN is new is inserted; for an existing one `merge` updates the stored record and says
  // whether it changed (an error rejects just that row). Every created or updated row gets an
  // IMPORTED event. Returns one outcome per candidate, in order; any database error fails the
  // whole batch with nothing written (ABORTED when a BSN was registered concurrently).
  using ImportMerge =
      std::function<absl::StatusOr<bool>(v1::Statushouder& stored, const v1::Statushouder& row)>;
  virtual absl::StatusOr<std::vector<ImportOutcome>> Import(
      const std::string& gemeente, const std::vector<ImportCandidate>& candidates,
      const ImportMerge& merge) = 0;
};

}  // namespace inburgering::intake

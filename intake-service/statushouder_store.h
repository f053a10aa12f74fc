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

#include "absl/status/statusor.h"
#include "inburgering/v1/events.pb.h"
#include "inburgering/v1/statushouder.pb.h"

namespace inburgering::intake {

class StatushouderStore {
 public:
  virtual ~StatushouderStore() = default;

  // Inserts `statushouder` (id, version and timestamps assigned here) unless `request_id` was
  // used before in the gemeente: then returns the record it created when `request_hash` matches,
  // and ALREADY_EXISTS when it does not. A BSN already registered is ALREADY_EXISTS.
  virtual absl::StatusOr<v1::Statushouder> Create(const std::string& request_id,
                                                  const std::string& request_hash,
                                                  v1::Statushouder statushouder) = 0;

  // NOT_FOUND when absent or of another gemeente.
  virtual absl::StatusOr<v1::Statushouder> Get(const std::string& gemeente,
                                               const std::string& id) = 0;

  // Reads the record for update, lets `mutate` change it (returning an error aborts with nothing
  // written) and stores it with version + 1 and an event of kind `change`. ABORTED when the stored
  // version is not `expected_version`.
  using Mutation = std::function<absl::Status(v1::Statushouder&)>;
  virtual absl::StatusOr<v1::Statushouder> Update(const std::string& gemeente,
                                                  const std::string& id, int64_t expected_version,
                                                  v1::StatushouderChanged::Change change,
                                                  const Mutation& mutate) = 0;
};

}  // namespace inburgering::intake

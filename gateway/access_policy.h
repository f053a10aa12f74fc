// The authorisation matrix RPC × role, declared in one table (access_policy.cc), and the checks
// that go with it: denied unless the table allows it, and for cells marked "own scope" the request
// may only name the caller's own gemeente or a region that contains it.
//
// Thread-safe after construction (read-only).
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/principal.h"
#include "google/protobuf/message.h"
#include "inburgering/config/v1/config.pb.h"

namespace inburgering::gateway {

enum class Access {
  kDeny,
  kAllow,     // the backend still scopes the data to the caller's gemeente or region
  kOwnScope,  // request fields `gemeente` / `region`, when set, must be the caller's own
};

// What the audit trail records of an RPC's calls.
enum class AuditClass {
  kNone,           // no personal data: not audited
  kPersonalRead,   // reads personal data: audited; the begin row is stored while the backend works
  kPersonalWrite,  // writes personal data: audited; forwarded only once the begin row is stored,
                   // so that a write that cannot be audited is never committed
};

// One row of the matrix: a public RPC, its audit class, and the access of each role.
struct PolicyRow {
  const char* method;  // full name, "inburgering.v1.IntakeService.GetStatushouder"
  AuditClass audit;
  Access consulent;
  Access wsp;
  Access analist;
  Access beheerder;
};

// The matrix, in declaration order (for documentation and the generated test table).
const std::vector<PolicyRow>& PolicyMatrix();

Access AccessFor(const PolicyRow& row, Role role);

class AccessPolicy {
 public:
  explicit AccessPolicy(const config::v1::Regions& regions);

  // The row of `full_method` ("pkg.Service.Method"), or nullptr when the RPC is not public.
  const PolicyRow* Find(absl::string_view full_method) const;

  // OK when `principal` may call `row`'s RPC at all; PERMISSION_DENIED otherwise.
  absl::Status CheckRole(const PolicyRow& row, const Principal& principal) const;

  // For kOwnScope cells: OK when the request's `gemeente` / `region` fields (top level, when set)
  // are the principal's own; PERMISSION_DENIED otherwise. OK for other cells.
  absl::Status CheckScope(const PolicyRow& row, const Principal& principal,
                          const google::protobuf::Message& request) const;

  // True for a configured region that contains `gemeente`.
  bool RegionContains(absl::string_view region, absl::string_view gemeente) const;

 private:
  absl::flat_hash_map<std::string, const PolicyRow*> rows_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> regions_;
};

}  // namespace inburgering::gateway

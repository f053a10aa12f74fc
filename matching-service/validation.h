// Validation of matching input at the edge: each rule returns INVALID_ARGUMENT naming the field and
// the rule, before the index, the cache or the store is touched. Pure functions (the region and
// `today` are passed in), so the fuzz targets and tests check them without a server.
//
// Messages name fields and rules only; they never repeat what the client sent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/ids.h"  // ValidateRequestId, ValidateRecordId
#include "inburgering/v1/matching.pb.h"

namespace inburgering::matching {

// The number of recommendations asked for: 0 (meaning 10) to 100; returns the number to give.
absl::StatusOr<int> ValidateLimit(int requested);

// A werkplek as registered or after an update; `in_region` says whether a gemeente code belongs to
// the caller's region.
absl::Status ValidateWerkplek(const v1::Werkplek& werkplek,
                              const std::function<bool(const std::string&)>& in_region);

// The paths UpdateWerkplek may change (see matching.proto).
bool IsUpdatableWerkplekPath(absl::string_view path);
// id, version and update_mask; the werkplek itself is checked after the mask is applied.
absl::Status ValidateUpdateWerkplekRequest(const v1::UpdateWerkplekRequest& request);

// The page a valid ListWerkplekken asks for: after the werkplek with internal number `after`
// (0 = from the start), at most `limit` places.
struct WerkplekPage {
  int64_t after = 0;
  int limit = 0;
};
absl::StatusOr<WerkplekPage> ValidateListWerkplekkenRequest(
    const v1::ListWerkplekkenRequest& request);

absl::Status ValidateCreatePlacementRequest(const v1::CreatePlacementRequest& request);
// The date of the change on success; the transition itself depends on the stored placement.
absl::StatusOr<absl::CivilDay> ValidateUpdatePlacementRequest(
    const v1::UpdatePlacementRequest& request, absl::CivilDay today);

}  // namespace inburgering::matching

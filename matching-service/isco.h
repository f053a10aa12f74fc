// ISCO-08 occupation codes as matching uses them: how close two occupations are in the
// classification, and the skill level of an occupation (for "werk op niveau").
// Pure functions, no state; thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace inburgering::matching {

// True for 1 to 4 ASCII digits (major group .. unit group).
bool IsIscoCode(absl::string_view code);

// How close occupation `to` is to `from` (both 4-digit unit groups), best first.
enum class IscoKinship {
  kSameUnitGroup,      // 2261 -> 2261
  kCounterpartUnit,    // a profession and its associate profession: 2261 dentist -> 3251 dental
                       // assistant
  kSameMinorGroup,     // 226x
  kSameSubMajorGroup,  // 22xx
  kRelatedField,    // the same field one skill level down or up: 22 health -> 32 health associate
  kSameMajorGroup,  // 2xxx
  kUnrelated,
};

IscoKinship Kinship(absl::string_view from, absl::string_view to);

// The value 0..1 matching gives a kinship (kSameUnitGroup 1.0 ... kUnrelated 0).
double KinshipValue(IscoKinship kinship);

// A short Dutch description, e.g. "zelfde beroepsgroep".
absl::string_view KinshipReason(IscoKinship kinship);

// ISCO-08 skill level 1..4 of the unit group's major group (sub-major for managers and armed
// forces), or 0 when the code is not a valid ISCO code.
int IscoSkillLevel(absl::string_view code);

}  // namespace inburgering::matching

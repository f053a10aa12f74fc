// Enum values of the API as people type them on a command line or in a CSV cell: the value name
// without its type prefix, any case, '-' or ' ' for '_' ("asielstatushouder", "b1", "Z-route").
//
// Works from the protobuf descriptors, so a value added to the API is accepted without a change.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace inburgering::cli {

// The number of the value named `text`, or INVALID_ARGUMENT listing the accepted names. The
// UNSPECIFIED value is never accepted.
absl::StatusOr<int> ParseEnumValue(const google::protobuf::EnumDescriptor* type,
                                   absl::string_view text);

// Lower-case short name of `value` ("asielstatushouder"); "" for UNSPECIFIED or unknown.
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int value);

// Accepted names of `type`, separated by '|' (for help and error texts).
std::string EnumChoices(const google::protobuf::EnumDescriptor* type);

}  // namespace inburgering::cli

// The JSON <-> protobuf step of the HTTP front (protobuf's JSON mapping, generically from the
// descriptors), apart from the server so it can be tested and fuzzed without one.
//
// Error messages name the request type and what is wrong, never a value from the body: a body
// holds BSNs, names and addresses, and the message is returned to the client and audited.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace inburgering::gateway {

// Fills `request` (empty, of the route's input type) from a JSON body; an empty body is "{}".
// Unknown fields are refused. INVALID_ARGUMENT "body: not valid JSON for <type>: <reason>".
absl::Status RequestFromJson(absl::string_view body, google::protobuf::Message& request);

// The JSON of a backend's response (INTERNAL if it cannot be rendered).
absl::StatusOr<std::string> ResponseToJson(const google::protobuf::Message& response);

}  // namespace inburgering::gateway

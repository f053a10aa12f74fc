// Identifiers and request fingerprints.
//
// NewId() makes a 26-character ULID (Crockford base32 of 48 bits of milliseconds and 80 random
// bits): unique without coordination between replicas, and sortable by creation time.
// RequestFingerprint() is the SHA-256 of a message's deterministic serialization, to tell a replay
// of a create (same request_id, same content) from a conflicting reuse of its request_id.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace inburgering {

std::string NewId();
// 32 raw bytes.
std::string RequestFingerprint(const google::protobuf::Message& message);
// INVALID_ARGUMENT naming request_id unless it is 1 to 64 printable ASCII characters: the
// idempotency key of every create RPC.
absl::Status ValidateRequestId(absl::string_view request_id);
// The one rule for the id of a stored record (statushouder, werkplek, placement), as NewId makes
// it: 26 characters, digits and capital letters. Every service checks the ids a request names with
// it, and the gateway checks every id field of a request with it before anything is audited or
// forwarded, so an audit row only ever holds ids of this form (never a BSN, a name or a huge
// value a careless client put in an id field).
bool IsRecordId(absl::string_view id);
// INVALID_ARGUMENT naming `field` unless IsRecordId(id). The message never repeats the value.
absl::Status ValidateRecordId(absl::string_view field, absl::string_view id);
// Hex of a string of bytes (for logs of fingerprints and token hashes).
std::string HexEncode(const std::string& bytes);

}  // namespace inburgering

// Checks shared by the libFuzzer targets in fuzz/: an invariant that fails prints what broke and
// aborts, so libFuzzer records the input as a crash (a plain return would hide it).
//
// The leak checks look for what must never reach an error message: a BSN (any run of nine or more
// digits taken from the input; no fixed message has one) and bytes outside printable ASCII (fixed
// messages are ASCII, so such bytes can only be copied from the input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status.h"
#include "google/protobuf/message.h"

namespace inburgering::fuzz {

[[noreturn]] inline void Fail(absl::string_view what, absl::string_view detail = "") {
  std::fprintf(stderr, "invariant broken: %.*s %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void Require(bool ok, absl::string_view what, absl::string_view detail = "") {
  if (!ok) Fail(what, detail);
}

// Runs of nine or more ASCII digits in `text`: the BSNs it might hold.
std::vector<std::string> DigitRuns(absl::string_view text);

// Every string and bytes value in `message` and the messages it holds (the client's text).
std::vector<std::string> StringValues(const google::protobuf::Message& message);

// An error from a validator: the given code, printable ASCII, and no digit run of `inputs`.
void RequireCleanError(const absl::Status& status, absl::StatusCode code,
                       const std::vector<std::string>& inputs);

// `a` and `b` are equivalent (NaN equal to NaN, a default equal to unset); else fails with
// `what` and the differences.
void RequireSame(const google::protobuf::Message& a, const google::protobuf::Message& b,
                 absl::string_view what);

// `message` survives the wire: serialised and parsed again it is equal (NaN equal to NaN).
void RequireWireRoundTrip(const google::protobuf::Message& message);

// Parses `data` as a message of `message`'s type; false when it is not one.
bool ParseMessage(absl::string_view data, google::protobuf::Message& message);

// One request type a validation target covers: an empty message of the type and its validator.
struct RequestSurface {
  std::unique_ptr<google::protobuf::Message> prototype;
  std::function<absl::Status(const google::protobuf::Message&)> validate;
};

template <typename Request>
RequestSurface Surface(std::function<absl::Status(const Request&)> validate) {
  return {std::make_unique<Request>(), [validate](const google::protobuf::Message& m) {
            return validate(static_cast<const Request&>(m));
          }};
}

// The body of a request validation target: data[0] picks the surface, the rest is the request in
// protobuf's wire format. Checks that the validator answers OK or INVALID_ARGUMENT, the same
// twice; that errors are clean (RequireCleanError); and that an accepted request survives the
// wire unchanged (so it is accepted again where it is forwarded).
int FuzzRequestValidation(const std::vector<RequestSurface>& surfaces, const uint8_t* data,
                          size_t size);

}  // namespace inburgering::fuzz

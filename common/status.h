// Error plumbing shared by all services: absl::Status below the RPC layer, grpc::Status at it.
//
// The two code spaces are identical by number, so mapping keeps the code and the message. Messages
// must never contain SQL text or personal data; callers build them from field names and rules.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"

namespace inburgering {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// INVALID_ARGUMENT naming the field and the rule, e.g. InvalidField("bsn", "fails the 11-proef").
absl::Status InvalidField(absl::string_view field, absl::string_view rule);

}  // namespace inburgering

// Debian's Abseil (20220623) lacks these; they are the usual definitions.
#define INBURGERING_CONCAT_INNER_(a, b) a##b
#define INBURGERING_CONCAT_(a, b) INBURGERING_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    if (absl::Status _st = (expr); !_st.ok()) {    \
      return _st;                                  \
    }                                              \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(INBURGERING_CONCAT_(_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) {                             \
    return std::move(statusor).status();            \
  }                                                 \
  lhs = *std::move(statusor)

// Who is calling: the principal {gemeente, role, subject} that the gateway verified and passes to
// the services as call metadata. Services trust these keys only from the gateway (mTLS outside
// dev); the gateway strips whatever a client sent under them.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/server_context.h>

#include "absl/status/statusor.h"

namespace inburgering {

enum class Role { kConsulent, kWsp, kAnalist, kBeheerder, kService };

inline constexpr char kGemeenteKey[] = "x-inburgering-gemeente";
inline constexpr char kRoleKey[] = "x-inburgering-role";
inline constexpr char kSubjectKey[] = "x-inburgering-subject";

struct Principal {
  std::string gemeente;  // CBS code, e.g. "GM0603"
  Role role;
  std::string subject;   // who, for the audit log; never a BSN or a person's name
};

absl::string_view RoleName(Role role);
absl::StatusOr<Role> ParseRole(absl::string_view name);

// True for a CBS gemeente code: "GM" and four digits.
bool IsGemeenteCode(absl::string_view code);

// The principal of the call, or UNAUTHENTICATED when the metadata is missing or malformed.
absl::StatusOr<Principal> PrincipalFromContext(const grpc::ServerContextBase& context);
// The same from the three metadata values (empty when absent); apart so it can be checked (and
// fuzzed) without a call.
absl::StatusOr<Principal> PrincipalFromMetadata(absl::string_view gemeente, absl::string_view role,
                                                absl::string_view subject);

// Adds the principal's metadata to an outgoing call.
void AttachPrincipal(const Principal& principal, grpc::ClientContext& context);

}  // namespace inburgering

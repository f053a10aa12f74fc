#include "common/principal.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace inburgering {
namespace {

absl::string_view Metadata(const grpc::ServerContextBase& context, absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kConsulent: return "consulent";
    case Role::kWsp: return "wsp";
    case Role::kAnalist: return "analist";
    case Role::kBeheerder: return "beheerder";
    case Role::kService: return "service";
  }
  return "";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role r : {Role::kConsulent, Role::kWsp, Role::kAnalist, Role::kBeheerder, Role::kService}) {
    if (name == RoleName(r)) return r;
  }
  return absl::InvalidArgumentError("role: unknown role");
}

bool IsGemeenteCode(absl::string_view code) {
  if (code.size() != 6 || !absl::StartsWith(code, "GM")) return false;
  for (char c : code.substr(2)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<Principal> PrincipalFromMetadata(absl::string_view gemeente, absl::string_view role,
                                                absl::string_view subject) {
  auto parsed = ParseRole(role);
  if (!parsed.ok() || !IsGemeenteCode(gemeente) || subject.empty() || subject.size() > 200) {
    return absl::UnauthenticatedError("no valid principal on the call");
  }
  return Principal{std::string(gemeente), *parsed, std::string(subject)};
}

absl::StatusOr<Principal> PrincipalFromContext(const grpc::ServerContextBase& context) {
  return PrincipalFromMetadata(Metadata(context, kGemeenteKey), Metadata(context, kRoleKey),
                               Metadata(context, kSubjectKey));
}

void AttachPrincipal(const Principal& principal, grpc::ClientContext& context) {
  context.AddMetadata(kGemeenteKey, principal.gemeente);
  context.AddMetadata(kRoleKey, std::string(RoleName(principal.role)));
  context.AddMetadata(kSubjectKey, principal.subject);
}

}  // namespace inburgering

#include "gateway/authenticator.h"

#include <grpcpp/security/auth_context.h>
#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace inburgering::gateway {
namespace {

absl::StatusOr<Principal> MakePrincipal(absl::string_view field, const std::string& gemeente,
                                        const std::string& role, const std::string& subject) {
  auto parsed = ParseRole(role);
  if (!parsed.ok() || *parsed == Role::kService) {
    return InvalidField(absl::StrCat(field, ".role"),
                        "must be consulent, wsp, analist or beheerder");
  }
  if (!IsGemeenteCode(gemeente)) {
    return InvalidField(absl::StrCat(field, ".gemeente"), "must be a CBS code like GM0603");
  }
  if (subject.empty() || subject.size() > 200) {
    return InvalidField(absl::StrCat(field, ".subject"), "must be 1..200 characters");
  }
  return Principal{gemeente, *parsed, subject};
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

const absl::Status& Unauthenticated() {
  static const auto* const kStatus = new absl::Status(absl::UnauthenticatedError(
      "missing or invalid credentials: send 'authorization: Bearer <token>' or a client "
      "certificate"));
  return *kStatus;
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

absl::StatusOr<Authenticator> Authenticator::Create(const config::v1::GatewayConfig& config) {
  Authenticator authenticator;
  for (int i = 0; i < config.tokens_size(); ++i) {
    const auto& entry = config.tokens(i);
    const std::string field = absl::StrCat("tokens[", i, "]");
    if (entry.token_sha256().size() != 64 || !IsLowerHex(entry.token_sha256())) {
      return InvalidField(absl::StrCat(field, ".token_sha256"),
                          "must be 64 lower-case hex characters (SHA-256 of the token)");
    }
    ASSIGN_OR_RETURN(Principal principal,
                     MakePrincipal(field, entry.gemeente(), entry.role(), entry.subject()));
    if (!authenticator.by_token_hash_.emplace(entry.token_sha256(), principal).second) {
      return InvalidField(absl::StrCat(field, ".token_sha256"), "is listed twice");
    }
  }
  for (int i = 0; i < config.certificates_size(); ++i) {
    const auto& entry = config.certificates(i);
    const std::string field = absl::StrCat("certificates[", i, "]");
    if (entry.common_name().empty()) {
      return InvalidField(absl::StrCat(field, ".common_name"), "must not be empty");
    }
    ASSIGN_OR_RETURN(Principal principal,
                     MakePrincipal(field, entry.gemeente(), entry.role(), entry.subject()));
    if (!authenticator.by_common_name_.emplace(entry.common_name(), principal).second) {
      return InvalidField(absl::StrCat(field, ".common_name"), "is listed twice");
    }
  }
  return authenticator;
}

absl::StatusOr<Principal> Authenticator::FromAuthorizationHeader(absl::string_view header) const {
  constexpr absl::string_view kBearer = "bearer ";
  if (header.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(header.substr(0, kBearer.size()), kBearer)) {
    return Unauthenticated();
  }
  absl::string_view token = absl::StripAsciiWhitespace(header.substr(kBearer.size()));
  if (token.empty() || token.size() > 512) return Unauthenticated();
  // A hash lookup: the hash of a wrong token reveals nothing about the right ones, so no
  // constant-time comparison is needed.
  auto it = by_token_hash_.find(Sha256Hex(token));
  if (it == by_token_hash_.end()) return Unauthenticated();
  return it->second;
}

absl::StatusOr<Principal> Authenticator::FromPeer(const grpc::AuthContext* auth_context) const {
  if (auth_context == nullptr || !auth_context->IsPeerAuthenticated()) return Unauthenticated();
  // Set by gRPC only for a certificate that verified against the configured client CA.
  for (const grpc::string_ref& name : auth_context->FindPropertyValues("x509_common_name")) {
    auto it = by_common_name_.find(std::string(name.data(), name.size()));
    if (it != by_common_name_.end()) return it->second;
  }
  return Unauthenticated();
}

absl::StatusOr<Principal> Authenticator::Authenticate(const grpc::AuthContext* auth_context,
                                                      absl::string_view authorization) const {
  if (auth_context != nullptr && auth_context->IsPeerAuthenticated() && !by_common_name_.empty()) {
    if (auto principal = FromPeer(auth_context); principal.ok()) return principal;
  }
  if (authorization.empty()) return Unauthenticated();
  return FromAuthorizationHeader(authorization);
}

}  // namespace inburgering::gateway

// libFuzzer target: who is calling. The gateway's bearer parsing (gateway/authenticator.h) and a
// service's principal from call metadata (common/principal.h). The first byte picks which: even,
// the rest is an authorization header value; odd, the rest is the gemeente, role and subject
// metadata values on separate lines (gRPC metadata values hold no line breaks) (seeds:
// fuzz/seeds/principal/).
//
// Invariants besides "no crash, no sanitizer report": a header yields a principal only for a
// configured token after "Bearer " (any case) and whitespace, and then exactly its configured
// principal; every other header is UNAUTHENTICATED with a message that repeats nothing of it.
// Metadata yields a principal only when it is well formed, and then the values sent.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fuzz/fuzz_checks.h"
#include "gateway/authenticator.h"

namespace inburgering::gateway {
namespace {

using fuzz::Require;

struct Configured {
  const char* token;
  Principal principal;
};
// Tokens as an operator would configure them (config/dev/gateway.json holds only their hashes).
const std::vector<Configured>& Tokens() {
  static const auto* tokens = new std::vector<Configured>{
      {"dev-consulent-rijswijk", {"GM0603", Role::kConsulent, "consulent.rijswijk.1"}},
      {"dev-wsp-haaglanden", {"GM0518", Role::kWsp, "wsp.haaglanden.1"}},
      {"t", {"GM0503", Role::kAnalist, "analist.delft.1"}},
  };
  return *tokens;
}

const Authenticator& TheAuthenticator() {
  static const auto* authenticator = [] {
    config::v1::GatewayConfig config;
    for (const Configured& c : Tokens()) {
      auto* entry = config.add_tokens();
      entry->set_token_sha256(Sha256Hex(c.token));
      entry->set_gemeente(c.principal.gemeente);
      entry->set_role(std::string(RoleName(c.principal.role)));
      entry->set_subject(c.principal.subject);
    }
    absl::StatusOr<Authenticator> a = Authenticator::Create(config);
    Require(a.ok(), "the fuzz target's token config is refused:", a.status().ToString());
    return new Authenticator(*std::move(a));
  }();
  return *authenticator;
}

bool SamePrincipal(const Principal& a, const Principal& b) {
  return a.gemeente == b.gemeente && a.role == b.role && a.subject == b.subject;
}

void CheckHeader(absl::string_view header) {
  absl::StatusOr<Principal> principal = TheAuthenticator().FromAuthorizationHeader(header);
  if (!principal.ok()) {
    Require(principal.status().code() == absl::StatusCode::kUnauthenticated,
            "a refused header is not UNAUTHENTICATED");
    // The message is one fixed text: it can repeat nothing of the header.
    static const std::string kMessage(principal.status().message());
    Require(principal.status().message() == kMessage, "refusals differ in their message");
    return;
  }
  Require(header.size() > 7 && absl::EqualsIgnoreCase(header.substr(0, 7), "bearer "),
          "a principal from a header without the Bearer scheme");
  const absl::string_view token = absl::StripAsciiWhitespace(header.substr(7));
  bool configured = false;
  for (const Configured& c : Tokens()) {
    if (token == c.token) {
      Require(SamePrincipal(*principal, c.principal), "a token yields another principal");
      configured = true;
    }
  }
  Require(configured, "a principal from a token that is not configured");
}

void CheckMetadata(absl::string_view values) {
  std::vector<absl::string_view> parts = absl::StrSplit(values, absl::MaxSplits('\n', 2));
  parts.resize(3);
  absl::StatusOr<Principal> principal = PrincipalFromMetadata(parts[0], parts[1], parts[2]);
  if (!principal.ok()) {
    Require(principal.status().code() == absl::StatusCode::kUnauthenticated,
            "malformed metadata is not UNAUTHENTICATED");
    Require(principal.status().message() == "no valid principal on the call",
            "refused metadata gives another message");
    return;
  }
  Require(IsGemeenteCode(principal->gemeente) && principal->gemeente == parts[0],
          "a principal with another gemeente than sent");
  Require(RoleName(principal->role) == parts[1], "a principal with another role than sent");
  Require(principal->subject == parts[2] && !principal->subject.empty() &&
              principal->subject.size() <= 200,
          "a principal with another or an unbounded subject");
}

}  // namespace
}  // namespace inburgering::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    inburgering::gateway::CheckHeader(rest);
  } else {
    inburgering::gateway::CheckMetadata(rest);
  }
  return 0;
}

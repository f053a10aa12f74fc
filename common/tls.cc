#include "common/tls.h"

#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate of this process (server and client)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key for --tls_cert_file");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA that signs peers: clients must present a certificate from it (mTLS), servers are "
          "verified against it");

namespace inburgering {
absl::StatusOr<std::string> ReadTlsFile(const std::string& path, absl::string_view flag) {
  std::ifstream in(path);
  if (!in) return absl::FailedPreconditionError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool IsLoopbackAddress(absl::string_view address) {
  return absl::StartsWith(address, "127.") || absl::StartsWith(address, "[::1]") ||
         absl::StartsWith(address, "localhost:") || absl::StartsWith(address, "ipv4:127.") ||
         absl::StartsWith(address, "dns:///localhost:") || absl::StartsWith(address, "dns:///127.");
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    absl::string_view address) {
  const std::string cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  if (cert_file.empty()) {
    if (!IsLoopbackAddress(address)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "listening on ", address, " needs TLS: set --tls_cert_file and --tls_key_file"));
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto cert = ReadTlsFile(cert_file, "tls_cert_file");
  if (!cert.ok()) return cert.status();
  auto key = ReadTlsFile(absl::GetFlag(FLAGS_tls_key_file), "tls_key_file");
  if (!key.ok()) return key.status();
  pair.cert_chain = *cert;
  pair.private_key = *key;
  options.pem_key_cert_pairs.push_back(pair);
  if (const std::string ca_file = absl::GetFlag(FLAGS_tls_ca_file); !ca_file.empty()) {
    auto ca = ReadTlsFile(ca_file, "tls_ca_file");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    absl::string_view target) {
  const std::string ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  if (ca_file.empty()) {
    if (!IsLoopbackAddress(target)) {
      return absl::FailedPreconditionError(
          absl::StrCat("calling ", target, " needs TLS: set --tls_ca_file"));
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions options;
  auto ca = ReadTlsFile(ca_file, "tls_ca_file");
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (const std::string cert_file = absl::GetFlag(FLAGS_tls_cert_file); !cert_file.empty()) {
    auto cert = ReadTlsFile(cert_file, "tls_cert_file");
    if (!cert.ok()) return cert.status();
    auto key = ReadTlsFile(absl::GetFlag(FLAGS_tls_key_file), "tls_key_file");
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

}  // namespace inburgering

#include "gateway/public_credentials.h"

#include "common/tls.h"

namespace inburgering::gateway {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> PublicServerCredentials(
    const PublicTlsFiles& files, absl::string_view address) {
  if (files.cert_file.empty()) return ServerCredentialsFor(address);
  auto cert = ReadTlsFile(files.cert_file, "public_tls_cert_file");
  if (!cert.ok()) return cert.status();
  auto key = ReadTlsFile(files.key_file, "public_tls_key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!files.client_ca_file.empty()) {
    auto ca = ReadTlsFile(files.client_ca_file, "client_ca_file");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace inburgering::gateway

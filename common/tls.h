// Transport security from files named by flags: TLS on every listener except loopback in dev, and
// mutual TLS between gateway and services (a service requires a client certificate signed by
// --tls_ca_file; the gateway presents --tls_cert_file).
#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace inburgering {

// The content of a PEM file named by `flag`, or FAILED_PRECONDITION naming the flag.
absl::StatusOr<std::string> ReadTlsFile(const std::string& path, absl::string_view flag);

// True for 127.0.0.0/8, [::1] and localhost addresses ("host:port").
bool IsLoopbackAddress(absl::string_view address);

// Credentials for a listener on `address`. Without --tls_cert_file only a loopback address is
// allowed (plaintext, dev); with --tls_ca_file as well, clients must present a certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    absl::string_view address);

// Credentials for a channel to `target`. With --tls_ca_file the server is verified against it and
// --tls_cert_file/--tls_key_file are presented as client certificate; without, only loopback
// targets are allowed (plaintext, dev).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    absl::string_view target);

}  // namespace inburgering

// Certificates for TLS tests, made in memory with OpenSSL in milliseconds: a CA and the leaf
// certificates it signs (server and client use, SAN 127.0.0.1 and localhost, valid one day),
// also written as PEM files to a temporary folder for the --tls_* flags.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace inburgering::testing {

struct TestCertificate {
  std::string cert_pem, key_pem;
  std::string cert_file, key_file;  // the same PEM, on disk
};

// Not thread-safe; removes its folder when destroyed.
class TestCa {
 public:
  // A self-signed CA with common name `name`.
  static absl::StatusOr<std::unique_ptr<TestCa>> Create(const std::string& name);
  ~TestCa();

  const std::string& cert_pem() const { return cert_pem_; }
  const std::string& cert_file() const { return cert_file_; }

  // A leaf signed by this CA with common name `common_name`.
  absl::StatusOr<TestCertificate> Issue(const std::string& common_name);

 private:
  TestCa() = default;

  std::string dir_;
  std::string cert_pem_, cert_file_;
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  long next_serial_ = 2;
};

}  // namespace inburgering::testing

#include "tests/support/test_pki.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace inburgering::testing {
namespace {

EVP_PKEY* NewKey() { return EVP_EC_gen("P-256"); }

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (extension == nullptr) return false;
  const bool added = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return added;
}

// A certificate for `key` named `common_name`, signed by `issuer_key` (issuer nullptr: self).
X509* NewCertificate(EVP_PKEY* key, const std::string& common_name, long serial, X509* issuer,
                     EVP_PKEY* issuer_key) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer != nullptr ? issuer : cert;
  bool ok = AddExtension(cert, signer, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    ok = ok && AddExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE") &&
         AddExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && AddExtension(cert, signer, NID_authority_key_identifier, "keyid") &&
         AddExtension(cert, signer, NID_basic_constraints, "CA:FALSE") &&
         AddExtension(cert, signer, NID_key_usage, "critical,digitalSignature") &&
         AddExtension(cert, signer, NID_ext_key_usage, "serverAuth,clientAuth") &&
         AddExtension(cert, signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  if (!ok || X509_sign(cert, issuer_key, EVP_sha256()) == 0) {
    X509_free(cert);
    return nullptr;
  }
  return cert;
}

template <typename Write>
std::string ToPem(Write write) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, size);
  BIO_free(bio);
  return pem;
}

std::string CertPem(X509* cert) {
  return ToPem([cert](BIO* bio) { PEM_write_bio_X509(bio, cert); });
}

std::string KeyPem(EVP_PKEY* key) {
  return ToPem([key](BIO* bio) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestCa>> TestCa::Create(const std::string& name) {
  std::unique_ptr<TestCa> ca(new TestCa());
  char dir[] = "/tmp/test_pki_XXXXXX";
  if (mkdtemp(dir) == nullptr) return absl::InternalError("mkdtemp failed");
  ca->dir_ = dir;
  ca->key_ = NewKey();
  if (ca->key_ == nullptr) return absl::InternalError("EC key generation failed");
  ca->cert_ = NewCertificate(ca->key_, name, 1, nullptr, ca->key_);
  if (ca->cert_ == nullptr) return absl::InternalError("signing the CA certificate failed");
  ca->cert_pem_ = CertPem(ca->cert_);
  ca->cert_file_ = ca->dir_ + "/ca.crt";
  if (absl::Status s = WriteFile(ca->cert_file_, ca->cert_pem_); !s.ok()) return s;
  return ca;
}

TestCa::~TestCa() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::StatusOr<TestCertificate> TestCa::Issue(const std::string& common_name) {
  EVP_PKEY* key = NewKey();
  if (key == nullptr) return absl::InternalError("EC key generation failed");
  X509* cert = NewCertificate(key, common_name, next_serial_++, cert_, key_);
  if (cert == nullptr) {
    EVP_PKEY_free(key);
    return absl::InternalError("signing the certificate failed");
  }
  TestCertificate issued;
  issued.cert_pem = CertPem(cert);
  issued.key_pem = KeyPem(key);
  X509_free(cert);
  EVP_PKEY_free(key);
  const std::string base = absl::StrCat(dir_, "/", next_serial_ - 1);
  issued.cert_file = base + ".crt";
  issued.key_file = base + ".key";
  if (absl::Status s = WriteFile(issued.cert_file, issued.cert_pem); !s.ok()) return s;
  if (absl::Status s = WriteFile(issued.key_file, issued.key_pem); !s.ok()) return s;
  return issued;
}

}  // namespace inburgering::testing

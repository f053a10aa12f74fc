// Transport security end to end over real gRPC on loopback, with certificates made in the test:
// the real intake-service (real MariaDB) behind mTLS (--tls_* flags, as in production), and the
// gateway's public TLS listener that maps a client certificate's common name to a principal and
// calls the service over mTLS. Issue 7 (direct calls that bypass the gateway are refused) and
// issue 5 (certificate login; the identity comes only from what the gateway verified).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "gateway/audit_log.h"
#include "gateway/gateway.h"
#include "gateway/grpc_proxy.h"
#include "gateway/public_credentials.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "tests/gateway/gateway_test_support.h"
#include "tests/support/in_process_intake.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"

ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_ca_file);

namespace inburgering::gateway::migrations {
const std::vector<Migration>& Migrations();
}  // namespace inburgering::gateway::migrations

namespace inburgering::gateway::testing {
namespace {

using inburgering::testing::TestCa;
using inburgering::testing::TestCertificate;

// The common name of a user certificate the gateway's config maps to a consulent of Rijswijk.
constexpr char kConfiguredCn[] = "consulent-rijswijk.example.nl";
constexpr char kCertificateSubject[] = "cert.consulent.rijswijk";

class GatewayTls : public ::testing::Test {
 protected:
  void SetUp() override {
    auto internal = TestCa::Create("inburgering internal CA");  // gateway <-> services
    auto clients = TestCa::Create("gemeente client CA");        // users of the gateway
    auto outsider = TestCa::Create("some other CA");
    ASSERT_TRUE(internal.ok() && clients.ok() && outsider.ok());
    internal_ = *std::move(internal);
    clients_ = *std::move(clients);
    outsider_ = *std::move(outsider);
    auto service_cert = internal_->Issue("localhost");  // the services' and the gateway's own
    auto configured = clients_->Issue(kConfiguredCn);
    auto unknown = clients_->Issue("onbekend.example.nl");
    auto foreign = outsider_->Issue("localhost");
    ASSERT_TRUE(service_cert.ok() && configured.ok() && unknown.ok() && foreign.ok());
    service_cert_ = *service_cert;
    configured_ = *configured;
    unknown_ = *unknown;
    foreign_ = *foreign;

    // As the processes get them in production: the intake-service's listener requires a client
    // certificate from the internal CA, and the gateway presents its own on backend channels.
    saved_flags_ = {absl::GetFlag(FLAGS_tls_cert_file), absl::GetFlag(FLAGS_tls_key_file),
                    absl::GetFlag(FLAGS_tls_ca_file)};
    absl::SetFlag(&FLAGS_tls_cert_file, service_cert_.cert_file);
    absl::SetFlag(&FLAGS_tls_key_file, service_cert_.key_file);
    absl::SetFlag(&FLAGS_tls_ca_file, internal_->cert_file());

    auto intake = inburgering::testing::InProcessIntake::Start(
        workers_, [] { return absl::CivilDay(2026, 11, 23); });
    ASSERT_TRUE(intake.ok()) << intake.status();
    intake_ = *std::move(intake);

    auto gateway_db = inburgering::testing::TestDatabase::Create(migrations::Migrations());
    ASSERT_TRUE(gateway_db.ok()) << gateway_db.status();
    gateway_db_ = *std::move(gateway_db);
    audit_ = std::make_unique<MysqlAuditLog>(gateway_db_->pool());
    GatewayOptions options;
    options.config = TestConfig();
    auto* certificate = options.config.add_certificates();
    certificate->set_common_name(kConfiguredCn);
    certificate->set_gemeente("GM0603");
    certificate->set_role("consulent");
    certificate->set_subject(kCertificateSubject);
    options.targets = {intake_->target(), other_.target(), other_.target()};
    auto gateway = Gateway::Create(options, *audit_);  // backend channels: ChannelCredentialsFor
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    proxy_ = std::make_unique<GrpcProxy>(*gateway_);
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    auto credentials = PublicServerCredentials(
        {service_cert_.cert_file, service_cert_.key_file, clients_->cert_file()}, "127.0.0.1:0");
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    server_->SetCredentials(*credentials);
    server_->AddGenericService(proxy_.get());
    ASSERT_TRUE(server_->Start().ok());
  }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    intake_.reset();
    absl::SetFlag(&FLAGS_tls_cert_file, saved_flags_[0]);
    absl::SetFlag(&FLAGS_tls_key_file, saved_flags_[1]);
    absl::SetFlag(&FLAGS_tls_ca_file, saved_flags_[2]);
  }

  // A TLS channel to `port` that trusts the internal CA (which signed both listeners'
  // certificates) and presents `client` when given.
  std::shared_ptr<grpc::Channel> TlsChannel(int port, const TestCertificate* client) const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = internal_->cert_pem();
    if (client != nullptr) {
      options.pem_cert_chain = client->cert_pem;
      options.pem_private_key = client->key_pem;
    }
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(options));
  }

  // Registers through `channel` with `metadata`; the call has a 5 s deadline.
  static grpc::Status Register(const std::shared_ptr<grpc::Channel>& channel,
                               const std::vector<std::pair<std::string, std::string>>& metadata,
                               v1::Statushouder* created) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    return v1::IntakeService::NewStub(channel)->RegisterStatushouder(&context, Registration(),
                                                                     created);
  }

  int64_t Statushouders() { return *intake_->db().QueryInt("SELECT COUNT(*) FROM statushouders"); }
  int service_port() const { return std::stoi(intake_->target().substr(10)); }

  static std::vector<std::pair<std::string, std::string>> PrincipalMetadata(
      const std::string& gemeente) {
    return {{kGemeenteKey, gemeente}, {kRoleKey, "consulent"}, {kSubjectKey, "forged"}};
  }

  std::unique_ptr<TestCa> internal_, clients_, outsider_;
  TestCertificate service_cert_, configured_, unknown_, foreign_;
  std::vector<std::string> saved_flags_;
  WorkerPool workers_{8};
  std::unique_ptr<inburgering::testing::InProcessIntake> intake_;
  RecordingBackend other_;  // matching and reporting are not under test here
  std::unique_ptr<inburgering::testing::TestDatabase> gateway_db_;
  std::unique_ptr<MysqlAuditLog> audit_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<GrpcProxy> proxy_;
  std::unique_ptr<GrpcServer> server_;
};

// Issue 7: the services answer only the gateway. Without a client certificate, or with one from
// another CA, the handshake fails (UNAVAILABLE) even with well-formed principal metadata; with the
// right certificate but no principal the call is UNAUTHENTICATED. Nothing is written.
TEST_F(GatewayTls, DirectCallsThatBypassTheGatewayAreRefused) {
  v1::Statushouder created;
  const auto principal = PrincipalMetadata("GM0603");

  const grpc::Status plaintext =
      Register(grpc::CreateChannel(intake_->target(), grpc::InsecureChannelCredentials()),
               principal, &created);
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE) << plaintext.error_message();

  const grpc::Status anonymous = Register(TlsChannel(service_port(), nullptr), principal, &created);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAVAILABLE) << anonymous.error_message();

  const grpc::Status other_ca =
      Register(TlsChannel(service_port(), &foreign_), principal, &created);
  EXPECT_EQ(other_ca.error_code(), grpc::StatusCode::UNAVAILABLE) << other_ca.error_message();

  // A user certificate from the gateway's client CA is not the gateway either.
  const grpc::Status user_cert =
      Register(TlsChannel(service_port(), &configured_), principal, &created);
  EXPECT_EQ(user_cert.error_code(), grpc::StatusCode::UNAVAILABLE) << user_cert.error_message();

  const grpc::Status no_principal =
      Register(TlsChannel(service_port(), &service_cert_), {}, &created);
  EXPECT_EQ(no_principal.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << no_principal.error_message();
  EXPECT_EQ(Statushouders(), 0);

  // The same certificate with a principal is what the gateway sends: accepted (the service's
  // listener is up and this is the only way in).
  ASSERT_TRUE(Register(TlsChannel(service_port(), &service_cert_), principal, &created).ok());
  EXPECT_EQ(Statushouders(), 1);
}

// Issue 5: a configured certificate is the principal, end to end over the gateway's mTLS channel
// to the real service; the audit record names the certificate's subject.
TEST_F(GatewayTls, ClientCertificateCommonNameIsThePrincipal) {
  v1::Statushouder created;
  const grpc::Status status = Register(TlsChannel(server_->port(), &configured_), {}, &created);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(created.gemeente(), "GM0603");
  EXPECT_EQ(Statushouders(), 1);
  EXPECT_EQ(*gateway_db_->QueryInt(absl::StrCat(
                "SELECT COUNT(*) FROM audit_log WHERE phase = 'end' AND result = 'OK' AND "
                "actor_gemeente = 'GM0603' "
                "AND actor_role = 'consulent' AND actor_subject = '",
                kCertificateSubject, "'")),
            1);
}

TEST_F(GatewayTls, UnknownCommonNameIsUnauthenticated) {
  v1::Statushouder created;
  const grpc::Status status = Register(TlsChannel(server_->port(), &unknown_), {}, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_EQ(Statushouders(), 0);
}

TEST_F(GatewayTls, CertificateOfAnotherCaIsRefusedAtTheGateway) {
  v1::Statushouder created;
  const grpc::Status status = Register(TlsChannel(server_->port(), &foreign_), {}, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(Statushouders(), 0);
}

// A certificate plus forged principal metadata and another principal's bearer token: the
// certificate's principal is the one that reaches the service and the audit log.
TEST_F(GatewayTls, CertificatePrincipalWinsOverForgedHeaders) {
  auto forged = PrincipalMetadata("GM0503");
  forged.push_back({"authorization", absl::StrCat("Bearer ", TokenFor("consulent", "GM0503"))});
  v1::Statushouder created;
  const grpc::Status status = Register(TlsChannel(server_->port(), &configured_), forged, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.gemeente(), "GM0603");
  EXPECT_EQ(*intake_->db().QueryInt("SELECT COUNT(*) FROM statushouders WHERE gemeente = 'GM0603'"),
            1);
  // One call, audited in a begin and an end row, both as the certificate's principal.
  EXPECT_EQ(*gateway_db_->QueryInt(absl::StrCat(
                "SELECT COUNT(*) FROM audit_log WHERE phase = 'end' AND actor_subject = '",
                kCertificateSubject, "' AND actor_gemeente = 'GM0603'")),
            1);
  EXPECT_EQ(
      *gateway_db_->QueryInt(absl::StrCat(
          "SELECT COUNT(*) FROM audit_log WHERE actor_gemeente <> 'GM0603' OR actor_subject <> '",
          kCertificateSubject, "'")),
      0);
}

}  // namespace
}  // namespace inburgering::gateway::testing

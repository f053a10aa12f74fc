// IntakeService against the real MariaDB, over real gRPC on loopback.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "common/outbox.h"
#include "common/principal.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "intake-service/intake_service.h"
#include "intake-service/mysql_statushouder_store.h"
#include "tests/support/test_database.h"

namespace inburgering::intake {
namespace {

const Principal kRijswijk{"GM0603", Role::kConsulent, "consulent.rijswijk"};
const Principal kDelft{"GM0503", Role::kConsulent, "consulent.delft"};
const Principal kService{"GM0000", Role::kService, "reporting-service"};

// One intake-service in process: real store, real outbox, real server on a free port.
class IntakeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(IntakeMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    outbox_ = std::make_unique<Outbox>(db_->pool(), workers_);
    outbox_->Start(absl::Milliseconds(20));
    store_ = std::make_unique<MysqlStatushouderStore>(db_->pool(), *outbox_);
    service_ = std::make_unique<IntakeServiceImpl>(*store_, *outbox_, workers_,
                                                   [] { return absl::CivilDay(2026, 11, 23); });
    server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
    server_->AddService(service_.get());
    server_->OnShutdown([this] { outbox_->Stop(); });
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::IntakeService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  static v1::RegisterStatushouderRequest Registration(const std::string& request_id,
                                                      const std::string& bsn) {
    v1::RegisterStatushouderRequest request;
    request.set_request_id(request_id);
    v1::Statushouder* s = request.mutable_statushouder();
    s->set_bsn(bsn);
    s->set_given_names("Amal");
    s->set_family_name("Haddad");
    s->set_birth_date("1990-04-12");
    s->set_gender(v1::GENDER_VROUW);
    s->set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
    s->set_country_of_origin("SY");
    s->set_vestigingsdatum("2026-09-01");
    return request;
  }

  grpc::Status Register(const Principal& principal, const v1::RegisterStatushouderRequest& request,
                        v1::Statushouder* response) {
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    return stub_->RegisterStatushouder(&context, request, response);
  }

  grpc::Status Get(const Principal& principal, const std::string& id, v1::Statushouder* response) {
    grpc::ClientContext context;
    AttachPrincipal(principal, context);
    v1::GetStatushouderRequest request;
    request.set_id(id);
    return stub_->GetStatushouder(&context, request, response);
  }

  WorkerPool workers_{8};
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<MysqlStatushouderStore> store_;
  std::unique_ptr<IntakeServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
};

TEST_F(IntakeServiceTest, RegisterThenGetReturnsTheRecord) {
  v1::Statushouder created;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  EXPECT_EQ(created.gemeente(), "GM0603");
  EXPECT_EQ(created.version(), 1);
  EXPECT_EQ(created.phase(), v1::PHASE_INTAKE);
  EXPECT_EQ(created.id().size(), 26u);

  v1::Statushouder read;
  ASSERT_TRUE(Get(kRijswijk, created.id(), &read).ok());
  EXPECT_EQ(read.bsn(), "111222333");
  EXPECT_EQ(read.family_name(), "Haddad");
}

TEST_F(IntakeServiceTest, ReplayedRegistrationReturnsTheFirstResultAndWritesOnce) {
  v1::Statushouder first, second;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &first).ok());
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 1);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM outbox"), 1);
}

TEST_F(IntakeServiceTest, RequestIdReusedForOtherContentIsAlreadyExists) {
  v1::Statushouder created;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  grpc::Status status = Register(kRijswijk, Registration("r1", "123456782"), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(status.error_message().find("request_id"), std::string::npos);
}

TEST_F(IntakeServiceTest, DuplicateBsnInTheGemeenteIsAlreadyExistsButAllowedElsewhere) {
  v1::Statushouder created;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  EXPECT_EQ(Register(kRijswijk, Registration("r2", "111222333"), &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(Register(kDelft, Registration("r2", "111222333"), &created).ok());
}

TEST_F(IntakeServiceTest, BadBsnIsInvalidArgumentNamingTheFieldAndWritesNothing) {
  v1::Statushouder created;
  grpc::Status status = Register(kRijswijk, Registration("r1", "111222334"), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("statushouder.bsn"), std::string::npos);
  EXPECT_EQ(status.error_message().find("111222334"), std::string::npos) << "no BSN in errors";
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM statushouders"), 0);
}

TEST_F(IntakeServiceTest, AnotherGemeentesIdIsNotFoundLikeAMissingOne) {
  v1::Statushouder created, read;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  grpc::Status other = Get(kDelft, created.id(), &read);
  grpc::Status missing = Get(kDelft, "01ARZ3NDEKTSV4RRFFQ69G5FAV", &read);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(other.error_code(), missing.error_code());
  EXPECT_EQ(other.error_message(), missing.error_message());
}

TEST_F(IntakeServiceTest, CallWithoutPrincipalIsUnauthenticated) {
  grpc::ClientContext context;
  v1::Statushouder response;
  EXPECT_EQ(stub_->RegisterStatushouder(&context, Registration("r1", "111222333"), &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IntakeServiceTest, StreamEventsCarriesTheRegistrationWithoutIdentifiers) {
  v1::Statushouder created;
  ASSERT_TRUE(Register(kRijswijk, Registration("r1", "111222333"), &created).ok());
  grpc::ClientContext context;
  AttachPrincipal(kService, context);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::StreamEventsRequest request;
  auto reader = stub_->StreamEvents(&context, request);
  v1::Event event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.sequence(), 1);
  EXPECT_EQ(event.aggregate_id(), created.id());
  ASSERT_TRUE(event.has_statushouder_changed());
  EXPECT_EQ(event.statushouder_changed().change(), v1::StatushouderChanged::REGISTERED);
  EXPECT_EQ(event.statushouder_changed().birth_year(), 1990);
  EXPECT_TRUE(event.statushouder_changed().statushouder().bsn().empty());
  EXPECT_TRUE(event.statushouder_changed().statushouder().family_name().empty());
  context.TryCancel();
}

TEST_F(IntakeServiceTest, StreamEventsIsOnlyForServices) {
  grpc::ClientContext context;
  AttachPrincipal(kRijswijk, context);
  auto reader = stub_->StreamEvents(&context, v1::StreamEventsRequest());
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace inburgering::intake

#include "tests/support/in_process_intake.h"

#include <grpcpp/grpcpp.h>

namespace inburgering::testing {

absl::StatusOr<std::unique_ptr<InProcessIntake>> InProcessIntake::Start(WorkerPool& workers,
                                                                        Clock today) {
  std::unique_ptr<InProcessIntake> intake(new InProcessIntake());
  auto db = TestDatabase::Create(intake::IntakeMigrations());
  if (!db.ok()) return db.status();
  intake->db_ = *std::move(db);
  intake->outbox_ = std::make_unique<Outbox>(intake->db_->pool(), workers);
  intake->outbox_->Start(absl::Milliseconds(20));
  intake->store_ =
      std::make_unique<intake::MysqlStatushouderStore>(intake->db_->pool(), *intake->outbox_);
  intake->service_ = std::make_unique<intake::IntakeServiceImpl>(*intake->store_, *intake->outbox_,
                                                                 workers, std::move(today));
  intake->server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
  intake->server_->AddService(intake->service_.get());
  Outbox* outbox = intake->outbox_.get();
  intake->server_->OnShutdown([outbox] { outbox->Stop(); });
  if (absl::Status s = intake->server_->Start(); !s.ok()) return s;
  intake->stub_ = v1::IntakeService::NewStub(
      grpc::CreateChannel(intake->target(), grpc::InsecureChannelCredentials()));
  return intake;
}

InProcessIntake::~InProcessIntake() {
  if (server_) server_->Shutdown(absl::Seconds(1));
  if (outbox_) outbox_->Stop();
}

}  // namespace inburgering::testing

#include "tests/support/in_process_intake.h"

#include <grpcpp/grpcpp.h>

#include "common/migrations.h"

namespace inburgering::testing {

absl::StatusOr<std::unique_ptr<InProcessIntake>> InProcessIntake::Start(WorkerPool& workers,
                                                                        Clock today) {
  std::unique_ptr<InProcessIntake> intake(new InProcessIntake());
  auto db = TestDatabase::Create(intake::IntakeMigrations());
  if (!db.ok()) return db.status();
  intake->db_ = *std::move(db);
  if (absl::Status s = intake->Serve(intake->db_->pool(), workers, std::move(today)); !s.ok()) {
    return s;
  }
  return intake;
}

absl::StatusOr<std::unique_ptr<InProcessIntake>> InProcessIntake::StartOn(MysqlPool& pool,
                                                                          WorkerPool& workers,
                                                                          Clock today) {
  if (absl::Status s = ApplyMigrations(pool, intake::IntakeMigrations()); !s.ok()) return s;
  std::unique_ptr<InProcessIntake> intake(new InProcessIntake());
  if (absl::Status s = intake->Serve(pool, workers, std::move(today)); !s.ok()) return s;
  return intake;
}

absl::Status InProcessIntake::Serve(MysqlPool& pool, WorkerPool& workers, Clock today) {
  outbox_ = std::make_unique<Outbox>(pool, workers);
  outbox_->Start(absl::Milliseconds(20));
  store_ = std::make_unique<intake::MysqlStatushouderStore>(pool, *outbox_);
  service_ =
      std::make_unique<intake::IntakeServiceImpl>(*store_, *outbox_, workers, std::move(today));
  server_ = std::make_unique<GrpcServer>("127.0.0.1:0", std::vector<std::string>{});
  server_->AddService(service_.get());
  Outbox* outbox = outbox_.get();
  server_->OnShutdown([outbox] { outbox->Stop(); });
  if (absl::Status s = server_->Start(); !s.ok()) return s;
  stub_ =
      v1::IntakeService::NewStub(grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  return absl::OkStatus();
}

InProcessIntake::~InProcessIntake() {
  if (server_) server_->Shutdown(absl::Seconds(1));
  if (outbox_) outbox_->Stop();
}

}  // namespace inburgering::testing

// A real intake-service inside a test process: its own schema on the test MariaDB, outbox, store,
// service and a gRPC server on a free loopback port. For tests of what consumes intake (matching,
// reporting, the CLI, the gateway) that need a real producer, not a mock.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/dates.h"
#include "common/mysql_pool.h"
#include "common/outbox.h"
#include "common/server.h"
#include "common/worker_pool.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "intake-service/intake_service.h"
#include "intake-service/mysql_statushouder_store.h"
#include "tests/support/test_database.h"

namespace inburgering::testing {

class InProcessIntake {
 public:
  // Starts it on a schema of its own on the suite's MariaDB; `workers` must outlive it. Its
  // outbox numbers events every 20 ms.
  static absl::StatusOr<std::unique_ptr<InProcessIntake>> Start(WorkerPool& workers, Clock today);
  // The same on `pool` (e.g. a PrivateMariaDb's), which it migrates; `pool` must outlive it, and
  // db() is not there.
  static absl::StatusOr<std::unique_ptr<InProcessIntake>> StartOn(MysqlPool& pool,
                                                                  WorkerPool& workers, Clock today);
  ~InProcessIntake();  // stops the server (draining calls) and the outbox

  TestDatabase& db() { return *db_; }
  Outbox& outbox() { return *outbox_; }
  intake::MysqlStatushouderStore& store() { return *store_; }
  v1::IntakeService::Stub& stub() { return *stub_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(server_->port()); }

 private:
  InProcessIntake() = default;
  absl::Status Serve(MysqlPool& pool, WorkerPool& workers, Clock today);

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<intake::MysqlStatushouderStore> store_;
  std::unique_ptr<intake::IntakeServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
};

}  // namespace inburgering::testing

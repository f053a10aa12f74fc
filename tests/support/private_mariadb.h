// A MariaDB server of a test's own (temporary data folder, free loopback port), for tests that
// stop, kill or restart the database. Other tests share the server of scripts/test.sh instead.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mysql_pool.h"

namespace inburgering::testing {

class PrivateMariaDb {
 public:
  // Initialises a data folder and starts mariadbd; ready when it returns OK.
  // `extra_args` go to mariadbd, e.g. {"--innodb-flush-log-at-trx-commit=2"}.
  static absl::StatusOr<std::unique_ptr<PrivateMariaDb>> Start(
      std::vector<std::string> extra_args = {});
  ~PrivateMariaDb();  // kills the server and removes the data folder

  // root over TCP, no password, on `schema` (created by CreateSchema).
  MysqlOptions Options(const std::string& schema) const;
  absl::Status CreateSchema(const std::string& schema);

  absl::Status Kill();     // SIGKILL, as a crash
  absl::Status Restart();  // start again on the same port and data
  // SIGSTOP and SIGCONT: a server that hangs (connections open, no answers), as behind a stalled
  // disk or network, and that then goes on.
  absl::Status Pause();
  absl::Status Resume();
  int port() const { return port_; }

 private:
  PrivateMariaDb(std::string dir, int port, std::vector<std::string> extra_args)
      : dir_(std::move(dir)), port_(port), extra_args_(std::move(extra_args)) {}
  absl::Status Launch();

  std::string dir_;
  int port_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
};

}  // namespace inburgering::testing

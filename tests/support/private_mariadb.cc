#include "tests/support/private_mariadb.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/service_process.h"

namespace inburgering::testing {

absl::StatusOr<std::unique_ptr<PrivateMariaDb>> PrivateMariaDb::Start(
    std::vector<std::string> extra_args) {
  char tmpl[] = "/tmp/inburgering-mariadb-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  auto port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  std::unique_ptr<PrivateMariaDb> db(new PrivateMariaDb(tmpl, *port, std::move(extra_args)));
  const std::string install = absl::StrCat(
      "mariadb-install-db --no-defaults --datadir=", db->dir_, "/data --user=$(id -un) ",
      "--auth-root-authentication-method=normal --skip-test-db >", db->dir_, "/install.log 2>&1");
  if (std::system(install.c_str()) != 0) {
    return absl::InternalError("mariadb-install-db failed");
  }
  if (absl::Status s = db->Launch(); !s.ok()) return s;
  return db;
}

absl::Status PrivateMariaDb::Launch() {
  const std::string user = getuid() == 0 ? "root" : "";
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test, also when the test is killed
    const std::string log = absl::StrCat(dir_, "/server.log");
    freopen(log.c_str(), "a", stdout);
    freopen(log.c_str(), "a", stderr);
    std::string datadir = absl::StrCat("--datadir=", dir_, "/data");
    std::string socket = absl::StrCat("--socket=", dir_, "/mysqld.sock");
    std::string port = absl::StrCat("--port=", port_);
    std::string user_flag = absl::StrCat("--user=", user.empty() ? "nobody" : user);
    std::vector<std::string> args = {"mariadbd",
                                     "--no-defaults",
                                     datadir,
                                     socket,
                                     port,
                                     "--bind-address=127.0.0.1",
                                     user_flag,
                                     "--skip-name-resolve",
                                     "--skip-log-bin",
                                     "--innodb-buffer-pool-size=64M",
                                     "--innodb-log-file-size=16M"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("mariadbd", argv.data());
    _exit(127);
  }
  // Ready when a client can connect.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  MysqlOptions options = Options("");
  options.pool_size = 1;
  while (absl::Now() < deadline) {
    if (MysqlPool::Create(options).ok()) return absl::OkStatus();
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("mariadbd exited; see ", dir_, "/server.log"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError("mariadbd did not become ready");
}

MysqlOptions PrivateMariaDb::Options(const std::string& schema) const {
  MysqlOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  options.user = "root";
  options.schema = schema;
  options.acquire_timeout = absl::Seconds(1);
  options.connect_timeout = absl::Seconds(1);
  return options;
}

absl::Status PrivateMariaDb::CreateSchema(const std::string& schema) {
  auto pool = MysqlPool::Create(Options(""));
  if (!pool.ok()) return pool.status();
  return (*pool)->Run("create schema", [&](PooledConnection& c) {
    std::unique_ptr<sql::PreparedStatement> s(
        c.raw().prepareStatement(absl::StrCat("CREATE DATABASE IF NOT EXISTS ", schema)));
    s->execute();
    return absl::OkStatus();
  });
}

absl::Status PrivateMariaDb::Kill() {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status PrivateMariaDb::Pause() {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, SIGSTOP);
  return absl::OkStatus();
}

absl::Status PrivateMariaDb::Resume() {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, SIGCONT);
  return absl::OkStatus();
}

absl::Status PrivateMariaDb::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("still running");
  return Launch();
}

PrivateMariaDb::~PrivateMariaDb() {
  if (pid_ > 0) (void)Kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace inburgering::testing

#include "tests/support/service_process.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace inburgering::testing {

absl::StatusOr<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("no free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool IsServing(const std::string& address, absl::Duration timeout) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&context, request, &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

ServiceProcess::ServiceProcess(std::string name, std::string binary, int port,
                               std::vector<std::string> args, std::string log_file,
                               std::map<std::string, std::string> env)
    : name_(std::move(name)),
      binary_(std::move(binary)),
      port_(port),
      args_(std::move(args)),
      log_file_(std::move(log_file)),
      env_(std::move(env)) {}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) (void)Kill();
}

absl::Status ServiceProcess::Start(absl::Duration timeout) {
  if (Running()) return absl::FailedPreconditionError(absl::StrCat(name_, " is running"));
  exit_reason_.clear();
  std::vector<std::string> args = {binary_, absl::StrCat("--listen=", address())};
  args.insert(args.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment is built before fork: the child of a threaded parent may only call
  // async-signal-safe functions (no setenv, no malloc).
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (!env_.contains(entry.substr(0, entry.find('=')))) env.push_back(entry);
  }
  for (const auto& [key, value] : env_) env.push_back(absl::StrCat(key, "=", value));
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    // Dies with the test, also when the test itself is killed (a ctest timeout).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int log = open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log < 0 || dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (!Running()) {
      return absl::UnavailableError(
          absl::StrCat(name_, " exited at start-up (", exit_reason_, "); see ", log_file_));
    }
    if (IsServing(address(), absl::Milliseconds(500))) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::UnavailableError(absl::StrCat(name_, " did not serve in time; see ", log_file_));
}

absl::Status ServiceProcess::Kill() {
  if (pid_ <= 0) return absl::FailedPreconditionError(absl::StrCat(name_, " is not running"));
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status ServiceProcess::Terminate() {
  if (pid_ <= 0) return absl::FailedPreconditionError(absl::StrCat(name_, " is not running"));
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(name_, " did not exit cleanly on SIGTERM"));
}

bool ServiceProcess::Running() {
  if (pid_ <= 0) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exit_reason_ = WIFEXITED(status)     ? absl::StrCat("exit ", WEXITSTATUS(status))
                 : WIFSIGNALED(status) ? absl::StrCat("signal ", WTERMSIG(status))
                                       : "ended";
  pid_ = -1;
  return false;
}

}  // namespace inburgering::testing

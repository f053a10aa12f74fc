// One server binary of the suite (intake_server, gateway_server, ...) as a child process of a test,
// on a fixed loopback port, so that the test can SIGKILL it and start it again at the same address.
// For fault tests; ordinary integration tests run the services in-process instead.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace inburgering::testing {

// A loopback port that was free a moment ago (bound, read back and released).
absl::StatusOr<int> FreeLoopbackPort();

// Not thread-safe: one thread starts, kills and polls it.
class ServiceProcess {
 public:
  // `args` go to `binary` after --listen=127.0.0.1:<port>; `env` is added to the environment
  // (e.g. INBURGERING_MYSQL_PASSWORD, kept off the command line). stdout and stderr append to
  // `log_file`.
  ServiceProcess(std::string name, std::string binary, int port, std::vector<std::string> args,
                 std::string log_file, std::map<std::string, std::string> env = {});
  ~ServiceProcess();  // SIGKILL if still running

  // Starts the process and waits until grpc.health.v1 answers SERVING; UNAVAILABLE naming the
  // log file when it exits or does not serve within `timeout`.
  absl::Status Start(absl::Duration timeout = absl::Seconds(30));
  absl::Status Kill();       // SIGKILL, as a crash, and reaps it
  absl::Status Terminate();  // SIGTERM, then waits for the exit; OK only for exit code 0
  // False once the process has exited, whether killed by the test or not (reaps it).
  bool Running();
  // How the process ended, when it did on its own: "exit 3", "signal 11"; empty otherwise.
  const std::string& exit_reason() const { return exit_reason_; }

  const std::string& name() const { return name_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

 private:
  std::string name_, binary_;
  int port_;
  std::vector<std::string> args_;
  std::string log_file_;
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
  std::string exit_reason_;
};

// True when the server at `address` answers grpc.health.v1 Check with SERVING within `timeout`.
bool IsServing(const std::string& address, absl::Duration timeout);

}  // namespace inburgering::testing

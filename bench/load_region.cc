// load_region: loads datagen's statushouders into a running intake-service (or the gateway)
// through RegisterStatushouder only, never by writing tables, with many calls in flight.
// Each request is sent as its statushouder.gemeente's consulent (principal metadata, for a
// direct-to-service dev stack) or with --bearer (through the gateway, one gemeente per token).
//
//   bench/datagen --statushouders 10000 >region.jsonl
//   bench/load_region --target 127.0.0.1:50061 --input region.jsonl --ids_out ids.txt
//
// --ids_out gets "gemeente id" per created statushouder, for loadgen's --ids_file (point reads).
// ALREADY_EXISTS counts as loaded (a rerun over the same data); any other failure is reported by
// status and makes the exit code 3.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "common/config.h"
#include "common/principal.h"
#include "common/tls.h"
#include "google/protobuf/util/json_util.h"
#include "inburgering/v1/intake.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50061", "intake-service (or gateway) address");
ABSL_FLAG(std::string, input, "-", "JSON lines of RegisterStatushouderRequest (- = stdin)");
ABSL_FLAG(int, inflight, 64, "calls in flight");
ABSL_FLAG(int, channels, 4, "connections, calls spread round-robin");
ABSL_FLAG(std::string, bearer, "",
          "send 'authorization: Bearer <token>' instead of principal metadata");
ABSL_FLAG(std::string, subject, "bench-load-region", "x-inburgering-subject of the calls");
ABSL_FLAG(std::string, ids_out, "", "file for 'gemeente id' of each created statushouder");
ABSL_FLAG(int, deadline_ms, 30000, "deadline of each call");

namespace {

using inburgering::v1::IntakeService;
using inburgering::v1::RegisterStatushouderRequest;
using inburgering::v1::Statushouder;

struct Call {
  grpc::ClientContext context;
  RegisterStatushouderRequest request;
  Statushouder response;
};

// Counts and the ids file, shared by the completion callbacks and the reading thread.
class Tally {
 public:
  explicit Tally(std::ostream* ids) : ids_(ids) {}

  void Acquire(int limit) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < limit; });
    ++in_flight_;
  }
  void Done(const Call& call, const grpc::Status& status) {
    std::lock_guard lock(mu_);
    ++by_code_[status.error_code()];
    if (status.ok() && ids_ != nullptr) {
      *ids_ << call.response.gemeente() << ' ' << call.response.id() << '\n';
    } else if (!status.ok() && !first_message_.count(status.error_code())) {
      first_message_[status.error_code()] = status.error_message();
    }
    --in_flight_;
    cv_.notify_all();
  }
  void WaitAll() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }
  const std::map<int, int64_t>& by_code() const { return by_code_; }
  const std::map<int, std::string>& first_message() const { return first_message_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  std::map<int, int64_t> by_code_;
  std::map<int, std::string> first_message_;
  std::ostream* ids_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace inburgering;
  ParseFlagsWithEnvironment(argc, argv, "load_region: datagen output into intake via its RPCs");
  const std::string target = absl::GetFlag(FLAGS_target);
  auto credentials = ChannelCredentialsFor(target);
  if (!credentials.ok()) {
    std::cerr << "load_region: " << credentials.status() << '\n';
    return 1;
  }
  std::vector<std::unique_ptr<IntakeService::Stub>> stubs;
  for (int c = 0; c < std::max(1, absl::GetFlag(FLAGS_channels)); ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);  // distinct arguments: a connection of its own
    stubs.push_back(IntakeService::NewStub(grpc::CreateCustomChannel(target, *credentials, args)));
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (absl::GetFlag(FLAGS_input) != "-") {
    file.open(absl::GetFlag(FLAGS_input));
    if (!file) {
      std::cerr << "load_region: cannot read " << absl::GetFlag(FLAGS_input) << '\n';
      return 1;
    }
    in = &file;
  }
  std::ofstream ids;
  if (!absl::GetFlag(FLAGS_ids_out).empty()) {
    ids.open(absl::GetFlag(FLAGS_ids_out));
    if (!ids) {
      std::cerr << "load_region: cannot write " << absl::GetFlag(FLAGS_ids_out) << '\n';
      return 1;
    }
  }
  Tally tally(ids.is_open() ? &ids : nullptr);
  const int inflight = std::max(1, absl::GetFlag(FLAGS_inflight));
  const std::string bearer = absl::GetFlag(FLAGS_bearer);
  const std::string subject = absl::GetFlag(FLAGS_subject);
  const auto deadline = std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms));

  const auto start = std::chrono::steady_clock::now();
  std::string line;
  int64_t sent = 0, line_number = 0;
  while (std::getline(*in, line)) {
    ++line_number;
    if (line.empty()) continue;
    auto call = std::make_shared<Call>();
    if (auto s = google::protobuf::util::JsonStringToMessage(line, &call->request); !s.ok()) {
      std::cerr << "load_region: line " << line_number
                << " is not a RegisterStatushouderRequest: " << s.message() << '\n';
      return 1;
    }
    if (bearer.empty()) {
      AttachPrincipal({call->request.statushouder().gemeente(), Role::kConsulent, subject},
                      call->context);
    } else {
      call->context.AddMetadata("authorization", "Bearer " + bearer);
    }
    call->context.set_deadline(std::chrono::system_clock::now() + deadline);
    tally.Acquire(inflight);
    stubs[static_cast<size_t>(sent++) % stubs.size()]->async()->RegisterStatushouder(
        &call->context, &call->request, &call->response,
        [call, &tally](grpc::Status status) { tally.Done(*call, status); });
  }
  tally.WaitAll();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int64_t ok = 0, failed = 0;
  std::string statuses;
  for (const auto& [code, n] : tally.by_code()) {
    (code == grpc::OK || code == grpc::ALREADY_EXISTS ? ok : failed) += n;
    statuses += absl::StrFormat(" %d:%d", code, n);
  }
  std::cerr << absl::StrFormat(
      "load_region: %d sent, %d loaded (OK or ALREADY_EXISTS), %d failed in %.2f s (%.0f/s); "
      "by status code:%s\n",
      sent, ok, failed, seconds, seconds > 0 ? static_cast<double>(sent) / seconds : 0.0, statuses);
  for (const auto& [code, message] : tally.first_message()) {
    std::cerr << absl::StrFormat("  first status %d: %s\n", code, message);
  }
  return failed == 0 ? 0 : 3;
}

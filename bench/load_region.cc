// load_region: loads datagen's rows into a running service through its public RPCs, never by
// writing tables, with many calls in flight. One of three kinds:
//
//   statushouders  JSON lines of RegisterStatushouderRequest -> intake's RegisterStatushouder,
//                  each as its statushouder.gemeente's consulent
//   werkplekken    JSON lines of RegisterWerkplekRequest -> matching's RegisterWerkplek, each as
//                  a wsp of its werkplek.gemeente (matching places it in that gemeente's region)
//   trajectories   lines "gemeente id index" of registered statushouders (--ids_out of this
//                  tool or of intake_import_bench) -> datagen's trajectory of row `index`
//                  through RecordBredeIntake, EstablishPip, RecordLanguageLevel and ChangePhase,
//                  each update naming the version the previous answer returned
//
//   bench/datagen --statushouders 10000 >region.jsonl
//   bench/load_region --target 127.0.0.1:50061 --input region.jsonl --ids_out ids.txt
//   bench/datagen --kind werkplekken --gemeenten 340 --werkplekken 100000 |
//     bench/load_region --kind werkplekken --target 127.0.0.1:50062 --input -
//   bench/load_region --kind trajectories --input ids.txt --gemeenten 3 --fraction 0.25
//
// Principal metadata (a direct-to-service dev stack) or --bearer (through the gateway, one
// gemeente per token). --ids_out gets "gemeente id index" per created record. ALREADY_EXISTS
// counts as loaded (a rerun over the same data); any other status is counted and reported by
// code, and makes the exit code 3.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "bench/datagen/synthetic.h"
#include "common/config.h"
#include "common/principal.h"
#include "common/tls.h"
#include "google/protobuf/util/json_util.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"

ABSL_FLAG(std::string, kind, "statushouders", "statushouders, werkplekken or trajectories");
ABSL_FLAG(std::string, target, "127.0.0.1:50061",
          "intake-service (statushouders, trajectories), matching-service (werkplekken) or the "
          "gateway");
ABSL_FLAG(std::string, input, "-", "the input lines (- = stdin), see the header");
ABSL_FLAG(int, inflight, 64, "calls in flight (trajectories: statushouders in flight)");
ABSL_FLAG(int, channels, 4, "connections, calls spread round-robin");
ABSL_FLAG(std::string, bearer, "",
          "send 'authorization: Bearer <token>' instead of principal metadata");
ABSL_FLAG(std::string, subject, "bench-load-region", "x-inburgering-subject of the calls");
ABSL_FLAG(std::string, ids_out, "", "file for 'gemeente id index' of each created record");
ABSL_FLAG(int, deadline_ms, 30000, "deadline of each call");
ABSL_FLAG(uint64_t, seed, 1, "trajectories: datagen's --seed of the registered rows");
ABSL_FLAG(int, gemeenten, 3, "trajectories: datagen's --gemeenten of the registered rows");
ABSL_FLAG(double, fraction, 1.0,
          "trajectories: the share of statushouders that get one, picked by a hash of (seed, "
          "index), so the same rows are picked on every run");

namespace {

using namespace inburgering;

// Calls in flight, counts per status code and the ids file, shared by the completion callbacks
// and the reading thread. A unit of work (one call, or one statushouder's chain of updates)
// holds one slot from Acquire to Release.
class Tally {
 public:
  explicit Tally(std::ostream* ids) : ids_(ids) {}

  void Acquire(int limit) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < limit; });
    ++in_flight_;
  }
  void Count(const grpc::Status& status) {
    std::lock_guard lock(mu_);
    ++by_code_[status.error_code()];
    if (!status.ok() && !first_message_.count(status.error_code())) {
      first_message_[status.error_code()] = status.error_message();
    }
  }
  void WriteId(const std::string& gemeente, const std::string& id, int64_t index) {
    if (ids_ == nullptr) return;
    std::lock_guard lock(mu_);
    *ids_ << gemeente << ' ' << id << ' ' << index << '\n';
  }
  void Release() {
    std::lock_guard lock(mu_);
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

// What every call needs besides its request: the channel to use, the principal and the deadline
// (Address puts the last two on a call).
struct Caller {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::string bearer;
  std::string subject;
  std::chrono::milliseconds deadline;

  void Address(grpc::ClientContext& context, const std::string& gemeente, Role role) const {
    if (bearer.empty()) {
      AttachPrincipal({gemeente, role, subject}, context);
    } else {
      context.AddMetadata("authorization", "Bearer " + bearer);
    }
    context.set_deadline(std::chrono::system_clock::now() + deadline);
  }
};

template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

// One JSON line -> one create call. `send` starts the call on `stub` and runs `done` after it.
template <typename Stub, typename Request, typename Response>
int LoadLines(std::istream& in, Caller& caller, Tally& tally, int inflight, Role role,
              const std::function<std::string(const Request&)>& gemeente_of,
              void (Stub::async_interface::*send)(grpc::ClientContext*, const Request*, Response*,
                                                  std::function<void(grpc::Status)>),
              int64_t& sent) {
  std::vector<std::unique_ptr<Stub>> stubs;
  for (size_t c = 0; c < caller.channels.size(); ++c) {
    stubs.push_back(std::make_unique<Stub>(caller.channels[c]));
  }
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    auto call = std::make_shared<Call<Request, Response>>();
    if (auto s = google::protobuf::util::JsonStringToMessage(line, &call->request); !s.ok()) {
      std::cerr << "load_region: line " << line_number << " is not a "
                << Request::descriptor()->name() << ": " << s.message() << '\n';
      return 1;
    }
    caller.Address(call->context, gemeente_of(call->request), role);
    tally.Acquire(inflight);
    const int64_t index = sent;
    (stubs[static_cast<size_t>(sent++) % stubs.size()]->async()->*send)(
        &call->context, &call->request, &call->response,
        [call, index, &tally](grpc::Status status) {
          tally.Count(status);
          if (status.ok()) tally.WriteId(call->response.gemeente(), call->response.id(), index);
          tally.Release();
        });
  }
  return 0;
}

// One statushouder's trajectory, sent step by step: each update names the version the previous
// answer returned, and a failed step ends the chain (the later steps depend on it).
class TrajectoryChain : public std::enable_shared_from_this<TrajectoryChain> {
 public:
  TrajectoryChain(std::shared_ptr<v1::IntakeService::Stub> stub, const Caller& caller, Tally& tally,
                  std::string gemeente, std::string id, bench::SyntheticData::Trajectory trajectory)
      : stub_(std::move(stub)),
        caller_(caller),
        tally_(tally),
        gemeente_(std::move(gemeente)),
        id_(std::move(id)),
        t_(std::move(trajectory)) {}

  // The statushouder was just created (import or registration): version 1.
  void Start() { Next(1); }
  int64_t calls() const {
    return t_.brede_intake.has_value() + t_.pip.has_value() + t_.language_level.has_value() +
           t_.phase.has_value();
  }

 private:
  template <typename Request>
  void Send(std::optional<Request>& request, int64_t version,
            void (v1::IntakeService::Stub::async_interface::*rpc)(
                grpc::ClientContext*, const Request*, v1::Statushouder*,
                std::function<void(grpc::Status)>)) {
    request->set_id(id_);
    request->set_version(version);
    context_ = std::make_unique<grpc::ClientContext>();
    caller_.Address(*context_, gemeente_, Role::kConsulent);
    auto self = shared_from_this();
    // The step's request stays in t_ until its call is done (gRPC reads it until then).
    (stub_->async()->*rpc)(context_.get(), &*request, &response_,
                           [self, &request](grpc::Status status) {
                             request.reset();
                             self->tally_.Count(status);
                             if (status.ok()) {
                               self->Next(self->response_.version());
                             } else {
                               self->tally_.Release();
                             }
                           });
  }

  void Next(int64_t version) {
    using Async = v1::IntakeService::Stub::async_interface;
    if (t_.brede_intake) {
      Send(t_.brede_intake, version, &Async::RecordBredeIntake);
    } else if (t_.pip) {
      Send(t_.pip, version, &Async::EstablishPip);
    } else if (t_.language_level) {
      Send(t_.language_level, version, &Async::RecordLanguageLevel);
    } else if (t_.phase) {
      Send(t_.phase, version, &Async::ChangePhase);
    } else {
      tally_.Release();
    }
  }

  std::shared_ptr<v1::IntakeService::Stub> stub_;
  const Caller& caller_;
  Tally& tally_;
  std::string gemeente_, id_;
  bench::SyntheticData::Trajectory t_;
  std::unique_ptr<grpc::ClientContext> context_;
  v1::Statushouder response_;
};

int LoadTrajectories(std::istream& in, Caller& caller, Tally& tally, int inflight, int64_t& sent) {
  bench::DatagenOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.gemeenten = absl::GetFlag(FLAGS_gemeenten);
  const bench::SyntheticData data(options);
  const double fraction = absl::GetFlag(FLAGS_fraction);
  std::vector<std::shared_ptr<v1::IntakeService::Stub>> stubs;
  for (const auto& channel : caller.channels) stubs.push_back(v1::IntakeService::NewStub(channel));
  std::string line;
  int64_t line_number = 0, persons = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::istringstream fields(line);
    std::string gemeente, id;
    int64_t index = -1;
    if (!(fields >> gemeente >> id >> index) || index < 0) {
      std::cerr << "load_region: line " << line_number << " is not 'gemeente id index'\n";
      return 1;
    }
    if (!data.HasTrajectory(index, fraction)) continue;
    const v1::RegisterStatushouderRequest row = data.Statushouder(index);
    if (row.statushouder().gemeente() != gemeente) {
      std::cerr << "load_region: line " << line_number << ": row " << index
                << " is not of that gemeente (other --seed or --gemeenten than the load?)\n";
      return 1;
    }
    auto chain = std::make_shared<TrajectoryChain>(
        stubs[static_cast<size_t>(persons++) % stubs.size()], caller, tally, gemeente, id,
        data.TrajectoryOf(row, index));
    sent += chain->calls();
    tally.Acquire(inflight);
    chain->Start();
  }
  std::cerr << absl::StrFormat("load_region: trajectories for %d of %d statushouders\n", persons,
                               line_number);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ParseFlagsWithEnvironment(argc, argv, "load_region: datagen output into the services' RPCs");
  const std::string kind = absl::GetFlag(FLAGS_kind);
  if (kind != "statushouders" && kind != "werkplekken" && kind != "trajectories") {
    std::cerr << "load_region: --kind must be statushouders, werkplekken or trajectories\n";
    return 2;
  }
  const std::string target = absl::GetFlag(FLAGS_target);
  auto credentials = ChannelCredentialsFor(target);
  if (!credentials.ok()) {
    std::cerr << "load_region: " << credentials.status() << '\n';
    return 1;
  }
  Caller caller{{},
                absl::GetFlag(FLAGS_bearer),
                absl::GetFlag(FLAGS_subject),
                std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms))};
  for (int c = 0; c < std::max(1, absl::GetFlag(FLAGS_channels)); ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);  // distinct arguments: a connection of its own
    caller.channels.push_back(grpc::CreateCustomChannel(target, *credentials, args));
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

  const auto start = std::chrono::steady_clock::now();
  int64_t sent = 0;
  int rc = 0;
  if (kind == "statushouders") {
    rc = LoadLines<v1::IntakeService::Stub, v1::RegisterStatushouderRequest, v1::Statushouder>(
        *in, caller, tally, inflight, Role::kConsulent,
        [](const v1::RegisterStatushouderRequest& r) { return r.statushouder().gemeente(); },
        &v1::IntakeService::Stub::async_interface::RegisterStatushouder, sent);
  } else if (kind == "werkplekken") {
    rc = LoadLines<v1::MatchingService::Stub, v1::RegisterWerkplekRequest, v1::Werkplek>(
        *in, caller, tally, inflight, Role::kWsp,
        [](const v1::RegisterWerkplekRequest& r) { return r.werkplek().gemeente(); },
        &v1::MatchingService::Stub::async_interface::RegisterWerkplek, sent);
  } else {
    rc = LoadTrajectories(*in, caller, tally, inflight, sent);
  }
  tally.WaitAll();
  if (rc != 0) return rc;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int64_t ok = 0, failed = 0, answered = 0;
  std::string statuses;
  for (const auto& [code, n] : tally.by_code()) {
    (code == grpc::OK || code == grpc::ALREADY_EXISTS ? ok : failed) += n;
    answered += n;
    statuses += absl::StrFormat(" %d:%d", code, n);
  }
  // A trajectory's later steps are not sent after a failed one: count them as not sent.
  std::cerr << absl::StrFormat(
      "load_region: %s: %d calls planned, %d answered, %d loaded (OK or ALREADY_EXISTS), %d "
      "failed in %.2f s (%.0f calls/s); by status code:%s\n",
      kind, sent, answered, ok, failed, seconds,
      seconds > 0 ? static_cast<double>(answered) / seconds : 0.0, statuses);
  for (const auto& [code, message] : tally.first_message()) {
    std::cerr << absl::StrFormat("  first status %d: %s\n", code, message);
  }
  return failed == 0 && answered == sent ? 0 : 3;
}

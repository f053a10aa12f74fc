// loadgen: a gRPC load generator for any unary method of the suite (or of the echo baseline).
// The method is looked up in the descriptors linked into this binary, the request is given as
// JSON or text format, and the calls go out through grpc::GenericStub as raw bytes, so adding a
// service to proto/ is all it takes to load it. See load_run.h for closed vs open loop and
// bench/RESULTS.md for how the figures are used.
//
// Exit code: 0 when every measured call returned OK; 3 when any failed or none were made (the
// report is printed either way); 1 when the run could not start; 2 for bad flags.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/h2_load_run.h"
#include "bench/load_run.h"
#include "bench/loadgen_stats.h"
#include "bench/request_template.h"
#include "common/config.h"
#include "common/tls.h"
#include "google/protobuf/descriptor.h"

ABSL_FLAG(std::string, target, "", "server address, host:port (TLS as the --tls_* flags say)");
ABSL_FLAG(std::string, method, "",
          "unary method, e.g. /inburgering.v1.IntakeService/GetStatushouder");
ABSL_FLAG(std::string, request_json, "", "the request as JSON (default: {}, the empty message)");
ABSL_FLAG(std::string, request_text, "", "the request in protobuf text format");
ABSL_FLAG(std::string, request_file, "", "file holding the request: JSON if *.json, else text");
ABSL_FLAG(std::string, ids_file, "", "ids for {{id}} in the request, one per line, used in turn");
ABSL_FLAG(uint64_t, first_index, 0, "the {{i}} of the first call (continue a previous run)");
ABSL_FLAG(std::string, metadata, "",
          "key=value sent with every call, e.g. x-inburgering-gemeente=GM0603; repeat the flag "
          "for more keys");
ABSL_FLAG(int, channels, 8, "gRPC channels, each with its own connection");
ABSL_FLAG(int, inflight, 16, "concurrent calls per channel");
ABSL_FLAG(uint64_t, requests, 0, "measured calls to make; 0 = run for --duration");
ABSL_FLAG(double, duration, 10, "seconds to measure when --requests is 0");
ABSL_FLAG(double, warmup, 2, "seconds of calls before measuring (not counted)");
ABSL_FLAG(double, rate, 0, "open loop: target calls/s over all channels; 0 = closed loop");
ABSL_FLAG(int, deadline_ms, 5000, "deadline of every call");
ABSL_FLAG(int, connect_timeout_ms, 10000, "how long to wait for every channel to connect");
ABSL_FLAG(std::string, client, "grpc",
          "grpc: grpc++ (callback API, the suite's own client); h2: raw HTTP/2 on one thread "
          "(libnghttp2), as cheap per call as h2load, for plaintext loopback targets in closed "
          "loop (bench/h2_load_run.h says why)");
ABSL_FLAG(bool, json, false, "print one JSON line on stdout (the human report goes to stderr)");
ABSL_DECLARE_FLAG(std::string, tls_ca_file);
ABSL_FLAG(std::string, dump_request, "",
          "write the first request as a gRPC message frame to this file and exit (an h2load -d "
          "body)");

namespace inburgering::bench {
namespace {

[[noreturn]] void Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "loadgen: %.*s\n", static_cast<int>(message.size()), message.data());
  std::exit(code);
}

// Abseil keeps only the last value of a repeated flag, but --metadata is meant to be repeated:
// its occurrences are taken out of argv before Abseil parses the rest.
std::vector<std::string> TakeRepeatedFlag(absl::string_view name, int& argc, char** argv) {
  std::vector<std::string> values;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {  // everything after belongs to no flag
      while (i < argc) argv[kept++] = argv[i++];
      break;
    }
    absl::string_view rest = arg;
    if (!absl::ConsumePrefix(&rest, "--")) absl::ConsumePrefix(&rest, "-");
    if (rest.size() < arg.size() && absl::ConsumePrefix(&rest, name)) {
      if (absl::ConsumePrefix(&rest, "=")) {
        values.emplace_back(rest);
        continue;
      }
      if (rest.empty() && i + 1 < argc) {
        values.emplace_back(argv[++i]);
        continue;
      }
    }
    argv[kept++] = argv[i];
  }
  argc = kept;
  return values;
}

std::vector<std::pair<std::string, std::string>> ParseMetadata(
    const std::vector<std::string>& entries) {
  std::vector<std::pair<std::string, std::string>> metadata;
  for (const std::string& entry : entries) {
    std::pair<std::string, std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    // gRPC rejects such keys only when a call starts, as a failure of every call.
    const bool valid_key = !kv.first.empty() && absl::c_all_of(kv.first, [](char c) {
      return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.';
    });
    if (!valid_key || !absl::StrContains(entry, '=')) {
      Fail(2, absl::StrCat("--metadata wants key=value with a lower-case key, got '", entry, "'"));
    }
    metadata.push_back(std::move(kv));
  }
  return metadata;
}

// Accepts "/pkg.Service/Method", "pkg.Service/Method" and "pkg.Service.Method"; exits with a
// usage error unless it names a unary method linked into this binary.
const google::protobuf::MethodDescriptor* FindUnaryMethod(absl::string_view name) {
  absl::ConsumePrefix(&name, "/");
  size_t split = name.rfind('/');
  if (split == absl::string_view::npos) split = name.rfind('.');
  if (split == absl::string_view::npos) Fail(2, "--method wants /package.Service/Method");
  const std::string service_name(name.substr(0, split));
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
  if (service == nullptr) {
    Fail(2, absl::StrCat("service ", service_name,
                         " is not linked into loadgen (bench/CMakeLists.txt links its protos)"));
  }
  const auto* method = service->FindMethodByName(std::string(name.substr(split + 1)));
  if (method == nullptr)
    Fail(2, absl::StrCat(service_name, " has no method ", name.substr(split + 1)));
  if (method->client_streaming() || method->server_streaming()) {
    Fail(2, absl::StrCat(method->full_name(), " is a streaming method; loadgen calls unary ones"));
  }
  return method;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(1, absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> ReadIds(const std::string& path) {
  std::vector<std::string> ids;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line[0] != '#') ids.emplace_back(line);
  }
  if (ids.empty()) Fail(1, absl::StrCat(path, " holds no ids"));
  return ids;
}

RequestTemplate MakeRequestTemplate(const google::protobuf::Descriptor* type) {
  const std::string json = absl::GetFlag(FLAGS_request_json);
  const std::string text = absl::GetFlag(FLAGS_request_text);
  const std::string file = absl::GetFlag(FLAGS_request_file);
  const int given = int{!json.empty()} + int{!text.empty()} + int{!file.empty()};
  if (given > 1) {
    Fail(2, "give at most one of --request_json, --request_text, --request_file");
  }
  std::string request = "{}";
  auto format = RequestTemplate::Format::kJson;
  if (!text.empty()) {
    request = text;
    format = RequestTemplate::Format::kTextFormat;
  } else if (!file.empty()) {
    request = ReadFile(file);
    if (!absl::EndsWith(file, ".json")) format = RequestTemplate::Format::kTextFormat;
  } else if (!json.empty()) {
    request = json;
  }
  std::vector<std::string> ids;
  if (const std::string ids_file = absl::GetFlag(FLAGS_ids_file); !ids_file.empty()) {
    ids = ReadIds(ids_file);
  }
  absl::BitGen random;
  const std::string run_id = absl::StrFormat("%08x", absl::Uniform<uint32_t>(random));
  auto result = RequestTemplate::Create(type, request, format, std::move(ids), run_id);
  if (!result.ok()) Fail(2, result.status().message());
  return *std::move(result);
}

// The body h2load needs for one gRPC call: a 5-byte prefix (0 = uncompressed, then the length as
// a 32-bit big-endian integer) and the serialized message.
void DumpRequest(const RequestTemplate& requests, const std::string& path) {
  absl::StatusOr<std::string> message = requests.Serialize(absl::GetFlag(FLAGS_first_index));
  if (!message.ok()) Fail(1, message.status().message());
  const auto size = static_cast<uint32_t>(message->size());
  std::string frame = {0, static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                       static_cast<char>(size >> 8), static_cast<char>(size)};
  frame += *message;
  std::ofstream out(path, std::ios::binary);
  out << frame;
  if (!out.flush()) Fail(1, absl::StrCat("cannot write ", path));
}

std::chrono::nanoseconds Seconds(double seconds) {
  return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
}

int Main(int argc, char** argv) {
  std::vector<std::string> metadata_flags = TakeRepeatedFlag("metadata", argc, argv);
  ParseFlagsWithEnvironment(argc, argv, "loadgen: load any unary gRPC method of the suite");
  // The environment (INBURGERING_METADATA) can set one more entry.
  if (std::string env = absl::GetFlag(FLAGS_metadata); !env.empty()) metadata_flags.push_back(env);

  const std::string method_flag = absl::GetFlag(FLAGS_method);
  if (method_flag.empty()) Fail(2, "--method is required");
  const google::protobuf::MethodDescriptor* method = FindUnaryMethod(method_flag);
  const RequestTemplate requests = MakeRequestTemplate(method->input_type());
  if (const std::string path = absl::GetFlag(FLAGS_dump_request); !path.empty()) {
    DumpRequest(requests, path);
    return 0;
  }

  LoadOptions options;
  options.method = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  options.inflight = absl::GetFlag(FLAGS_inflight);
  options.requests = absl::GetFlag(FLAGS_requests);
  options.duration = Seconds(absl::GetFlag(FLAGS_duration));
  options.warmup = Seconds(absl::GetFlag(FLAGS_warmup));
  options.rate = absl::GetFlag(FLAGS_rate);
  options.deadline = std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms));
  options.first_index = absl::GetFlag(FLAGS_first_index);
  options.metadata = ParseMetadata(metadata_flags);
  const int channel_count = absl::GetFlag(FLAGS_channels);
  if (channel_count < 1 || options.inflight < 1) Fail(2, "--channels and --inflight must be >= 1");
  if (options.requests == 0 && options.duration <= std::chrono::nanoseconds::zero()) {
    Fail(2, "give --requests or a positive --duration");
  }
  if (options.rate < 0 || options.warmup < std::chrono::nanoseconds::zero()) {
    Fail(2, "--rate and --warmup must not be negative");
  }

  const std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) Fail(2, "--target is required");
  const std::string client = absl::GetFlag(FLAGS_client);
  if (client != "grpc" && client != "h2") Fail(2, "--client is grpc or h2");
  const auto connect_timeout = std::chrono::milliseconds(absl::GetFlag(FLAGS_connect_timeout_ms));
  RunReport report;
  double cpu_before = ProcessCpuSeconds();
  auto wall_before = std::chrono::steady_clock::now();
  if (client == "h2") {
    if (!IsLoopbackAddress(target) || !absl::GetFlag(FLAGS_tls_ca_file).empty()) {
      Fail(2, "--client h2 speaks plaintext HTTP/2 to loopback targets only");
    }
    if (options.rate > 0) Fail(2, "--client h2 runs closed loop only (no --rate)");
    H2LoadRun run(options, requests, target, channel_count);
    auto result = run.Run(std::chrono::steady_clock::now() + connect_timeout);
    if (!result.ok()) Fail(1, result.status().message());
    report = *std::move(result);
  } else {
    auto credentials = ChannelCredentialsFor(target);
    if (!credentials.ok()) Fail(1, credentials.status().message());
    auto channels = ConnectChannels(target, *credentials, channel_count,
                                    std::chrono::system_clock::now() + connect_timeout);
    if (!channels.ok()) Fail(1, channels.status().message());
    // Connection set-up is not what a run measures.
    cpu_before = ProcessCpuSeconds();
    wall_before = std::chrono::steady_clock::now();
    report = LoadRun(options, requests, *channels).Run();
  }
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - wall_before;
  report.target = target;
  report.client_cpu_cores = (ProcessCpuSeconds() - cpu_before) / wall.count();

  if (absl::GetFlag(FLAGS_json)) {
    std::cerr << FormatHuman(report);
    std::cout << FormatJson(report) << std::endl;
  } else {
    std::cout << FormatHuman(report) << std::flush;
  }
  if (requests.per_call() && report.client_cpu_cores > 0.5) {
    std::cerr << "note: {{i}} makes loadgen parse every request; its CPU use competes with the "
                 "server on a small machine\n";
  }
  return report.statuses.ok() > 0 && report.statuses.failed() == 0 ? 0 : 3;
}

}  // namespace
}  // namespace inburgering::bench

int main(int argc, char** argv) { return inburgering::bench::Main(argc, argv); }

#include "common/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/json_util.h"

namespace inburgering {

std::string EnvironmentVariableFor(absl::string_view flag_name) {
  return absl::StrCat("INBURGERING_", absl::AsciiStrToUpper(flag_name));
}

void ParseFlagsWithEnvironment(int argc, char** argv, absl::string_view usage) {
  // Debian's Abseil checks lock order on every Mutex lock and destruction, through one global
  // graph; a debugging aid the tests keep and servers (a Mutex per proxied call) cannot afford.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(usage);
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const char* value = std::getenv(EnvironmentVariableFor(name).c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "invalid value in %s: %s\n", EnvironmentVariableFor(name).c_str(),
                   error.c_str());
      std::exit(2);
    }
  }
  absl::ParseCommandLine(argc, argv);
}

absl::Status ParseJsonConfig(absl::string_view json, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", status.message().as_string()));
  }
  return absl::OkStatus();
}

absl::Status LoadJsonConfig(const std::string& path, google::protobuf::Message* message) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("config file not readable: ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::Status status = ParseJsonConfig(buffer.str(), message);
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.message()));
  return absl::OkStatus();
}

}  // namespace inburgering

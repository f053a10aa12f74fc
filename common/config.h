// Configuration: Abseil flags, each settable from the environment, plus one JSON file per service
// parsed into its config proto (proto/inburgering/config/v1/config.proto).
//
// Precedence: command line > environment > flag default. A flag `--mysql_host` reads the variable
// INBURGERING_MYSQL_HOST.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace inburgering {

// Parses argv with Abseil flags after applying INBURGERING_* environment variables. Exits with one
// clear line on a bad value.
void ParseFlagsWithEnvironment(int argc, char** argv, absl::string_view usage);

// The environment variable that sets a flag: "mysql_host" -> "INBURGERING_MYSQL_HOST".
std::string EnvironmentVariableFor(absl::string_view flag_name);

// Reads a JSON file into `message` (unknown fields are an error: a typo must not pass silently).
absl::Status LoadJsonConfig(const std::string& path, google::protobuf::Message* message);
absl::Status ParseJsonConfig(absl::string_view json, google::protobuf::Message* message);

}  // namespace inburgering

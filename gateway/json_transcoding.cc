#include "gateway/json_transcoding.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace inburgering::gateway {
namespace {

// The first line of a protobuf JSON parse error: later lines can quote the input, which may hold
// personal data.
std::string FirstLine(absl::string_view message) {
  return std::string(message.substr(0, message.find('\n')));
}

}  // namespace

absl::Status RequestFromJson(absl::string_view body, google::protobuf::Message& request) {
  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = false;
  if (auto s = google::protobuf::util::JsonStringToMessage(
          body.empty() ? std::string("{}") : std::string(body), &request, parse_options);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body: not valid JSON for ", request.GetDescriptor()->full_name(), ": ",
                     FirstLine(absl::string_view(s.message().data(), s.message().size()))));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResponseToJson(const google::protobuf::Message& response) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print_options;
  if (!google::protobuf::util::MessageToJsonString(response, &json, print_options).ok()) {
    return absl::InternalError("cannot render the response");
  }
  return json;
}

}  // namespace inburgering::gateway

#include "gateway/json_transcoding.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace inburgering::gateway {
namespace {

// The field path a protobuf JSON error starts with ("(statushouder.bsn): invalid value 123456782
// for type TYPE_STRING"), when every segment is a field of `type`: then it is schema, not data.
// "" otherwise: the path of an unknown key is the client's text.
std::string KnownFieldPath(const google::protobuf::Descriptor* type, absl::string_view message) {
  if (!absl::ConsumePrefix(&message, "(")) return "";
  const size_t end = message.find("):");
  if (end == absl::string_view::npos) return "";
  const absl::string_view path = message.substr(0, end);
  for (absl::string_view segment : absl::StrSplit(path, '.')) {
    // "rows" or "rows[0]", nothing else: an unknown key may itself hold "[", ")" or ":" (the
    // fuzzer's "stat\1...)" key made "rows[0]) stat\1..." look like the field rows).
    const size_t bracket = segment.find('[');
    if (bracket != absl::string_view::npos) {
      const absl::string_view index = segment.substr(bracket + 1);
      if (index.size() < 2 || index.back() != ']' ||
          !std::all_of(index.begin(), index.end() - 1, absl::ascii_isdigit)) {
        return "";
      }
      segment = segment.substr(0, bracket);
    }
    const google::protobuf::FieldDescriptor* field =
        type == nullptr ? nullptr : type->FindFieldByName(std::string(segment));
    if (field == nullptr && type != nullptr) {
      field = type->FindFieldByCamelcaseName(std::string(segment));
    }
    if (field == nullptr) return "";
    type = field->message_type();
  }
  return std::string(path);
}

// What is wrong, in words of our own: protobuf's messages quote the input (a BSN sent as a number
// comes back in "invalid value 123456782"), and the input holds personal data.
absl::string_view Reason(absl::string_view message) {
  if (absl::StrContains(message, "Cannot find field")) return "unknown field";
  if (absl::StrContains(message, "invalid value") || absl::StrContains(message, "Invalid value")) {
    return "a value of the wrong type or format";
  }
  return "malformed JSON or a value of the wrong type";
}

}  // namespace

absl::Status RequestFromJson(absl::string_view body, google::protobuf::Message& request) {
  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = false;
  if (auto s = google::protobuf::util::JsonStringToMessage(
          body.empty() ? std::string("{}") : std::string(body), &request, parse_options);
      !s.ok()) {
    const absl::string_view message(s.message().data(), s.message().size());
    const std::string path = KnownFieldPath(request.GetDescriptor(), message);
    return absl::InvalidArgumentError(
        absl::StrCat("body: not valid JSON for ", request.GetDescriptor()->full_name(), ": ",
                     path.empty() ? "" : path + ": ", Reason(message)));
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

#include "fuzz/fuzz_checks.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"

namespace inburgering::fuzz {

std::vector<std::string> DigitRuns(absl::string_view text) {
  std::vector<std::string> runs;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) continue;
    if (i - start >= 9) runs.emplace_back(text.substr(start, i - start));
    start = i + 1;
  }
  return runs;
}

std::vector<std::string> StringValues(const google::protobuf::Message& message) {
  std::vector<std::string> values;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    const bool repeated = field->is_repeated();
    const int n = repeated ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < n; ++i) {
      if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
        values.push_back(repeated ? reflection->GetRepeatedString(message, field, i)
                                  : reflection->GetString(message, field));
      } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        const google::protobuf::Message& sub =
            repeated ? reflection->GetRepeatedMessage(message, field, i)
                     : reflection->GetMessage(message, field);
        for (std::string& v : StringValues(sub)) values.push_back(std::move(v));
      }
    }
  }
  return values;
}

void RequireCleanError(const absl::Status& status, absl::StatusCode code,
                       const std::vector<std::string>& inputs) {
  Require(status.code() == code, "unexpected status code:", status.ToString());
  const absl::string_view message = status.message();
  for (char c : message) {
    Require(c >= 0x20 && c < 0x7f, "error message has a byte that is not printable ASCII");
  }
  for (const std::string& input : inputs) {
    for (const std::string& run : DigitRuns(input)) {
      Require(!absl::StrContains(message, run),
              "error message repeats a BSN-like digit run:", message);
    }
  }
}

void RequireSame(const google::protobuf::Message& a, const google::protobuf::Message& b,
                 absl::string_view what) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  // proto3: a scalar set to its default is the same as unset (JSON's -0 reads back as 0).
  differencer.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  if (!differencer.Compare(a, b)) Fail(what, differences);
}

void RequireWireRoundTrip(const google::protobuf::Message& message) {
  std::string wire;
  Require(message.SerializeToString(&wire), "a parsed message does not serialise");
  std::unique_ptr<google::protobuf::Message> again(message.New());
  Require(again->ParseFromString(wire), "a serialised message does not parse");
  RequireSame(message, *again, "the wire round trip changed the message:");
}

bool ParseMessage(absl::string_view data, google::protobuf::Message& message) {
  return message.ParseFromArray(data.data(), static_cast<int>(data.size()));
}

int FuzzRequestValidation(const std::vector<RequestSurface>& surfaces, const uint8_t* data,
                          size_t size) {
  if (size < 1) return 0;
  const RequestSurface& surface = surfaces[data[0] % surfaces.size()];
  std::unique_ptr<google::protobuf::Message> request(surface.prototype->New());
  if (!ParseMessage(absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1),
                    *request)) {
    return 0;
  }
  const absl::Status status = surface.validate(*request);
  Require(surface.validate(*request) == status, "validation is not deterministic");
  if (!status.ok()) {
    RequireCleanError(status, absl::StatusCode::kInvalidArgument, StringValues(*request));
    return 0;
  }
  RequireWireRoundTrip(*request);
  return 0;
}

}  // namespace inburgering::fuzz

// Called by libFuzzer once before the first input. Parsing refuses invalid UTF-8 in a string
// field, as it should, but also logs it on every input: silence the log, or most of a run goes
// into writing it.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

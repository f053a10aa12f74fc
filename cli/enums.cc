#include "cli/enums.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace inburgering::cli {
namespace {

// "STATUSHOUDER_TYPE_" for StatushouderType: the name of value 0 without "UNSPECIFIED".
std::string Prefix(const google::protobuf::EnumDescriptor* type) {
  const google::protobuf::EnumValueDescriptor* zero = type->FindValueByNumber(0);
  if (zero == nullptr || !absl::EndsWith(zero->name(), "UNSPECIFIED")) return "";
  return zero->name().substr(0, zero->name().size() - std::string("UNSPECIFIED").size());
}

std::string Normalise(absl::string_view text) {
  std::string s =
      absl::StrReplaceAll(absl::StripAsciiWhitespace(text),
                          {{"-", "_"}, {" ", "_"}, {"\xC3\xAB", "e"}, {"\xC3\x8B", "E"}});
  return absl::AsciiStrToUpper(s);
}

}  // namespace

absl::StatusOr<int> ParseEnumValue(const google::protobuf::EnumDescriptor* type,
                                   absl::string_view text) {
  const std::string prefix = Prefix(type);
  const std::string wanted = Normalise(text);
  for (int i = 0; i < type->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = type->value(i);
    if (value->number() == 0) continue;
    if (wanted == value->name() || prefix + wanted == value->name()) return value->number();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown value \"", text, "\"; expected one of ", EnumChoices(type)));
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int value) {
  if (value == 0) return "";
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByNumber(value);
  if (v == nullptr) return "";
  const std::string prefix = Prefix(type);
  return absl::AsciiStrToLower(absl::StartsWith(v->name(), prefix) ? v->name().substr(prefix.size())
                                                                   : v->name());
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  std::string out;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() == 0) continue;
    if (!out.empty()) out += "|";
    out += EnumLabel(type, type->value(i)->number());
  }
  return out;
}

}  // namespace inburgering::cli

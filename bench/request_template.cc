#include "bench/request_template.h"

#include <grpcpp/support/slice.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace inburgering::bench {
namespace {

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Collects text-format parse errors instead of letting protobuf print them to stderr.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (errors_.empty()) errors_ = absl::StrCat("line ", line + 1, ":", column + 1, ": ", message);
  }
  const std::string& errors() const { return errors_; }

 private:
  std::string errors_;
};

}  // namespace

absl::StatusOr<RequestTemplate> RequestTemplate::Create(const google::protobuf::Descriptor* type,
                                                        absl::string_view text, Format format,
                                                        std::vector<std::string> ids,
                                                        absl::string_view run_id) {
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  if (prototype == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no generated message for ", type->full_name()));
  }

  std::vector<Piece> pieces;
  bool uses_index = false;
  bool uses_id = false;
  std::string literal;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == absl::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("request: '{{' without a closing '}}'");
    }
    absl::StrAppend(&literal, text.substr(pos, open - pos));
    const absl::string_view name =
        absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2));
    if (name == "run") {
      absl::StrAppend(&literal, run_id);  // constant for the run: stays part of the literal
    } else if (name == "i" || name == "id") {
      pieces.push_back({PieceKind::kLiteral, std::move(literal)});
      literal.clear();
      pieces.push_back({name == "i" ? PieceKind::kIndex : PieceKind::kId, {}});
      (name == "i" ? uses_index : uses_id) = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("request: unknown placeholder {{", name, "}}; known: {{i}} {{id}} {{run}}"));
    }
    pos = close + 2;
  }
  absl::StrAppend(&literal, text.substr(pos));
  pieces.push_back({PieceKind::kLiteral, std::move(literal)});

  if (uses_id && ids.empty()) {
    return absl::InvalidArgumentError("request uses {{id}} but no ids were given (--ids_file)");
  }
  if (!uses_id && !ids.empty()) {
    return absl::InvalidArgumentError("ids were given (--ids_file) but the request has no {{id}}");
  }

  RequestTemplate result(prototype, format, std::move(pieces), std::move(ids));
  if (uses_index) {
    // Index 0 stands for all: {{i}} only ever becomes a run of digits.
    if (auto first = result.Serialize(0); !first.ok()) return first.status();
    return result;
  }
  const size_t distinct = uses_id ? result.ids_.size() : 1;
  std::vector<grpc::ByteBuffer> cache;
  cache.reserve(distinct);
  for (size_t i = 0; i < distinct; ++i) {
    absl::StatusOr<std::string> bytes = result.Serialize(i);
    if (!bytes.ok()) {
      return uses_id ? absl::InvalidArgumentError(absl::StrCat("with id '", result.ids_[i],
                                                               "': ", bytes.status().message()))
                     : bytes.status();
    }
    cache.push_back(ToByteBuffer(*bytes));
  }
  result.cache_ = std::move(cache);
  return result;
}

std::string RequestTemplate::Substitute(uint64_t index) const {
  std::string text;
  for (const Piece& piece : pieces_) {
    switch (piece.kind) {
      case PieceKind::kLiteral:
        text += piece.text;
        break;
      case PieceKind::kIndex:
        absl::StrAppend(&text, index);
        break;
      case PieceKind::kId:
        text += ids_[index % ids_.size()];
        break;
    }
  }
  return text;
}

absl::StatusOr<std::string> RequestTemplate::Parse(const std::string& text) const {
  std::unique_ptr<google::protobuf::Message> message(prototype_->New());
  const std::string type = prototype_->GetDescriptor()->full_name();
  if (format_ == Format::kJson) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(text, message.get(), options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("request is not a JSON ", type, ": ", status.message().as_string()));
    }
  } else {
    ErrorCollector errors;
    google::protobuf::TextFormat::Parser parser;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(text, message.get())) {
      return absl::InvalidArgumentError(
          absl::StrCat("request is not a text-format ", type, ": ", errors.errors()));
    }
  }
  return message->SerializeAsString();
}

absl::StatusOr<std::string> RequestTemplate::Serialize(uint64_t index) const {
  return Parse(Substitute(index));
}

absl::Status RequestTemplate::Fill(uint64_t index, grpc::ByteBuffer* out) const {
  if (!cache_.empty()) {
    *out = cache_[index % cache_.size()];
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> bytes = Serialize(index);
  if (!bytes.ok()) return bytes.status();
  *out = ToByteBuffer(*bytes);
  return absl::OkStatus();
}

}  // namespace inburgering::bench

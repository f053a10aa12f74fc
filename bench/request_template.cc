#include "bench/request_template.h"

#include <grpcpp/support/slice.h>

#include <functional>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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
    if (auto first = result.SerializeByParsing(0); !first.ok()) return first.status();
    result.PrepareSlots();
    return result;
  }
  const size_t distinct = uses_id ? result.ids_.size() : 1;
  std::vector<grpc::Slice> cache;
  cache.reserve(distinct);
  for (size_t i = 0; i < distinct; ++i) {
    absl::StatusOr<std::string> bytes = result.SerializeByParsing(i);
    if (!bytes.ok()) {
      return uses_id ? absl::InvalidArgumentError(absl::StrCat("with id '", result.ids_[i],
                                                               "': ", bytes.status().message()))
                     : bytes.status();
    }
    cache.emplace_back(*bytes);
  }
  result.cache_ = std::move(cache);
  return result;
}

std::string RequestTemplate::Substitute(const std::vector<Piece>& pieces, uint64_t index) const {
  std::string text;
  for (const Piece& piece : pieces) {
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

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> RequestTemplate::ParseMessage(
    const std::string& text) const {
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
  return message;
}

void RequestTemplate::PrepareSlots() {
  // Each placeholder becomes a marker byte no literal holds, and the marked text is parsed once:
  // a string field holding markers shows which pieces make up its value. If a marker lands
  // anywhere else, or the result differs from parsing in any byte, calls keep parsing.
  const std::string index_marker = "\036I\036", id_marker = "\036D\036";
  std::string marked;
  for (const Piece& piece : pieces_) {
    if (piece.kind == PieceKind::kLiteral) {
      if (absl::StrContains(piece.text, "\036")) return;
      marked += piece.text;
    } else {
      // The escape, not the byte: JSON and text format both read \u001e / \036 as the byte.
      marked += format_ == Format::kJson
                    ? (piece.kind == PieceKind::kIndex ? "\\u001eI\\u001e" : "\\u001eD\\u001e")
                    : (piece.kind == PieceKind::kIndex ? "\\036I\\036" : "\\036D\\036");
    }
  }
  // An id that the text would have to escape would read differently when set as it is.
  for (const std::string& id : ids_) {
    for (unsigned char c : id) {
      if (c < 0x20 || c == '"' || c == '\\' || c == '\'') return;
    }
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> parsed = ParseMessage(marked);
  if (!parsed.ok()) return;  // e.g. {{i}} as a number

  std::vector<Slot> slots;
  size_t markers_found = 0;
  // Splits a string holding markers into pieces, in order.
  auto split = [&](const std::string& value) {
    std::vector<Piece> pieces;
    size_t pos = 0;
    while (true) {
      const size_t i = value.find(index_marker, pos), d = value.find(id_marker, pos);
      const size_t next = std::min(i, d);
      if (next == std::string::npos) break;
      pieces.push_back({PieceKind::kLiteral, value.substr(pos, next - pos)});
      pieces.push_back({next == i ? PieceKind::kIndex : PieceKind::kId, {}});
      ++markers_found;
      pos = next + index_marker.size();
    }
    pieces.push_back({PieceKind::kLiteral, value.substr(pos)});
    return pieces;
  };
  std::vector<std::pair<const google::protobuf::FieldDescriptor*, int>> path;
  std::function<void(const google::protobuf::Message&)> walk =
      [&](const google::protobuf::Message& message) {
        const google::protobuf::Reflection* reflection = message.GetReflection();
        std::vector<const google::protobuf::FieldDescriptor*> fields;
        reflection->ListFields(message, &fields);
        for (const google::protobuf::FieldDescriptor* field : fields) {
          using FD = google::protobuf::FieldDescriptor;
          const int n = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
          for (int k = 0; k < n; ++k) {
            const int index = field->is_repeated() ? k : -1;
            if (field->cpp_type() == FD::CPPTYPE_MESSAGE) {
              path.emplace_back(field, index);
              walk(index < 0 ? reflection->GetMessage(message, field)
                             : reflection->GetRepeatedMessage(message, field, k));
              path.pop_back();
            } else if (field->type() == FD::TYPE_STRING) {
              const std::string value = index < 0
                                            ? reflection->GetString(message, field)
                                            : reflection->GetRepeatedString(message, field, k);
              if (absl::StrContains(value, "\036")) {
                slots.push_back({path, field, index, split(value)});
              }
            }
          }
        }
      };
  walk(**parsed);
  const size_t markers_placed = pieces_.size() / 2;  // literal, placeholder, ..., literal
  if (markers_found != markers_placed) return;       // one went into a map key, bytes or the like

  parsed_ = std::shared_ptr<const google::protobuf::Message>(std::move(*parsed));
  slots_ = std::move(slots);
  for (uint64_t check : {0, 1, 12345}) {
    absl::StatusOr<std::string> by_parsing = SerializeByParsing(check);
    if (!by_parsing.ok() || *by_parsing != SerializeFromSlots(check)) {
      parsed_.reset();
      slots_.clear();
      return;
    }
  }
}

std::string RequestTemplate::SerializeFromSlots(uint64_t index) const {
  std::unique_ptr<google::protobuf::Message> message(parsed_->New());
  message->CopyFrom(*parsed_);
  for (const Slot& slot : slots_) {
    google::protobuf::Message* m = message.get();
    for (const auto& [field, k] : slot.path) {
      m = k < 0 ? m->GetReflection()->MutableMessage(m, field)
                : m->GetReflection()->MutableRepeatedMessage(m, field, k);
    }
    std::string value = Substitute(slot.pieces, index);
    if (slot.index < 0) {
      m->GetReflection()->SetString(m, slot.field, std::move(value));
    } else {
      m->GetReflection()->SetRepeatedString(m, slot.field, slot.index, std::move(value));
    }
  }
  return message->SerializeAsString();
}

absl::StatusOr<std::string> RequestTemplate::SerializeByParsing(uint64_t index) const {
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> message =
      ParseMessage(Substitute(pieces_, index));
  if (!message.ok()) return message.status();
  return (*message)->SerializeAsString();
}

absl::StatusOr<std::string> RequestTemplate::Serialize(uint64_t index) const {
  if (!cache_.empty()) {
    const grpc::Slice& bytes = cache_[index % cache_.size()];
    return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  }
  if (parsed_ != nullptr) return SerializeFromSlots(index);
  return SerializeByParsing(index);
}

absl::Status RequestTemplate::Fill(uint64_t index, grpc::ByteBuffer* out) const {
  if (!cache_.empty()) {
    *out = grpc::ByteBuffer(&cache_[index % cache_.size()], 1);  // a reference, not a copy
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> bytes = Serialize(index);
  if (!bytes.ok()) return bytes.status();
  *out = ToByteBuffer(*bytes);
  return absl::OkStatus();
}

}  // namespace inburgering::bench

// Turns one request, written as JSON or protobuf text format for any message type linked into the
// binary, into the serialized bytes of each call of a load run. Placeholders let calls differ:
//
//   {{i}}    the call's index (e.g. unique request_ids: "request_id": "bench-{{run}}-{{i}}")
//   {{id}}   the next of a list of ids, rotating by call index (point reads over a data set)
//   {{run}}  a value fixed for the whole run (so that {{i}} is unique across runs too)
//
// Text is substituted verbatim, before parsing. Without {{i}} every distinct request is parsed
// and serialized once, in Create. With {{i}}, when every placeholder lies inside string fields,
// the request is parsed once and each call only sets those fields on a copy (checked in Create
// to give the bytes that parsing would); otherwise each call is parsed, which costs client CPU
// (loadgen reports its CPU use so this cannot go unnoticed). Thread-safe after Create: all
// methods const.
#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace inburgering::bench {

class RequestTemplate {
 public:
  enum class Format { kJson, kTextFormat };

  // Errors (InvalidArgument): an unknown placeholder; {{id}} without ids or ids without {{id}}
  // (a forgotten placeholder would silently send the same request every time); a request that
  // does not parse as `type` (unknown fields included: a typo must not pass).
  static absl::StatusOr<RequestTemplate> Create(const google::protobuf::Descriptor* type,
                                                absl::string_view text, Format format,
                                                std::vector<std::string> ids,
                                                absl::string_view run_id);

  // The serialized request of call `index`, by the same precomputed or fast paths as Fill. Fails
  // only if the text with {{i}} substituted does not parse, which Create has ruled out for index 0.
  absl::StatusOr<std::string> Serialize(uint64_t index) const;
  // The same bytes as a gRPC payload. A precomputed request is shared by reference, not copied.
  absl::Status Fill(uint64_t index, grpc::ByteBuffer* out) const;

  // True if every call parses its own request ({{i}} is used outside string fields).
  bool per_call() const { return cache_.empty() && parsed_ == nullptr; }

 private:
  enum class PieceKind { kLiteral, kIndex, kId };
  struct Piece {
    PieceKind kind;
    std::string text;  // kLiteral only
  };

  // A string field of the parsed request whose value holds placeholders: reached from the root
  // through `path` (message fields, with the element's index for repeated ones, else -1).
  struct Slot {
    std::vector<std::pair<const google::protobuf::FieldDescriptor*, int>> path;
    const google::protobuf::FieldDescriptor* field;
    int index;  // element of a repeated field, else -1
    std::vector<Piece> pieces;
  };

  RequestTemplate(const google::protobuf::Message* prototype, Format format,
                  std::vector<Piece> pieces, std::vector<std::string> ids)
      : prototype_(prototype), format_(format), pieces_(std::move(pieces)), ids_(std::move(ids)) {}

  std::string Substitute(const std::vector<Piece>& pieces, uint64_t index) const;
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseMessage(
      const std::string& text) const;
  // Sets up parsed_ and slots_ when every placeholder is inside a string field and the result
  // is byte for byte what parsing gives; leaves them empty otherwise.
  void PrepareSlots();
  std::string SerializeFromSlots(uint64_t index) const;
  // Substitutes the placeholders of call `index` and parses the text: the reference every faster
  // path is checked against.
  absl::StatusOr<std::string> SerializeByParsing(uint64_t index) const;

  const google::protobuf::Message* prototype_;  // owned by the generated message factory
  Format format_;
  std::vector<Piece> pieces_;
  std::vector<std::string> ids_;
  // Without {{i}}: one payload per distinct request (one per id, or a single one).
  std::vector<grpc::Slice> cache_;
  // With {{i}} in string fields only: the request parsed once, and where the placeholders go.
  std::shared_ptr<const google::protobuf::Message> parsed_;
  std::vector<Slot> slots_;
};

}  // namespace inburgering::bench

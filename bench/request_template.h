// Turns one request, written as JSON or protobuf text format for any message type linked into the
// binary, into the serialized bytes of each call of a load run. Placeholders let calls differ:
//
//   {{i}}    the call's index (e.g. unique request_ids: "request_id": "bench-{{run}}-{{i}}")
//   {{id}}   the next of a list of ids, rotating by call index (point reads over a data set)
//   {{run}}  a value fixed for the whole run (so that {{i}} is unique across runs too)
//
// Text is substituted verbatim, before parsing. Without {{i}} every distinct request is parsed
// and serialized once, in Create; with {{i}} each call is parsed, which costs client CPU (loadgen
// reports its CPU use so this cannot go unnoticed). Thread-safe after Create: all methods const.
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <cstdint>
#include <string>
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

  // The serialized request of call `index`. Fails only if the text with {{i}} substituted does
  // not parse, which Create has ruled out for index 0.
  absl::StatusOr<std::string> Serialize(uint64_t index) const;
  // The same bytes as a gRPC payload. A precomputed request is shared by reference, not copied.
  absl::Status Fill(uint64_t index, grpc::ByteBuffer* out) const;

  // True if every call parses its own request ({{i}} is used).
  bool per_call() const { return cache_.empty(); }

 private:
  enum class PieceKind { kLiteral, kIndex, kId };
  struct Piece {
    PieceKind kind;
    std::string text;  // kLiteral only
  };

  RequestTemplate(const google::protobuf::Message* prototype, Format format,
                  std::vector<Piece> pieces, std::vector<std::string> ids)
      : prototype_(prototype), format_(format), pieces_(std::move(pieces)), ids_(std::move(ids)) {}

  std::string Substitute(uint64_t index) const;
  absl::StatusOr<std::string> Parse(const std::string& text) const;

  const google::protobuf::Message* prototype_;  // owned by the generated message factory
  Format format_;
  std::vector<Piece> pieces_;
  std::vector<std::string> ids_;
  // Without {{i}}: one payload per distinct request (one per id, or a single one).
  std::vector<grpc::ByteBuffer> cache_;
};

}  // namespace inburgering::bench

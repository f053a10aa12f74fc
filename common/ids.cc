#include "common/ids.h"

#include <openssl/sha.h>

#include "absl/numeric/int128.h"
#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace inburgering {

std::string NewId() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  thread_local absl::BitGen gen;
  const uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  const uint64_t hi = absl::Uniform<uint64_t>(gen);
  const uint16_t lo = absl::Uniform<uint16_t>(gen);
  // 130 bits laid out as: 48 time bits, 80 random bits, padded to 26 * 5.
  std::string id(26, '0');
  for (int i = 9; i >= 0; --i) id[i] = kAlphabet[(millis >> (5 * (9 - i))) & 31];
  absl::uint128 random = (absl::uint128(hi) << 16) | lo;
  for (int i = 25; i >= 10; --i) {
    id[i] = kAlphabet[absl::Uint128Low64(random) & 31];
    random >>= 5;
  }
  return id;
}

std::string RequestFingerprint(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string HexEncode(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.empty() || request_id.size() > 64) {
    return InvalidField("request_id", "1 to 64 characters");
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) return InvalidField("request_id", "printable ASCII only");
  }
  return absl::OkStatus();
}

bool IsRecordId(absl::string_view id) {
  if (id.size() != 26) return false;
  for (char c : id) {
    if (!(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}

absl::Status ValidateRecordId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return InvalidField(field, "required: the id the service gave the record");
  if (!IsRecordId(id)) {
    return InvalidField(field, "must be an id as the service gave it (26 characters, 0-9 and A-Z)");
  }
  return absl::OkStatus();
}

}  // namespace inburgering

#include "gateway/json_transcoding.h"

#include <gtest/gtest.h>

#include "inburgering/v1/intake.pb.h"

namespace inburgering::gateway {
namespace {

// Found by fuzz/gateway_json_fuzzer: protobuf's parse error quoted the value, so a BSN sent as a
// number came back in the error ("invalid value 123456782 for type TYPE_STRING").
TEST(JsonTranscoding, WrongTypeNamesTheFieldWithoutRepeatingTheValue) {
  v1::RegisterStatushouderRequest request;
  const absl::Status status = RequestFromJson(R"({"statushouder": {"bsn": 123456782}})", request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  EXPECT_NE(message.find("inburgering.v1.RegisterStatushouderRequest"), std::string::npos)
      << message;
  EXPECT_NE(message.find("statushouder.bsn"), std::string::npos) << message;
  EXPECT_EQ(message.find("123456782"), std::string::npos) << message;
}

TEST(JsonTranscoding, UnknownKeyIsNotRepeated) {
  v1::RegisterStatushouderRequest request;
  const absl::Status status = RequestFromJson(R"({"statushouder": {"Haddad": "x"}})", request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()).find("Haddad"), std::string::npos) << status;
}

// Found by fuzz/gateway_json_fuzzer in a clean-clone CI run: a key with control bytes in it.
// The error names only what the schema knows, in printable ASCII.
TEST(JsonTranscoding, KeyWithControlBytesGivesAPrintableError) {
  v1::ImportStatushoudersRequest request;
  static constexpr char kBody[] =
      "{\"rows\":[{\"rowNumber\":\"2\",\"stat\001\000\000\000\000\000\000)\":"
      "{\"bsn\":\"100000009\",\"familyName\":\"Tesfay\"}}]}";
  const std::string body(kBody, sizeof(kBody) - 1);
  const absl::Status status = RequestFromJson(body, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  for (char c : status.message()) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << static_cast<int>(c) << " in " << status;
  }
  EXPECT_EQ(std::string(status.message()).find("100000009"), std::string::npos) << status;
}

TEST(JsonTranscoding, AcceptedBodyRendersBackToTheSameRequest) {
  v1::RegisterStatushouderRequest request;
  ASSERT_TRUE(RequestFromJson(
                  R"({"requestId": "r1", "statushouder": {"bsn": "123456782", "maxTravelKm": 25}})",
                  request)
                  .ok());
  EXPECT_EQ(request.statushouder().bsn(), "123456782");
  absl::StatusOr<std::string> json = ResponseToJson(request);
  ASSERT_TRUE(json.ok()) << json.status();
  v1::RegisterStatushouderRequest again;
  ASSERT_TRUE(RequestFromJson(*json, again).ok());
  EXPECT_EQ(again.SerializeAsString(), request.SerializeAsString());
}

TEST(JsonTranscoding, EmptyBodyIsAnEmptyRequest) {
  v1::RegisterStatushouderRequest request;
  EXPECT_TRUE(RequestFromJson("", request).ok());
  EXPECT_EQ(request.ByteSizeLong(), 0u);
}

}  // namespace
}  // namespace inburgering::gateway

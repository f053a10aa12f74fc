#include "bench/request_template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inburgering/v1/intake.pb.h"
#include "proto/echo.pb.h"

namespace inburgering::bench {
namespace {

using ::testing::HasSubstr;
using Format = RequestTemplate::Format;

EchoRequest ParseEcho(const RequestTemplate& t, uint64_t index) {
  absl::StatusOr<std::string> bytes = t.Serialize(index);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  EchoRequest request;
  EXPECT_TRUE(request.ParseFromString(bytes.value_or("")));
  return request;
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

TEST(RequestTemplate, PlainJsonIsSerializedOnceAndShared) {
  auto t = RequestTemplate::Create(EchoRequest::descriptor(), R"({"message": "hallo"})",
                                   Format::kJson, {}, "run1");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->per_call());
  EXPECT_EQ(ParseEcho(*t, 7).message(), "hallo");
  grpc::ByteBuffer a, b;
  ASSERT_TRUE(t->Fill(0, &a).ok());
  ASSERT_TRUE(t->Fill(1, &b).ok());
  EXPECT_EQ(FromByteBuffer(a), FromByteBuffer(b));
}

TEST(RequestTemplate, IndexAndRunMakeEveryRequestIdUnique) {
  auto t = RequestTemplate::Create(v1::RegisterStatushouderRequest::descriptor(),
                                   R"({"requestId": "bench-{{run}}-{{ i }}"})", Format::kJson, {},
                                   "abc");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->per_call());
  grpc::ByteBuffer buffer;
  ASSERT_TRUE(t->Fill(42, &buffer).ok());
  v1::RegisterStatushouderRequest request;
  ASSERT_TRUE(request.ParseFromString(FromByteBuffer(buffer)));
  EXPECT_EQ(request.request_id(), "bench-abc-42");
}

TEST(RequestTemplate, IdsRotateByCallIndex) {
  auto t = RequestTemplate::Create(EchoRequest::descriptor(), R"(message: "{{id}}")",
                                   Format::kTextFormat, {"a", "b", "c"}, "r");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->per_call());
  EXPECT_EQ(ParseEcho(*t, 0).message(), "a");
  EXPECT_EQ(ParseEcho(*t, 4).message(), "b");
  grpc::ByteBuffer buffer;
  ASSERT_TRUE(t->Fill(5, &buffer).ok());
  EchoRequest request;
  ASSERT_TRUE(request.ParseFromString(FromByteBuffer(buffer)));
  EXPECT_EQ(request.message(), "c");
}

TEST(RequestTemplate, RejectsWhatWouldSilentlySendTheWrongRequest) {
  const auto* type = EchoRequest::descriptor();
  auto status = [&](absl::string_view text, Format format, std::vector<std::string> ids) {
    return RequestTemplate::Create(type, text, format, std::move(ids), "r").status();
  };
  EXPECT_THAT(status(R"({"mesage": "typo"})", Format::kJson, {}).message(),
              HasSubstr("inburgering.bench.EchoRequest"));
  EXPECT_THAT(status("message: 1 2", Format::kTextFormat, {}).message(), HasSubstr("line 1"));
  EXPECT_THAT(status(R"({"message": "{{idx}}"})", Format::kJson, {}).message(),
              HasSubstr("unknown placeholder {{idx}}"));
  EXPECT_THAT(status(R"({"message": "{{id"})", Format::kJson, {}).message(), HasSubstr("closing"));
  EXPECT_THAT(status(R"({"message": "{{id}}"})", Format::kJson, {}).message(),
              HasSubstr("--ids_file"));
  EXPECT_THAT(status(R"({"message": "x"})", Format::kJson, {"a"}).message(),
              HasSubstr("no {{id}}"));
  // An id that breaks the request is found at start-up, not as failures during the run.
  EXPECT_THAT(status(R"({"message": "{{id}}"})", Format::kJson, {"ok", "bad\"quote"}).message(),
              HasSubstr("with id 'bad\"quote'"));
}

}  // namespace
}  // namespace inburgering::bench

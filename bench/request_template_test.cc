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
  EXPECT_FALSE(t->per_call());  // a string field: set on a copy of the parsed request
  grpc::ByteBuffer buffer;
  ASSERT_TRUE(t->Fill(42, &buffer).ok());
  v1::RegisterStatushouderRequest request;
  ASSERT_TRUE(request.ParseFromString(FromByteBuffer(buffer)));
  EXPECT_EQ(request.request_id(), "bench-abc-42");
}

// The registration load's shape: {{i}} and {{id}} inside string fields, nested and repeated. The
// request is parsed once; each call gets the bytes parsing its own text would give.
TEST(RequestTemplate, PlaceholdersInStringFieldsAreSetOnACopyNotParsedPerCall) {
  const std::string json = R"({"requestId": "bench-{{run}}-{{i}}",
      "statushouder": {"bsn": "{{id}}", "givenNames": "Amal {{i}}", "familyName": "Haddad",
                       "workWishesIsco": ["2512", "x{{i}}y{{id}}z"], "maxTravelKm": 25}})";
  auto t = RequestTemplate::Create(v1::RegisterStatushouderRequest::descriptor(), json,
                                   Format::kJson, {"123456782", "111222333"}, "r9");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->per_call());
  for (uint64_t index : {0, 1, 7, 1000001}) {
    grpc::ByteBuffer buffer;
    ASSERT_TRUE(t->Fill(index, &buffer).ok());
    v1::RegisterStatushouderRequest request;
    ASSERT_TRUE(request.ParseFromString(FromByteBuffer(buffer)));
    const std::string i = std::to_string(index);
    const std::string id = index % 2 == 0 ? "123456782" : "111222333";
    EXPECT_EQ(request.request_id(), "bench-r9-" + i);
    EXPECT_EQ(request.statushouder().bsn(), id);
    EXPECT_EQ(request.statushouder().given_names(), "Amal " + i);
    EXPECT_EQ(request.statushouder().family_name(), "Haddad");
    EXPECT_THAT(request.statushouder().work_wishes_isco(),
                ::testing::ElementsAre("2512", "x" + i + "y" + id + "z"));
    EXPECT_EQ(request.statushouder().max_travel_km(), 25);
    // Serialize (what loadgen --client h2 sends) gives the bytes Fill gives (grpc++).
    EXPECT_EQ(FromByteBuffer(buffer), *t->Serialize(index));
  }
}

// Where setting a string would not be what parsing does, every call is parsed.
TEST(RequestTemplate, PlaceholdersOutsideStringFieldsAreParsedPerCall) {
  const auto* type = v1::UpdateStatushouderRequest::descriptor();
  auto number =
      RequestTemplate::Create(type, R"({"id": "a", "version": "{{i}}"})", Format::kJson, {}, "r");
  ASSERT_TRUE(number.ok()) << number.status();
  EXPECT_TRUE(number->per_call());
  v1::UpdateStatushouderRequest request;
  ASSERT_TRUE(request.ParseFromString(*number->Serialize(42)));
  EXPECT_EQ(request.version(), 42);

  // An id with a backslash: the text reads it as the start of an escape, so the id is
  // substituted into the text and parsed, as before.
  auto escaped =
      RequestTemplate::Create(type, R"({"id": "{{id}}-{{i}}"})", Format::kJson, {R"(a\tb)"}, "r");
  ASSERT_TRUE(escaped.ok()) << escaped.status();
  EXPECT_TRUE(escaped->per_call());
  grpc::ByteBuffer buffer;
  ASSERT_TRUE(escaped->Fill(3, &buffer).ok());
  ASSERT_TRUE(request.ParseFromString(FromByteBuffer(buffer)));
  EXPECT_EQ(request.id(), "a\tb-3");
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

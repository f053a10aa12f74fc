// The gateway's fronts over real gRPC and HTTP on loopback, in front of recording backends:
// authentication, rate limiting, deadline and cancellation propagation, status pass-through,
// client streaming, failing closed on the audit log, and the JSON endpoint's answers to good and
// bad input.
#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "inburgering/v1/intake.pb.h"
#include "inburgering/v1/matching.pb.h"
#include "tests/gateway/gateway_test_support.h"

namespace inburgering::gateway::testing {
namespace {

constexpr char kGetWerkplek[] = "/inburgering.v1.MatchingService/GetWerkplek";
constexpr char kGetStatushouder[] = "/inburgering.v1.IntakeService/GetStatushouder";
constexpr char kImport[] = "/inburgering.v1.IntakeService/ImportStatushouders";
constexpr char kRegister[] = "/inburgering.v1.IntakeService/RegisterStatushouder";

std::pair<std::string, std::string> Bearer(absl::string_view role, absl::string_view gemeente) {
  return {"authorization", absl::StrCat("Bearer ", TokenFor(role, gemeente))};
}

// A record id as the services make them (IsRecordId).
constexpr char kId[] = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

std::string GetRequest(const std::string& id) {
  v1::GetStatushouderRequest request;
  request.set_id(id);
  return request.SerializeAsString();
}

class GatewayFront : public GatewayFixture {
 protected:
  httplib::Result PostJson(const std::string& path, const std::string& body,
                           const std::string& token,
                           const std::string& content_type = "application/json") {
    httplib::Client client("127.0.0.1", http_->port());
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", token));
    return client.Post(path, headers, body, content_type);
  }
};

TEST_F(GatewayFront, MissingOrUnknownTokenIsUnauthenticatedAndReachesNoBackend) {
  EXPECT_EQ(CallRaw(*channel_, kGetStatushouder, {GetRequest(kId)}, {}).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallRaw(*channel_, kGetStatushouder, {GetRequest(kId)},
                    {{"authorization", "Bearer not-a-token"}})
                .status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallRaw(*channel_, kGetStatushouder, {GetRequest(kId)},
                    {{"authorization", TokenFor("consulent", "GM0603")}})  // no "Bearer "
                .status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(intake_.calls().empty());
  ASSERT_EQ(audit_.records().size(), 3u);
  EXPECT_EQ(audit_.records()[0].result, "UNAUTHENTICATED");
  EXPECT_EQ(audit_.records()[0].actor_subject, "");
}

TEST_F(GatewayFront, UnknownMethodIsUnimplemented) {
  RawResult result = CallRaw(*channel_, "/inburgering.v1.IntakeService/DropAllTables", {""},
                             {Bearer("consulent", "GM0603")});
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(GatewayFront, BackendStatusCodeAndMessageComeBackUnchanged) {
  intake_.SetStatus(kGetStatushouder,
                    grpc::Status(grpc::StatusCode::NOT_FOUND, "statushouder not found"));
  RawResult result =
      CallRaw(*channel_, kGetStatushouder, {GetRequest(kId)}, {Bearer("consulent", "GM0603")});
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(result.status.error_message(), "statushouder not found");
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].result, "NOT_FOUND");
  EXPECT_EQ(audit_.records()[0].object_ids, std::vector<std::string>{kId});
  ASSERT_EQ(audit_.begins().size(), 1u);
  EXPECT_EQ(audit_.begins()[0].object_ids, std::vector<std::string>{kId});
  EXPECT_EQ(audit_.begins()[0].call_id, audit_.records()[0].call_id);
}

TEST_F(GatewayFront, ResponseCarriesTheBackendsBytesAndTheAuditTheirIds) {
  v1::Statushouder statushouder;
  statushouder.set_id("01RESPONSEID00000000000000");
  intake_.SetResponse(kGetStatushouder, statushouder.SerializeAsString());
  RawResult result =
      CallRaw(*channel_, kGetStatushouder, {GetRequest("01RESPONSEID00000000000000")},
              {Bearer("consulent", "GM0603")});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), 1u);
  EXPECT_EQ(result.responses[0], statushouder.SerializeAsString());
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].object_ids, std::vector<std::string>{"01RESPONSEID00000000000000"});
}

TEST_F(GatewayFront, ClientStreamingForwardsEveryMessage) {
  std::vector<std::string> batches;
  for (int i = 0; i < 3; ++i) {
    v1::ImportStatushoudersRequest batch;
    batch.add_rows()->set_row_number(i + 1);
    batches.push_back(batch.SerializeAsString());
  }
  RawResult result = CallRaw(*channel_, kImport, batches, {Bearer("consulent", "GM0603")});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  auto calls = intake_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].messages, batches);
}

TEST_F(GatewayFront, RateLimitRefusesWithRetryAdviceAndRecoversWithTime) {
  config::v1::GatewayConfig config = TestConfig();
  config.mutable_rate_limit()->set_requests_per_second(2);
  config.mutable_rate_limit()->set_burst(2);
  StartGateway(config);
  const auto token = Bearer("wsp", "GM0603");
  EXPECT_TRUE(CallRaw(*channel_, kGetWerkplek, {""}, {token}).status.ok());
  EXPECT_TRUE(CallRaw(*channel_, kGetWerkplek, {""}, {token}).status.ok());
  RawResult refused = CallRaw(*channel_, kGetWerkplek, {""}, {token});
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.status.error_message().find("retry after 500 ms"), std::string::npos)
      << refused.status.error_message();
  auto pushback = refused.trailers.find("grpc-retry-pushback-ms");
  ASSERT_NE(pushback, refused.trailers.end());
  EXPECT_EQ(pushback->second, "500");
  // Another principal has its own bucket.
  EXPECT_TRUE(CallRaw(*channel_, kGetWerkplek, {""}, {Bearer("wsp", "GM0503")}).status.ok());
  // Over HTTP the same bucket answers 429 with Retry-After.
  auto http = PostJson(kGetWerkplek, "{}", TokenFor("wsp", "GM0603"));
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 429);
  EXPECT_EQ(http->get_header_value("Retry-After"), "1");
  {
    absl::MutexLock lock(&clock_mu_);
    now_ += absl::Milliseconds(500);
  }
  EXPECT_TRUE(CallRaw(*channel_, kGetWerkplek, {""}, {token}).status.ok());
  EXPECT_EQ(matching_.calls().size(), 4u);
}

TEST_F(GatewayFront, ClientDeadlineReachesTheBackend) {
  const absl::Time before = absl::Now();
  ASSERT_TRUE(CallRaw(*channel_, kGetWerkplek, {""}, {Bearer("wsp", "GM0603")}, absl::Seconds(3))
                  .status.ok());
  auto calls = matching_.calls();
  ASSERT_EQ(calls.size(), 1u);
  const absl::Time deadline = absl::FromChrono(calls[0].deadline);
  EXPECT_GT(deadline, before);
  EXPECT_LE(deadline, before + absl::Seconds(3) + absl::Milliseconds(50));
}

TEST_F(GatewayFront, ExpiredDeadlineCancelsTheBackendCall) {
  matching_.Hold(kGetWerkplek);
  RawResult result =
      CallRaw(*channel_, kGetWerkplek, {""}, {Bearer("wsp", "GM0603")}, absl::Milliseconds(300));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(matching_.WaitForCancellation(absl::Seconds(10)));
}

TEST_F(GatewayFront, WithoutAStoredAuditRecordNothingPersonalIsReleased) {
  v1::Statushouder statushouder;
  statushouder.set_id("01SECRET000000000000000000");
  intake_.SetResponse(kGetStatushouder, statushouder.SerializeAsString());
  audit_.SetFailing(true);
  RawResult result =
      CallRaw(*channel_, kGetStatushouder, {GetRequest(kId)}, {Bearer("consulent", "GM0603")});
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(result.responses.empty());
  auto http = PostJson(kGetStatushouder, absl::StrCat(R"({"id":")", kId, "\"}"),
                       TokenFor("consulent", "GM0603"));
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 503);
  EXPECT_FALSE(absl::StrContains(http->body, "01SECRET"));
  // Calls without personal data are not audited and keep working.
  EXPECT_TRUE(CallRaw(*channel_, kGetWerkplek, {""}, {Bearer("wsp", "GM0603")}).status.ok());
  // Issue 21: /metrics counts what the client got (UNAVAILABLE), not what the backend said.
  httplib::Client client("127.0.0.1", http_->port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("gateway_errors_total{method=\"inburgering.v1.IntakeService."
                               "GetStatushouder\",code=\"UNAVAILABLE\",transport=\"grpc\"} 1"),
            std::string::npos)
      << metrics->body;
  EXPECT_EQ(metrics->body.find("GetStatushouder\",code=\"OK\""), std::string::npos)
      << metrics->body;
}

TEST_F(GatewayFront, UnstoredBeginRowWithholdsTheAnswer) {
  // A read by id does not wait for its end row, so the begin row alone must hold the answer back.
  v1::Statushouder statushouder;
  statushouder.set_id(kId);
  intake_.SetResponse(kGetStatushouder, statushouder.SerializeAsString());
  audit_.SetFailing(true, AuditRecord::Phase::kBegin);
  RawResult result =
      CallRaw(*channel_, kGetStatushouder, {GetRequest(kId)}, {Bearer("consulent", "GM0603")});
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(result.responses.empty());
  EXPECT_EQ(intake_.calls().size(), 1u) << "the begin row is written while the backend works";
  // The JSON front the same: a read goes out at once, and its answer waits for the begin row.
  auto http = PostJson(kGetStatushouder, absl::StrCat(R"({"id":")", kId, "\"}"),
                       TokenFor("consulent", "GM0603"));
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 503);
  EXPECT_FALSE(absl::StrContains(http->body, kId)) << http->body;
  EXPECT_EQ(intake_.calls().size(), 2u);

  audit_.SetFailing(false);
  EXPECT_TRUE(
      CallRaw(*channel_, kGetStatushouder, {GetRequest(kId)}, {Bearer("consulent", "GM0603")})
          .status.ok());
}

TEST_F(GatewayFront, OversizedMessageIsRefusedBeforeTheBackend) {
  config::v1::GatewayConfig config = TestConfig();
  config.set_max_request_bytes(1024);
  StartGateway(config);
  RawResult result = CallRaw(*channel_, kGetStatushouder, {GetRequest(std::string(2000, 'x'))},
                             {Bearer("consulent", "GM0603")});
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  auto http = PostJson(kGetStatushouder, absl::StrCat(R"({"id":")", std::string(2000, 'x'), "\"}"),
                       TokenFor("consulent", "GM0603"));
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 413);
  EXPECT_NE(http->body.find("\"code\":\"RESOURCE_EXHAUSTED\""), std::string::npos) << http->body;
  EXPECT_TRUE(intake_.calls().empty());
}

TEST_F(GatewayFront, JsonRoundTripUsesTheProtobufMapping) {
  v1::Werkplek werkplek;
  werkplek.set_id("01WERKPLEK0000000000000000");
  werkplek.set_capacity(3);
  matching_.SetResponse(kGetWerkplek, werkplek.SerializeAsString());
  auto http = PostJson(kGetWerkplek, R"({"id": "01WERKPLEK0000000000000000"})",
                       TokenFor("wsp", "GM0603"), "application/json; charset=utf-8");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 200) << http->body;
  EXPECT_EQ(http->get_header_value("Content-Type"), "application/json");
  v1::Werkplek parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(http->body, &parsed).ok()) << http->body;
  EXPECT_EQ(parsed.id(), "01WERKPLEK0000000000000000");
  EXPECT_EQ(parsed.capacity(), 3);
  auto calls = matching_.calls();
  ASSERT_EQ(calls.size(), 1u);
  v1::GetWerkplekRequest forwarded;
  ASSERT_EQ(calls[0].messages.size(), 1u);
  ASSERT_TRUE(forwarded.ParseFromString(calls[0].messages[0]));
  EXPECT_EQ(forwarded.id(), "01WERKPLEK0000000000000000");
}

TEST_F(GatewayFront, ForgedPrincipalHeadersOverHttpAreIgnored) {
  httplib::Client client("127.0.0.1", http_->port());
  httplib::Headers headers = {{"Authorization", absl::StrCat("Bearer ", TokenFor("wsp", "GM0603"))},
                              {"X-Inburgering-Gemeente", "GM0503"},
                              {"X-Inburgering-Role", "beheerder"}};
  auto http = client.Post(kGetWerkplek, headers, "{}", "application/json");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 200);
  auto calls = matching_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].metadata.count("x-inburgering-gemeente"), 1u);
  EXPECT_EQ(calls[0].metadata.find("x-inburgering-gemeente")->second, "GM0603");
  EXPECT_EQ(calls[0].metadata.find("x-inburgering-role")->second, "wsp");
}

struct BadInput {
  const char* name;
  std::string path;
  std::string body;
  std::string content_type;
  std::string token;
  int http_status;
  std::string code;
  std::string message_part;
};

TEST_F(GatewayFront, BadJsonInputGetsAClearErrorAndNeverReachesABackend) {
  const std::string token = TokenFor("consulent", "GM0603");
  const std::vector<BadInput> cases = {
      {"malformed", kGetStatushouder, R"({"id": )", "application/json", token, 400,
       "INVALID_ARGUMENT", "not valid JSON for inburgering.v1.GetStatushouderRequest"},
      {"unknown field", kGetStatushouder, R"({"bsn": "111222333"})", "application/json", token, 400,
       "INVALID_ARGUMENT", "not valid JSON"},
      {"unknown method", "/inburgering.v1.IntakeService/Nope", "{}", "application/json", token, 404,
       "NOT_FOUND", "unknown service or method"},
      {"unknown service", "/inburgering.v1.Nope/Get", "{}", "application/json", token, 404,
       "NOT_FOUND", "unknown service or method"},
      {"wrong content type", kGetStatushouder, "id=1", "application/x-www-form-urlencoded", token,
       415, "INVALID_ARGUMENT", "content-type"},
      {"streaming RPC", kImport, "{}", "application/json", token, 501, "UNIMPLEMENTED",
       "streaming"},
      {"no token", kGetStatushouder, "{}", "application/json", "", 401, "UNAUTHENTICATED",
       "credentials"},
      {"wrong role", kGetStatushouder, "{}", "application/json", TokenFor("analist", "GM0603"), 403,
       "PERMISSION_DENIED", "analist"},
      {"other gemeente's report", "/inburgering.v1.ReportingService/GetGemeenteReport",
       R"({"gemeente": "GM0503"})", "application/json", token, 403, "PERMISSION_DENIED",
       "gemeente"},
  };
  for (const BadInput& c : cases) {
    auto http = PostJson(c.path, c.body, c.token, c.content_type);
    ASSERT_TRUE(http) << c.name;
    EXPECT_EQ(http->status, c.http_status) << c.name << ": " << http->body;
    EXPECT_NE(http->body.find(absl::StrCat("\"code\":\"", c.code, "\"")), std::string::npos)
        << c.name << ": " << http->body;
    EXPECT_NE(http->body.find(c.message_part), std::string::npos) << c.name << ": " << http->body;
    EXPECT_EQ(http->body.find("111222333"), std::string::npos) << "input is never echoed";
  }
  EXPECT_TRUE(intake_.calls().empty());
  EXPECT_TRUE(reporting_.calls().empty());
}

TEST_F(GatewayFront, HeaderWithControlCharactersIsRejected) {
  // A raw request: a client library would refuse to send this header.
  httplib::Client client("127.0.0.1", http_->port());
  httplib::Headers headers = {{"Authorization", absl::StrCat("Bearer ", TokenFor("wsp", "GM0603"))},
                              {"X-Trace", std::string("a\x01"
                                                      "b")}};
  auto http = client.Post(kGetWerkplek, headers, "{}", "application/json");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 400);
  EXPECT_NE(http->body.find("control characters"), std::string::npos) << http->body;
  EXPECT_TRUE(matching_.calls().empty());
}

TEST_F(GatewayFront, HealthReadinessAndMetrics) {
  httplib::Client client("127.0.0.1", http_->port());
  auto healthz = client.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, 200);
  auto readyz = client.Get("/readyz");
  ASSERT_TRUE(readyz);
  EXPECT_EQ(readyz->status, 200);

  ASSERT_TRUE(CallRaw(*channel_, kGetWerkplek, {""}, {Bearer("wsp", "GM0603")}).status.ok());
  ASSERT_EQ(
      CallRaw(*channel_, kGetStatushouder, {""}, {Bearer("wsp", "GM0603")}).status.error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("gateway_requests_total{method=\"inburgering.v1.MatchingService."
                               "GetWerkplek\",code=\"OK\",transport=\"grpc\"} 1"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(
      metrics->body.find("gateway_errors_total{method=\"inburgering.v1.IntakeService."
                         "GetStatushouder\",code=\"PERMISSION_DENIED\",transport=\"grpc\"} 1"),
      std::string::npos);
  EXPECT_NE(metrics->body.find("gateway_request_duration_seconds_bucket{method=\"inburgering.v1."
                               "MatchingService.GetWerkplek\",code=\"OK\",transport=\"grpc\","
                               "le=\"+Inf\"} 1"),
            std::string::npos);

  // Issue 24: /readyz checks the audit log the gateway fails closed on.
  audit_.SetFailing(true);
  auto no_audit = client.Get("/readyz");
  ASSERT_TRUE(no_audit);
  EXPECT_EQ(no_audit->status, 503);
  EXPECT_NE(no_audit->body.find("audit log"), std::string::npos) << no_audit->body;
  audit_.SetFailing(false);

  reporting_.Stop();
  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
}

TEST_F(GatewayFront, DashboardIsADutchPage) {
  httplib::Client client("127.0.0.1", http_->port());
  auto page = client.Get("/dashboard");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<html lang=\"nl\">"), std::string::npos);
  auto script = client.Get("/dashboard.js");
  ASSERT_TRUE(script);
  EXPECT_NE(script->body.find("GetRegionalReport"), std::string::npos);
}

// Issue 21, audit poisoning: an id field holding a BSN and a name, or 60 KB, is refused at the
// gateway (INVALID_ARGUMENT naming the field, not repeating the value) before anything is audited
// or forwarded, on both fronts, also when nested (RegisterStatushouder's statushouder.id); no audit
// row holds the value.
TEST_F(GatewayFront, AnIdFieldThatIsNoRecordIdIsRefusedBeforeTheAuditAndTheBackend) {
  const std::string bad_ids[] = {"123456782", "Amal Haddad 123456782", std::string(60000, 'A'),
                                 "01arz3ndektsv4rrffq69g5fav"};
  for (const std::string& bad : bad_ids) {
    RawResult get =
        CallRaw(*channel_, kGetStatushouder, {GetRequest(bad)}, {Bearer("consulent", "GM0603")});
    EXPECT_EQ(get.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad.size();
    EXPECT_EQ(get.status.error_message().rfind("id: ", 0), 0u) << get.status.error_message();
    EXPECT_FALSE(absl::StrContains(get.status.error_message(), bad));

    v1::RegisterStatushouderRequest registration = Registration();
    registration.mutable_statushouder()->set_id(bad);
    RawResult reg = CallRaw(*channel_, kRegister, {registration.SerializeAsString()},
                            {Bearer("consulent", "GM0603")});
    EXPECT_EQ(reg.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(reg.status.error_message().find("statushouder.id"), std::string::npos)
        << reg.status.error_message();

    auto http = PostJson(kGetStatushouder, absl::StrCat(R"({"id":")", bad, "\"}"),
                         TokenFor("consulent", "GM0603"));
    ASSERT_TRUE(http);
    EXPECT_EQ(http->status, 400);
    EXPECT_FALSE(absl::StrContains(http->body, bad));
  }
  EXPECT_TRUE(intake_.calls().empty()) << "nothing forwarded";
  for (const auto& rows : {audit_.records(), audit_.begins()}) {
    for (const AuditRecord& r : rows) {
      for (const std::string& id : r.object_ids) EXPECT_EQ(id.size(), 26u) << id.substr(0, 40);
    }
  }
}

// Issue 21: a personal-data write goes to the backend only once its begin row is stored, so a
// write that cannot be audited is never committed (a read is still forwarded at once, and its
// answer held back: UnstoredBeginRowWithholdsTheAnswer). Both fronts.
TEST_F(GatewayFront, AWriteWhoseBeginRowIsNotStoredNeverReachesTheBackend) {
  audit_.SetFailing(true, AuditRecord::Phase::kBegin);
  RawResult grpc_write = CallRaw(*channel_, kRegister, {Registration().SerializeAsString()},
                                 {Bearer("consulent", "GM0603")});
  EXPECT_EQ(grpc_write.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  auto http = PostJson(kRegister, R"({"requestId":"r1","statushouder":{"bsn":"111222333"}})",
                       TokenFor("consulent", "GM0603"));
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 503) << http->body;
  EXPECT_TRUE(intake_.calls().empty()) << "a write was forwarded without its begin row";

  audit_.SetFailing(false);
  EXPECT_TRUE(CallRaw(*channel_, kRegister, {Registration().SerializeAsString()},
                      {Bearer("consulent", "GM0603")})
                  .status.ok());
  EXPECT_EQ(intake_.calls().size(), 1u);
  ASSERT_EQ(audit_.begins().size(), 1u);
  EXPECT_EQ(audit_.begins()[0].call_id, audit_.records().back().call_id);
}

// Issue 21: the JSON front writes the same rows as the gRPC front: a begin row before the backend
// is called and an end row with the result, under one call_id.
TEST_F(GatewayFront, BothFrontsWriteABeginAndAnEndRowForTheSameCall) {
  v1::Statushouder statushouder;
  statushouder.set_id(kId);
  intake_.SetResponse(kGetStatushouder, statushouder.SerializeAsString());
  ASSERT_TRUE(
      CallRaw(*channel_, kGetStatushouder, {GetRequest(kId)}, {Bearer("consulent", "GM0603")})
          .status.ok());
  auto http = PostJson(kGetStatushouder, absl::StrCat(R"({"id":")", kId, "\"}"),
                       TokenFor("consulent", "GM0603"));
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 200);
  const std::vector<AuditRecord> begins = audit_.begins(), ends = audit_.records();
  ASSERT_EQ(begins.size(), 2u);
  ASSERT_EQ(ends.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(begins[i].call_id, ends[i].call_id) << i;
    EXPECT_EQ(begins[i].action, ends[i].action);
    EXPECT_EQ(begins[i].object_ids, std::vector<std::string>{kId});
    EXPECT_EQ(ends[i].object_ids, std::vector<std::string>{kId});
    EXPECT_EQ(ends[i].result, "OK");
    EXPECT_EQ(begins[i].actor_subject, ends[i].actor_subject);
  }
}

// Issue 21: every record a call creates is named in the audit (an import of 1,050 new rows named
// only 1,000).
TEST_F(GatewayFront, AnImportNamesEveryRecordItCreated) {
  v1::ImportStatushoudersResponse response;
  std::vector<std::string> ids;
  for (int i = 0; i < 1050; ++i) {
    ids.push_back(absl::StrFormat("01ARZ3NDEKTSV4RRFF%08d", i));
    v1::ImportRowResult* row = response.add_results();
    row->set_row_number(i + 1);
    row->set_outcome(v1::ImportRowResult::CREATED);
    row->set_statushouder_id(ids.back());
  }
  intake_.SetResponse(kImport, response.SerializeAsString());
  v1::ImportStatushoudersRequest batch;
  batch.add_rows()->set_row_number(1);
  RawResult result =
      CallRaw(*channel_, kImport, {batch.SerializeAsString()}, {Bearer("consulent", "GM0603")});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].object_ids, ids);
}

// Issue 21: security headers on every answer; the dashboard forbids framing and inline script
// and still finds its script and style.
TEST_F(GatewayFront, AnswersCarrySecurityHeadersAndTheDashboardNoInlineScript) {
  httplib::Client client("127.0.0.1", http_->port());
  auto page = client.Get("/dashboard");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->get_header_value("X-Frame-Options"), "DENY");
  const std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(page->body.find("<script>"), std::string::npos) << "inline script";
  EXPECT_EQ(page->body.find("<style>"), std::string::npos) << "inline style";
  EXPECT_NE(page->body.find("src=\"/dashboard.js\""), std::string::npos);
  auto script = client.Get("/dashboard.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_NE(script->body.find("addEventListener"), std::string::npos);
  auto style = client.Get("/dashboard.css");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->status, 200);

  v1::Statushouder statushouder;
  statushouder.set_id(kId);
  intake_.SetResponse(kGetStatushouder, statushouder.SerializeAsString());
  auto json = PostJson(kGetStatushouder, absl::StrCat(R"({"id":")", kId, "\"}"),
                       TokenFor("consulent", "GM0603"));
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 200);
  EXPECT_EQ(json->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(json->get_header_value("Cache-Control"), "no-store");
}

}  // namespace
}  // namespace inburgering::gateway::testing

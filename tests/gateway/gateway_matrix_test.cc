// The authorisation matrix through the real gRPC front: a table generated from the service
// descriptors (every RPC of every public service) × every role × a request naming the caller's own
// or another gemeente/region. The expected outcome of each cell is stated here a second time,
// independently of gateway/access_policy.cc, so an accidental edit of the matrix fails a test;
// an RPC added to a proto without a row here fails too (it must be denied to everyone).
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "inburgering/v1/intake.pb.h"
#include "inburgering/v1/matching.pb.h"
#include "inburgering/v1/reporting.pb.h"
#include "tests/gateway/gateway_test_support.h"

namespace inburgering::gateway::testing {
namespace {

using google::protobuf::FieldDescriptor;

// consulent, wsp, analist, beheerder: 'A' allowed, 'O' allowed for the own gemeente/region only,
// '-' denied. `personal`: every call is audited.
struct Expectation {
  const char* roles;
  bool personal;
};

const std::map<std::string, Expectation>& Expected() {
  static const auto* const kExpected = new std::map<std::string, Expectation>{
      {"IntakeService.RegisterStatushouder", {"A---", true}},
      {"IntakeService.GetStatushouder", {"A---", true}},
      {"IntakeService.ListStatushouders", {"A---", true}},
      {"IntakeService.UpdateStatushouder", {"A---", true}},
      {"IntakeService.RecordBredeIntake", {"A---", true}},
      {"IntakeService.EstablishPip", {"A---", true}},
      {"IntakeService.RecordOpschorting", {"A---", true}},
      {"IntakeService.RecordLanguageLevel", {"A---", true}},
      {"IntakeService.RecordModuleProgress", {"A---", true}},
      {"IntakeService.ChangePhase", {"A---", true}},
      {"IntakeService.ExtendInburgeringstermijn", {"A---", true}},
      {"IntakeService.ImportStatushouders", {"A---", true}},
      {"IntakeService.StreamEvents", {"----", true}},
      {"MatchingService.RegisterWerkplek", {"-A--", false}},
      {"MatchingService.UpdateWerkplek", {"-A--", false}},
      {"MatchingService.GetWerkplek", {"AA--", false}},
      {"MatchingService.ListWerkplekken", {"AA--", false}},
      {"MatchingService.RecommendWerkplekken", {"AA--", true}},
      {"MatchingService.RecommendKandidaten", {"AA--", true}},
      {"MatchingService.ProposeAssignment", {"-O--", true}},
      {"MatchingService.CreatePlacement", {"AA--", true}},
      {"MatchingService.UpdatePlacement", {"AA--", true}},
      {"MatchingService.StreamEvents", {"----", true}},
      {"ReportingService.GetGemeenteReport", {"OOA-", false}},
      {"ReportingService.GetRegionalReport", {"OOA-", false}},
      {"ReportingService.ExportReport", {"OOA-", false}},
  };
  return *kExpected;
}

constexpr const char* kRoles[] = {"consulent", "wsp", "analist", "beheerder"};

struct Case {
  const google::protobuf::MethodDescriptor* method;
  int role;  // index in kRoles
  bool own;  // the request names the caller's own gemeente / region
};

std::vector<Case> GenerateCases() {
  std::vector<Case> cases;
  for (const auto* file : {v1::RegisterStatushouderRequest::descriptor()->file(),
                           v1::RegisterWerkplekRequest::descriptor()->file(),
                           v1::GetGemeenteReportRequest::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        for (int role = 0; role < 4; ++role) {
          for (bool own : {true, false}) cases.push_back({file->service(s)->method(m), role, own});
        }
      }
    }
  }
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return absl::StrCat(info.param.method->service()->name(), "_", info.param.method->name(), "_",
                      kRoles[info.param.role], "_", info.param.own ? "own" : "other");
}

// The request of a case: `gemeente` and `region` fields (where the message has them) name the
// caller's own (GM0603, haaglanden) or another (GM0503, rotterdam) scope; `id`-like fields get a
// value so the audit has an object.
std::string RequestBytes(const Case& c) {
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(c.method->input_type())
          ->New());
  const auto* descriptor = request->GetDescriptor();
  const auto* reflection = request->GetReflection();
  auto set = [&](const char* name, const std::string& value) {
    const FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field != nullptr && !field->is_repeated() &&
        field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      reflection->SetString(request.get(), field, value);
    }
  };
  set("id", "01TESTOBJECT00000000000000");
  set("statushouder_id", "01TESTSTATUSHOUDER00000000");
  set("werkplek_id", "01TESTWERKPLEK000000000000");
  if (descriptor->FindFieldByName("gemeente") != nullptr) {
    set("gemeente", c.own ? "GM0603" : "GM0503");  // for ExportReport this picks the gemeente arm
  } else {
    set("region", c.own ? "haaglanden" : "rotterdam");
  }
  return request->SerializeAsString();
}

std::string MetadataValue(const std::multimap<std::string, std::string>& metadata,
                          const std::string& key, int* count) {
  auto [begin, end] = metadata.equal_range(key);
  *count = static_cast<int>(std::distance(begin, end));
  return begin == end ? "" : begin->second;
}

class AuthorisationMatrix : public GatewayFixture, public ::testing::WithParamInterface<Case> {};

TEST_P(AuthorisationMatrix, GatewayAllowsOrDeniesAsDeclared) {
  const Case& c = GetParam();
  const std::string short_name = absl::StrCat(c.method->service()->name(), ".", c.method->name());
  auto expected = Expected().find(short_name);
  ASSERT_NE(expected, Expected().end())
      << short_name << " has no row in the expected matrix: add one (and one in access_policy.cc)";
  const char cell = expected->second.roles[c.role];
  const bool allowed = cell == 'A' || (cell == 'O' && c.own);

  const std::string role = kRoles[c.role];
  const std::string path =
      absl::StrCat("/", c.method->service()->full_name(), "/", c.method->name());
  RawResult result =
      CallRaw(*channel_, path, {RequestBytes(c)},
              {{"authorization", absl::StrCat("Bearer ", TokenFor(role, "GM0603"))},
               // A forged principal: the gateway must drop it and send the verified one.
               {"x-inburgering-gemeente", "GM9999"},
               {"x-inburgering-role", "beheerder"},
               {"x-inburgering-subject", "forged"}});

  RecordingBackend& backend = c.method->service()->name() == "IntakeService"     ? intake_
                              : c.method->service()->name() == "MatchingService" ? matching_
                                                                                 : reporting_;
  if (allowed) {
    EXPECT_TRUE(result.status.ok())
        << result.status.error_code() << " " << result.status.error_message();
    auto calls = backend.calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].method, path);
    int count = 0;
    EXPECT_EQ(MetadataValue(calls[0].metadata, "x-inburgering-gemeente", &count), "GM0603");
    EXPECT_EQ(count, 1);
    EXPECT_EQ(MetadataValue(calls[0].metadata, "x-inburgering-role", &count), role);
    EXPECT_EQ(count, 1);
    EXPECT_EQ(MetadataValue(calls[0].metadata, "x-inburgering-subject", &count),
              absl::StrCat(role, ".GM0603"));
    EXPECT_EQ(count, 1);
    EXPECT_EQ(MetadataValue(calls[0].metadata, "authorization", &count), "");
    EXPECT_EQ(count, 0) << "the token must not reach a backend";
    ASSERT_EQ(calls[0].messages.size(), 1u);
    EXPECT_EQ(calls[0].messages[0], RequestBytes(c)) << "forwarded byte for byte";
  } else {
    EXPECT_EQ(result.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << result.status.error_message();
    EXPECT_TRUE(backend.calls().empty()) << "a denied call never reaches a backend";
  }

  const std::vector<AuditRecord> records = audit_.records();
  const std::vector<AuditRecord> begins = audit_.begins();
  if (expected->second.personal) {
    ASSERT_EQ(records.size(), 1u);
    // An admitted call is recorded before the backend answers, under the end row's call_id.
    ASSERT_EQ(begins.size(), allowed ? 1u : 0u);
    if (allowed) {
      EXPECT_EQ(begins[0].call_id, records[0].call_id);
      EXPECT_EQ(begins[0].action, records[0].action);
      EXPECT_EQ(begins[0].result, "");
    }
    EXPECT_EQ(records[0].action, c.method->full_name());
    EXPECT_EQ(records[0].result, allowed ? "OK" : "PERMISSION_DENIED");
    EXPECT_EQ(records[0].actor_gemeente, "GM0603");
    EXPECT_EQ(records[0].actor_role, role);
    EXPECT_FALSE(records[0].origin.empty());
  } else {
    EXPECT_TRUE(records.empty());
    EXPECT_TRUE(begins.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRpcRoleAndScope, AuthorisationMatrix,
                         ::testing::ValuesIn(GenerateCases()), CaseName);

TEST(AuthorisationMatrixTable, CoversEveryRpcOfThePublicServices) {
  // 26 RPCs × 4 roles × own/other; grows with the protos.
  EXPECT_EQ(GenerateCases().size(), Expected().size() * 8);
}

}  // namespace
}  // namespace inburgering::gateway::testing

// Unit tests of the small pieces of common/: status mapping, principal parsing, dates, ids,
// migrations splitting, config from JSON and environment names, and log lines.
#include <gtest/gtest.h>

#include "common/config.h"
#include "common/dates.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/migrations.h"
#include "common/principal.h"
#include "common/status.h"
#include "inburgering/config/v1/config.pb.h"

namespace inburgering {
namespace {

TEST(StatusMapping, KeepsCodeAndMessageBothWays) {
  absl::Status aborted = absl::AbortedError("version: stale");
  grpc::Status mapped = ToGrpcStatus(aborted);
  EXPECT_EQ(mapped.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(mapped.error_message(), "version: stale");
  EXPECT_EQ(FromGrpcStatus(mapped), aborted);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(StatusMapping, InvalidFieldNamesFieldAndRule) {
  absl::Status s = InvalidField("statushouder.bsn", "fails the 11-proef");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "statushouder.bsn: fails the 11-proef");
}

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  ASSIGN_OR_RETURN(int half, Half(n));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusMacros, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Principal, GemeenteCodesAreGmAndFourDigits) {
  EXPECT_TRUE(IsGemeenteCode("GM0603"));
  EXPECT_FALSE(IsGemeenteCode("GM060"));
  EXPECT_FALSE(IsGemeenteCode("gm0603"));
  EXPECT_FALSE(IsGemeenteCode("GM06O3"));
}

TEST(Principal, RolesRoundTripAndUnknownIsRejected) {
  for (Role r : {Role::kConsulent, Role::kWsp, Role::kAnalist, Role::kBeheerder, Role::kService}) {
    EXPECT_EQ(*ParseRole(RoleName(r)), r);
  }
  EXPECT_FALSE(ParseRole("admin").ok());
  EXPECT_FALSE(ParseRole("").ok());
}

TEST(Dates, ParsesRealDatesOnly) {
  EXPECT_EQ(*ParseDate("d", "2024-02-29"), absl::CivilDay(2024, 2, 29));
  EXPECT_FALSE(ParseDate("d", "2023-02-29").ok());
  EXPECT_FALSE(ParseDate("d", "2024-13-01").ok());
  EXPECT_FALSE(ParseDate("d", "2024-1-01").ok());
  EXPECT_FALSE(ParseDate("d", "").ok());
  EXPECT_FALSE(ParseDate("d", "1850-01-01").ok());
  EXPECT_EQ(ParseDate("statushouder.birth_date", "x").status().message(),
            "statushouder.birth_date: must be a real date YYYY-MM-DD");
  EXPECT_EQ(FormatDate(absl::CivilDay(2026, 1, 5)), "2026-01-05");
}

TEST(Ids, AreUlidShapedAndUnique) {
  std::string a = NewId(), b = NewId();
  EXPECT_EQ(a.size(), 26u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos);
}

TEST(Ids, FingerprintDependsOnContentOnly) {
  config::v1::Gemeente a, b;
  a.set_code("GM0603");
  b.set_code("GM0603");
  EXPECT_EQ(RequestFingerprint(a), RequestFingerprint(b));
  EXPECT_EQ(RequestFingerprint(a).size(), 32u);
  b.set_name("Rijswijk");
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(b));
  EXPECT_EQ(HexEncode("\x01\xab"), "01ab");
}

TEST(Migrations, SplitsOnSemicolonsAtLineEndsAndSkipsComments) {
  auto statements = SplitSqlStatements(
      "-- a comment; not a statement\n"
      "CREATE TABLE a (\n  x INT -- inline\n);\n\n"
      "INSERT INTO a VALUES (1);\n"
      "SELECT 'no end'");
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0].rfind("CREATE TABLE a (", 0), 0u);
  EXPECT_EQ(statements[1], "INSERT INTO a VALUES (1)");
  EXPECT_EQ(statements[2], "SELECT 'no end'");
}

TEST(Config, EnvironmentVariableNames) {
  EXPECT_EQ(EnvironmentVariableFor("mysql_password"), "INBURGERING_MYSQL_PASSWORD");
}

TEST(Config, ParsesJsonAndRejectsUnknownFields) {
  config::v1::ReportingConfig config;
  ASSERT_TRUE(ParseJsonConfig(R"({"suppressionThreshold": 10,
      "regions": {"regions": [{"id": "haaglanden", "gemeenten": ["GM0603"]}]}})",
                              &config)
                  .ok());
  EXPECT_EQ(config.suppression_threshold(), 10);
  EXPECT_EQ(config.regions().regions(0).gemeenten(0), "GM0603");
  absl::Status typo = ParseJsonConfig(R"({"supressionThreshold": 10})", &config);
  EXPECT_EQ(typo.code(), absl::StatusCode::kInvalidArgument);
}

TEST(Log, PrintsOnlyTheFieldsGivenAsEscapedJson) {
  std::string line = FormatLogLine(LogLevel::kWarning, "import_rejected",
                                   {{"row", 12}, {"field", "bsn"}, {"note", "a\"b\n"}});
  EXPECT_NE(line.find("\"level\":\"warning\""), std::string::npos);
  EXPECT_NE(line.find("\"event\":\"import_rejected\""), std::string::npos);
  EXPECT_NE(line.find("\"row\":12"), std::string::npos);
  EXPECT_NE(line.find("\"note\":\"a\\\"b\\n\""), std::string::npos);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per record";
}

}  // namespace
}  // namespace inburgering

#include "cli/statushouder_csv.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace inburgering::cli {
namespace {

const std::vector<std::string> kHeader = {"bsn",
                                          "voornamen",
                                          "achternaam",
                                          "geboortedatum",
                                          "geslacht",
                                          "type",
                                          "land_van_herkomst",
                                          "vestigingsdatum",
                                          "bijstand",
                                          "bijstand_start",
                                          "opleidingsniveau",
                                          "geschoold",
                                          "beroep_isco",
                                          "werkwensen_isco",
                                          "beschikbaarheid",
                                          "woonlocatie_lat",
                                          "woonlocatie_lon",
                                          "max_reisafstand_km",
                                          "belemmeringen",
                                          "toestemming_identiteit"};

CsvRecord Row(std::vector<std::string> fields, int64_t line = 2) {
  return {line, std::move(fields)};
}

std::vector<std::string> GoodRow() {
  return {"929180732",  "Amal",       "Haddad",
          "12-04-1990", "v",          "asielstatushouder",
          "sy",         "2026-09-01", "ja",
          "2026-09-01", "hbo",        "ja",
          "2261",       "3251|32",    "ma-o|ma-m|di-ochtend",
          "52,0345",    "4.3211",     "25",
          "zorgtaken",  "nee"};
}

StatushouderCsv Mapper() {
  auto mapper = StatushouderCsv::ForHeader(kHeader);
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  return *mapper;
}

RowReject RejectOf(std::vector<std::string> fields) {
  auto mapped = Mapper().Map(Row(std::move(fields), 7));
  EXPECT_TRUE(std::holds_alternative<RowReject>(mapped));
  if (!std::holds_alternative<RowReject>(mapped)) return {};
  return std::get<RowReject>(mapped);
}

TEST(StatushouderCsv, MapsEveryColumnOfAGoodRow) {
  auto mapped = Mapper().Map(Row(GoodRow()));
  ASSERT_TRUE(std::holds_alternative<v1::Statushouder>(mapped))
      << std::get<RowReject>(mapped).field << ": " << std::get<RowReject>(mapped).reason;
  const v1::Statushouder& s = std::get<v1::Statushouder>(mapped);
  EXPECT_EQ(s.bsn(), "929180732");
  EXPECT_EQ(s.given_names(), "Amal");
  EXPECT_EQ(s.family_name(), "Haddad");
  EXPECT_EQ(s.birth_date(), "1990-04-12") << "DD-MM-YYYY becomes YYYY-MM-DD";
  EXPECT_EQ(s.gender(), v1::GENDER_VROUW);
  EXPECT_EQ(s.type(), v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
  EXPECT_EQ(s.country_of_origin(), "SY");
  EXPECT_EQ(s.vestigingsdatum(), "2026-09-01");
  EXPECT_TRUE(s.uitkering().bijstand());
  EXPECT_EQ(s.uitkering().start_date(), "2026-09-01");
  EXPECT_EQ(s.opleiding().level(), v1::EDUCATION_LEVEL_HOGER_BEROEPS);
  EXPECT_TRUE(s.opleiding().geschoold());
  EXPECT_EQ(s.prior_occupation_isco(), "2261");
  ASSERT_EQ(s.work_wishes_isco_size(), 2);
  EXPECT_EQ(s.work_wishes_isco(1), "32");
  ASSERT_EQ(s.availability_size(), 3);
  EXPECT_EQ(s.availability(0), v1::DAGDEEL_MAANDAG_OCHTEND);
  EXPECT_EQ(s.availability(1), v1::DAGDEEL_MAANDAG_MIDDAG);
  EXPECT_EQ(s.availability(2), v1::DAGDEEL_DINSDAG_OCHTEND);
  EXPECT_DOUBLE_EQ(s.home_location().latitude(), 52.0345) << "decimal comma accepted";
  EXPECT_DOUBLE_EQ(s.home_location().longitude(), 4.3211);
  EXPECT_EQ(s.max_travel_km(), 25);
  ASSERT_EQ(s.belemmeringen_size(), 1);
  EXPECT_EQ(s.belemmeringen(0), v1::BELEMMERING_ZORGTAKEN);
  EXPECT_FALSE(s.consent_share_identity());
}

TEST(StatushouderCsv, OptionalColumnsMayBeEmptyOrCutOff) {
  auto mapped =
      Mapper().Map(Row({"123456782", "", "Tesfay", "2001-01-31", "", "gezinsmigrant", "ER"}));
  ASSERT_TRUE(std::holds_alternative<v1::Statushouder>(mapped));
  const v1::Statushouder& s = std::get<v1::Statushouder>(mapped);
  EXPECT_TRUE(s.vestigingsdatum().empty()) << "still in the azc";
  EXPECT_FALSE(s.has_uitkering());
  EXPECT_FALSE(s.has_home_location());
}

TEST(StatushouderCsv, BadBsnIsRejectedWithoutEchoingIt) {
  auto row = GoodRow();
  row[0] = "929180733";
  RowReject reject = RejectOf(row);
  EXPECT_EQ(reject.row, 7);
  EXPECT_EQ(reject.field, "bsn");
  EXPECT_NE(reject.reason.find("11-proef"), std::string::npos);
  EXPECT_EQ(reject.reason.find("929180733"), std::string::npos);
}

TEST(StatushouderCsv, ImpossibleDateNamesTheColumn) {
  auto row = GoodRow();
  row[3] = "31-02-1990";
  RowReject reject = RejectOf(row);
  EXPECT_EQ(reject.field, "geboortedatum");
  EXPECT_NE(reject.reason.find("real date"), std::string::npos);
}

TEST(StatushouderCsv, MissingRequiredValueNamesTheColumn) {
  auto row = GoodRow();
  row[2] = "  ";
  EXPECT_EQ(RejectOf(row).field, "achternaam");
  EXPECT_EQ(RejectOf(row).reason, "is required");
}

TEST(StatushouderCsv, UnknownCodesNameTheColumnAndTheChoices) {
  auto row = GoodRow();
  row[5] = "toerist";
  RowReject reject = RejectOf(row);
  EXPECT_EQ(reject.field, "type");
  EXPECT_NE(reject.reason.find("asielstatushouder|gezinsmigrant|overig"), std::string::npos);

  row = GoodRow();
  row[14] = "ma-nacht";
  EXPECT_EQ(RejectOf(row).field, "beschikbaarheid");
  row = GoodRow();
  row[12] = "226";
  EXPECT_EQ(RejectOf(row).field, "beroep_isco");
  row = GoodRow();
  row[15] = "95";
  EXPECT_EQ(RejectOf(row).field, "woonlocatie_lat");
  row = GoodRow();
  row[8] = "misschien";
  EXPECT_EQ(RejectOf(row).field, "bijstand");
}

TEST(StatushouderCsv, TooManyFieldsPointAtTheRow) {
  auto row = GoodRow();
  row.push_back("extra");
  EXPECT_EQ(RejectOf(row).field, "rij");
}

TEST(StatushouderCsv, HeaderWithUnknownOrMissingColumnIsRefused) {
  auto unknown = StatushouderCsv::ForHeader(
      {"bsn", "achternaam", "geboortedatum", "type", "land_van_herkomst", "geboorteplaats"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("geboorteplaats"), std::string::npos);
  auto missing = StatushouderCsv::ForHeader({"bsn", "achternaam", "type", "land_van_herkomst"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("geboortedatum"), std::string::npos);
  auto twice = StatushouderCsv::ForHeader(
      {"bsn", "achternaam", "family_name", "geboortedatum", "type", "land_van_herkomst"});
  EXPECT_FALSE(twice.ok());
}

// Found by fuzz/csv_import_fuzzer: a file without its header line had its first row (BSN, name)
// quoted back as "unknown column" names.
TEST(StatushouderCsv, FileWithoutHeaderIsRefusedWithoutRepeatingTheFirstRow) {
  auto refused = StatushouderCsv::ForHeader({"123456782", "Haddad", "1990-04-12", "overig", "SY"});
  ASSERT_FALSE(refused.ok());
  const std::string message(refused.status().message());
  EXPECT_NE(message.find("first line"), std::string::npos) << message;
  EXPECT_EQ(message.find("123456782"), std::string::npos) << message;
  EXPECT_EQ(message.find("Haddad"), std::string::npos) << message;
  auto non_ascii = StatushouderCsv::ForHeader(
      {"bsn", "achternaam", "geboortedatum", "type", "land_van_herkomst", "H\xc3\xa4ddad"});
  ASSERT_FALSE(non_ascii.ok());
  EXPECT_NE(non_ascii.status().message().find("unknown column 6"), std::string::npos)
      << non_ascii.status();
}

TEST(StatushouderCsv, ApiFieldNamesAreAcceptedAsHeaders) {
  auto mapper =
      StatushouderCsv::ForHeader({"BSN", "family_name", "birth_date", "type", "country_of_origin"});
  ASSERT_TRUE(mapper.ok()) << mapper.status();
  auto mapped = mapper->Map(Row({"123456782", "Haddad", "1990-04-12", "overig", "UA"}));
  EXPECT_TRUE(std::holds_alternative<v1::Statushouder>(mapped));
}

TEST(StatushouderCsv, ServerFieldPathsMapBackToColumns) {
  EXPECT_EQ(ColumnForApiField("statushouder.birth_date"), "geboortedatum");
  EXPECT_EQ(ColumnForApiField("statushouder.uitkering.start_date"), "bijstand_start");
  EXPECT_EQ(ColumnForApiField("statushouder.vestigingsdatum"), "vestigingsdatum");
  EXPECT_EQ(ColumnForApiField("request"), "request");
}

TEST(Elfproef, AcceptsValidAndRefusesInvalidNumbers) {
  EXPECT_TRUE(PassesElfproef("123456782"));
  EXPECT_TRUE(PassesElfproef("111222333"));
  EXPECT_FALSE(PassesElfproef("123456789"));
  EXPECT_FALSE(PassesElfproef("000000000"));
  EXPECT_FALSE(PassesElfproef("12345678"));
  EXPECT_FALSE(PassesElfproef("12345678a"));
}

TEST(NormaliseDate, AcceptsIsoAndDutchOrder) {
  EXPECT_EQ(*NormaliseDate("2024-02-29"), "2024-02-29");
  EXPECT_EQ(*NormaliseDate("29-02-2024"), "2024-02-29");
  EXPECT_EQ(*NormaliseDate("01/03/2024"), "2024-03-01");
  EXPECT_FALSE(NormaliseDate("29-02-2023").ok());
  EXPECT_FALSE(NormaliseDate("2024-13-01").ok());
  EXPECT_FALSE(NormaliseDate("gisteren").ok());
}

}  // namespace
}  // namespace inburgering::cli

namespace inburgering::cli {
namespace {

// The documented example must stay importable: every row maps without a reject.
TEST(StatushouderCsvExample, EveryRowOfTheExampleFileMaps) {
  std::ifstream in(INBURGERING_CLI_EXAMPLE_CSV, std::ios::binary);
  ASSERT_TRUE(in) << INBURGERING_CLI_EXAMPLE_CSV;
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto doc = ParseCsv(buffer.str());
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->separator, ';');
  auto mapper = StatushouderCsv::ForHeader(doc->header);
  ASSERT_TRUE(mapper.ok()) << mapper.status();
  ASSERT_EQ(doc->rows.size(), 8u);
  for (const CsvRecord& row : doc->rows) {
    auto mapped = mapper->Map(row);
    ASSERT_TRUE(std::holds_alternative<v1::Statushouder>(mapped))
        << "row " << row.line << ": " << std::get<RowReject>(mapped).field << " "
        << std::get<RowReject>(mapped).reason;
  }
  auto last = mapper->Map(doc->rows.back());
  EXPECT_EQ(std::get<v1::Statushouder>(last).family_name(), "Tekle \"Dave\" Berhane");
}

}  // namespace
}  // namespace inburgering::cli

#include "cli/output.h"

#include <gtest/gtest.h>

#include "cli/enums.h"

namespace inburgering::cli {
namespace {

TEST(ExitCode, ScriptsCanTellTheOutcomesApart) {
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::OK), 0);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::NOT_FOUND), 3);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::UNAUTHENTICATED), 4);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::PERMISSION_DENIED), 4);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::UNAVAILABLE), 5);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::DEADLINE_EXCEEDED), 5);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::UNIMPLEMENTED), 7);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::INVALID_ARGUMENT), 1);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::ABORTED), 1);
}

TEST(ErrorLine, IsOneLineWithCodeAndMessage) {
  const std::string line = ErrorLine(
      "statushouder get", "inburgering.v1.IntakeService/GetStatushouder", "127.0.0.1:50051",
      grpc::Status(grpc::StatusCode::NOT_FOUND, "no such\nstatushouder"));
  EXPECT_EQ(line, "statushouder get: NOT_FOUND: no such statushouder");
}

TEST(ErrorLine, UnimplementedNamesTheCallAndTheServer) {
  const std::string line =
      ErrorLine("import statushouders", "inburgering.v1.IntakeService/ImportStatushouders",
                "127.0.0.1:50051", grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
  EXPECT_NE(line.find("ImportStatushouders"), std::string::npos);
  EXPECT_NE(line.find("127.0.0.1:50051"), std::string::npos);
  EXPECT_NE(line.find("UNIMPLEMENTED"), std::string::npos);
}

TEST(ErrorLine, UnauthenticatedHintsAtTheTokenWithoutShowingOne) {
  const std::string line = ErrorLine("pip overdue", "x", "t",
                                     grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no token"));
  EXPECT_NE(line.find("INBURGERING_TOKEN"), std::string::npos);
}

TEST(Enums, AcceptShortNamesInAnyCase) {
  EXPECT_EQ(*ParseEnumValue(v1::Leerroute_descriptor(), "Z-route"), v1::LEERROUTE_Z_ROUTE);
  EXPECT_EQ(*ParseEnumValue(v1::PlacementStatus_descriptor(), "beëindigd"),
            v1::PLACEMENT_STATUS_BEEINDIGD);
  EXPECT_EQ(*ParseEnumValue(v1::CefrLevel_descriptor(), "CEFR_LEVEL_B1"), v1::CEFR_LEVEL_B1);
  EXPECT_FALSE(ParseEnumValue(v1::Phase_descriptor(), "unspecified").ok());
  EXPECT_EQ(EnumLabel(v1::Phase_descriptor(), v1::PHASE_INTAKE), "intake");
}

TEST(Report, SuppressedCellsShowAStarAndAFootnote) {
  v1::Report report;
  report.set_scope("haaglanden");
  report.mutable_period()->set_from("2026-01-01");
  report.mutable_period()->set_to("2027-01-01");
  report.set_suppression_threshold(10);
  v1::ReportTable* table = report.add_tables();
  table->set_title("Uitkomsten plaatsingen");
  table->add_columns("GM0603");
  table->add_columns("totaal");
  table->add_column_labels("Rijswijk");
  table->add_column_labels("Totaal");
  v1::ReportRow* row = table->add_rows();
  row->set_label("Werk");
  row->add_cells()->set_suppressed(true);
  row->add_cells()->set_count(42);
  v1::ReportRow* pct = table->add_rows();
  pct->set_label("PIP binnen 10 weken");
  pct->add_cells()->set_percentage(87.5);
  pct->add_cells()->set_days(61);
  const std::string text = ReportText(report);
  EXPECT_NE(text.find("Uitkomsten plaatsingen"), std::string::npos);
  EXPECT_NE(text.find("Werk                        *      42"), std::string::npos) << text;
  EXPECT_NE(text.find("87.5%"), std::string::npos);
  EXPECT_NE(text.find("61 d"), std::string::npos);
  EXPECT_NE(text.find("* onderdrukt: minder dan 10"), std::string::npos);
}

TEST(Recommendations, ShowScoresAndReasonsPerComponent) {
  v1::RecommendWerkplekkenResponse response;
  response.set_places_considered(4);
  auto* r = response.add_recommendations();
  r->mutable_werkplek()->set_id("W1");
  r->mutable_werkplek()->set_title("Tandartsassistent");
  r->mutable_match()->set_score(0.8125);
  auto* c = r->mutable_match()->add_components();
  c->set_name("beroep");
  c->set_weight(0.3);
  c->set_value(1);
  c->set_reason("zelfde beroepsgroep (ISCO 2261 → 3251)");
  const std::string text = RecommendationsTable(response);
  EXPECT_NE(text.find("0.81"), std::string::npos) << text;
  EXPECT_NE(text.find("1 of 4"), std::string::npos);
  EXPECT_NE(text.find("zelfde beroepsgroep (ISCO 2261 → 3251)"), std::string::npos);
}

TEST(Json, UsesTheCanonicalMapping) {
  v1::Statushouder s;
  s.set_family_name("Haddad");
  s.set_phase(v1::PHASE_INTAKE);
  const std::string json = ToJson(s);
  EXPECT_NE(json.find("\"familyName\": \"Haddad\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"PHASE_INTAKE\""), std::string::npos);
}

}  // namespace
}  // namespace inburgering::cli

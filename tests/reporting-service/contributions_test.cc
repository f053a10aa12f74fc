// What one statushouder or placement contributes to the counters, and that updates diff exactly.
#include "reporting-service/contributions.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace inburgering::reporting {
namespace {

v1::Statushouder Person() {
  v1::Statushouder s;
  s.set_id("p1");
  s.set_gemeente("GM0603");
  s.set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
  s.set_country_of_origin("SY");
  s.set_vestigingsdatum("2026-03-10");
  s.set_phase(v1::PHASE_INTAKE);
  s.mutable_uitkering()->set_bijstand(true);
  s.mutable_uitkering()->set_start_date("2026-03-10");
  return s;
}

bool Has(const std::vector<AggregateKey>& keys, const std::string& dimension,
         const std::string& value, const std::string& month = "2026-03") {
  return std::count(keys.begin(), keys.end(), AggregateKey{"GM0603", month, dimension, value}) == 1;
}

TEST(PersonContributions, CountsInTheMonthOfVestiging) {
  const auto keys = PersonContributions(Person(), {});
  EXPECT_TRUE(Has(keys, "populatie", "totaal"));
  EXPECT_TRUE(Has(keys, "type", "asielstatushouder"));
  EXPECT_TRUE(Has(keys, "herkomst", "SY"));
  EXPECT_TRUE(Has(keys, "bijstand", "ja"));
  EXPECT_TRUE(Has(keys, "leerroute", "brede_intake"));
  EXPECT_TRUE(Has(keys, "pip", "geen"));
  EXPECT_TRUE(Has(keys, "integratieroute", "5"));
  EXPECT_TRUE(Has(keys, "bijstand_uitstroom", "nog_in_bijstand"));
}

TEST(PersonContributions, StillInTheAzcCountsInTheMonthOfRegistration) {
  v1::Statushouder s = Person();
  s.clear_vestigingsdatum();
  s.set_phase(v1::PHASE_VOORINBURGERING);
  s.mutable_create_time()->set_seconds(1767225600);  // 2026-01-01T00:00:00Z
  EXPECT_TRUE(Has(PersonContributions(s, {}), "populatie", "totaal", "2026-01"));
}

TEST(PersonContributions, PipAndLanguageGiveDaysFromVestiging) {
  v1::Statushouder s = Person();
  s.mutable_pip()->set_date("2026-05-01");  // 52 days after 2026-03-10
  s.mutable_pip()->set_leerroute(v1::LEERROUTE_B1);
  s.mutable_pip()->set_on_time(true);
  auto* a2 = s.add_language_measurements();
  a2->set_level(v1::CEFR_LEVEL_A2);
  a2->set_date("2026-06-01");
  auto* b1 = s.add_language_measurements();
  b1->set_level(v1::CEFR_LEVEL_B1);
  b1->set_date("2026-09-01");
  PlacementFacts facts;
  facts.talend = true;
  facts.first_start_date = "2026-04-10";
  facts.route = kRouteActivering;
  const auto keys = PersonContributions(s, facts);
  EXPECT_TRUE(Has(keys, "leerroute", "b1"));
  EXPECT_TRUE(Has(keys, "pip", "op_tijd"));
  EXPECT_TRUE(Has(keys, "dagen_vestiging_pip", "52"));
  EXPECT_TRUE(Has(keys, "dagen_vestiging_plaatsing", "31"));
  EXPECT_TRUE(Has(keys, "dagen_vestiging_b1", "175"));
  EXPECT_TRUE(Has(keys, "a2_b1", "talend"));
  EXPECT_TRUE(Has(keys, "dagen_a2_b1_talend", "92"));
  EXPECT_TRUE(Has(keys, "integratieroute", "3"));
}

TEST(PlacementFacts, BestRouteFirstStartAndTalend) {
  PlacementWithWerkplek vrijwillig, werk, voorgesteld;
  vrijwillig.placement.set_status(v1::PLACEMENT_STATUS_GESTART);
  vrijwillig.placement.set_start_date("2026-05-01");
  vrijwillig.werkplek_known = true;
  vrijwillig.werkplek.set_type(v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK);
  werk.placement.set_status(v1::PLACEMENT_STATUS_BEEINDIGD);
  werk.placement.set_start_date("2026-06-01");
  werk.placement.set_outcome(v1::PLACEMENT_OUTCOME_WERK);
  werk.werkplek_known = true;
  werk.werkplek.mutable_talende_omgeving()->set_dutch_working_language(true);
  voorgesteld.placement.set_status(v1::PLACEMENT_STATUS_VOORGESTELD);
  voorgesteld.placement.set_start_date("2026-01-01");
  const PlacementFacts facts = DerivePlacementFacts({vrijwillig, werk, voorgesteld});
  EXPECT_EQ(facts.first_start_date, "2026-05-01") << "a proposal is not a start";
  EXPECT_TRUE(facts.talend);
  EXPECT_EQ(facts.route, kRouteWerk);
}

TEST(PlacementContributions, OnlyAnEndedPlacementWithAnOutcomeCountsInItsEndMonth) {
  v1::Placement p;
  p.set_id("pl1");
  p.set_gemeente("GM0603");
  p.set_status(v1::PLACEMENT_STATUS_GESTART);
  p.set_start_date("2026-05-01");
  EXPECT_TRUE(PlacementContributions(p).empty());
  p.set_status(v1::PLACEMENT_STATUS_BEEINDIGD);
  p.set_outcome(v1::PLACEMENT_OUTCOME_WERK);
  p.set_op_niveau(v1::OP_NIVEAU_ONDER_NIVEAU);
  p.set_end_date("2026-07-15");
  const auto keys = PlacementContributions(p);
  EXPECT_TRUE(Has(keys, "uitkomst", "werk", "2026-07"));
  EXPECT_TRUE(Has(keys, "werk_niveau", "onder_niveau", "2026-07"));
}

// Issue 19.2: a declined or withdrawn proposal, and a placement ended without ever starting
// (stored before AFGEWEZEN existed), count nowhere: no outcome, no start, no route.
TEST(PlacementContributions, AProposalThatNeverStartedCountsNowhere) {
  for (v1::PlacementStatus status :
       {v1::PLACEMENT_STATUS_AFGEWEZEN, v1::PLACEMENT_STATUS_INGETROKKEN,
        v1::PLACEMENT_STATUS_BEEINDIGD}) {
    PlacementWithWerkplek pw;
    v1::Placement& p = pw.placement;
    p.set_id("pl1");
    p.set_gemeente("GM0603");
    p.set_status(status);
    p.set_end_date("2026-07-15");
    if (status == v1::PLACEMENT_STATUS_BEEINDIGD) {
      p.set_outcome(v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT);  // the old way to decline
    } else {
      p.set_declined_by(v1::PLACEMENT_PARTY_WERKGEVER);
      p.set_decline_reason_code("REISTIJD");
    }
    pw.werkplek_known = true;
    pw.werkplek.set_type(v1::WERKPLEK_TYPE_BETAALD_WERK);
    pw.werkplek.mutable_talende_omgeving()->set_dutch_working_language(true);
    EXPECT_TRUE(PlacementContributions(p).empty()) << status;
    const PlacementFacts facts = DerivePlacementFacts({pw});
    EXPECT_EQ(facts.route, 0) << status;
    EXPECT_FALSE(facts.talend) << status;
    EXPECT_TRUE(facts.first_start_date.empty()) << status;
  }
}

// Issue 19.3: one outcome per person, in the month it was reached: the placement that ended last
// (the better one on the same day); without one, "nog niet in staat" from the brede intake.
TEST(PersonContributions, OneOutcomePerPersonFromTheLastPlacementOrTheIntake) {
  v1::Statushouder s;
  s.set_id("s1");
  s.set_gemeente("GM0603");
  s.set_vestigingsdatum("2026-01-10");
  s.mutable_brede_intake()->set_date("2026-02-03");
  s.mutable_brede_intake()->set_intake_groep(v1::INTAKE_GROEP_NU_NIET_IN_STAAT);
  auto outcomes = [](const std::vector<AggregateKey>& keys) {
    std::vector<std::string> found;
    for (const AggregateKey& k : keys) {
      if (k.dimension == "uitkomst_persoon") found.push_back(k.month + " " + k.value);
    }
    return found;
  };
  EXPECT_EQ(outcomes(PersonContributions(s, {})),
            std::vector<std::string>{"2026-02 nog_niet_in_staat"})
      << "no placement needed";

  auto ended = [](const std::string& id, v1::PlacementOutcome outcome, const std::string& end) {
    PlacementWithWerkplek pw;
    pw.placement.set_id(id);
    pw.placement.set_status(v1::PLACEMENT_STATUS_BEEINDIGD);
    pw.placement.set_start_date("2026-03-01");
    pw.placement.set_end_date(end);
    pw.placement.set_outcome(outcome);
    return pw;
  };
  PlacementWithWerkplek declined;
  declined.placement.set_status(v1::PLACEMENT_STATUS_AFGEWEZEN);
  declined.placement.set_end_date("2026-09-01");
  const PlacementFacts facts = DerivePlacementFacts(
      {ended("p1", v1::PLACEMENT_OUTCOME_WERKERVARINGSPLAATS, "2026-05-20"),
       ended("p2", v1::PLACEMENT_OUTCOME_WERK, "2026-07-31"),
       ended("p3", v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT, "2026-07-31"), declined});
  EXPECT_EQ(outcomes(PersonContributions(s, facts)), std::vector<std::string>{"2026-07 werk"})
      << "the last, the better on the same day; once";
}

TEST(Diff, AnUpdateMovesOneCountAndAReplayChangesNothing) {
  v1::Statushouder before = Person();
  v1::Statushouder after = Person();
  after.set_phase(v1::PHASE_VERTROKKEN);
  const auto old_keys = PersonContributions(before, {});
  const auto new_keys = PersonContributions(after, {});
  const AggregateDelta delta = Diff(old_keys, new_keys);
  EXPECT_EQ(delta.at({"GM0603", "2026-03", "fase", "intake"}), -1);
  EXPECT_EQ(delta.at({"GM0603", "2026-03", "fase", "vertrokken"}), 1);
  EXPECT_EQ(delta.count({"GM0603", "2026-03", "populatie", "totaal"}), 0u);
  EXPECT_TRUE(Diff(new_keys, new_keys).empty());
}

TEST(Diff, MovingTheVestigingsdatumMovesEveryCountToTheOtherMonth) {
  v1::Statushouder after = Person();
  after.set_vestigingsdatum("2026-04-02");
  const AggregateDelta delta =
      Diff(PersonContributions(Person(), {}), PersonContributions(after, {}));
  EXPECT_EQ(delta.at({"GM0603", "2026-03", "populatie", "totaal"}), -1);
  EXPECT_EQ(delta.at({"GM0603", "2026-04", "populatie", "totaal"}), 1);
}

TEST(PeriodBuckets, WholeYearsReadTheRollUpAndEdgesReadMonths) {
  auto ranges = PeriodBuckets("2022-03", "2026-11");
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].from, "2022-03");
  EXPECT_EQ(ranges[0].to, "2023-01");
  EXPECT_EQ(ranges[1].from, "Y2023");
  EXPECT_EQ(ranges[1].to, "Y2026");
  EXPECT_EQ(ranges[2].from, "2026-01");
  EXPECT_EQ(ranges[2].to, "2026-11");
  ranges = PeriodBuckets("2024-01", "2025-01");
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].from, "Y2024");
  EXPECT_EQ(ranges[0].to, "Y2025");
  ranges = PeriodBuckets("2024-01", "2024-09");
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].from, "2024-01");
  EXPECT_EQ(ranges[0].to, "2024-09");
  ranges = PeriodBuckets("2024-05", "2025-03");
  ASSERT_EQ(ranges.size(), 1u) << "no whole year inside";
  EXPECT_EQ(ranges[0].to, "2025-03");
  EXPECT_GT(std::string("Y2024"), std::string("2099-12")) << "roll-ups never fall in a month range";
}

TEST(Histogram, EncodesSortedWithoutZerosAndDecodesBack) {
  const std::map<int64_t, int64_t> h = {{52, 2}, {-3, 1}, {80, 0}, {700, 5}};
  EXPECT_EQ(EncodeHistogram(h), "-3:1,52:2,700:5");
  EXPECT_EQ(DecodeHistogram("-3:1,52:2,700:5"),
            (std::map<int64_t, int64_t>{{-3, 1}, {52, 2}, {700, 5}}));
  EXPECT_TRUE(DecodeHistogram("").empty());
  EXPECT_TRUE(IsHistogramDimension("dagen_vestiging_pip"));
  EXPECT_FALSE(IsHistogramDimension("pip"));
}

TEST(EncodeKeys, RoundTrips) {
  const auto keys = PersonContributions(Person(), {});
  EXPECT_EQ(DecodeKeys("GM0603", EncodeKeys(keys)), keys);
}

}  // namespace
}  // namespace inburgering::reporting

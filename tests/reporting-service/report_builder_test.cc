// Report tables from counters, and disclosure control: the tests play the attacker and try to
// derive suppressed cells from totals, other columns, other tables and percentages.
#include "reporting-service/report_builder.h"

#include <gtest/gtest.h>

#include <random>

namespace inburgering::reporting {
namespace {

const std::vector<ReportColumn> kGemeenteColumn = {{"GM0603", "Rijswijk", {"GM0603"}}};
std::vector<ReportColumn> RegionColumns() {
  return {{"GM0603", "Rijswijk", {"GM0603"}},
          {"GM0518", "'s-Gravenhage", {"GM0518"}},
          {"GM0503", "Delft", {"GM0503"}},
          {"totaal", "Totaal Haaglanden", {"GM0603", "GM0518", "GM0503"}}};
}

const ModelTable& Table(const ReportModel& m, const std::string& key) {
  for (const ModelTable& t : m.tables) {
    if (t.key == key) return t;
  }
  ADD_FAILURE() << "no table " << key;
  return m.tables.front();
}

std::optional<double> Value(const ModelTable& t, const std::string& row, int column = 0) {
  for (const ModelRow& r : t.rows) {
    if (r.key == row) return r.values[column];
  }
  ADD_FAILURE() << "no row " << row << " in " << t.key;
  return std::nullopt;
}

// Seed 000 (Rijswijk 2024): werk 7, werkervaringsplaats 12, opleiding 4, nog niet in staat 11.
// People (uitkomst_persoon: uitkomsten) and placements (uitkomst: uitkomsten_plaatsingen) are two
// tables of the same shape; issue 19.3: the seed's table counts people.
TEST(BuildReportModel, ReproducesSeed000OutcomeTable) {
  Figures f;
  f["GM0603"]["uitkomst_persoon"] = {
      {"werk", 7}, {"werkervaringsplaats", 12}, {"opleiding", 4}, {"nog_niet_in_staat", 11}};
  f["GM0603"]["uitkomst"] = {{"werk", 7}, {"werkervaringsplaats", 14}, {"opleiding", 4}};
  const ReportModel m = BuildReportModel(f, kGemeenteColumn, false);
  const ModelTable& t = Table(m, "uitkomsten");
  ASSERT_EQ(t.rows.size(), 5u);
  EXPECT_EQ(t.rows[0].label, "Werk");
  EXPECT_EQ(*Value(t, "werk"), 7);
  EXPECT_EQ(*Value(t, "werkervaringsplaats"), 12);
  EXPECT_EQ(*Value(t, "opleiding"), 4);
  EXPECT_EQ(*Value(t, "nog_niet_in_staat"), 11);
  EXPECT_EQ(*Value(t, "totaal"), 34);
  const ModelTable& per_placement = Table(m, "uitkomsten_plaatsingen");
  EXPECT_EQ(*Value(per_placement, "werkervaringsplaats"), 14);
  EXPECT_EQ(*Value(per_placement, "totaal"), 25);
}

// Seed 003 (Rijswijk 2022-2024): 154 asielstatushouders, 113 gezinsmigranten; Syrië 187,
// Turkije 53, overig 27; 240 with uitkering; 160 geschoold.
TEST(BuildReportModel, ReproducesSeed003PopulationTables) {
  Figures f;
  auto& g = f["GM0603"];
  g["populatie"]["totaal"] = 267;
  g["type"] = {{"asielstatushouder", 154}, {"gezinsmigrant", 113}};
  g["herkomst"] = {{"SY", 187}, {"TR", 53}, {"IQ", 9}, {"IR", 8}, {"AF", 6}, {"ER", 4}};
  g["bijstand"] = {{"ja", 240}, {"nee", 27}};
  g["geschoold"] = {{"ja", 160}, {"nee", 107}};
  const ReportModel m = BuildReportModel(f, kGemeenteColumn, false);
  EXPECT_EQ(*Value(Table(m, "populatie_type"), "asielstatushouder"), 154);
  EXPECT_EQ(*Value(Table(m, "populatie_type"), "gezinsmigrant"), 113);
  const ModelTable& herkomst = Table(m, "populatie_herkomst");
  ASSERT_EQ(herkomst.rows.size(), 4u) << "totaal, Syrië, Turkije, overig";
  EXPECT_EQ(herkomst.rows[1].label, "Syrië");
  EXPECT_EQ(*herkomst.rows[1].values[0], 187);
  EXPECT_EQ(herkomst.rows[2].label, "Turkije");
  EXPECT_EQ(*herkomst.rows[2].values[0], 53);
  EXPECT_EQ(*Value(herkomst, "overig"), 27);
  EXPECT_EQ(*Value(Table(m, "populatie_uitkering"), "ja"), 240);
  EXPECT_EQ(*Value(Table(m, "populatie_uitkering"), "nee"), 27);
  EXPECT_EQ(*Value(Table(m, "populatie_scholing"), "ja"), 160);
}

TEST(BuildReportModel, PercentagesAndMediansPerColumnAndForTheTotal) {
  Figures f;
  f["GM0603"]["pip"] = {{"op_tijd", 3}, {"te_laat", 1}};
  f["GM0603"]["dagen_vestiging_pip"] = {{"40", 1}, {"50", 2}, {"90", 1}};
  f["GM0518"]["pip"] = {{"op_tijd", 1}, {"te_laat", 3}};
  f["GM0518"]["dagen_vestiging_pip"] = {{"60", 1}, {"80", 3}};
  const ReportModel m = BuildReportModel(f, RegionColumns(), true);
  const ModelTable& t = Table(m, "tijdigheid");
  EXPECT_EQ(*Value(t, "pip_op_tijd_pct", 0), 75.0);
  EXPECT_EQ(*Value(t, "pip_op_tijd_pct", 1), 25.0);
  EXPECT_FALSE(Value(t, "pip_op_tijd_pct", 2).has_value()) << "no PIPs: not applicable";
  EXPECT_EQ(*Value(t, "pip_op_tijd_pct", 3), 50.0);
  EXPECT_EQ(*Value(t, "mediaan_dagen_vestiging_pip", 0), 50.0);
  EXPECT_EQ(*Value(t, "mediaan_dagen_vestiging_pip", 1), 80.0);
  EXPECT_EQ(*Value(t, "mediaan_dagen_vestiging_pip", 3), 70.0) << "40 50 50 60 80 80 80 90";
}

TEST(Median, OddEvenAndEmpty) {
  EXPECT_EQ(*Median({{3, 1}, {7, 1}, {9, 1}}), 7.0);
  EXPECT_EQ(*Median({{3, 1}, {7, 1}}), 5.0);
  EXPECT_EQ(*Median({{10, 5}}), 10.0);
  EXPECT_FALSE(Median({}).has_value());
}

// The attacker: knows every visible value, the report's structure (which rows add up to which,
// that the last column is the sum of the others, which cells hold the same figure) and the
// percentages, and solves every equation with one unknown until nothing more follows.
struct Attack {
  std::vector<std::vector<std::vector<std::optional<double>>>> known;
};

Attack Derive(const ReportModel& m, const Suppression& s) {
  const int ncols = static_cast<int>(m.columns.size());
  Attack a;
  a.known.resize(m.tables.size());
  for (size_t t = 0; t < m.tables.size(); ++t) {
    a.known[t].resize(m.tables[t].rows.size());
    for (size_t r = 0; r < m.tables[t].rows.size(); ++r) {
      for (int c = 0; c < ncols; ++c) {
        a.known[t][r].push_back(s[t][r][c] ? std::nullopt : m.tables[t].rows[r].values[c]);
        if (!s[t][r][c] && !a.known[t][r][c] && m.tables[t].rows[r].kind == RowKind::kCount) {
          a.known[t][r][c] = 0;
        }
      }
    }
  }
  auto solve = [&](std::vector<std::optional<double>*> parts, std::optional<double>* total) {
    int unknown = total->has_value() ? 0 : 1;
    for (auto* p : parts) unknown += p->has_value() ? 0 : 1;
    if (unknown != 1) return false;
    double sum = 0;
    for (auto* p : parts) sum += p->value_or(0);
    if (!total->has_value()) {
      *total = sum;
    } else {
      for (auto* p : parts) {
        if (!p->has_value()) *p = **total - sum;
      }
    }
    return true;
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t t = 0; t < m.tables.size(); ++t) {
      const ModelTable& table = m.tables[t];
      for (const auto& g : table.sum_groups) {
        for (int c = 0; c < ncols; ++c) {
          std::vector<std::optional<double>*> parts;
          for (size_t i = 1; i < g.size(); ++i) parts.push_back(&a.known[t][g[i]][c]);
          progress |= solve(parts, &a.known[t][g[0]][c]);
        }
      }
      for (size_t r = 0; r < table.rows.size(); ++r) {
        const ModelRow& row = table.rows[r];
        if (m.last_column_is_total && row.kind == RowKind::kCount) {
          std::vector<std::optional<double>*> parts;
          for (int c = 0; c + 1 < ncols; ++c) parts.push_back(&a.known[t][r][c]);
          progress |= solve(parts, &a.known[t][r][ncols - 1]);
        }
        if (row.kind == RowKind::kPercentage) {
          for (int c = 0; c < ncols; ++c) {
            auto& pct = a.known[t][r][c];
            auto& num = a.known[t][row.numerator][c];
            auto& den = a.known[t][row.denominator][c];
            if (!pct) continue;
            if (den && !num) {
              num = *pct * *den / 100.0;
              progress = true;
            } else if (num && !den && *pct > 0) {
              den = *num * 100.0 / *pct;
              progress = true;
            }
          }
        }
      }
    }
    // Cells holding the same figure in other tables.
    for (size_t t = 0; t < m.tables.size(); ++t) {
      for (size_t r = 0; r < m.tables[t].rows.size(); ++r) {
        const std::string& link = m.tables[t].rows[r].link;
        if (link.empty()) continue;
        for (size_t t2 = 0; t2 < m.tables.size(); ++t2) {
          for (size_t r2 = 0; r2 < m.tables[t2].rows.size(); ++r2) {
            if (m.tables[t2].rows[r2].link != link) continue;
            for (int c = 0; c < ncols; ++c) {
              if (a.known[t][r][c] && !a.known[t2][r2][c]) {
                a.known[t2][r2][c] = a.known[t][r][c];
                progress = true;
              }
            }
          }
        }
      }
    }
  }
  return a;
}

// Every suppressed count stays unknown to the attacker.
void ExpectNothingDerivable(const ReportModel& m, const Suppression& s) {
  const Attack a = Derive(m, s);
  for (size_t t = 0; t < m.tables.size(); ++t) {
    for (size_t r = 0; r < m.tables[t].rows.size(); ++r) {
      for (size_t c = 0; c < m.columns.size(); ++c) {
        if (s[t][r][c] && m.tables[t].rows[r].kind == RowKind::kCount) {
          EXPECT_FALSE(a.known[t][r][c].has_value())
              << "derived " << m.tables[t].key << "." << m.tables[t].rows[r].key << " column "
              << m.columns[c].key << " = " << *a.known[t][r][c];
        }
      }
    }
  }
}

Figures Seed000Outcomes() {
  Figures f;
  f["GM0603"]["uitkomst"] = {
      {"werk", 7}, {"werkervaringsplaats", 12}, {"opleiding", 4}, {"nog_niet_in_staat", 11}};
  return f;
}

TEST(Suppress, SmallCellsAndTheNextSmallestAreHiddenSoTheTotalRevealsNothing) {
  const ReportModel m = BuildReportModel(Seed000Outcomes(), kGemeenteColumn, false);
  const Suppression s = Suppress(m, {}, 10);
  size_t t = 0;
  while (m.tables[t].key != "uitkomsten_plaatsingen") ++t;
  // werk 7 and opleiding 4 are below 10; two unknowns in one sum cannot be solved... unless the
  // werk figure is published elsewhere (werk_op_niveau links it), which the attacker also tries.
  EXPECT_TRUE(s[t][0][0]) << "werk 7";
  EXPECT_TRUE(s[t][2][0]) << "opleiding 4";
  EXPECT_FALSE(s[t][1][0]) << "werkervaringsplaats 12 is visible";
  ExpectNothingDerivable(m, s);
}

TEST(Suppress, OneSmallCellForcesTheNextSmallestInItsRowAndColumn) {
  Figures f;
  f["GM0603"]["uitkomst"] = {
      {"werk", 3}, {"werkervaringsplaats", 40}, {"opleiding", 20}, {"nog_niet_in_staat", 30}};
  const ReportModel m = BuildReportModel(f, kGemeenteColumn, false);
  const Suppression s = Suppress(m, {}, 10);
  size_t t = 0;
  while (m.tables[t].key != "uitkomsten_plaatsingen") ++t;
  EXPECT_TRUE(s[t][0][0]);
  EXPECT_TRUE(s[t][2][0]) << "opleiding 20 is the next smallest";
  EXPECT_FALSE(s[t][4][0]) << "the total 93 can stay";
  ExpectNothingDerivable(m, s);
}

TEST(Suppress, TheOwnGemeenteSeesEverythingAndOthersCannotBeDerivedFromIt) {
  Figures f;
  f["GM0603"]["uitkomst"] = {
      {"werk", 2}, {"werkervaringsplaats", 15}, {"opleiding", 1}, {"nog_niet_in_staat", 11}};
  f["GM0518"]["uitkomst"] = {
      {"werk", 30}, {"werkervaringsplaats", 5}, {"opleiding", 25}, {"nog_niet_in_staat", 40}};
  f["GM0503"]["uitkomst"] = {
      {"werk", 12}, {"werkervaringsplaats", 14}, {"opleiding", 16}, {"nog_niet_in_staat", 18}};
  const ReportModel m = BuildReportModel(f, RegionColumns(), true);
  const Suppression s = Suppress(m, {0}, 10);  // a Rijswijk caller
  for (size_t t = 0; t < m.tables.size(); ++t) {
    for (size_t r = 0; r < m.tables[t].rows.size(); ++r) {
      EXPECT_FALSE(s[t][r][0]) << "own column " << m.tables[t].key << "."
                               << m.tables[t].rows[r].key;
    }
  }
  size_t t = 0;
  while (m.tables[t].key != "uitkomsten_plaatsingen") ++t;
  EXPECT_TRUE(s[t][1][1]) << "Den Haag werkervaringsplaats 5";
  ExpectNothingDerivable(m, s);
}

TEST(Suppress, PercentagesFollowTheirCounts) {
  Figures f;
  f["GM0603"]["pip"] = {{"op_tijd", 4}, {"te_laat", 30}, {"geen", 20}};
  f["GM0603"]["populatie"]["totaal"] = 54;
  const ReportModel m = BuildReportModel(f, kGemeenteColumn, false);
  const Suppression s = Suppress(m, {}, 10);
  size_t t = 0;
  while (m.tables[t].key != "tijdigheid") ++t;
  int pct = -1;
  for (size_t r = 0; r < m.tables[t].rows.size(); ++r) {
    if (m.tables[t].rows[r].key == "pip_op_tijd_pct") pct = static_cast<int>(r);
  }
  ASSERT_GE(pct, 0);
  EXPECT_TRUE(s[t][pct][0]) << "4 of 34 on time: the percentage would reveal the 4";
  ExpectNothingDerivable(m, s);
}

TEST(Suppress, ZeroIsSuppressedToo) {
  Figures f;
  f["GM0603"]["uitkomst"] = {
      {"werk", 0}, {"werkervaringsplaats", 40}, {"opleiding", 20}, {"nog_niet_in_staat", 30}};
  const ReportModel m = BuildReportModel(f, kGemeenteColumn, false);
  const Suppression s = Suppress(m, {}, 10);
  size_t t = 0;
  while (m.tables[t].key != "uitkomsten_plaatsingen") ++t;
  EXPECT_TRUE(s[t][0][0]);
  ExpectNothingDerivable(m, s);
}

TEST(Suppress, ThresholdZeroSuppressesNothing) {
  const ReportModel m = BuildReportModel(Seed000Outcomes(), kGemeenteColumn, false);
  const Suppression s = Suppress(m, {}, 0);
  for (const auto& table : s) {
    for (const auto& row : table) {
      for (bool cell : row) EXPECT_FALSE(cell);
    }
  }
}

// Many random regions, every kind of caller: the attacker never learns a suppressed count.
TEST(Suppress, RandomRegionsNeverRevealASuppressedCell) {
  std::mt19937 rng(20261123);
  const std::vector<std::string> gemeenten = {"GM0603", "GM0518", "GM0503"};
  for (int trial = 0; trial < 200; ++trial) {
    Figures f;
    for (const std::string& g : gemeenten) {
      // Small and large populations, so some columns are mostly suppressed and some are not.
      const int scale = std::uniform_int_distribution<int>(0, 2)(rng) == 0 ? 12 : 120;
      auto pick = [&](int max) { return std::uniform_int_distribution<int>(0, max)(rng); };
      auto& d = f[g];
      int64_t pop = 0;
      for (const char* v : {"asielstatushouder", "gezinsmigrant", "overig"}) {
        const int n = pick(scale);
        d["type"][v] = n;
        pop += n;
      }
      d["populatie"]["totaal"] = pop;
      // Split the population over the values of other dimensions.
      auto split = [&](const char* dimension, std::vector<const char*> values) {
        int64_t left = pop;
        for (size_t i = 0; i + 1 < values.size(); ++i) {
          const int64_t n = left == 0 ? 0 : std::uniform_int_distribution<int64_t>(0, left)(rng);
          d[dimension][values[i]] = n;
          left -= n;
        }
        d[dimension][values.back()] = left;
        return d[dimension];
      };
      split("herkomst", {"SY", "TR", "ER", "IQ"});
      split("bijstand", {"ja", "nee"});
      split("geschoold", {"ja", "nee"});
      split("leerroute", {"b1", "onderwijsroute", "z_route", "brede_intake", "geen"});
      split("fase", {"intake", "inburgering", "afgerond", "vertrokken"});
      split("integratieroute", {"1", "2", "3", "4", "5"});
      auto bi = split("brede_intake", {"gestart", "niet_gestart"});
      split("pip", {"op_tijd", "te_laat", "geen"});
      split("plaatsing", {"ja", "nee"});
      split("b1", {"ja", "nee"});
      int64_t started = bi["gestart"];
      for (const char* v : {"klaar_voor_werk", "route_naar_werk"}) {
        const int64_t n =
            started == 0 ? 0 : std::uniform_int_distribution<int64_t>(0, started)(rng);
        d["intakegroep"][v] = n;
        started -= n;
      }
      d["intakegroep"]["nu_niet_in_staat"] = started;
      int64_t werk = pick(scale / 2);
      d["uitkomst"] = {{"werk", werk},
                       {"werkervaringsplaats", pick(scale / 2)},
                       {"opleiding", pick(scale / 3)},
                       {"nog_niet_in_staat", pick(scale / 2)}};
      const int64_t op = werk == 0 ? 0 : std::uniform_int_distribution<int64_t>(0, werk)(rng);
      d["werk_niveau"] = {{"op_niveau", op}, {"onder_niveau", werk - op}};
      const int64_t bijstand = d["bijstand"]["ja"];
      const int64_t uit =
          bijstand == 0 ? 0 : std::uniform_int_distribution<int64_t>(0, bijstand)(rng);
      d["bijstand_uitstroom"] = {{"uitgestroomd", uit}, {"nog_in_bijstand", bijstand - uit}};
      d["a2_b1"] = {{"talend", pick(scale / 3)}, {"niet_talend", pick(scale / 3)}};
    }
    const ReportModel region = BuildReportModel(f, RegionColumns(), true);
    for (const std::set<int>& owned : std::vector<std::set<int>>{{}, {0}, {1}, {2}}) {
      ExpectNothingDerivable(region, Suppress(region, owned, 10));
    }
    const ReportModel single = BuildReportModel(f, kGemeenteColumn, false);
    ExpectNothingDerivable(single, Suppress(single, {}, 10));
    if (HasFailure()) {
      ADD_FAILURE() << "trial " << trial;
      return;
    }
  }
}

TEST(ToProto, SuppressedCellsCarryNoValue) {
  const ReportModel m = BuildReportModel(Seed000Outcomes(), kGemeenteColumn, false);
  v1::Report report;
  ToProto(m, Suppress(m, {}, 10), &report);
  for (const auto& table : report.tables()) {
    ASSERT_EQ(table.columns_size(), 1);
    for (const auto& row : table.rows()) {
      for (const auto& cell : row.cells()) {
        if (cell.suppressed()) {
          EXPECT_EQ(cell.value_case(), v1::ReportCell::VALUE_NOT_SET);
        }
      }
    }
  }
}

}  // namespace
}  // namespace inburgering::reporting

#include "reporting-service/report_builder.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"

namespace inburgering::reporting {
namespace {

// Dutch names of the countries of origin that occur most (ISO 3166-1 alpha-2).
std::string CountryLabel(const std::string& code) {
  static const std::map<std::string, std::string> kNames = {{"SY", "Syrië"},
                                                            {"TR", "Turkije"},
                                                            {"ER", "Eritrea"},
                                                            {"AF", "Afghanistan"},
                                                            {"IQ", "Irak"},
                                                            {"IR", "Iran"},
                                                            {"YE", "Jemen"},
                                                            {"UA", "Oekraïne"},
                                                            {"SO", "Somalië"},
                                                            {"SD", "Soedan"},
                                                            {"ET", "Ethiopië"},
                                                            {"MA", "Marokko"},
                                                            {"PS", "Palestijnse Gebieden"},
                                                            {"CN", "China"},
                                                            {"IN", "India"},
                                                            {"RU", "Rusland"},
                                                            {"NG", "Nigeria"},
                                                            {"LY", "Libië"},
                                                            {"LB", "Libanon"}};
  auto it = kNames.find(code);
  return it == kNames.end() ? code : it->second;
}

ModelRow MakeRow(std::string key, std::string label, RowKind kind) {
  ModelRow row;
  row.key = std::move(key);
  row.label = std::move(label);
  row.kind = kind;
  return row;
}

// Builds one table row by row from the figures.
class TableBuilder {
 public:
  TableBuilder(const Figures& figures, const std::vector<ReportColumn>& columns, std::string key,
               std::string title)
      : figures_(figures), columns_(columns) {
    table_.key = std::move(key);
    table_.title = std::move(title);
  }

  int64_t Sum(const ReportColumn& column, const std::string& dimension,
              const std::string& value) const {
    int64_t sum = 0;
    for (const std::string& g : column.gemeenten) {
      auto gi = figures_.find(g);
      if (gi == figures_.end()) continue;
      auto di = gi->second.find(dimension);
      if (di == gi->second.end()) continue;
      auto vi = di->second.find(value);
      if (vi != di->second.end()) sum += vi->second;
    }
    return sum;
  }

  // A count row of dimension=value; several values are summed.
  int Count(std::string key, std::string label, const std::string& dimension,
            const std::vector<std::string>& values, std::string link = "") {
    ModelRow row = MakeRow(std::move(key), std::move(label), RowKind::kCount);
    row.link = std::move(link);
    for (const ReportColumn& c : columns_) {
      int64_t n = 0;
      for (const std::string& v : values) n += Sum(c, dimension, v);
      row.values.push_back(static_cast<double>(n));
    }
    return Add(std::move(row));
  }

  // A count row that is the sum of other rows of this table.
  int SumOf(std::string key, std::string label, const std::vector<int>& parts,
            std::string link = "") {
    ModelRow row = MakeRow(std::move(key), std::move(label), RowKind::kCount);
    row.link = std::move(link);
    for (size_t c = 0; c < columns_.size(); ++c) {
      double n = 0;
      for (int p : parts) n += *table_.rows[p].values[c];
      row.values.push_back(n);
    }
    return Add(std::move(row));
  }

  int Percentage(std::string key, std::string label, int numerator, int denominator) {
    ModelRow row = MakeRow(std::move(key), std::move(label), RowKind::kPercentage);
    row.numerator = numerator;
    row.denominator = denominator;
    for (size_t c = 0; c < columns_.size(); ++c) {
      const double num = *table_.rows[numerator].values[c];
      const double den = *table_.rows[denominator].values[c];
      row.values.push_back(den > 0 ? std::optional<double>(100.0 * num / den) : std::nullopt);
    }
    return Add(std::move(row));
  }

  int MedianDays(std::string key, std::string label, const std::vector<std::string>& dimensions,
                 int basis) {
    ModelRow row = MakeRow(std::move(key), std::move(label), RowKind::kDays);
    row.basis = basis;
    for (const ReportColumn& c : columns_) {
      std::map<int64_t, int64_t> histogram;
      for (const std::string& g : c.gemeenten) {
        auto gi = figures_.find(g);
        if (gi == figures_.end()) continue;
        for (const std::string& dimension : dimensions) {
          auto di = gi->second.find(dimension);
          if (di == gi->second.end()) continue;
          for (const auto& [value, n] : di->second) {
            int64_t days;
            if (n > 0 && absl::SimpleAtoi(value, &days)) histogram[days] += n;
          }
        }
      }
      row.values.push_back(Median(histogram));
    }
    return Add(std::move(row));
  }

  void Group(std::vector<int> rows) { table_.sum_groups.push_back(std::move(rows)); }
  ModelTable Take() { return std::move(table_); }

 private:
  int Add(ModelRow row) {
    table_.rows.push_back(std::move(row));
    return static_cast<int>(table_.rows.size()) - 1;
  }

  const Figures& figures_;
  const std::vector<ReportColumn>& columns_;
  ModelTable table_;
};

constexpr char kPopulation[] = "populatie_totaal";

// A population table: total, then one row per value of `dimension`.
ModelTable Breakdown(const Figures& f, const std::vector<ReportColumn>& cols, const char* key,
                     const char* title,
                     const std::vector<std::tuple<std::string, std::string, std::string>>& rows) {
  TableBuilder t(f, cols, key, title);
  std::vector<int> group = {t.Count("totaal", "Totaal", "populatie", {"totaal"}, kPopulation)};
  for (const auto& [dimension_value, label, link] : rows) {
    const size_t bar = dimension_value.find('=');
    group.push_back(t.Count(dimension_value.substr(bar + 1), label, dimension_value.substr(0, bar),
                            {dimension_value.substr(bar + 1)}, link));
  }
  t.Group(group);
  return t.Take();
}

}  // namespace

std::optional<double> Median(const std::map<int64_t, int64_t>& histogram) {
  int64_t n = 0;
  for (const auto& [value, count] : histogram) n += count;
  if (n == 0) return std::nullopt;
  // The values at positions (n-1)/2 and n/2 (0-based); their mean is the median.
  const int64_t lo_pos = (n - 1) / 2, hi_pos = n / 2;
  std::optional<int64_t> lo, hi;
  int64_t seen = 0;
  for (const auto& [value, count] : histogram) {
    if (!lo && lo_pos < seen + count) lo = value;
    if (!hi && hi_pos < seen + count) hi = value;
    seen += count;
    if (lo && hi) break;
  }
  return (static_cast<double>(*lo) + static_cast<double>(*hi)) / 2.0;
}

ReportModel BuildReportModel(const Figures& f, std::vector<ReportColumn> columns,
                             bool last_column_is_total) {
  ReportModel model;
  model.columns = std::move(columns);
  model.last_column_is_total = last_column_is_total;
  const std::vector<ReportColumn>& cols = model.columns;

  model.tables.push_back(Breakdown(f, cols, "populatie_type", "Populatie naar type",
                                   {{"type=asielstatushouder", "Asielstatushouder", ""},
                                    {"type=gezinsmigrant", "Gezinsmigrant", ""},
                                    {"type=overig", "Overig", ""},
                                    {"type=onbekend", "Onbekend", ""}}));

  // Origin: a country gets its own row when it is at least 10% of the population over all
  // columns (at most five), the rest is "overig"; so the rows follow the data, not a fixed list.
  {
    TableBuilder t(f, cols, "populatie_herkomst", "Populatie naar land van herkomst");
    ReportColumn all{"alle", "", {}};
    for (const ReportColumn& c : cols) {
      for (const std::string& g : c.gemeenten) {
        if (std::find(all.gemeenten.begin(), all.gemeenten.end(), g) == all.gemeenten.end()) {
          all.gemeenten.push_back(g);
        }
      }
    }
    std::map<std::string, int64_t> by_country;
    for (const std::string& g : all.gemeenten) {
      auto gi = f.find(g);
      if (gi == f.end()) continue;
      auto di = gi->second.find("herkomst");
      if (di == gi->second.end()) continue;
      for (const auto& [country, n] : di->second) by_country[country] += n;
    }
    const int64_t population = t.Sum(all, "populatie", "totaal");
    std::vector<std::pair<int64_t, std::string>> top;
    for (const auto& [country, n] : by_country) {
      if (country != "onbekend" && n > 0 && n * 10 >= population) top.push_back({-n, country});
    }
    std::sort(top.begin(), top.end());
    if (top.size() > 5) top.resize(5);
    std::vector<int> group = {t.Count("totaal", "Totaal", "populatie", {"totaal"}, kPopulation)};
    std::vector<std::string> rest;
    for (const auto& entry : by_country) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const std::string& country = entry.first;
      if (std::none_of(top.begin(), top.end(),
                       [&](const auto& e) { return e.second == country; })) {
        rest.push_back(country);
      }
    }
    for (const auto& [n, country] : top) {
      group.push_back(t.Count(country, CountryLabel(country), "herkomst", {country}));
    }
    group.push_back(t.Count("overig", "Overig", "herkomst", rest));
    t.Group(group);
    model.tables.push_back(t.Take());
  }

  model.tables.push_back(Breakdown(f, cols, "populatie_uitkering", "Populatie naar uitkering",
                                   {{"bijstand=ja", "Bijstandsuitkering", "bijstand_ja"},
                                    {"bijstand=nee", "Geen uitkering", ""}}));
  model.tables.push_back(
      Breakdown(f, cols, "populatie_scholing", "Populatie naar scholing",
                {{"geschoold=ja", "Geschoold", ""}, {"geschoold=nee", "Ongeschoold", ""}}));
  model.tables.push_back(Breakdown(f, cols, "populatie_leerroute", "Populatie naar leerroute",
                                   {{"leerroute=b1", "B1-route", ""},
                                    {"leerroute=onderwijsroute", "Onderwijsroute", ""},
                                    {"leerroute=z_route", "Z-route", ""},
                                    {"leerroute=brede_intake", "Nog in brede intake", ""},
                                    {"leerroute=geen", "Geen leerroute", ""}}));
  model.tables.push_back(Breakdown(f, cols, "populatie_fase", "Populatie naar fase",
                                   {{"fase=voorinburgering", "Voorinburgering", ""},
                                    {"fase=intake", "Intake", ""},
                                    {"fase=inburgering", "Inburgering", ""},
                                    {"fase=afgerond", "Afgerond", ""},
                                    {"fase=ontheven", "Ontheven", ""},
                                    {"fase=vrijgesteld", "Vrijgesteld", ""},
                                    {"fase=vertrokken", "Vertrokken", ""},
                                    {"fase=onbekend", "Onbekend", ""}}));

  {
    TableBuilder t(f, cols, "intakegroepen", "Groepen na de brede intake");
    std::vector<int> group = {t.Count("brede_intake_gestart", "Brede intake gestart",
                                      "brede_intake", {"gestart"}, "brede_intake_gestart")};
    group.push_back(
        t.Count("klaar_voor_werk", "Klaar voor werk", "intakegroep", {"klaar_voor_werk"}));
    group.push_back(t.Count("route_naar_werk", "Route naar werk (arbeidsfit)", "intakegroep",
                            {"route_naar_werk"}));
    group.push_back(
        t.Count("nu_niet_in_staat", "Nu niet in staat", "intakegroep", {"nu_niet_in_staat"}));
    group.push_back(t.Count("onbekend", "Groep onbekend", "intakegroep", {"onbekend"}));
    t.Group(group);
    model.tables.push_back(t.Take());
  }

  // Seed 000's table, in its order: people, one outcome each (contributions.cc,
  // PersonContributions: the placement that ended last, or "nog niet in staat" from the brede
  // intake); then the same per placement, where one person may count more than once.
  // The per-placement werk row is werk_op_niveau's werk row: one population, linked.
  for (const auto& [key, title, dimension, werk_link] :
       {std::tuple{"uitkomsten", "Uitkomsten per persoon", "uitkomst_persoon", ""},
        std::tuple{"uitkomsten_plaatsingen", "Uitkomsten per plaatsing", "uitkomst",
                   "uitkomst_werk"}}) {
    TableBuilder t(f, cols, key, title);
    const int werk = t.Count("werk", "Werk", dimension, {"werk"}, werk_link);
    const int wep =
        t.Count("werkervaringsplaats", "Werkervaringsplaats", dimension, {"werkervaringsplaats"});
    const int opl = t.Count("opleiding", "Opleiding", dimension, {"opleiding"});
    const int nni =
        t.Count("nog_niet_in_staat", "Nog niet in staat", dimension, {"nog_niet_in_staat"});
    const int total = t.SumOf("totaal", "Totaal", {werk, wep, opl, nni});
    t.Group({total, werk, wep, opl, nni});
    model.tables.push_back(t.Take());
  }

  {
    TableBuilder t(f, cols, "werk_op_niveau", "Werk op niveau");
    const int werk =
        t.Count("werk", "Uitgestroomd naar werk", "uitkomst", {"werk"}, "uitkomst_werk");
    const int op = t.Count("op_niveau", "Op niveau", "werk_niveau", {"op_niveau"});
    const int onder = t.Count("onder_niveau", "Onder niveau", "werk_niveau", {"onder_niveau"});
    const int onbekend = t.Count("onbekend", "Niveau onbekend", "werk_niveau", {"onbekend"});
    t.Group({werk, op, onder, onbekend});
    t.Percentage("op_niveau_pct", "Werk op niveau (%)", op, werk);
    model.tables.push_back(t.Take());
  }

  model.tables.push_back(
      Breakdown(f, cols, "integratieroutes", "Integratieroutes",
                {{"integratieroute=1", "Directe bemiddeling naar de arbeidsmarkt", ""},
                 {"integratieroute=2", "Bemiddeling naar/via onderwijs", ""},
                 {"integratieroute=3", "Activering richting de arbeidsmarkt", ""},
                 {"integratieroute=4", "Maatschappelijke participatie", ""},
                 {"integratieroute=5", "(Nog) geen inzet op een integratieroute", ""}}));

  {
    TableBuilder t(f, cols, "tijdigheid", "Tijdigheid");
    const int pop = t.Count("populatie", "Populatie", "populatie", {"totaal"}, kPopulation);
    const int bi = t.Count("brede_intake_gestart", "Brede intake gestart", "brede_intake",
                           {"gestart"}, "brede_intake_gestart");
    const int bi_not = t.Count("brede_intake_niet_gestart", "Brede intake nog niet gestart",
                               "brede_intake", {"niet_gestart"});
    t.Group({pop, bi, bi_not});
    const int op_tijd = t.Count("pip_op_tijd", "PIP binnen 10 weken", "pip", {"op_tijd"});
    const int te_laat = t.Count("pip_te_laat", "PIP na 10 weken", "pip", {"te_laat"});
    const int geen = t.Count("zonder_pip", "Nog geen PIP", "pip", {"geen"});
    const int met_pip = t.SumOf("met_pip", "Met PIP", {op_tijd, te_laat});
    t.Group({pop, op_tijd, te_laat, geen});
    t.Group({met_pip, op_tijd, te_laat});
    t.Percentage("pip_op_tijd_pct", "PIP binnen 10 weken (%)", op_tijd, met_pip);
    t.MedianDays("mediaan_dagen_vestiging_pip", "Mediaan dagen vestiging → PIP",
                 {"dagen_vestiging_pip"}, met_pip);
    const int placed = t.Count("met_plaatsing", "Met plaatsing", "plaatsing", {"ja"});
    const int not_placed = t.Count("zonder_plaatsing", "Nog geen plaatsing", "plaatsing", {"nee"});
    t.Group({pop, placed, not_placed});
    t.MedianDays("mediaan_dagen_vestiging_plaatsing", "Mediaan dagen vestiging → eerste plaatsing",
                 {"dagen_vestiging_plaatsing"}, placed);
    const int b1 = t.Count("b1_behaald", "B1 behaald", "b1", {"ja"});
    const int b1_not = t.Count("b1_niet_behaald", "B1 nog niet behaald", "b1", {"nee"});
    t.Group({pop, b1, b1_not});
    t.MedianDays("mediaan_dagen_vestiging_b1", "Mediaan dagen vestiging → B1",
                 {"dagen_vestiging_b1"}, b1);
    model.tables.push_back(t.Take());
  }

  {
    TableBuilder t(f, cols, "taalvoortgang", "Taalvoortgang A2 → B1");
    const int talend = t.Count("met_talende_werkplek", "Met talende werkplek", "a2_b1", {"talend"});
    const int niet =
        t.Count("zonder_talende_werkplek", "Zonder talende werkplek", "a2_b1", {"niet_talend"});
    const int total = t.SumOf("totaal", "A2 → B1 behaald", {talend, niet});
    t.Group({total, talend, niet});
    t.MedianDays("mediaan_dagen_met_talende_werkplek",
                 "Mediaan dagen A2 → B1, met talende werkplek", {"dagen_a2_b1_talend"}, talend);
    t.MedianDays("mediaan_dagen_zonder_talende_werkplek",
                 "Mediaan dagen A2 → B1, zonder talende werkplek", {"dagen_a2_b1_niet_talend"},
                 niet);
    model.tables.push_back(t.Take());
  }

  {
    TableBuilder t(f, cols, "bijstand_uitstroom", "Uitstroom uit de bijstand");
    const int met =
        t.Count("met_bijstand", "Met bijstandsuitkering", "bijstand", {"ja"}, "bijstand_ja");
    const int uit = t.Count("uitgestroomd", "Uitgestroomd", "bijstand_uitstroom", {"uitgestroomd"});
    const int nog =
        t.Count("nog_in_bijstand", "Nog in de bijstand", "bijstand_uitstroom", {"nog_in_bijstand"});
    t.Group({met, uit, nog});
    t.Percentage("uitstroom_pct", "Uitstroom (%)", uit, met);
    model.tables.push_back(t.Take());
  }
  return model;
}

Suppression Suppress(const ReportModel& model, const std::set<int>& owned_columns, int threshold) {
  const int ncols = static_cast<int>(model.columns.size());
  Suppression s(model.tables.size());
  std::vector<bool> owned(ncols, false);
  for (int c : owned_columns) {
    if (c >= 0 && c < ncols) owned[c] = true;
  }
  if (model.last_column_is_total && ncols > 1) {
    // The total is the caller's own only when every part of it is.
    bool all = true;
    for (int c = 0; c + 1 < ncols; ++c) all = all && owned[c];
    owned[ncols - 1] = all;
  }
  for (size_t t = 0; t < model.tables.size(); ++t) {
    const ModelTable& table = model.tables[t];
    s[t].assign(table.rows.size(), std::vector<bool>(ncols, false));
    if (threshold <= 0) continue;
    for (size_t r = 0; r < table.rows.size(); ++r) {
      if (table.rows[r].kind != RowKind::kCount) continue;
      for (int c = 0; c < ncols; ++c) {
        s[t][r][c] = !owned[c] && table.rows[r].values[c].value_or(0) < threshold;
      }
    }
  }
  if (threshold <= 0) return s;

  struct Cell {
    size_t t, r;
    int c;
  };
  // Every additive line: a set of cells of which one is the sum of the others.
  std::vector<std::vector<Cell>> lines;
  for (size_t t = 0; t < model.tables.size(); ++t) {
    const ModelTable& table = model.tables[t];
    for (const std::vector<int>& group : table.sum_groups) {
      for (int c = 0; c < ncols; ++c) {
        std::vector<Cell> line;
        for (int r : group) line.push_back({t, static_cast<size_t>(r), c});
        lines.push_back(std::move(line));
      }
    }
    if (model.last_column_is_total) {
      for (size_t r = 0; r < table.rows.size(); ++r) {
        if (table.rows[r].kind != RowKind::kCount) continue;
        std::vector<Cell> line;
        for (int c = 0; c < ncols; ++c) line.push_back({t, r, c});
        lines.push_back(std::move(line));
      }
    }
  }
  // Cells that hold the same figure.
  std::map<std::pair<std::string, int>, std::vector<Cell>> links;
  for (size_t t = 0; t < model.tables.size(); ++t) {
    for (size_t r = 0; r < model.tables[t].rows.size(); ++r) {
      const ModelRow& row = model.tables[t].rows[r];
      if (row.link.empty()) continue;
      for (int c = 0; c < ncols; ++c) links[{row.link, c}].push_back({t, r, c});
    }
  }
  auto value = [&](const Cell& x) { return model.tables[x.t].rows[x.r].values[x.c].value_or(0); };

  for (bool changed = true; changed;) {
    changed = false;
    for (auto& [link, cells] : links) {
      bool any = false;
      for (const Cell& x : cells) any = any || s[x.t][x.r][x.c];
      if (!any) continue;
      for (const Cell& x : cells) {
        if (!s[x.t][x.r][x.c]) {
          s[x.t][x.r][x.c] = true;
          changed = true;
        }
      }
    }
    for (const std::vector<Cell>& line : lines) {
      int suppressed = 0;
      for (const Cell& x : line) suppressed += s[x.t][x.r][x.c] ? 1 : 0;
      if (suppressed != 1) continue;
      // The one suppressed cell would follow from the others: hide the smallest other cell the
      // caller does not own as well (the smallest costs the least information).
      const Cell* pick = nullptr;
      for (const Cell& x : line) {
        if (s[x.t][x.r][x.c] || owned[x.c]) continue;
        if (pick == nullptr || value(x) < value(*pick)) pick = &x;
      }
      if (pick != nullptr) {
        s[pick->t][pick->r][pick->c] = true;
        changed = true;
      }
    }
  }

  for (size_t t = 0; t < model.tables.size(); ++t) {
    const ModelTable& table = model.tables[t];
    for (size_t r = 0; r < table.rows.size(); ++r) {
      const ModelRow& row = table.rows[r];
      for (int c = 0; c < ncols; ++c) {
        if (row.kind == RowKind::kPercentage) {
          s[t][r][c] = s[t][row.numerator][c] || s[t][row.denominator][c];
        } else if (row.kind == RowKind::kDays) {
          s[t][r][c] = s[t][row.basis][c];
        }
      }
    }
  }
  return s;
}

void ToProto(const ReportModel& model, const Suppression& suppression, v1::Report* report) {
  for (size_t t = 0; t < model.tables.size(); ++t) {
    const ModelTable& table = model.tables[t];
    v1::ReportTable* out = report->add_tables();
    out->set_key(table.key);
    out->set_title(table.title);
    for (const ReportColumn& c : model.columns) {
      out->add_columns(c.key);
      out->add_column_labels(c.label);
    }
    for (size_t r = 0; r < table.rows.size(); ++r) {
      const ModelRow& row = table.rows[r];
      v1::ReportRow* out_row = out->add_rows();
      out_row->set_key(row.key);
      out_row->set_label(row.label);
      for (size_t c = 0; c < model.columns.size(); ++c) {
        v1::ReportCell* cell = out_row->add_cells();
        if (suppression[t][r][c]) {
          cell->set_suppressed(true);
          continue;
        }
        const std::optional<double>& v = row.values[c];
        if (!v) continue;
        switch (row.kind) {
          case RowKind::kCount:
            cell->set_count(static_cast<int64_t>(*v));
            break;
          case RowKind::kPercentage:
            cell->set_percentage(*v);
            break;
          case RowKind::kDays:
            cell->set_days(*v);
            break;
        }
      }
    }
  }
}

}  // namespace inburgering::reporting

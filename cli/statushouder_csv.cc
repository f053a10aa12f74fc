#include "cli/statushouder_csv.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/enums.h"
#include "common/dates.h"

namespace inburgering::cli {
namespace {

// Indexes into StatushouderColumns(); keep both in the same order.
enum Column {
  kBsn,
  kVoornamen,
  kAchternaam,
  kGeboortedatum,
  kGeslacht,
  kType,
  kLandVanHerkomst,
  kVestigingsdatum,
  kAzcLocatie,
  kBijstand,
  kBijstandStart,
  kBijstandEind,
  kGeschoold,
  kOpleidingsniveau,
  kBeroepIsco,
  kWerkwensenIsco,
  kBeschikbaarheid,
  kLesdagdelen,
  kWoonlocatieLat,
  kWoonlocatieLon,
  kMaxReisafstandKm,
  kBelemmeringen,
  kToestemmingIdentiteit,
  kColumnCount
};

bool ParseBool(absl::string_view text, bool* out) {
  const std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (v == "ja" || v == "j" || v == "1" || v == "true" || v == "waar" || v == "yes" || v == "y") {
    *out = true;
    return true;
  }
  if (v == "nee" || v == "n" || v == "0" || v == "false" || v == "onwaar" || v == "no") {
    *out = false;
    return true;
  }
  return false;
}

std::vector<std::string> SplitList(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar("| \t"), absl::SkipEmpty())) {
    out.emplace_back(part);
  }
  return out;
}

bool IsIscoCode(absl::string_view code, size_t min_digits, size_t max_digits) {
  if (code.size() < min_digits || code.size() > max_digits) return false;
  for (char c : code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "ma-ochtend", "ma-o", "maandag_ochtend" or "MAANDAG_OCHTEND" -> DAGDEEL_MAANDAG_OCHTEND.
bool ParseDagdeel(absl::string_view text, v1::Dagdeel* out) {
  const std::string v = absl::AsciiStrToLower(text);
  std::vector<std::string> parts = absl::StrSplit(v, absl::ByAnyChar("-_"), absl::SkipEmpty());
  if (parts.size() != 2 || parts[0].size() < 2 || parts[1].empty()) return false;
  static constexpr const char* kDays[] = {"maandag", "dinsdag",  "woensdag", "donderdag",
                                          "vrijdag", "zaterdag", "zondag"};
  static constexpr const char* kParts[] = {"ochtend", "middag", "avond"};
  int day = -1, part = -1;
  for (int d = 0; d < 7; ++d) {
    if (absl::StartsWith(kDays[d], parts[0])) day = d;
  }
  for (int p = 0; p < 3; ++p) {
    if (absl::StartsWith(kParts[p], parts[1])) part = p;
  }
  if (day < 0 || part < 0) return false;
  *out = static_cast<v1::Dagdeel>(1 + day * 3 + part);
  return true;
}

bool ParseCoordinate(absl::string_view text, double min, double max, double* out) {
  const std::string v = absl::StrReplaceAll(absl::StripAsciiWhitespace(text), {{",", "."}});
  return absl::SimpleAtod(v, out) && std::isfinite(*out) && *out >= min && *out <= max;
}

const std::string& OpleidingAliases(absl::string_view text, std::string* buffer) {
  const std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (v == "mbo")
    *buffer = "middelbaar_beroeps";
  else if (v == "hbo")
    *buffer = "hoger_beroeps";
  else if (v == "wo")
    *buffer = "wetenschappelijk";
  else if (v == "vo")
    *buffer = "voortgezet";
  else if (v == "po" || v == "basisonderwijs")
    *buffer = "basis";
  else
    *buffer = v;
  return *buffer;
}

}  // namespace

bool PassesElfproef(absl::string_view bsn) {
  if (bsn.size() != 9 || bsn == "000000000") return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(bsn[i]))) return false;
    sum += (i < 8 ? 9 - i : -1) * (bsn[i] - '0');
  }
  return sum % 11 == 0;
}

absl::StatusOr<std::string> NormaliseDate(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  std::string iso(text);
  // DD-MM-YYYY or DD/MM/YYYY, as Dutch spreadsheets write dates.
  if (text.size() == 10 && (text[2] == '-' || text[2] == '/') && text[5] == text[2]) {
    iso = absl::StrCat(text.substr(6, 4), "-", text.substr(3, 2), "-", text.substr(0, 2));
  }
  auto day = ParseDate("date", iso);
  if (!day.ok()) return absl::InvalidArgumentError("must be a real date YYYY-MM-DD or DD-MM-YYYY");
  return FormatDate(*day);
}

const std::vector<StatushouderColumn>& StatushouderColumns() {
  static const auto* columns = new std::vector<StatushouderColumn>{
      {"bsn", "bsn", true, "9 cijfers, 11-proef"},
      {"voornamen", "given_names", false, "tekst"},
      {"achternaam", "family_name", true, "tekst"},
      {"geboortedatum", "birth_date", true, "JJJJ-MM-DD of DD-MM-JJJJ"},
      {"geslacht", "gender", false, "v | m | x"},
      {"type", "type", true, "asielstatushouder | gezinsmigrant | overig"},
      {"land_van_herkomst", "country_of_origin", true, "ISO 3166-1 alpha-2, bijv. SY"},
      {"vestigingsdatum", "vestigingsdatum", false, "datum; leeg zolang in het azc"},
      {"azc_locatie", "azc_location", false, "tekst"},
      {"bijstand", "uitkering.bijstand", false, "ja | nee"},
      {"bijstand_start", "uitkering.start_date", false, "datum"},
      {"bijstand_eind", "uitkering.end_date", false, "datum"},
      {"geschoold", "opleiding.geschoold", false, "ja | nee"},
      {"opleidingsniveau", "opleiding.level", false, "geen | basis | voortgezet | mbo | hbo | wo"},
      {"beroep_isco", "prior_occupation_isco", false, "ISCO-08, 4 cijfers"},
      {"werkwensen_isco", "work_wishes_isco", false,
       "ISCO-08 codes (1-4 cijfers), gescheiden door |"},
      {"beschikbaarheid", "availability", false, "dagdelen, bijv. ma-o|ma-m|di-o"},
      {"lesdagdelen", "lesson_dagdelen", false, "dagdelen, bijv. wo-o|do-o"},
      {"woonlocatie_lat", "home_location.latitude", false, "graden, bijv. 52,0345"},
      {"woonlocatie_lon", "home_location.longitude", false, "graden, bijv. 4,3211"},
      {"max_reisafstand_km", "max_travel_km", false, "geheel getal 0-500; 0 = onbekend"},
      {"belemmeringen", "belemmeringen", false, "codes gescheiden door |, bijv. zorgtaken"},
      {"toestemming_identiteit", "consent_share_identity", false, "ja | nee"},
  };
  return *columns;
}

std::string ColumnForApiField(absl::string_view api_field) {
  absl::string_view path = api_field;
  absl::ConsumePrefix(&path, "statushouder.");
  absl::ConsumePrefix(&path, "rows.statushouder.");
  for (const StatushouderColumn& column : StatushouderColumns()) {
    if (path == column.api_field) return column.name;
  }
  // A sub-field the CSV fills as a whole ("uitkering" for "uitkering.bijstand" is the reverse).
  for (const StatushouderColumn& column : StatushouderColumns()) {
    if (absl::StartsWith(column.api_field, absl::StrCat(path, "."))) return column.name;
  }
  return std::string(api_field);
}

absl::StatusOr<StatushouderCsv> StatushouderCsv::ForHeader(const std::vector<std::string>& header) {
  const auto& columns = StatushouderColumns();
  StatushouderCsv csv;
  csv.column_of_field_.assign(columns.size(), -1);
  csv.header_size_ = header.size();
  // A file without a header line starts with a data row: its cells (a BSN, names) must not be
  // repeated in the error. Column names hold no digits; a data row always does (bsn, dates).
  if (std::any_of(header.begin(), header.end(), [](const std::string& name) {
        return std::any_of(name.begin(), name.end(), [](char c) {
          return absl::ascii_isdigit(static_cast<unsigned char>(c));
        });
      })) {
    return absl::InvalidArgumentError(
        "CSV header: the first line holds values, not column names; the first line must name the "
        "columns (see docs/CLI.md)");
  }
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string name = absl::AsciiStrToLower(header[i]);
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("CSV header: column ", i + 1, " has no name"));
    }
    bool known = false;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (name != columns[c].name && name != columns[c].api_field) continue;
      if (csv.column_of_field_[c] >= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("CSV header: column \"", columns[c].name, "\" appears twice"));
      }
      csv.column_of_field_[c] = static_cast<int>(i);
      known = true;
    }
    if (!known) {
      std::vector<std::string> names;
      for (const auto& column : columns) names.push_back(column.name);
      // Only a printable ASCII name is repeated: anything else is no typo of a column name.
      const bool printable = std::all_of(header[i].begin(), header[i].end(),
                                         [](char c) { return c >= 0x20 && c < 0x7f; });
      return absl::InvalidArgumentError(
          absl::StrCat("CSV header: unknown column ",
                       printable ? absl::StrCat("\"", header[i], "\"") : absl::StrCat(i + 1),
                       "; known columns: ", absl::StrJoin(names, ", ")));
    }
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].required && csv.column_of_field_[c] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("CSV header: required column \"", columns[c].name, "\" is missing"));
    }
  }
  return csv;
}

std::variant<v1::Statushouder, RowReject> StatushouderCsv::Map(const CsvRecord& record) const {
  const auto& columns = StatushouderColumns();
  auto reject = [&](int column, std::string reason) {
    return RowReject{record.line, column >= 0 ? columns[column].name : "rij", std::move(reason)};
  };
  if (record.fields.size() > header_size_) {
    return reject(-1, absl::StrCat("has ", record.fields.size(), " fields; the header has ",
                                   header_size_, " (a separator inside an unquoted value?)"));
  }
  // Trailing empty cells may be cut off by spreadsheets: a missing cell reads as empty.
  auto cell = [&](int column) -> std::string {
    const int index = column_of_field_[column];
    if (index < 0 || static_cast<size_t>(index) >= record.fields.size()) return "";
    return std::string(absl::StripAsciiWhitespace(record.fields[index]));
  };
  for (int c = 0; c < kColumnCount; ++c) {
    if (columns[c].required && cell(c).empty()) return reject(c, "is required");
  }

  v1::Statushouder s;
  const std::string bsn = cell(kBsn);
  if (!PassesElfproef(bsn)) return reject(kBsn, "must be 9 digits passing the 11-proef");
  s.set_bsn(bsn);
  s.set_given_names(cell(kVoornamen));
  s.set_family_name(cell(kAchternaam));

  auto date = [&](int column, std::string* out) -> std::optional<RowReject> {
    const std::string text = cell(column);
    if (text.empty()) return std::nullopt;
    auto iso = NormaliseDate(text);
    if (!iso.ok()) return reject(column, std::string(iso.status().message()));
    *out = *iso;
    return std::nullopt;
  };
  auto enum_value = [&](int column, const google::protobuf::EnumDescriptor* type,
                        int* out) -> std::optional<RowReject> {
    const std::string text = cell(column);
    if (text.empty()) return std::nullopt;
    auto value = ParseEnumValue(type, text);
    if (!value.ok()) {
      return reject(column, absl::StrCat("must be one of ", EnumChoices(type)));
    }
    *out = *value;
    return std::nullopt;
  };
  auto boolean = [&](int column, bool* out) -> std::optional<RowReject> {
    const std::string text = cell(column);
    if (text.empty()) return std::nullopt;
    if (!ParseBool(text, out)) return reject(column, "must be ja or nee");
    return std::nullopt;
  };

  std::string text;
  if (auto r = date(kGeboortedatum, &text)) return *r;
  s.set_birth_date(text);

  const std::string gender = absl::AsciiStrToLower(cell(kGeslacht));
  if (gender == "v" || gender == "vrouw")
    s.set_gender(v1::GENDER_VROUW);
  else if (gender == "m" || gender == "man")
    s.set_gender(v1::GENDER_MAN);
  else if (gender == "x")
    s.set_gender(v1::GENDER_X);
  else if (!gender.empty())
    return reject(kGeslacht, "must be v, m or x");

  int number = 0;
  if (auto r = enum_value(kType, v1::StatushouderType_descriptor(), &number)) return *r;
  s.set_type(static_cast<v1::StatushouderType>(number));

  const std::string country = absl::AsciiStrToUpper(cell(kLandVanHerkomst));
  if (country.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(country[0])) ||
      !absl::ascii_isalpha(static_cast<unsigned char>(country[1]))) {
    return reject(kLandVanHerkomst, "must be an ISO 3166-1 alpha-2 code such as SY");
  }
  s.set_country_of_origin(country);

  text.clear();
  if (auto r = date(kVestigingsdatum, &text)) return *r;
  s.set_vestigingsdatum(text);
  s.set_azc_location(cell(kAzcLocatie));

  bool flag = false;
  if (auto r = boolean(kBijstand, &flag)) return *r;
  v1::Uitkering uitkering;
  uitkering.set_bijstand(flag);
  text.clear();
  if (auto r = date(kBijstandStart, &text)) return *r;
  uitkering.set_start_date(text);
  text.clear();
  if (auto r = date(kBijstandEind, &text)) return *r;
  uitkering.set_end_date(text);
  if (!uitkering.bijstand() && !uitkering.start_date().empty()) {
    return reject(kBijstand, "must be ja when bijstand_start is given");
  }
  if (!uitkering.end_date().empty() && uitkering.end_date() < uitkering.start_date()) {
    return reject(kBijstandEind, "must not be before bijstand_start");
  }
  if (uitkering.bijstand() || !uitkering.start_date().empty()) *s.mutable_uitkering() = uitkering;

  flag = false;
  if (auto r = boolean(kGeschoold, &flag)) return *r;
  number = 0;
  std::string alias;
  if (!cell(kOpleidingsniveau).empty()) {
    auto level = ParseEnumValue(v1::EducationLevel_descriptor(),
                                OpleidingAliases(cell(kOpleidingsniveau), &alias));
    if (!level.ok()) {
      return reject(kOpleidingsniveau, "must be geen, basis, voortgezet, mbo, hbo or wo");
    }
    number = *level;
  }
  if (flag || number != 0) {
    s.mutable_opleiding()->set_geschoold(flag);
    s.mutable_opleiding()->set_level(static_cast<v1::EducationLevel>(number));
  }

  const std::string isco = cell(kBeroepIsco);
  if (!isco.empty() && !IsIscoCode(isco, 4, 4)) {
    return reject(kBeroepIsco, "must be an ISCO-08 unit group of 4 digits");
  }
  s.set_prior_occupation_isco(isco);
  for (const std::string& wish : SplitList(cell(kWerkwensenIsco))) {
    if (!IsIscoCode(wish, 1, 4)) {
      return reject(kWerkwensenIsco, "must be ISCO-08 codes of 1 to 4 digits separated by |");
    }
    s.add_work_wishes_isco(wish);
  }
  for (int column : {kBeschikbaarheid, kLesdagdelen}) {
    for (const std::string& token : SplitList(cell(column))) {
      v1::Dagdeel dagdeel;
      if (!ParseDagdeel(token, &dagdeel)) {
        return reject(column, "must be dagdelen such as ma-o|ma-m|di-a (day, then o/m/a)");
      }
      if (column == kBeschikbaarheid)
        s.add_availability(dagdeel);
      else
        s.add_lesson_dagdelen(dagdeel);
    }
  }

  const std::string lat = cell(kWoonlocatieLat), lon = cell(kWoonlocatieLon);
  if (lat.empty() != lon.empty()) {
    return reject(lat.empty() ? kWoonlocatieLat : kWoonlocatieLon,
                  "woonlocatie_lat and woonlocatie_lon go together");
  }
  if (!lat.empty()) {
    double latitude = 0, longitude = 0;
    if (!ParseCoordinate(lat, -90, 90, &latitude)) {
      return reject(kWoonlocatieLat, "must be a latitude between -90 and 90");
    }
    if (!ParseCoordinate(lon, -180, 180, &longitude)) {
      return reject(kWoonlocatieLon, "must be a longitude between -180 and 180");
    }
    s.mutable_home_location()->set_latitude(latitude);
    s.mutable_home_location()->set_longitude(longitude);
  }

  if (const std::string km = cell(kMaxReisafstandKm); !km.empty()) {
    int value = 0;
    if (!absl::SimpleAtoi(km, &value) || value < 0 || value > 500) {
      return reject(kMaxReisafstandKm, "must be a whole number of km from 0 to 500");
    }
    s.set_max_travel_km(value);
  }
  for (const std::string& code : SplitList(cell(kBelemmeringen))) {
    auto value = ParseEnumValue(v1::Belemmering_descriptor(), code);
    if (!value.ok()) {
      return reject(kBelemmeringen,
                    absl::StrCat("must be codes from ", EnumChoices(v1::Belemmering_descriptor())));
    }
    s.add_belemmeringen(static_cast<v1::Belemmering>(*value));
  }
  flag = false;
  if (auto r = boolean(kToestemmingIdentiteit, &flag)) return *r;
  s.set_consent_share_identity(flag);
  return s;
}

}  // namespace inburgering::cli

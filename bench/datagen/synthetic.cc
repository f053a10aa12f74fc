#include "bench/datagen/synthetic.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"

namespace inburgering::bench {
namespace {

// SplitMix64: a tiny generator whose output is fixed by its arithmetic, unlike the std::
// distributions, whose results differ between standard libraries (same seed, same bytes).
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream, uint64_t index)
      : state_(Mix(Mix(seed ^ 0x9e3779b97f4a7c15ULL) ^ (stream << 56) ^ index)) {}
  uint64_t Next() { return Mix(state_ += 0x9e3779b97f4a7c15ULL); }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int Below(int n) { return static_cast<int>(Uniform() * n); }
  bool Chance(double p) { return Uniform() < p; }
  int Between(int lo, int hi) { return lo + Below(hi - lo + 1); }  // inclusive
  template <typename T, size_t N>
  const T& Weighted(const std::array<std::pair<T, double>, N>& choices) {
    double total = 0;
    for (const auto& c : choices) total += c.second;
    double x = Uniform() * total;
    for (const auto& c : choices) {
      if ((x -= c.second) < 0) return c.first;
    }
    return choices.back().first;
  }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(static_cast<int>(N))];
  }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

enum Stream : uint64_t {
  kStatushouder = 1,
  kWerkplek = 2,
  kBsn = 3,
  kGemeente = 4,
  kTrajectory = 5,
  kTrajectoryPick = 6
};

// Origins as in Rijswijk's evaluation (187 Syrië, 53 Turkije, 27 overig of 267): ~70/20/10.
const std::array<std::pair<std::string, double>, 10> kCountries = {{{"SY", 70},
                                                                    {"TR", 20},
                                                                    {"ER", 3},
                                                                    {"AF", 2},
                                                                    {"UA", 1.5},
                                                                    {"IQ", 1},
                                                                    {"IR", 0.7},
                                                                    {"YE", 0.6},
                                                                    {"SO", 0.6},
                                                                    {"SD", 0.6}}};

// Leerroutes as in Rijswijk (onderwijsroute 21, B1 69, Z-route 63 of 153).
const std::array<std::pair<v1::Leerroute, double>, 3> kLeerroutes = {
    {{v1::LEERROUTE_ONDERWIJSROUTE, 21}, {v1::LEERROUTE_B1, 69}, {v1::LEERROUTE_Z_ROUTE, 63}}};

// The brede intake's groups: ready for work, a route to work, not able now.
const std::array<std::pair<v1::IntakeGroep, double>, 3> kIntakeGroepen = {
    {{v1::INTAKE_GROEP_KLAAR_VOOR_WERK, 20},
     {v1::INTAKE_GROEP_ROUTE_NAAR_WERK, 50},
     {v1::INTAKE_GROEP_NU_NIET_IN_STAAT, 30}}};

// How the trajectories that end within the data end.
const std::array<std::pair<v1::Phase, double>, 4> kFinalPhases = {{{v1::PHASE_AFGEROND, 50},
                                                                   {v1::PHASE_VRIJGESTELD, 15},
                                                                   {v1::PHASE_ONTHEVEN, 10},
                                                                   {v1::PHASE_VERTROKKEN, 25}}};

// Language level at intake: most start at A0-A2, a few already reached B1 in the azc.
const std::array<std::pair<v1::CefrLevel, double>, 5> kCefr = {{{v1::CEFR_LEVEL_A0, 15},
                                                                {v1::CEFR_LEVEL_A1, 30},
                                                                {v1::CEFR_LEVEL_A2, 30},
                                                                {v1::CEFR_LEVEL_B1, 18},
                                                                {v1::CEFR_LEVEL_B2, 7}}};

// ISCO-08 unit groups with their Dutch titles: the skilled ones a geschoolde statushouder brings
// (dentists 2261 are the seed documents' example of work onder niveau) and the jobs on offer.
struct Occupation {
  const char* isco;
  const char* title;
  bool skilled;
};
const std::array<Occupation, 26> kOccupations = {{
    {"2261", "Tandarts", true},
    {"2211", "Huisarts", true},
    {"2221", "Verpleegkundige", true},
    {"2341", "Leerkracht basisonderwijs", true},
    {"2330", "Docent voortgezet onderwijs", true},
    {"2512", "Softwareontwikkelaar", true},
    {"2142", "Civiel ingenieur", true},
    {"2411", "Accountant", true},
    {"2262", "Apotheker", true},
    {"3256", "Medisch assistent", true},
    {"3251", "Tandartsassistent", true},
    {"7411", "Elektricien", false},
    {"7126", "Loodgieter", false},
    {"7115", "Timmerman", false},
    {"7231", "Automonteur", false},
    {"7512", "Bakker", false},
    {"7531", "Kleermaker", false},
    {"5120", "Kok", false},
    {"5141", "Kapper", false},
    {"5223", "Verkoopmedewerker", false},
    {"8322", "Taxichauffeur", false},
    {"8332", "Vrachtwagenchauffeur", false},
    {"9112", "Schoonmaker", false},
    {"9321", "Inpakker", false},
    {"9333", "Magazijnmedewerker", false},
    {"6111", "Tuinder", false},
}};

// Given names per origin, women's first and men's second (gender is drawn before the name).
const std::array<std::array<const char*, 6>, 2> kGivenSy = {
    {{"Fatima", "Aya", "Lina", "Rania", "Hiba", "Nour"},
     {"Mohammed", "Ahmad", "Omar", "Khaled", "Yousef", "Mahmoud"}}};
const std::array<const char*, 10> kFamilySy = {"Alhassan", "Khalil", "Haddad", "Mansour", "Darwish",
                                               "Sabbagh",  "Nassar", "Hamdan", "Qasem",   "Shami"};
const std::array<std::array<const char*, 5>, 2> kGivenTr = {
    {{"Ayse", "Zeynep", "Elif", "Hatice", "Selin"}, {"Mehmet", "Mustafa", "Emre", "Ali", "Hasan"}}};
const std::array<const char*, 8> kFamilyTr = {"Yilmaz", "Kaya",   "Demir", "Sahin",
                                              "Celik",  "Yildiz", "Aydin", "Ozturk"};
const std::array<std::array<const char*, 5>, 2> kGivenOther = {
    {{"Senait", "Mariam", "Olena", "Zainab", "Hawa"}, {"Yonas", "Ahmad", "Taras", "Abdi", "Reza"}}};
const std::array<const char*, 8> kFamilyOther = {"Tesfay",     "Haile",   "Rahimi",  "Karimi",
                                                 "Shevchenko", "Hussein", "Mohamed", "Ahmadi"};

const std::array<const char*, 6> kAzc = {"Ter Apel", "Budel",    "Zweeloo",
                                         "Den Haag", "Rijswijk", "Delft"};

const std::array<std::pair<v1::WerkplekType, double>, 6> kWerkplekTypes = {
    {{v1::WERKPLEK_TYPE_BETAALD_WERK, 35},
     {v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS, 25},
     {v1::WERKPLEK_TYPE_LEERWERKBAAN, 12},
     {v1::WERKPLEK_TYPE_PROEFPLAATSING, 8},
     {v1::WERKPLEK_TYPE_TAALSTAGE, 10},
     {v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK, 10}}};

const std::array<const char*, 10> kEmployers = {
    "Zorggroep",       "Bouwbedrijf",  "Logistiek Centrum", "Tandartspraktijk",  "Bakkerij",
    "Techniekbedrijf", "Kinderopvang", "Supermarkt",        "Schoonmaakbedrijf", "Hotel"};

std::string Day(absl::CivilDay day) { return absl::FormatCivilTime(day); }

int DaysSinceEpoch(const std::string& date) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(date, &day)) day = absl::CivilDay(2026, 11, 1);
  return static_cast<int>(day - absl::CivilDay(1970, 1, 1));
}

absl::CivilDay FromEpoch(int days) { return absl::CivilDay(1970, 1, 1) + days; }

// Weekday ochtend/middag dagdelen: Dagdeel values 1 + 3*day (+1 for middag), day 0..4.
std::vector<v1::Dagdeel> WeekdayDagdelen() {
  std::vector<v1::Dagdeel> out;
  for (int day = 0; day < 5; ++day) {
    out.push_back(static_cast<v1::Dagdeel>(1 + 3 * day));
    out.push_back(static_cast<v1::Dagdeel>(2 + 3 * day));
  }
  return out;
}

void Shuffle(std::vector<v1::Dagdeel>& items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i)
    std::swap(items[i - 1], items[rng.Below(static_cast<int>(i))]);
}

}  // namespace

std::string SyntheticBsn(uint64_t seed, int64_t index) {
  // Seven leading digits: an affine permutation of the index modulo 10^7 (the multiplier is
  // coprime to 10), so distinct indexes give distinct prefixes; the seed shifts the offset.
  constexpr uint64_t kPrefixes = 10'000'000;
  const uint64_t offset = Rng(seed, kBsn, 0).Next() % kPrefixes;
  const uint64_t prefix = (static_cast<uint64_t>(index) * 7'654'321ULL + offset) % kPrefixes;
  int digits[9];
  uint64_t p = prefix;
  for (int i = 6; i >= 0; --i) {
    digits[i] = static_cast<int>(p % 10);
    p /= 10;
  }
  int sum = 0;
  for (int i = 0; i < 7; ++i) sum += (9 - i) * digits[i];
  // 11-proef: 9*d1 + ... + 2*d8 - d9 = 0 (mod 11). Pick d8 so that d9 is a digit: the ten d8
  // values give ten different d9 (mod 11), so at most one of them gives 10.
  const int start = static_cast<int>(Rng(seed, kBsn, static_cast<uint64_t>(index) + 1).Next() % 10);
  for (int k = 0; k < 10; ++k) {
    const int d8 = (start + k) % 10;
    const int d9 = (sum + 2 * d8) % 11;
    if (d9 <= 9) {
      digits[7] = d8;
      digits[8] = d9;
      break;
    }
  }
  std::string bsn(9, '0');
  for (int i = 0; i < 9; ++i) bsn[i] = static_cast<char>('0' + digits[i]);
  if (bsn == "000000000") bsn = "000000019";  // unreachable in practice; keeps the rule total
  return bsn;
}

SyntheticData::SyntheticData(DatagenOptions options)
    : options_(std::move(options)), reference_day_(DaysSinceEpoch(options_.reference_date)) {
  options_.gemeenten = std::clamp(options_.gemeenten, 1, 340);
  gemeenten_ = {
      {"GM0603", "Rijswijk", 52.020, 52.050, 4.300, 4.350},
      {"GM0518", "'s-Gravenhage", 52.030, 52.110, 4.220, 4.380},
      {"GM0503", "Delft", 51.980, 52.030, 4.320, 4.390},
  };
  gemeenten_.resize(std::min<size_t>(gemeenten_.size(), options_.gemeenten));
  // The rest of the country: synthetic codes (not real CBS codes, so no figure can be mistaken
  // for a real gemeente's) with a small box somewhere in the Netherlands.
  for (int k = 3; k < options_.gemeenten; ++k) {
    Rng rng(options_.seed, kGemeente, static_cast<uint64_t>(k));
    const double lat = 51.30 + rng.Uniform() * 1.90;
    const double lon = 4.00 + rng.Uniform() * 2.90;
    gemeenten_.push_back({absl::StrFormat("GM%04d", 2000 + k), absl::StrCat("Synthetisch ", k), lat,
                          lat + 0.04, lon, lon + 0.06});
  }
}

v1::RegisterStatushouderRequest SyntheticData::Statushouder(int64_t index) const {
  Rng rng(options_.seed, kStatushouder, static_cast<uint64_t>(index));
  const SyntheticGemeente& g = gemeenten_[static_cast<size_t>(index % gemeenten_.size())];
  v1::RegisterStatushouderRequest request;
  request.set_request_id(absl::StrCat("seed", options_.seed, "-sh", index));
  v1::Statushouder& s = *request.mutable_statushouder();
  s.set_gemeente(g.code);
  s.set_bsn(SyntheticBsn(options_.seed, index));

  const std::string& country = rng.Weighted(kCountries);
  s.set_country_of_origin(country);
  const bool man = rng.Chance(0.55);
  s.set_gender(man ? v1::GENDER_MAN : v1::GENDER_VROUW);
  if (country == "SY") {
    s.set_given_names(rng.Pick(kGivenSy[man]));
    s.set_family_name(rng.Pick(kFamilySy));
  } else if (country == "TR") {
    s.set_given_names(rng.Pick(kGivenTr[man]));
    s.set_family_name(rng.Pick(kFamilyTr));
  } else {
    s.set_given_names(rng.Pick(kGivenOther[man]));
    s.set_family_name(rng.Pick(kFamilyOther));
  }
  const int age_days = rng.Between(18 * 365, 60 * 365);
  s.set_birth_date(Day(FromEpoch(reference_day_ - age_days)));
  // 154 asielstatushouders, 113 gezinsmigranten of 267.
  s.set_type(rng.Chance(154.0 / 267.0) ? v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER
                                       : v1::STATUSHOUDER_TYPE_GEZINSMIGRANT);
  // Settled within the last three years; one in twenty still in the azc (no vestigingsdatum).
  if (rng.Chance(0.95)) {
    s.set_vestigingsdatum(Day(FromEpoch(reference_day_ - rng.Between(0, 3 * 365))));
  } else {
    s.set_azc_location(rng.Pick(kAzc));
  }
  // 240 of 267 with an uitkering.
  if (rng.Chance(240.0 / 267.0)) {
    s.mutable_uitkering()->set_bijstand(true);
    const std::string from =
        s.vestigingsdatum().empty() ? Day(FromEpoch(reference_day_ - 30)) : s.vestigingsdatum();
    s.mutable_uitkering()->set_start_date(from);
  }
  // 160 of 267 geschoold.
  const bool geschoold = rng.Chance(160.0 / 267.0);
  s.mutable_opleiding()->set_geschoold(geschoold);
  if (geschoold) {
    const std::array<std::pair<v1::EducationLevel, double>, 4> levels = {
        {{v1::EDUCATION_LEVEL_VOORTGEZET, 20},
         {v1::EDUCATION_LEVEL_MIDDELBAAR_BEROEPS, 35},
         {v1::EDUCATION_LEVEL_HOGER_BEROEPS, 25},
         {v1::EDUCATION_LEVEL_WETENSCHAPPELIJK, 20}}};
    s.mutable_opleiding()->set_level(rng.Weighted(levels));
  } else {
    const std::array<std::pair<v1::EducationLevel, double>, 3> levels = {
        {{v1::EDUCATION_LEVEL_GEEN, 30},
         {v1::EDUCATION_LEVEL_BASIS, 45},
         {v1::EDUCATION_LEVEL_VOORTGEZET, 25}}};
    s.mutable_opleiding()->set_level(rng.Weighted(levels));
  }
  // A prior occupation for three in four; the skilled ones mostly for the geschoolden.
  if (rng.Chance(0.75)) {
    const Occupation* occupation = &kOccupations[rng.Below(kOccupations.size())];
    if (occupation->skilled != geschoold && rng.Chance(0.7)) {
      occupation = &kOccupations[rng.Below(kOccupations.size())];
    }
    s.set_prior_occupation_isco(occupation->isco);
    s.add_work_wishes_isco(occupation->isco);
  }
  for (int n = rng.Between(0, 2); n > 0; --n) {
    const char* isco = rng.Pick(kOccupations).isco;
    // Sometimes only a major group (one digit), as a consulent writes down a broad wish.
    const std::string wish = rng.Chance(0.2) ? std::string(isco, 1) : std::string(isco);
    if (std::find(s.work_wishes_isco().begin(), s.work_wishes_isco().end(), wish) ==
        s.work_wishes_isco().end()) {
      s.add_work_wishes_isco(wish);
    }
  }
  // Lessons take two to four weekday dagdelen; the person is available for some of the rest.
  std::vector<v1::Dagdeel> week = WeekdayDagdelen();
  Shuffle(week, rng);
  const int lessons = rng.Between(2, 4);
  std::vector<v1::Dagdeel> lesson(week.begin(), week.begin() + lessons);
  std::vector<v1::Dagdeel> free(week.begin() + lessons, week.end());
  std::sort(lesson.begin(), lesson.end());
  std::sort(free.begin(), free.end());
  for (v1::Dagdeel d : lesson) s.add_lesson_dagdelen(d);
  for (v1::Dagdeel d : free) {
    if (rng.Chance(0.7)) s.add_availability(d);
  }
  s.mutable_home_location()->set_latitude(g.lat_min + rng.Uniform() * (g.lat_max - g.lat_min));
  s.mutable_home_location()->set_longitude(g.lon_min + rng.Uniform() * (g.lon_max - g.lon_min));
  s.set_max_travel_km(rng.Between(5, 30));
  if (rng.Chance(0.15)) s.add_belemmeringen(v1::BELEMMERING_ZORGTAKEN);
  if (rng.Chance(0.10)) s.add_belemmeringen(v1::BELEMMERING_GEZONDHEID_PSYCHISCH);
  if (rng.Chance(0.08)) s.add_belemmeringen(v1::BELEMMERING_KINDEROPVANG);
  if (rng.Chance(0.05)) s.add_belemmeringen(v1::BELEMMERING_GEZONDHEID_FYSIEK);
  s.set_language_level(rng.Weighted(kCefr));
  v1::BredeIntake& intake = *s.mutable_brede_intake();
  intake.set_advised_leerroute(rng.Weighted(kLeerroutes));
  intake.set_leerbaarheid(
      intake.advised_leerroute() == v1::LEERROUTE_Z_ROUTE ? v1::LEERBAARHEID_LAAG
      : intake.advised_leerroute() == v1::LEERROUTE_B1    ? v1::LEERBAARHEID_GEMIDDELD
                                                          : v1::LEERBAARHEID_HOOG);
  s.set_consent_share_identity(rng.Chance(0.7));
  return request;
}

bool SyntheticData::HasTrajectory(int64_t index, double fraction) const {
  return Rng(options_.seed, kTrajectoryPick, static_cast<uint64_t>(index)).Chance(fraction);
}

SyntheticData::Trajectory SyntheticData::TrajectoryOf(
    const v1::RegisterStatushouderRequest& registered, int64_t index) const {
  Rng rng(options_.seed, kTrajectory, static_cast<uint64_t>(index));
  const v1::Statushouder& s = registered.statushouder();
  // No date after the reference day: the service refuses dates in the future.
  auto capped = [&](int day) { return std::min(day, reference_day_); };
  auto date = [](int day) { return Day(FromEpoch(day)); };
  Trajectory t;
  const bool settled = !s.vestigingsdatum().empty();
  const int vestiging = settled ? DaysSinceEpoch(s.vestigingsdatum()) : reference_day_ - 30;

  // The brede intake within six weeks of the vestiging; it replaces the profile's findings, so
  // they are sent again as registered (the intake confirms them).
  v1::RecordBredeIntakeRequest& intake = t.brede_intake.emplace();
  *intake.mutable_brede_intake() = s.brede_intake();
  const int intake_day = capped(vestiging + rng.Between(5, 42));
  intake.mutable_brede_intake()->set_date(date(intake_day));
  intake.mutable_brede_intake()->set_intake_groep(rng.Weighted(kIntakeGroepen));
  *intake.mutable_opleiding() = s.opleiding();
  intake.set_prior_occupation_isco(s.prior_occupation_isco());
  *intake.mutable_work_wishes_isco() = s.work_wishes_isco();
  *intake.mutable_availability() = s.availability();
  *intake.mutable_belemmeringen() = s.belemmeringen();
  if (!settled || !rng.Chance(0.85)) return t;

  // The PIP is due ten weeks after the vestiging; drawn over 3-16 weeks, a little over half are
  // on time, as gemeenten reported in the first years of the Wet inburgering 2021.
  v1::EstablishPipRequest& pip = t.pip.emplace();
  const int pip_day = capped(std::max(vestiging + rng.Between(21, 112), intake_day));
  pip.set_date(date(pip_day));
  // Mostly the advised route; one in ten differs after the intake's talk.
  pip.set_leerroute(rng.Chance(0.9) ? s.brede_intake().advised_leerroute()
                                    : rng.Weighted(kLeerroutes));
  if (rng.Chance(0.7)) {
    v1::RecordLanguageLevelRequest& level = t.language_level.emplace();
    v1::TaalMeting& meting = *level.mutable_meting();
    meting.set_vaardigheid(static_cast<v1::TaalVaardigheid>(rng.Between(1, 4)));
    meting.set_level(rng.Weighted(kCefr));
    meting.set_bron(rng.Chance(0.8) ? v1::MEET_BRON_TOETS : v1::MEET_BRON_EXAMEN);
    meting.set_date(date(capped(pip_day + rng.Between(30, 400))));
  }
  if (rng.Chance(0.15)) {
    v1::ChangePhaseRequest& phase = t.phase.emplace();
    phase.set_phase(rng.Weighted(kFinalPhases));
    phase.set_date(date(capped(pip_day + rng.Between(180, 900))));
  }
  return t;
}

v1::RegisterWerkplekRequest SyntheticData::Werkplek(int64_t index) const {
  Rng rng(options_.seed, kWerkplek, static_cast<uint64_t>(index));
  const SyntheticGemeente& g = gemeenten_[static_cast<size_t>(index % gemeenten_.size())];
  v1::RegisterWerkplekRequest request;
  request.set_request_id(absl::StrCat("seed", options_.seed, "-wp", index));
  v1::Werkplek& w = *request.mutable_werkplek();
  const Occupation& occupation = rng.Pick(kOccupations);
  w.set_employer(absl::StrCat(rng.Pick(kEmployers), " ", g.name, " ", index));
  w.set_gemeente(g.code);
  w.mutable_location()->set_latitude(g.lat_min + rng.Uniform() * (g.lat_max - g.lat_min));
  w.mutable_location()->set_longitude(g.lon_min + rng.Uniform() * (g.lon_max - g.lon_min));
  w.set_type(rng.Weighted(kWerkplekTypes));
  w.set_occupation_isco(occupation.isco);
  w.set_title(occupation.title);
  w.set_min_language_level(occupation.skilled
                               ? (rng.Chance(0.6) ? v1::CEFR_LEVEL_B1 : v1::CEFR_LEVEL_A2)
                               : rng.Weighted(kCefr));
  const bool talend = w.type() == v1::WERKPLEK_TYPE_TAALSTAGE || rng.Chance(0.5);
  w.mutable_talende_omgeving()->set_dutch_working_language(talend);
  w.mutable_talende_omgeving()->set_dutch_contact_hours(talend ? rng.Between(4, 24)
                                                               : rng.Between(0, 4));
  w.mutable_talende_omgeving()->set_taalcoach(rng.Chance(talend ? 0.5 : 0.1));
  const int dagdelen = rng.Between(2, 8);
  w.set_hours_per_week(dagdelen * 4);
  std::vector<v1::Dagdeel> week = WeekdayDagdelen();
  Shuffle(week, rng);
  week.resize(static_cast<size_t>(dagdelen));
  std::sort(week.begin(), week.end());
  for (v1::Dagdeel d : week) w.add_dagdelen(d);
  // Vrijwilligerswerk and werkervaringsplaatsen take groups; paid jobs mostly one person.
  switch (w.type()) {
    case v1::WERKPLEK_TYPE_VRIJWILLIGERSWERK:
      w.set_capacity(rng.Between(2, 10));
      break;
    case v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS:
      w.set_capacity(rng.Between(1, 5));
      break;
    case v1::WERKPLEK_TYPE_TAALSTAGE:
      w.set_capacity(rng.Between(1, 4));
      break;
    default:
      w.set_capacity(rng.Chance(0.8) ? 1 : rng.Between(2, 3));
      break;
  }
  w.set_open_from(Day(FromEpoch(reference_day_ - rng.Between(0, 180))));
  if (rng.Chance(0.4)) w.set_open_until(Day(FromEpoch(reference_day_ + rng.Between(30, 365))));
  return request;
}

std::string SyntheticData::StatushouderCsvHeader() {
  return "request_id,gemeente,bsn,given_names,family_name,birth_date,gender,type,"
         "country_of_origin,vestigingsdatum,bijstand,geschoold,education_level,"
         "prior_occupation_isco,language_level,leerroute,latitude,longitude,max_travel_km";
}

std::string SyntheticData::StatushouderCsv(const v1::RegisterStatushouderRequest& request) {
  const v1::Statushouder& s = request.statushouder();
  // No field holds a comma or a quote (names come from fixed lists), so no quoting is needed.
  return absl::StrFormat(
      "%s,%s,%s,%s,%s,%s,%d,%d,%s,%s,%d,%d,%d,%s,%d,%d,%.6f,%.6f,%d", request.request_id(),
      s.gemeente(), s.bsn(), s.given_names(), s.family_name(), s.birth_date(), s.gender(), s.type(),
      s.country_of_origin(), s.vestigingsdatum(), s.uitkering().bijstand(),
      s.opleiding().geschoold(), s.opleiding().level(), s.prior_occupation_isco(),
      s.language_level(), s.brede_intake().advised_leerroute(), s.home_location().latitude(),
      s.home_location().longitude(), s.max_travel_km());
}

}  // namespace inburgering::bench

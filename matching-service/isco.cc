#include "matching-service/isco.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/ascii.h"

namespace inburgering::matching {
namespace {

// A profession and the associate profession that works beside it (ISCO-08 unit groups). This is
// what lets a dentist rank dental assistant work far above unrelated work, although the two sit
// in different major groups (2: professionals, 3: associate professionals).
constexpr std::array<std::pair<absl::string_view, absl::string_view>, 26> kCounterparts = {{
    {"2261", "3251"},  // dentist - dental assistant
    {"2211", "3256"},  // generalist medical practitioner - medical assistant
    {"2212", "3256"},  // specialist medical practitioner - medical assistant
    {"2221", "3221"},  // nursing professional - nursing associate
    {"2221", "5321"},  // nursing professional - health care assistant
    {"2222", "3222"},  // midwife - midwifery associate
    {"2262", "3213"},  // pharmacist - pharmaceutical technician
    {"2250", "3240"},  // veterinarian - veterinary technician
    {"2264", "3255"},  // physiotherapist - physiotherapy technician
    {"2267", "3254"},  // optometrist - dispensing optician
    {"2263", "3257"},  // environmental health - inspector
    {"2142", "3112"},  // civil engineer - civil engineering technician
    {"2151", "3113"},  // electrical engineer - electrical engineering technician
    {"2144", "3115"},  // mechanical engineer - mechanical engineering technician
    {"2145", "3116"},  // chemical engineer - chemical engineering technician
    {"2161", "3118"},  // architect - draughtsperson
    {"2341", "5312"},  // primary school teacher - teachers' aide
    {"2342", "5311"},  // early childhood educator - child care worker
    {"2411", "3313"},  // accountant - accounting associate
    {"2611", "3411"},  // lawyer - legal associate
    {"2635", "3412"},  // social work professional - social work associate
    {"2512", "3512"},  // software developer - ICT user support
    {"2513", "3513"},  // web developer - network technician
    {"2131", "3141"},  // biologist - life science technician
    {"2113", "3111"},  // chemist - chemical and physical science technician
    {"3434", "5120"},  // chef - cook
}};

// The same field one skill level apart (ISCO-08 sub-major groups).
constexpr std::array<std::pair<absl::string_view, absl::string_view>, 11> kRelatedFields = {{
    {"21", "31"},  // science and engineering
    {"22", "32"},  // health
    {"23", "53"},  // teaching - child care and teachers' aides
    {"24", "33"},  // business and administration
    {"25", "35"},  // ICT
    {"26", "34"},  // legal, social, cultural
    {"32", "53"},  // health associate - personal care
    {"31", "71"},  // engineering technicians - building trades
    {"31", "72"},  // engineering technicians - metal and machinery trades
    {"31", "74"},  // engineering technicians - electrical trades
    {"34", "51"},  // cultural associates (chefs) - personal services (cooks)
}};

template <size_t N>
bool PairListed(const std::array<std::pair<absl::string_view, absl::string_view>, N>& list,
                absl::string_view a, absl::string_view b) {
  return std::any_of(list.begin(), list.end(), [&](const auto& p) {
    return (p.first == a && p.second == b) || (p.first == b && p.second == a);
  });
}

}  // namespace

bool IsIscoCode(absl::string_view code) {
  if (code.empty() || code.size() > 4) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

IscoKinship Kinship(absl::string_view from, absl::string_view to) {
  if (from.size() != 4 || to.size() != 4 || !IsIscoCode(from) || !IsIscoCode(to)) {
    return IscoKinship::kUnrelated;
  }
  if (from == to) return IscoKinship::kSameUnitGroup;
  if (PairListed(kCounterparts, from, to)) return IscoKinship::kCounterpartUnit;
  if (from.substr(0, 3) == to.substr(0, 3)) return IscoKinship::kSameMinorGroup;
  if (from.substr(0, 2) == to.substr(0, 2)) return IscoKinship::kSameSubMajorGroup;
  if (PairListed(kRelatedFields, from.substr(0, 2), to.substr(0, 2))) {
    return IscoKinship::kRelatedField;
  }
  if (from[0] == to[0]) return IscoKinship::kSameMajorGroup;
  return IscoKinship::kUnrelated;
}

double KinshipValue(IscoKinship kinship) {
  switch (kinship) {
    case IscoKinship::kSameUnitGroup:
      return 1.0;
    case IscoKinship::kCounterpartUnit:
      return 0.8;
    case IscoKinship::kSameMinorGroup:
      return 0.75;
    case IscoKinship::kSameSubMajorGroup:
      return 0.5;
    case IscoKinship::kRelatedField:
      return 0.4;
    case IscoKinship::kSameMajorGroup:
      return 0.25;
    case IscoKinship::kUnrelated:
      return 0.0;
  }
  return 0.0;
}

absl::string_view KinshipReason(IscoKinship kinship) {
  switch (kinship) {
    case IscoKinship::kSameUnitGroup:
      return "zelfde beroep";
    case IscoKinship::kCounterpartUnit:
      return "direct verwant beroep";
    case IscoKinship::kSameMinorGroup:
      return "zelfde beroepsgroep";
    case IscoKinship::kSameSubMajorGroup:
      return "zelfde beroepsklasse";
    case IscoKinship::kRelatedField:
      return "verwant vakgebied";
    case IscoKinship::kSameMajorGroup:
      return "zelfde beroepshoofdklasse";
    case IscoKinship::kUnrelated:
      return "ander vakgebied";
  }
  return "";
}

int IscoSkillLevel(absl::string_view code) {
  if (code.empty() || !IsIscoCode(code)) return 0;
  const char major = code[0];
  switch (major) {
    case '0':  // armed forces: commissioned officers 01, non-commissioned 02, other ranks 03
      if (code.size() < 2) return 0;
      return code[1] == '1' ? 4 : code[1] == '2' ? 2 : 1;
    case '1':  // managers: ISCO-08 puts 11-13 at skill level 4, 14 (hospitality, retail) at 3
      if (code.size() < 2) return 0;
      return code[1] == '4' ? 3 : 4;
    case '2':
      return 4;
    case '3':
      return 3;
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
      return 2;
    case '9':
      return 1;
  }
  return 0;
}

}  // namespace inburgering::matching

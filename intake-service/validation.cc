#include "intake-service/validation.h"

#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"

namespace inburgering::intake {
namespace {

constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxWishes = 20;
constexpr int kMaxTravelKm = 500;
constexpr int kMaxExtensionMonths = 24;

absl::Status ValidateText(absl::string_view field, absl::string_view value, bool required) {
  if (required && value.empty()) return InvalidField(field, "is required");
  if (value.size() > kMaxNameLength) {
    return InvalidField(field, absl::StrCat("at most ", kMaxNameLength, " bytes"));
  }
  if (!IsValidUtf8(value)) return InvalidField(field, "must be valid UTF-8");
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return InvalidField(field, "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A date that is required (or optional when empty is allowed) and not after `latest`.
absl::Status ValidateDateNotAfter(absl::string_view field, absl::string_view text,
                                  absl::CivilDay latest, bool required) {
  if (text.empty()) return required ? InvalidField(field, "is required") : absl::OkStatus();
  auto day = ParseDate(field, text);
  if (!day.ok()) return day.status();
  if (*day > latest) return InvalidField(field, "must not be in the future");
  return absl::OkStatus();
}

// A set of enum values: each known, none UNSPECIFIED, none twice.
template <typename IsValid>
absl::Status ValidateEnumSet(absl::string_view field,
                             const google::protobuf::RepeatedField<int>& values, IsValid valid) {
  std::set<int> seen;
  for (int v : values) {
    if (v == 0 || !valid(v)) return InvalidField(field, "unknown value");
    if (!seen.insert(v).second) return InvalidField(field, "must not repeat a value");
  }
  return absl::OkStatus();
}

absl::Status ValidateOpleiding(absl::string_view field, const v1::Opleiding& opleiding) {
  if (!v1::EducationLevel_IsValid(opleiding.level())) {
    return InvalidField(absl::StrCat(field, ".level"), "unknown value");
  }
  return absl::OkStatus();
}

absl::Status ValidateWishes(absl::string_view field,
                            const google::protobuf::RepeatedPtrField<std::string>& wishes) {
  if (static_cast<size_t>(wishes.size()) > kMaxWishes) {
    return InvalidField(field, absl::StrCat("at most ", kMaxWishes, " codes"));
  }
  std::set<std::string> seen;
  for (const std::string& w : wishes) {
    RETURN_IF_ERROR(ValidateIscoWish(field, w));
    if (!seen.insert(w).second) return InvalidField(field, "must not repeat a code");
  }
  return absl::OkStatus();
}

absl::Status ValidateBelemmeringen(absl::string_view field,
                                   const google::protobuf::RepeatedField<int>& values) {
  return ValidateEnumSet(field, values, [](int v) { return v1::Belemmering_IsValid(v); });
}

absl::Status ValidateDagdeelList(absl::string_view field,
                                 const google::protobuf::RepeatedField<int>& values) {
  return ValidateEnumSet(field, values, [](int v) { return v1::Dagdeel_IsValid(v); });
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c >> 5) == 0x6) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

bool IsValidBsn(absl::string_view bsn) {
  if (bsn.size() != 9) return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(bsn[i]))) return false;
    const int digit = bsn[i] - '0';
    sum += (i < 8 ? (9 - i) : -1) * digit;
  }
  return sum % 11 == 0 && bsn != "000000000";
}

absl::Status ValidateVersion(int64_t version) {
  if (version < 1) return InvalidField("version", "required: the version you read (>= 1)");
  return absl::OkStatus();
}

absl::Status ValidateIscoUnitGroup(absl::string_view field, absl::string_view code) {
  if (code.size() != 4 || !AllDigits(code)) {
    return InvalidField(field, "must be an ISCO-08 unit group of exactly 4 digits");
  }
  return absl::OkStatus();
}

absl::Status ValidateIscoWish(absl::string_view field, absl::string_view code) {
  if (code.empty() || code.size() > 4 || !AllDigits(code)) {
    return InvalidField(field, "must be an ISCO-08 code of 1 to 4 digits");
  }
  return absl::OkStatus();
}

absl::Status ValidateGeoLocation(absl::string_view field, const v1::GeoLocation& location) {
  const double lat = location.latitude(), lon = location.longitude();
  if (!std::isfinite(lat) || lat < -90 || lat > 90) {
    return InvalidField(absl::StrCat(field, ".latitude"), "must be within -90..90");
  }
  if (!std::isfinite(lon) || lon < -180 || lon > 180) {
    return InvalidField(absl::StrCat(field, ".longitude"), "must be within -180..180");
  }
  return absl::OkStatus();
}

absl::Status ValidateReasonCode(absl::string_view field, absl::string_view code) {
  if (code.empty() || code.size() > 32) return InvalidField(field, "a code of 1 to 32 characters");
  for (char c : code) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return InvalidField(field, "a code of A-Z, 0-9 and _ (no free text)");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProfile(const v1::Statushouder& s, absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateText("statushouder.given_names", s.given_names(), false));
  RETURN_IF_ERROR(ValidateText("statushouder.family_name", s.family_name(), true));
  RETURN_IF_ERROR(ValidateText("statushouder.azc_location", s.azc_location(), false));
  if (s.birth_date().empty()) return InvalidField("statushouder.birth_date", "is required");
  auto birth = ParseDate("statushouder.birth_date", s.birth_date());
  if (!birth.ok()) return birth.status();
  if (*birth > today) return InvalidField("statushouder.birth_date", "must not be in the future");
  if (!v1::Gender_IsValid(s.gender())) return InvalidField("statushouder.gender", "unknown value");
  if (s.type() == v1::STATUSHOUDER_TYPE_UNSPECIFIED || !v1::StatushouderType_IsValid(s.type())) {
    return InvalidField("statushouder.type", "must be ASIELSTATUSHOUDER, GEZINSMIGRANT or OVERIG");
  }
  if (s.country_of_origin().size() != 2 || !absl::ascii_isupper(s.country_of_origin()[0]) ||
      !absl::ascii_isupper(s.country_of_origin()[1])) {
    return InvalidField("statushouder.country_of_origin", "must be an ISO 3166-1 alpha-2 code");
  }
  if (!s.vestigingsdatum().empty()) {
    auto vestiging = ParseDate("statushouder.vestigingsdatum", s.vestigingsdatum());
    if (!vestiging.ok()) return vestiging.status();
    if (*vestiging < *birth) {
      return InvalidField("statushouder.vestigingsdatum", "must not be before birth_date");
    }
    if (*vestiging > today + 366) {
      return InvalidField("statushouder.vestigingsdatum", "at most a year ahead");
    }
  }
  const v1::Uitkering& u = s.uitkering();
  if (!u.bijstand() && (!u.start_date().empty() || !u.end_date().empty())) {
    // Dates of an ended bijstand are kept with bijstand=true and an end_date (the outflow).
    return InvalidField("statushouder.uitkering.start_date", "only with bijstand");
  }
  RETURN_IF_ERROR(ValidateDateNotAfter("statushouder.uitkering.start_date", u.start_date(), today,
                                       /*required=*/false));
  RETURN_IF_ERROR(ValidateDateNotAfter("statushouder.uitkering.end_date", u.end_date(), today,
                                       /*required=*/false));
  if (!u.end_date().empty()) {
    if (u.start_date().empty()) {
      return InvalidField("statushouder.uitkering.end_date", "needs a start_date");
    }
    if (u.end_date() < u.start_date()) {  // same-format dates compare as strings
      return InvalidField("statushouder.uitkering.end_date", "must not be before start_date");
    }
  }
  RETURN_IF_ERROR(ValidateOpleiding("statushouder.opleiding", s.opleiding()));
  if (!s.prior_occupation_isco().empty()) {
    RETURN_IF_ERROR(
        ValidateIscoUnitGroup("statushouder.prior_occupation_isco", s.prior_occupation_isco()));
  }
  RETURN_IF_ERROR(ValidateWishes("statushouder.work_wishes_isco", s.work_wishes_isco()));
  RETURN_IF_ERROR(ValidateDagdeelList("statushouder.availability", s.availability()));
  RETURN_IF_ERROR(ValidateDagdeelList("statushouder.lesson_dagdelen", s.lesson_dagdelen()));
  if (s.has_home_location()) {
    RETURN_IF_ERROR(ValidateGeoLocation("statushouder.home_location", s.home_location()));
  }
  if (s.max_travel_km() < 0 || s.max_travel_km() > kMaxTravelKm) {
    return InvalidField("statushouder.max_travel_km",
                        absl::StrCat("must be within 0..", kMaxTravelKm));
  }
  RETURN_IF_ERROR(ValidateBelemmeringen("statushouder.belemmeringen", s.belemmeringen()));
  return absl::OkStatus();
}

absl::Status ValidateNewStatushouder(const v1::Statushouder& s, absl::CivilDay today) {
  if (!IsValidBsn(s.bsn())) {
    return InvalidField("statushouder.bsn", "must be 9 digits passing the 11-proef");
  }
  return ValidateProfile(s, today);
}

bool IsUpdatablePath(absl::string_view path) {
  static const std::set<std::string, std::less<>> kPaths = {"given_names",
                                                            "family_name",
                                                            "vestigingsdatum",
                                                            "azc_location",
                                                            "uitkering",
                                                            "opleiding",
                                                            "prior_occupation_isco",
                                                            "work_wishes_isco",
                                                            "availability",
                                                            "lesson_dagdelen",
                                                            "home_location",
                                                            "max_travel_km",
                                                            "belemmeringen",
                                                            "consent_share_identity"};
  return kPaths.find(path) != kPaths.end();
}

absl::Status ValidateUpdateRequest(const v1::UpdateStatushouderRequest& request) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  if (request.update_mask().empty()) {
    return InvalidField("update_mask", "name at least one field to change");
  }
  for (const std::string& path : request.update_mask()) {
    if (!IsUpdatablePath(path)) {
      return InvalidField("update_mask",
                          "unknown or not updatable path (see UpdateStatushouderRequest)");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBredeIntakeRequest(const v1::RecordBredeIntakeRequest& request,
                                        absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  const v1::BredeIntake& b = request.brede_intake();
  RETURN_IF_ERROR(ValidateDateNotAfter("brede_intake.date", b.date(), today, /*required=*/true));
  if (b.leerbaarheid() == 0 || !v1::Leerbaarheid_IsValid(b.leerbaarheid())) {
    return InvalidField("brede_intake.leerbaarheid", "must be HOOG, GEMIDDELD or LAAG");
  }
  if (b.advised_leerroute() == 0 || !v1::Leerroute_IsValid(b.advised_leerroute())) {
    return InvalidField("brede_intake.advised_leerroute", "must be B1, ONDERWIJSROUTE or Z_ROUTE");
  }
  if (b.intake_groep() == 0 || !v1::IntakeGroep_IsValid(b.intake_groep())) {
    return InvalidField("brede_intake.intake_groep", "must be a known intake group");
  }
  RETURN_IF_ERROR(ValidateOpleiding("opleiding", request.opleiding()));
  if (!request.prior_occupation_isco().empty()) {
    RETURN_IF_ERROR(
        ValidateIscoUnitGroup("prior_occupation_isco", request.prior_occupation_isco()));
  }
  RETURN_IF_ERROR(ValidateWishes("work_wishes_isco", request.work_wishes_isco()));
  RETURN_IF_ERROR(ValidateDagdeelList("availability", request.availability()));
  RETURN_IF_ERROR(ValidateBelemmeringen("belemmeringen", request.belemmeringen()));
  return absl::OkStatus();
}

absl::Status ValidateEstablishPipRequest(const v1::EstablishPipRequest& request,
                                         absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  RETURN_IF_ERROR(ValidateDateNotAfter("date", request.date(), today, /*required=*/true));
  if (request.leerroute() == 0 || !v1::Leerroute_IsValid(request.leerroute())) {
    return InvalidField("leerroute", "must be B1, ONDERWIJSROUTE or Z_ROUTE");
  }
  std::set<int> seen;
  for (int m : request.modules()) {
    if (m == 0 || !v1::ModuleType_IsValid(m)) return InvalidField("modules", "unknown value");
    if (!seen.insert(m).second) return InvalidField("modules", "must not repeat a module");
  }
  return absl::OkStatus();
}

absl::Status ValidateOpschortingRequest(const v1::RecordOpschortingRequest& request,
                                        absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  const v1::Opschorting& o = request.opschorting();
  if (o.from().empty()) return InvalidField("opschorting.from", "is required");
  if (o.to().empty()) return InvalidField("opschorting.to", "is required");
  auto from = ParseDate("opschorting.from", o.from());
  if (!from.ok()) return from.status();
  if (*from > today) {
    return InvalidField("opschorting.from",
                        "must not be in the future: record an opschorting once it has started");
  }
  auto to = ParseDate("opschorting.to", o.to());
  if (!to.ok()) return to.status();
  if (*to <= *from) return InvalidField("opschorting.to", "must be after from");
  if (*to - *from > 366) return InvalidField("opschorting.to", "at most a year after from");
  return ValidateReasonCode("opschorting.reason_code", o.reason_code());
}

absl::Status ValidateLanguageLevelRequest(const v1::RecordLanguageLevelRequest& request,
                                          absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  const v1::TaalMeting& m = request.meting();
  if (m.vaardigheid() == 0 || !v1::TaalVaardigheid_IsValid(m.vaardigheid())) {
    return InvalidField("meting.vaardigheid", "must be LEZEN, LUISTEREN, SPREKEN or SCHRIJVEN");
  }
  if (m.level() == 0 || !v1::CefrLevel_IsValid(m.level())) {
    return InvalidField("meting.level", "must be a CEFR level A0..C2");
  }
  if (m.bron() == 0 || !v1::MeetBron_IsValid(m.bron())) {
    return InvalidField("meting.bron", "must be TOETS, EXAMEN or INSCHATTING");
  }
  return ValidateDateNotAfter("meting.date", m.date(), today, /*required=*/true);
}

absl::Status ValidateModuleProgressRequest(const v1::RecordModuleProgressRequest& request,
                                           absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  const v1::ModuleProgress& p = request.progress();
  if (p.module() == 0 || !v1::ModuleType_IsValid(p.module())) {
    return InvalidField("progress.module", "must be MAP, PVT or KNM");
  }
  if (p.status() == 0 || !v1::ModuleStatus_IsValid(p.status())) {
    return InvalidField("progress.status", "must be GESTART, AFGEROND or VRIJGESTELD");
  }
  return ValidateDateNotAfter("progress.date", p.date(), today, /*required=*/true);
}

absl::Status ValidateChangePhaseRequest(const v1::ChangePhaseRequest& request,
                                        absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  if (request.phase() == 0 || !v1::Phase_IsValid(request.phase())) {
    return InvalidField("phase", "must be a known phase");
  }
  // Entering INTAKE records the vestiging, so the date is required there.
  return ValidateDateNotAfter("date", request.date(), today,
                              /*required=*/request.phase() == v1::PHASE_INTAKE);
}

absl::Status ValidateExtendRequest(const v1::ExtendInburgeringstermijnRequest& request) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  if (request.months() < 1 || request.months() > kMaxExtensionMonths) {
    return InvalidField("months", absl::StrCat("must be within 1..", kMaxExtensionMonths));
  }
  return ValidateReasonCode("reason_code", request.reason_code());
}

absl::Status ValidateListRequest(const v1::ListStatushoudersRequest& request) {
  if (request.page_size() < 0) return InvalidField("page_size", "must not be negative");
  if (!v1::Phase_IsValid(request.phase())) return InvalidField("phase", "unknown value");
  if (!v1::Leerroute_IsValid(request.leerroute())) {
    return InvalidField("leerroute", "unknown value");
  }
  if (!v1::StatushouderType_IsValid(request.type())) return InvalidField("type", "unknown value");
  if (!v1::ListStatushoudersRequest::UitkeringFilter_IsValid(request.uitkering())) {
    return InvalidField("uitkering", "unknown value");
  }
  if (request.page_token().size() > 256) return InvalidField("page_token", "not a valid token");
  return absl::OkStatus();
}

}  // namespace inburgering::intake

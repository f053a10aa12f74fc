#include "intake-service/trajectory.h"

#include <algorithm>
#include <optional>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/status.h"
#include "google/protobuf/util/message_differencer.h"
#include "intake-service/validation.h"

namespace inburgering::intake {
namespace {

constexpr int kMaxOpschortingen = 50;
constexpr int kMaxMeasurements = 500;
constexpr int kMaxTotalExtensionMonths = 60;

// Dates inside a stored record were validated on the way in; an unparsable one is treated as
// absent rather than failing every later call on the record.
std::optional<absl::CivilDay> StoredDate(const std::string& text) {
  auto day = ParseDate("", text);
  if (!day.ok()) return std::nullopt;
  return *day;
}

absl::CivilDay MustParse(const std::string& text) {
  // Only called on request fields that validation.h already checked.
  return *ParseDate("", text);
}

std::string PhaseName(v1::Phase phase) {
  std::string name = v1::Phase_Name(phase);
  return name.empty() ? absl::StrCat(static_cast<int>(phase)) : name;
}

}  // namespace

bool IsFinalPhase(v1::Phase phase) {
  return phase == v1::PHASE_AFGEROND || phase == v1::PHASE_ONTHEVEN ||
         phase == v1::PHASE_VRIJGESTELD || phase == v1::PHASE_VERTROKKEN;
}

bool IsLegalPhaseTransition(v1::Phase from, v1::Phase to) {
  switch (from) {
    case v1::PHASE_VOORINBURGERING:
      return to == v1::PHASE_INTAKE || to == v1::PHASE_VERTROKKEN;
    case v1::PHASE_INTAKE:
      return to == v1::PHASE_INBURGERING || to == v1::PHASE_VRIJGESTELD ||
             to == v1::PHASE_VERTROKKEN;
    case v1::PHASE_INBURGERING:
      return to == v1::PHASE_AFGEROND || to == v1::PHASE_ONTHEVEN || to == v1::PHASE_VRIJGESTELD ||
             to == v1::PHASE_VERTROKKEN;
    default:
      return false;  // final phases, and UNSPECIFIED which no stored record has
  }
}

absl::Status CheckPhaseTransition(v1::Phase from, v1::Phase to) {
  if (IsLegalPhaseTransition(from, to)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("phase: no transition from ", PhaseName(from), " to ", PhaseName(to)));
}

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth month = absl::CivilMonth(day) + months;
  const absl::CivilDay last_of_month = absl::CivilDay(month + 1) - 1;
  return absl::CivilDay(month.year(), month.month(), std::min(day.day(), last_of_month.day()));
}

int OpschortingDays(const google::protobuf::RepeatedPtrField<v1::Opschorting>& opschortingen) {
  int days = 0;
  for (const v1::Opschorting& o : opschortingen) {
    auto from = StoredDate(o.from());
    auto to = StoredDate(o.to());
    if (from && to && *to > *from) days += static_cast<int>(*to - *from);
  }
  return days;
}

absl::CivilDay PipDueDate(
    absl::CivilDay vestiging,
    const google::protobuf::RepeatedPtrField<v1::Opschorting>& opschortingen) {
  return vestiging + kPipDays + OpschortingDays(opschortingen);
}

v1::CefrLevel CurrentLanguageLevel(
    const google::protobuf::RepeatedPtrField<v1::TaalMeting>& measurements) {
  // Index of the latest measurement per skill; later entries win ties on date.
  int latest[5] = {-1, -1, -1, -1, -1};
  for (int i = 0; i < measurements.size(); ++i) {
    const int skill = measurements[i].vaardigheid();
    if (skill < 1 || skill > 4) continue;
    if (latest[skill] < 0 || measurements[i].date() >= measurements[latest[skill]].date()) {
      latest[skill] = i;
    }
  }
  int lowest = 0;
  for (int skill = 1; skill <= 4; ++skill) {
    if (latest[skill] < 0) continue;
    const int level = measurements[latest[skill]].level();
    if (lowest == 0 || level < lowest) lowest = level;
  }
  return static_cast<v1::CefrLevel>(lowest);
}

absl::StatusOr<LocalPolicies> LocalPolicies::FromConfig(const config::v1::IntakeConfig& config) {
  absl::flat_hash_set<std::string> gemeenten;
  for (const auto& g : config.regions().gemeenten()) gemeenten.insert(g.code());
  auto resolve = [](const std::string& field, const config::v1::IntakePolicy& p,
                    const LocalPolicy& base) -> absl::StatusOr<LocalPolicy> {
    LocalPolicy policy = base;
    if (p.map_min_level() != v1::CEFR_LEVEL_UNSPECIFIED) {
      if (!v1::CefrLevel_IsValid(p.map_min_level())) {
        return InvalidField(absl::StrCat(field, ".map_min_level"), "must be a CEFR level");
      }
      policy.map_min_level = p.map_min_level();
    }
    return policy;
  };
  LocalPolicies policies;
  ASSIGN_OR_RETURN(policies.default_, resolve("default_policy", config.default_policy(), {}));
  for (const auto& [gemeente, p] : config.policies()) {
    const std::string field = absl::StrCat("policies[", gemeente, "]");
    if (!gemeenten.contains(gemeente)) {
      return InvalidField(field, "not a gemeente of the configured regions");
    }
    ASSIGN_OR_RETURN(policies.by_gemeente_[gemeente], resolve(field, p, policies.default_));
  }
  return policies;
}

const LocalPolicy& LocalPolicies::For(const std::string& gemeente) const {
  auto it = by_gemeente_.find(gemeente);
  return it == by_gemeente_.end() ? default_ : it->second;
}

absl::Status CheckModuleMayStart(v1::ModuleType module, v1::CefrLevel level,
                                 v1::CefrLevel map_min_level) {
  if (module == v1::MODULE_TYPE_MAP && level < map_min_level) {
    return absl::FailedPreconditionError(
        absl::StrCat("progress.module: MAP may start only at language level ",
                     v1::CefrLevel_Name(map_min_level).substr(sizeof("CEFR_LEVEL_") - 1),
                     " or higher (the gemeente's policy)"));
  }
  return absl::OkStatus();
}

absl::CivilDay TermijnEndDate(absl::CivilDay pip_date, int extension_months) {
  return AddMonths(pip_date, 12 * kTermijnYears + extension_months);
}

void RefreshDerived(v1::Statushouder& s, absl::CivilDay today) {
  std::optional<absl::CivilDay> vestiging = StoredDate(s.vestigingsdatum());
  if (s.phase() != v1::PHASE_INTAKE || s.has_pip() || !vestiging) {
    s.clear_pip_deadline();
    return;
  }
  v1::PipDeadline* deadline = s.mutable_pip_deadline();
  const absl::CivilDay due = PipDueDate(*vestiging, deadline->opschortingen());
  deadline->set_due_date(FormatDate(due));
  deadline->set_days_left(static_cast<int32_t>(due - today));
  deadline->set_overdue(today > due);
}

absl::Status ApplyBredeIntake(v1::Statushouder& s, const v1::RecordBredeIntakeRequest& request) {
  if (s.phase() != v1::PHASE_VOORINBURGERING && s.phase() != v1::PHASE_INTAKE) {
    return absl::FailedPreconditionError(
        "brede_intake: can be recorded only before the PIP (phase VOORINBURGERING or INTAKE)");
  }
  if (request.brede_intake().date() < s.birth_date()) {
    return InvalidField("brede_intake.date", "must not be before birth_date");
  }
  // The findings as profile values; only those the caller names change (the request's comment).
  v1::Statushouder findings;
  if (request.has_opleiding()) *findings.mutable_opleiding() = request.opleiding();
  findings.set_prior_occupation_isco(request.prior_occupation_isco());
  *findings.mutable_work_wishes_isco() = request.work_wishes_isco();
  *findings.mutable_availability() = request.availability();
  *findings.mutable_belemmeringen() = request.belemmeringen();
  static constexpr absl::string_view kFindings[] = {
      "opleiding", "prior_occupation_isco", "work_wishes_isco", "availability", "belemmeringen"};
  google::protobuf::RepeatedPtrField<std::string> mask = request.update_mask();
  for (const std::string& path : mask) {
    if (absl::c_find(kFindings, path) == std::end(kFindings)) {
      return InvalidField("update_mask",
                          "names a finding of the brede intake: opleiding, prior_occupation_isco, "
                          "work_wishes_isco, availability or belemmeringen");
    }
  }
  if (mask.empty()) mask = PathsSetIn(findings);
  *s.mutable_brede_intake() = request.brede_intake();
  for (const std::string& path : mask) RETURN_IF_ERROR(ApplyProfilePath(s, findings, path));
  return absl::OkStatus();
}

absl::Status ApplyPip(v1::Statushouder& s, const v1::EstablishPipRequest& request) {
  if (s.has_pip()) return absl::FailedPreconditionError("pip: already established");
  if (!s.has_brede_intake()) {
    return absl::FailedPreconditionError("pip: record the brede intake first");
  }
  std::optional<absl::CivilDay> vestiging = StoredDate(s.vestigingsdatum());
  if (!vestiging) {
    return absl::FailedPreconditionError("pip: needs a vestigingsdatum (ChangePhase to INTAKE)");
  }
  RETURN_IF_ERROR(CheckPhaseTransition(s.phase(), v1::PHASE_INBURGERING));
  const absl::CivilDay date = MustParse(request.date());
  if (date < *vestiging) return InvalidField("date", "must not be before the vestigingsdatum");
  if (request.date() < s.brede_intake().date()) {
    return InvalidField("date", "must not be before the brede intake");
  }
  v1::Pip* pip = s.mutable_pip();
  pip->set_date(request.date());
  pip->set_leerroute(request.leerroute());
  *pip->mutable_modules() = request.modules();
  *pip->mutable_opschortingen() = s.pip_deadline().opschortingen();
  const absl::CivilDay due = PipDueDate(*vestiging, pip->opschortingen());
  pip->set_due_date(FormatDate(due));
  pip->set_on_time(date <= due);
  s.clear_pip_deadline();
  EnterPhase(s, v1::PHASE_INBURGERING, request.date());
  v1::Inburgeringstermijn* termijn = s.mutable_inburgeringstermijn();
  termijn->set_start_date(request.date());
  termijn->set_extension_months(0);
  termijn->set_end_date(FormatDate(TermijnEndDate(date, 0)));
  return absl::OkStatus();
}

absl::Status ApplyOpschorting(v1::Statushouder& s, const v1::Opschorting& opschorting) {
  if (s.phase() != v1::PHASE_INTAKE || s.has_pip()) {
    return absl::FailedPreconditionError(
        "opschorting: only moves a PIP deadline still running (phase INTAKE, no PIP yet)");
  }
  if (opschorting.from() < s.vestigingsdatum()) {
    return InvalidField("opschorting.from", "must not be before the vestigingsdatum");
  }
  auto* list = s.mutable_pip_deadline()->mutable_opschortingen();
  // Only a deadline still running can be suspended: an opschorting starting after the due date
  // would make an overdue PIP look on time.
  if (const std::optional<absl::CivilDay> vestiging = StoredDate(s.vestigingsdatum())) {
    const std::string due = FormatDate(PipDueDate(*vestiging, *list));
    if (opschorting.from() > due) {
      return absl::FailedPreconditionError(
          absl::StrCat("opschorting.from: after the PIP due date ", due,
                       "; an opschorting can only suspend a deadline that is still running"));
    }
  }
  if (list->size() >= kMaxOpschortingen) {
    return absl::FailedPreconditionError(
        absl::StrCat("opschorting: at most ", kMaxOpschortingen, " per statushouder"));
  }
  for (const v1::Opschorting& o : *list) {
    // Half-open periods [from, to) overlap when each starts before the other ends.
    if (opschorting.from() < o.to() && o.from() < opschorting.to()) {
      return absl::FailedPreconditionError("opschorting: overlaps a recorded opschorting");
    }
  }
  *list->Add() = opschorting;
  return absl::OkStatus();
}

absl::Status ApplyLanguageMeting(v1::Statushouder& s, const v1::TaalMeting& meting) {
  if (meting.date() < s.birth_date()) {
    return InvalidField("meting.date", "must not be before birth_date");
  }
  if (s.language_measurements_size() >= kMaxMeasurements) {
    return absl::FailedPreconditionError(
        absl::StrCat("meting: at most ", kMaxMeasurements, " measurements per statushouder"));
  }
  *s.add_language_measurements() = meting;
  s.set_language_level(CurrentLanguageLevel(s.language_measurements()));
  return absl::OkStatus();
}

absl::Status ApplyModuleProgress(v1::Statushouder& s, const v1::ModuleProgress& progress,
                                 const LocalPolicy& policy) {
  v1::ModuleProgress* existing = nullptr;
  for (v1::ModuleProgress& m : *s.mutable_modules()) {
    if (m.module() == progress.module()) existing = &m;
  }
  if (existing != nullptr) {
    if (existing->status() == v1::MODULE_STATUS_AFGEROND ||
        existing->status() == v1::MODULE_STATUS_VRIJGESTELD) {
      return absl::FailedPreconditionError(
          "progress: the module is already afgerond or vrijgesteld");
    }
    if (progress.status() == v1::MODULE_STATUS_GESTART) {
      return absl::FailedPreconditionError("progress: the module has already started");
    }
    if (progress.date() < existing->date()) {
      return InvalidField("progress.date", "must not be before the module's previous status");
    }
  }
  // Starting (or completing without a recorded start) is what needs the language level.
  const bool starts = progress.status() == v1::MODULE_STATUS_GESTART ||
                      (progress.status() == v1::MODULE_STATUS_AFGEROND && existing == nullptr);
  if (starts) {
    RETURN_IF_ERROR(
        CheckModuleMayStart(progress.module(), s.language_level(), policy.map_min_level));
  }
  if (existing == nullptr) existing = s.add_modules();
  *existing = progress;
  return absl::OkStatus();
}

void EnterPhase(v1::Statushouder& s, v1::Phase phase, const std::string& date) {
  s.set_phase(phase);
  v1::PhaseChange* change = s.add_phase_history();
  change->set_phase(phase);
  change->set_date(date);
}

absl::Status ApplyPhaseChange(v1::Statushouder& s, v1::Phase to, const std::string& date) {
  if (to == v1::PHASE_INBURGERING && s.phase() == v1::PHASE_INTAKE) {
    return absl::FailedPreconditionError("phase: INBURGERING starts with EstablishPip");
  }
  RETURN_IF_ERROR(CheckPhaseTransition(s.phase(), to));
  if (date < s.birth_date()) return InvalidField("date", "must not be before birth_date");
  if (!s.phase_history().empty() && date < s.phase_history().rbegin()->date()) {
    return InvalidField("date", absl::StrCat("must not be before the previous phase change (",
                                             s.phase_history().rbegin()->date(), ")"));
  }
  if (to == v1::PHASE_AFGEROND) {
    // Inburgeringsplicht met: every module of the plan done or exempted, by its latest status.
    for (int module : s.pip().modules()) {
      v1::ModuleStatus latest = v1::MODULE_STATUS_UNSPECIFIED;
      for (const v1::ModuleProgress& p : s.modules()) {
        if (p.module() == module) latest = p.status();
      }
      if (latest != v1::MODULE_STATUS_AFGEROND && latest != v1::MODULE_STATUS_VRIJGESTELD) {
        return absl::FailedPreconditionError(
            absl::StrCat("phase: AFGEROND needs every module of the PIP afgerond or vrijgesteld; ",
                         v1::ModuleType_Name(static_cast<v1::ModuleType>(module)), " is not"));
      }
    }
  }
  if (to == v1::PHASE_INTAKE) {
    s.set_vestigingsdatum(date);  // entering INTAKE is the vestiging in the gemeente
  }
  EnterPhase(s, to, date);
  return absl::OkStatus();
}

absl::Status ApplyTermijnExtension(v1::Statushouder& s, int months, const std::string& reason) {
  if (s.phase() != v1::PHASE_INBURGERING || !s.has_inburgeringstermijn()) {
    return absl::FailedPreconditionError(
        "inburgeringstermijn: can be extended only while inburgering (after the PIP)");
  }
  v1::Inburgeringstermijn* termijn = s.mutable_inburgeringstermijn();
  const int total = termijn->extension_months() + months;
  if (total > kMaxTotalExtensionMonths) {
    return absl::FailedPreconditionError(absl::StrCat(
        "inburgeringstermijn: extensions total at most ", kMaxTotalExtensionMonths, " months"));
  }
  std::optional<absl::CivilDay> start = StoredDate(termijn->start_date());
  if (!start) return absl::FailedPreconditionError("inburgeringstermijn: no start date");
  termijn->set_extension_months(total);
  termijn->add_extension_reason_codes(reason);
  termijn->set_end_date(FormatDate(TermijnEndDate(*start, total)));
  return absl::OkStatus();
}

absl::Status ApplyProfilePath(v1::Statushouder& s, const v1::Statushouder& values,
                              const std::string& path) {
  if (path == "given_names") {
    s.set_given_names(values.given_names());
  } else if (path == "family_name") {
    s.set_family_name(values.family_name());
  } else if (path == "vestigingsdatum") {
    if (s.phase() != v1::PHASE_INTAKE) {
      return absl::FailedPreconditionError(
          "vestigingsdatum: can be corrected only in phase INTAKE (enter INTAKE with "
          "ChangePhase)");
    }
    if (values.vestigingsdatum().empty()) {
      return InvalidField("statushouder.vestigingsdatum", "is required in phase INTAKE");
    }
    s.set_vestigingsdatum(values.vestigingsdatum());
  } else if (path == "azc_location") {
    s.set_azc_location(values.azc_location());
  } else if (path == "uitkering") {
    *s.mutable_uitkering() = values.uitkering();
  } else if (path == "opleiding") {
    *s.mutable_opleiding() = values.opleiding();
  } else if (path == "prior_occupation_isco") {
    s.set_prior_occupation_isco(values.prior_occupation_isco());
  } else if (path == "work_wishes_isco") {
    *s.mutable_work_wishes_isco() = values.work_wishes_isco();
  } else if (path == "availability") {
    *s.mutable_availability() = values.availability();
  } else if (path == "lesson_dagdelen") {
    *s.mutable_lesson_dagdelen() = values.lesson_dagdelen();
  } else if (path == "home_location") {
    if (values.has_home_location()) {
      *s.mutable_home_location() = values.home_location();
    } else {
      s.clear_home_location();
    }
  } else if (path == "max_travel_km") {
    s.set_max_travel_km(values.max_travel_km());
  } else if (path == "belemmeringen") {
    *s.mutable_belemmeringen() = values.belemmeringen();
  } else if (path == "consent_share_identity") {
    s.set_consent_share_identity(values.consent_share_identity());
  } else {
    return InvalidField("update_mask", "unknown or not updatable path");
  }
  return absl::OkStatus();
}

absl::Status ApplyProfileUpdate(v1::Statushouder& s, const v1::Statushouder& values,
                                const google::protobuf::RepeatedPtrField<std::string>& mask,
                                absl::CivilDay today) {
  for (const std::string& path : mask) RETURN_IF_ERROR(ApplyProfilePath(s, values, path));
  return ValidateProfile(s, today);
}

google::protobuf::RepeatedPtrField<std::string> PathsSetIn(const v1::Statushouder& values) {
  std::vector<const google::protobuf::FieldDescriptor*> set;
  values.GetReflection()->ListFields(values, &set);
  google::protobuf::RepeatedPtrField<std::string> paths;
  for (const google::protobuf::FieldDescriptor* field : set) *paths.Add() = field->name();
  return paths;
}

void EnterInitialPhase(v1::Statushouder& s) {
  // Settled: INTAKE from the vestigingsdatum. In the azc: VOORINBURGERING, on a date not known
  // (the registration date is not it).
  EnterPhase(s, s.vestigingsdatum().empty() ? v1::PHASE_VOORINBURGERING : v1::PHASE_INTAKE,
             s.vestigingsdatum());
}

absl::StatusOr<bool> MergeImported(v1::Statushouder& stored, const v1::Statushouder& row,
                                   absl::CivilDay today) {
  // The row's profile fields that are set replace the stored ones; the rest stay (a column the
  // file does not have never clears what was registered).
  v1::Statushouder given = row;
  ClearNonProfile(given);
  v1::Statushouder before, after;
  CopyProfile(stored, before);
  after = before;
  std::vector<const google::protobuf::FieldDescriptor*> set;
  given.GetReflection()->ListFields(given, &set);
  for (const google::protobuf::FieldDescriptor* field : set) {
    after.GetReflection()->ClearField(&after, field);
  }
  after.MergeFrom(given);
  v1::Phase phase = stored.phase();
  if (after.vestigingsdatum() != stored.vestigingsdatum()) {
    if (phase == v1::PHASE_VOORINBURGERING) {
      phase = v1::PHASE_INTAKE;  // the case system reports the vestiging
    } else if (phase != v1::PHASE_INTAKE) {
      return absl::FailedPreconditionError(
          "statushouder.vestigingsdatum: cannot change once the PIP is set or the trajectory "
          "ended");
    }
  }
  if (phase == stored.phase() &&
      google::protobuf::util::MessageDifferencer::Equals(before, after)) {
    return false;
  }
  CopyProfile(after, stored);
  if (phase != stored.phase()) EnterPhase(stored, phase, stored.vestigingsdatum());
  RefreshDerived(stored, today);
  return true;
}

void CopyProfile(const v1::Statushouder& from, v1::Statushouder& to) {
  to.set_bsn(from.bsn());
  to.set_given_names(from.given_names());
  to.set_family_name(from.family_name());
  to.set_birth_date(from.birth_date());
  to.set_gender(from.gender());
  to.set_type(from.type());
  to.set_country_of_origin(from.country_of_origin());
  to.set_vestigingsdatum(from.vestigingsdatum());
  to.set_azc_location(from.azc_location());
  // Messages keep their presence: an absent one stays absent (an import row without it changes
  // nothing, MergeImported).
  if (from.has_uitkering()) {
    *to.mutable_uitkering() = from.uitkering();
  } else {
    to.clear_uitkering();
  }
  if (from.has_opleiding()) {
    *to.mutable_opleiding() = from.opleiding();
  } else {
    to.clear_opleiding();
  }
  to.set_prior_occupation_isco(from.prior_occupation_isco());
  *to.mutable_work_wishes_isco() = from.work_wishes_isco();
  *to.mutable_availability() = from.availability();
  *to.mutable_lesson_dagdelen() = from.lesson_dagdelen();
  if (from.has_home_location()) {
    *to.mutable_home_location() = from.home_location();
  } else {
    to.clear_home_location();
  }
  to.set_max_travel_km(from.max_travel_km());
  *to.mutable_belemmeringen() = from.belemmeringen();
  to.set_consent_share_identity(from.consent_share_identity());
}

void ClearNonProfile(v1::Statushouder& s) {
  v1::Statushouder profile;
  CopyProfile(s, profile);
  s = std::move(profile);
}

}  // namespace inburgering::intake

// The rules of the inburgering trajectory (Wet inburgering 2021) as pure functions on a
// Statushouder: phase state machine, PIP deadline with opschortingen, language level, modules and
// the inburgeringstermijn. No I/O and no clock of their own: `today` is passed in.
//
// The Apply* functions change a record the way one RPC does, after its request passed
// validation.h; a rule the record's state breaks is FAILED_PRECONDITION and leaves the record
// unusable (the caller discards it: the store rolls back).
#pragma once

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "inburgering/config/v1/config.pb.h"
#include "inburgering/v1/intake.pb.h"

namespace inburgering::intake {

// The PIP is due 10 weeks after vestiging, plus the length of recorded opschortingen.
inline constexpr int kPipDays = 10 * 7;
inline constexpr int kTermijnYears = 3;

// Legal transitions per the comment on enum Phase in statushouder.proto.
bool IsLegalPhaseTransition(v1::Phase from, v1::Phase to);
// FAILED_PRECONDITION naming both phases when illegal.
absl::Status CheckPhaseTransition(v1::Phase from, v1::Phase to);
bool IsFinalPhase(v1::Phase phase);

// `day` plus `months` calendar months, clamped to the end of the month (31 Jan + 1 = 28/29 Feb).
absl::CivilDay AddMonths(absl::CivilDay day, int months);

// Total days of the opschortingen (each [from, to)); they never overlap (RecordOpschorting).
int OpschortingDays(const google::protobuf::RepeatedPtrField<v1::Opschorting>& opschortingen);
absl::CivilDay PipDueDate(absl::CivilDay vestiging,
                          const google::protobuf::RepeatedPtrField<v1::Opschorting>& opschortingen);

// Recomputes pip_deadline from the record and `today` (due date, days_left, overdue); it is
// present only in phase INTAKE without a PIP. Reads call it too, so days_left is today's.
void RefreshDerived(v1::Statushouder& statushouder, absl::CivilDay today);

// Lowest of the latest measurement per skill (the latest by date; on equal dates the one
// recorded last). UNSPECIFIED when nothing was measured.
v1::CefrLevel CurrentLanguageLevel(
    const google::protobuf::RepeatedPtrField<v1::TaalMeting>& measurements);

// The MAP's language threshold when a gemeente's policy sets none (config IntakePolicy).
inline constexpr v1::CefrLevel kDefaultMapMinLevel = v1::CEFR_LEVEL_A2;

// A gemeente's local policy (config IntakePolicy), resolved: defaults filled in.
struct LocalPolicy {
  v1::CefrLevel map_min_level = kDefaultMapMinLevel;
};

// The policy of each gemeente from the config: its own, else the default, else today's values.
// INVALID_ARGUMENT naming the field for a level that is not a CEFR level or a gemeente that is not
// in `regions`.
class LocalPolicies {
 public:
  static absl::StatusOr<LocalPolicies> FromConfig(const config::v1::IntakeConfig& config);
  const LocalPolicy& For(const std::string& gemeente) const;

 private:
  LocalPolicy default_;
  absl::flat_hash_map<std::string, LocalPolicy> by_gemeente_;
};

// MAP may start only at the gemeente's threshold (`map_min_level`) or higher: FAILED_PRECONDITION
// otherwise.
absl::Status CheckModuleMayStart(v1::ModuleType module, v1::CefrLevel level,
                                 v1::CefrLevel map_min_level = kDefaultMapMinLevel);

// PIP date + 3 years + extension months.
absl::CivilDay TermijnEndDate(absl::CivilDay pip_date, int extension_months);

// The mutations of the trajectory RPCs.
absl::Status ApplyBredeIntake(v1::Statushouder& s, const v1::RecordBredeIntakeRequest& request);
absl::Status ApplyPip(v1::Statushouder& s, const v1::EstablishPipRequest& request);
absl::Status ApplyOpschorting(v1::Statushouder& s, const v1::Opschorting& opschorting);
absl::Status ApplyLanguageMeting(v1::Statushouder& s, const v1::TaalMeting& meting);
absl::Status ApplyModuleProgress(v1::Statushouder& s, const v1::ModuleProgress& progress,
                                 const LocalPolicy& policy = {});
// Moves `s` to `phase` on `date` (empty: unknown) and keeps the move in phase_history (the one
// place that does).
void EnterPhase(v1::Statushouder& s, v1::Phase phase, const std::string& date);
absl::Status ApplyPhaseChange(v1::Statushouder& s, v1::Phase to, const std::string& date);
absl::Status ApplyTermijnExtension(v1::Statushouder& s, int months, const std::string& reason);
// The one rule for how a profile field changes: a path named by the caller is copied from
// `values` (an empty value clears it); nothing else changes. INVALID_ARGUMENT for a path that is
// not updatable; the vestigingsdatum may change only in phase INTAKE (entering INTAKE goes through
// ChangePhase). Used by UpdateStatushouder (its update_mask) and RecordBredeIntake (its findings).
absl::Status ApplyProfilePath(v1::Statushouder& s, const v1::Statushouder& values,
                              const std::string& path);
// The paths of the fields set in `values` (a message present, a non-empty string or list, a
// non-zero number): what a caller names when it sends no update_mask.
google::protobuf::RepeatedPtrField<std::string> PathsSetIn(const v1::Statushouder& values);
// ApplyProfilePath for each path of `mask`, then checks the result (ValidateProfile).
absl::Status ApplyProfileUpdate(v1::Statushouder& s, const v1::Statushouder& values,
                                const google::protobuf::RepeatedPtrField<std::string>& mask,
                                absl::CivilDay today);

// An import row for a statushouder already stored: the profile fields the row sets replace the
// stored ones, and no other field changes (an absent column never clears); a vestigingsdatum
// arriving in VOORINBURGERING moves the phase to INTAKE, one changing after the PIP is rejected
// (FAILED_PRECONDITION). Returns whether anything changed; derived fields alone (days_left) do not
// count.
absl::StatusOr<bool> MergeImported(v1::Statushouder& stored, const v1::Statushouder& row,
                                   absl::CivilDay today);

// A new record enters its initial phase: INTAKE on its vestigingsdatum, or VOORINBURGERING with no
// date (when the trajectory began in the azc is not known).
void EnterInitialPhase(v1::Statushouder& s);

// Copies the profile fields (those an import or registration sets; not the trajectory, id,
// gemeente or version) from `from` to `to`.
void CopyProfile(const v1::Statushouder& from, v1::Statushouder& to);
// Clears everything a registration may not set (trajectory, id, version, timestamps).
void ClearNonProfile(v1::Statushouder& s);

}  // namespace inburgering::intake

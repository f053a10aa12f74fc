// Structured logging: one JSON object per line on stderr, for machines first.
//
// Only what is passed as a field is printed, so personal data (BSN, names, addresses, birth
// dates) stays out by construction: log ids, codes and counts, never record contents. Thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <variant>

namespace inburgering {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

struct LogField {
  LogField(absl::string_view k, absl::string_view v) : key(k), value(std::string(v)) {}
  LogField(absl::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(absl::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(absl::string_view k, long long v) : key(k), value(v) {}
  LogField(absl::string_view k, long v) : key(k), value(static_cast<long long>(v)) {}
  LogField(absl::string_view k, int v) : key(k), value(static_cast<long long>(v)) {}
  LogField(absl::string_view k, unsigned long v) : key(k), value(static_cast<long long>(v)) {}
  LogField(absl::string_view k, double v) : key(k), value(v) {}
  LogField(absl::string_view k, bool v) : key(k), value(v) {}
  absl::string_view key;
  std::variant<std::string, long long, double, bool> value;
};

// Sets the `service` field of every line and the lowest level printed.
void InitLogging(absl::string_view service, LogLevel min_level = LogLevel::kInfo);

void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields = {});

inline void LogInfo(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, event, fields);
}
inline void LogWarning(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, event, fields);
}
inline void LogError(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, event, fields);
}

// The line Log would print, without printing it (for tests).
std::string FormatLogLine(LogLevel level, absl::string_view event,
                          std::initializer_list<LogField> fields);

}  // namespace inburgering

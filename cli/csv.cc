#include "cli/csv.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace inburgering::cli {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";

// A cell without surrounding whitespace and byte-order marks: a file saved twice by an editor
// that adds one can start with two, and a BOM is never part of a column name.
absl::string_view Trim(absl::string_view cell) {
  cell = absl::StripAsciiWhitespace(cell);
  while (absl::ConsumePrefix(&cell, kBom)) cell = absl::StripAsciiWhitespace(cell);
  return cell;
}

bool IsBlank(const std::vector<std::string>& fields) {
  for (const std::string& f : fields) {
    if (!Trim(f).empty()) return false;
  }
  return true;
}

}  // namespace

char DetectSeparator(absl::string_view text) {
  if (absl::StartsWith(text, kBom)) text.remove_prefix(kBom.size());
  int semicolons = 0, commas = 0, tabs = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    semicolons += c == ';';
    commas += c == ',';
    tabs += c == '\t';
  }
  if (semicolons > commas && semicolons >= tabs) return ';';
  if (tabs > commas && tabs > semicolons) return '\t';
  return ',';
}

absl::StatusOr<CsvDocument> ParseCsv(absl::string_view text, char separator) {
  if (absl::StartsWith(text, kBom)) text.remove_prefix(kBom.size());
  CsvDocument doc;
  doc.separator = separator != 0 ? separator : DetectSeparator(text);

  std::vector<CsvRecord> records;
  CsvRecord current;
  std::string field;
  int64_t line = 1;
  current.line = 1;
  bool in_quotes = false;
  bool field_was_quoted = false;
  int64_t quote_line = 0;
  auto end_field = [&] {
    current.fields.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
  };
  auto end_record = [&] {
    end_field();
    records.push_back(std::move(current));
    current = CsvRecord{};
  };

  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      if (field_was_quoted || !absl::StripAsciiWhitespace(field).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("CSV line ", line,
                         ": a quote inside an unquoted field (quote the whole "
                         "field and double the quote)"));
      }
      field.clear();  // whitespace before an opening quote is not part of the value
      in_quotes = true;
      field_was_quoted = true;
      quote_line = line;
    } else if (c == doc.separator) {
      end_field();
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      ++line;
      current.line = line;
    } else if (field_was_quoted) {
      if (c != ' ' && c != '\t') {
        return absl::InvalidArgumentError(
            absl::StrCat("CSV line ", line, ": text after a closing quote"));
      }
    } else {
      field.push_back(c);
    }
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(
        absl::StrCat("CSV line ", quote_line, ": a quoted field is never closed"));
  }
  if (!field.empty() || !current.fields.empty() || field_was_quoted) end_record();

  bool have_header = false;
  for (CsvRecord& record : records) {
    if (IsBlank(record.fields)) continue;
    if (!have_header) {
      for (std::string& name : record.fields) {
        doc.header.push_back(std::string(Trim(name)));
      }
      have_header = true;
      continue;
    }
    doc.rows.push_back(std::move(record));
  }
  if (!have_header) return absl::InvalidArgumentError("CSV: the file is empty (no header line)");
  return doc;
}

std::string CsvField(absl::string_view value, char separator) {
  const bool needs_quotes =
      value.find_first_of(std::string{separator, '"', '\r', '\n'}) != absl::string_view::npos ||
      absl::StartsWith(value, " ") || absl::EndsWith(value, " ");
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CsvLine(const std::vector<std::string>& fields, char separator) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(separator);
    out += CsvField(fields[i], separator);
  }
  out.push_back('\n');
  return out;
}

}  // namespace inburgering::cli

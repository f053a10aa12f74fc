#include "cli/table.h"

#include <algorithm>

namespace inburgering::cli {

size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), align_(headers_.size(), Align::kLeft) {}

Table& Table::AlignRight(size_t index) {
  if (index < align_.size()) align_[index] = Align::kRight;
  return *this;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) {
    // A line break would tear the table apart.
    std::replace(cell.begin(), cell.end(), '\n', ' ');
    std::replace(cell.begin(), cell.end(), '\r', ' ');
  }
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = DisplayWidth(headers_[c]);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const size_t pad = widths[c] - DisplayWidth(cells[c]);
      const bool last = c + 1 == cells.size();
      if (c > 0) out += "  ";
      if (align_[c] == Align::kRight) {
        out.append(pad, ' ');
        out += cells[c];
      } else {
        out += cells[c];
        if (!last) out.append(pad, ' ');
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out.push_back('\n');
    return out;
  };
  std::string out = line(headers_);
  std::vector<std::string> rule;
  for (size_t w : widths) rule.push_back(std::string(w, '-'));
  out += line(rule);
  for (const auto& row : rows_) out += line(row);
  return out;
}

}  // namespace inburgering::cli

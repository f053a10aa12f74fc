// Plain-text tables for a terminal: columns padded to their widest cell (counted in UTF-8 code
// points, so "beëindigd" lines up), numbers right-aligned.
#pragma once

#include <string>
#include <vector>

namespace inburgering::cli {

class Table {
 public:
  enum class Align { kLeft, kRight };

  explicit Table(std::vector<std::string> headers);

  // Right-aligns column `index` (counts, scores).
  Table& AlignRight(size_t index);
  // Adds a row; missing cells are empty, extra cells are dropped.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // Header, a rule of '-', then the rows; two spaces between columns, no trailing spaces.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of `text`: UTF-8 code points (combining marks are rare in our data).
size_t DisplayWidth(const std::string& text);

}  // namespace inburgering::cli

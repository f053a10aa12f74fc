// A multi-row statement (or an `IN (...)` list) in a few fixed shapes: work on n rows is cut into
// chunks of the given sizes, largest first, so that each connection caches a handful of prepared
// statements however many rows come. The texts are built once, from the caller's fixed fragments;
// values travel only as bound parameters.
//
// Thread-safe (immutable); keep one as a function-local static per statement kind.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/mysql_pool.h"

namespace inburgering {

class ChunkedStatement {
 public:
  // `text(n)` is the statement for n rows; `sizes` descend and end with 1.
  ChunkedStatement(std::string (*text)(int), std::vector<int> sizes) {
    for (int size : sizes) shapes_.emplace_back(size, text(size));
  }

  // Calls each(statement, begin, n) for consecutive chunks that cover [0, count); `each` binds
  // the chunk's rows and executes.
  template <typename Each>
  void ForEach(PooledConnection& c, size_t count, Each each) const {
    size_t next = 0;
    for (const auto& [size, text] : shapes_) {
      for (; count - next >= static_cast<size_t>(size); next += size) {
        each(c.Prepare(text), next, static_cast<size_t>(size));
      }
    }
  }

  // "(?, ?, ?)" repeated: `row` for the first, ", " + `row` for the others.
  static std::string Rows(const std::string& row, int n) {
    std::string out = row;
    for (int i = 1; i < n; ++i) out += ", " + row;
    return out;
  }

 private:
  std::vector<std::pair<int, std::string>> shapes_;
};

}  // namespace inburgering

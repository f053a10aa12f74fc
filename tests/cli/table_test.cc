#include "cli/table.h"

#include <gtest/gtest.h>

namespace inburgering::cli {
namespace {

TEST(Table, PadsColumnsByCodePointsAndRightAlignsNumbers) {
  Table table({"status", "n"});
  table.AlignRight(1);
  table.AddRow({"beëindigd", "7"});
  table.AddRow({"gestart", "12"});
  EXPECT_EQ(table.Render(),
            "status      n\n"
            "---------  --\n"
            "beëindigd   7\n"
            "gestart    12\n");
}

TEST(Table, MissingCellsAreEmptyAndLineBreaksAreFlattened) {
  Table table({"a", "b"});
  table.AddRow({"x\ny"});
  EXPECT_EQ(table.Render(), "a    b\n---  -\nx y\n");
}

TEST(Table, DisplayWidthCountsCodePoints) {
  EXPECT_EQ(DisplayWidth("beëindigd"), 9u);
  EXPECT_EQ(DisplayWidth("→"), 1u);
}

}  // namespace
}  // namespace inburgering::cli

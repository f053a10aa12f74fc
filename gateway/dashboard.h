// The /dashboard page: one self-contained HTML page (Dutch) that asks the reporting RPCs through
// the JSON endpoint with the user's own token and draws tables and bar charts; suppressed cells
// are shown as such ("< 10", "onderdrukt").
#pragma once

#include "absl/strings/string_view.h"

namespace inburgering::gateway {

absl::string_view DashboardHtml();

}  // namespace inburgering::gateway

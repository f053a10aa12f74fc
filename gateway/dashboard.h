// The /dashboard page (Dutch), served with its style (/dashboard.css) and script (/dashboard.js)
// from the gateway itself: it asks the reporting RPCs through the JSON endpoint with the user's own
// token and draws tables and bar charts; suppressed cells are shown as such ("< 10",
// "onderdrukt").
#pragma once

#include "absl/strings/string_view.h"

namespace inburgering::gateway {

absl::string_view DashboardHtml();
absl::string_view DashboardStyle();
absl::string_view DashboardScript();

}  // namespace inburgering::gateway

// What the command-line client prints: exit codes for scripts, the one-line error for a failed
// call, and the tables of statushouders, werkplekken, matches and reports.
//
// Pure functions of their arguments, so the formats are unit-tested without a server.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "google/protobuf/message.h"
#include "inburgering/v1/intake.pb.h"
#include "inburgering/v1/matching.pb.h"
#include "inburgering/v1/reporting.pb.h"

namespace inburgering::cli {

// Exit codes (docs/CLI.md). Scripts branch on these; never renumber.
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,         // anything else: invalid argument, conflict, failed precondition...
  kExitUsage = 2,         // bad command line, unreadable input file
  kExitNotFound = 3,      // NOT_FOUND
  kExitDenied = 4,        // UNAUTHENTICATED or PERMISSION_DENIED
  kExitUnavailable = 5,   // UNAVAILABLE or DEADLINE_EXCEEDED: retry later
  kExitRejectedRows = 6,  // import finished, but some rows were rejected (see the rejects file)
  kExitUnimplemented = 7  // the server does not offer this call (yet)
};

int ExitCodeFor(grpc::StatusCode code);

// "GRPC_CODE_NAME" ("NOT_FOUND").
std::string StatusCodeName(grpc::StatusCode code);

// One line for stderr: what failed, the server's message, the code and a hint, e.g.
// "statushouder get: NOT_FOUND: statushouder not found". Line breaks in the message are flattened.
std::string ErrorLine(const std::string& command, const std::string& rpc, const std::string& target,
                      const grpc::Status& status);

// Protobuf's canonical JSON (the mapping the gateway's HTTP API uses), indented, with a newline.
std::string ToJson(const google::protobuf::Message& message);

std::string StatushouderTable(const v1::ListStatushoudersResponse& list);
std::string PipOverdueTable(const v1::ListStatushoudersResponse& list);
// Field/value lines of one statushouder.
std::string StatushouderDetails(const v1::Statushouder& s);
std::string WerkplekTable(const v1::ListWerkplekkenResponse& list);
std::string RecommendationsTable(const v1::RecommendWerkplekkenResponse& response);
std::string ProposalTable(const v1::ProposeAssignmentResponse& response);
std::string PlacementDetails(const v1::Placement& placement);
// Every table of the report with its Dutch title; suppressed cells show "*" with a footnote.
std::string ReportText(const v1::Report& report);
std::string FormatCell(const v1::ReportCell& cell);

}  // namespace inburgering::cli

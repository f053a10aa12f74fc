// libFuzzer target: the gateway's JSON transcoding (gateway/json_transcoding.h), the step of the
// HTTP front from a client's body to the request it forwards. The first byte picks the method of
// a public service (its input type), the rest is the body (seeds: fuzz/seeds/gateway_json/).
//
// Invariants besides "no crash, no sanitizer report": a body is accepted or INVALID_ARGUMENT; the
// error carries no BSN from the body and only ASCII; an accepted request survives the wire
// unchanged (the backend gets what the gateway checked) and its JSON rendering parses back to it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "fuzz/fuzz_checks.h"
#include "gateway/json_transcoding.h"
#include "google/protobuf/descriptor.h"
#include "inburgering/v1/intake.pb.h"
#include "inburgering/v1/matching.pb.h"
#include "inburgering/v1/reporting.pb.h"

namespace inburgering::gateway {
namespace {

using fuzz::Require;

// The input types of every method of the public services, as the gateway routes them.
const std::vector<const google::protobuf::Message*>& RequestPrototypes() {
  static const auto* prototypes = [] {
    auto* out = new std::vector<const google::protobuf::Message*>;
    for (const google::protobuf::ServiceDescriptor* service :
         {v1::RegisterStatushouderRequest::descriptor()->file()->FindServiceByName("IntakeService"),
          v1::RegisterWerkplekRequest::descriptor()->file()->FindServiceByName("MatchingService"),
          v1::GetGemeenteReportRequest::descriptor()->file()->FindServiceByName(
              "ReportingService")}) {
      Require(service != nullptr, "a public service is missing from the descriptors");
      for (int m = 0; m < service->method_count(); ++m) {
        out->push_back(google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            service->method(m)->input_type()));
      }
    }
    return out;
  }();
  return *prototypes;
}

}  // namespace
}  // namespace inburgering::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace inburgering;
  if (size < 1) return 0;
  const auto& prototypes = gateway::RequestPrototypes();
  const google::protobuf::Message& prototype = *prototypes[data[0] % prototypes.size()];
  const absl::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::unique_ptr<google::protobuf::Message> request(prototype.New());
  const absl::Status status = gateway::RequestFromJson(body, *request);
  if (!status.ok()) {
    fuzz::RequireCleanError(status, absl::StatusCode::kInvalidArgument, {std::string(body)});
    return 0;
  }
  fuzz::RequireWireRoundTrip(*request);
  absl::StatusOr<std::string> json = gateway::ResponseToJson(*request);
  fuzz::Require(json.ok(), "an accepted request cannot be rendered as JSON");
  std::unique_ptr<google::protobuf::Message> again(prototype.New());
  fuzz::Require(gateway::RequestFromJson(*json, *again).ok(), "rendered JSON does not parse",
                *json);
  fuzz::RequireSame(*request, *again, "the JSON round trip changed the request:");
  return 0;
}

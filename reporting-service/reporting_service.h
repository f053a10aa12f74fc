// The ReportingService gRPC handlers (callback API). The RPCs answer UNIMPLEMENTED until the
// reporting issue lands them.
#pragma once

#include "inburgering/v1/reporting.grpc.pb.h"

namespace inburgering::reporting {

class ReportingServiceImpl final : public v1::ReportingService::CallbackService {};

}  // namespace inburgering::reporting

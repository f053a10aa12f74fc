// The recount check: rebuilds the aggregates from the producers' event streams (replayed from the
// start with stop_at_head) into the recount ledger of the projection tables, up to the cursors the
// maintained aggregates were at, and lists every counter on which the two disagree.
//
// Safe to run while the consumers keep applying: the maintained side is read in one consistent
// snapshot together with its cursors. Not safe to run twice at once (one recount ledger).
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mysql_pool.h"
#include "common/principal.h"
#include "inburgering/v1/events.pb.h"
#include "reporting-service/contributions.h"

namespace inburgering::reporting {

using StreamOpener = std::function<std::unique_ptr<grpc::ClientReaderInterface<v1::Event>>(
    grpc::ClientContext*, const v1::StreamEventsRequest&)>;

struct RecountDifference {
  AggregateKey key;
  int64_t maintained = 0;
  int64_t recounted = 0;
};

struct RecountResult {
  std::map<std::string, int64_t> cursors;  // per stream, the point both sides were compared at
  int64_t events_replayed = 0;
  int64_t counters_compared = 0;
  std::vector<RecountDifference> differences;  // empty when recount == maintained
};

// `streams`: stream name (as in consumer_cursors) -> how to open it.
absl::StatusOr<RecountResult> Recount(MysqlPool& pool,
                                      const std::map<std::string, StreamOpener>& streams,
                                      const Principal& principal);

}  // namespace inburgering::reporting

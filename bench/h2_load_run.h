// A closed-loop load run like LoadRun, but over raw HTTP/2 (libnghttp2) on one thread with one
// epoll loop: the gRPC wire protocol without gRPC's per-call machinery, as cheap per call as
// h2load, so that on a small machine the client takes less of the CPU the server it measures needs.
//
// Why: on the 2-core bench machine grpc++'s client costs ~40 us of CPU per unary call (its own
// threads hand calls between them) against ~14 us for h2load; mariadb-slap's C client, the
// database baseline, costs about as little as h2load. h2load itself cannot be used for the
// suite's reads: it sends one fixed body, and every GetStatushouder call names its own id.
//
// Plaintext to loopback only (the bench's shape); no reconnect: a connection that closes fails
// its calls as UNAVAILABLE and retires its slots. The status of a call is read as a gRPC client
// reads it: the grpc-status trailer (or trailers-only headers), else the HTTP status mapped as
// gRPC's spec says; an OK call must have carried a response message. Not thread-safe; Run() once.
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load_run.h"
#include "bench/loadgen_stats.h"
#include "bench/request_template.h"

namespace inburgering::bench {

class H2LoadRun {
 public:
  // `target` is "host:port"; options.rate must be 0 (closed loop). `requests` must outlive the run.
  H2LoadRun(LoadOptions options, const RequestTemplate& requests, std::string target,
            int connections);
  ~H2LoadRun();
  H2LoadRun(const H2LoadRun&) = delete;
  H2LoadRun& operator=(const H2LoadRun&) = delete;

  // Connects every connection (before `deadline`), then runs to the end. UNAVAILABLE when a
  // connection cannot be made, INVALID_ARGUMENT for an open-loop rate.
  absl::StatusOr<RunReport> Run(std::chrono::steady_clock::time_point connect_deadline);

  struct Connection;
  struct Stream;

 private:
  using Clock = std::chrono::steady_clock;
  friend struct Connection;

  absl::Status Connect(Connection& connection, Clock::time_point deadline);
  // Starts the slot's next call, or retires the slot when the run has made all its calls.
  void Start(Stream& slot);
  void Complete(Stream& stream, const grpc::Status& status);
  void Retire() { --active_slots_; }
  // Starts the calls of slots whose stream closed and sends what nghttp2 has queued.
  void Pump(Connection& connection);
  // Sends what nghttp2 has queued; false when the socket failed.
  bool Flush(Connection& connection);
  void Fail(Connection& connection, const std::string& why);
  void ExpireOverdue(Clock::time_point now);

  const LoadOptions options_;
  const RequestTemplate& requests_;
  const std::string target_;
  std::vector<std::unique_ptr<Connection>> connections_;
  int epoll_fd_ = -1;
  // The request headers, the same for every call; nghttp2 is given pointers, not copies.
  std::vector<std::pair<std::string, std::string>> header_values_;
  std::vector<nghttp2_nv> headers_;

  RunPlan plan_{options_};
  uint64_t next_call_ = 0;
  size_t active_slots_ = 0;
  MeasuredCalls measured_;
};

}  // namespace inburgering::bench

// The audit trail of calls that read or write personal data (BIO 8.15.01): action (RPC), object
// (record ids), result (status code), origin (peer), actor (principal) and time. Never a payload.
//
// A call may leave two rows with the same call_id: a "begin" row, stored before the backend's
// answer is released and written while the backend works (so its commit adds no latency), and
// the "end" row with the result. Every call has an end row unless the gateway died mid-call; the
// begin row then still shows who asked for which record.
//
// AuditLog is the interface the gateway writes to; MysqlAuditLog appends rows to the gateway
// schema's append-only table, batching concurrent records into one INSERT (group commit) on its
// own threads, so gRPC threads never wait on the database. Thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/mysql_pool.h"
#include "google/protobuf/message.h"

namespace inburgering::gateway {

struct AuditRecord {
  enum class Phase { kBegin, kEnd };
  Phase phase = Phase::kEnd;
  std::string call_id;  // a ULID shared by the begin and end rows of one call
  absl::Time occurred_at;
  std::string action;  // the RPC, "inburgering.v1.IntakeService.GetStatushouder"
  std::vector<std::string> object_ids;
  std::string result;          // the status code name, e.g. "OK"; empty in a begin row
  std::string origin;          // the peer, e.g. "ipv4:127.0.0.1:53412"
  std::string actor_gemeente;  // empty when the caller was not authenticated
  std::string actor_role;
  std::string actor_subject;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Stores `record` durably, then calls `done` (on another thread) with OK, or with UNAVAILABLE
  // when it could not be stored; the caller then refuses the call (fail closed). An empty `done`
  // says nobody waits for this record (an end row whose begin row is stored): it may be stored
  // after records somebody waits for, and a failure is only logged.
  virtual void Append(AuditRecord record, std::function<void(absl::Status)> done) = 0;
  // OK when records can be stored now (for /readyz: the gateway refuses every personal-data call
  // while they cannot); UNAVAILABLE otherwise.
  virtual absl::Status Check() = 0;
};

// The id fields of a message: string fields named id, statushouder_id or werkplek_id, in the
// message and its nested messages (a few levels deep).
//
// OK when every id field of `request` that is set holds a record id (ValidateRecordId);
// INVALID_ARGUMENT naming the first that does not ("rows[3].statushouder.id"), never its value.
absl::Status ValidateIdFields(const google::protobuf::Message& request);
// Adds to `ids` the record ids in the id fields of `message`, without duplicates and without
// limit (every record a call names is in the audit); a value that is not a record id is never
// stored.
void CollectObjectIds(const google::protobuf::Message& message, std::vector<std::string>& ids);

class MysqlAuditLog final : public AuditLog {
 public:
  // `writers` threads each take what is queued (at most 64 records) and commit it: while one
  // waits for its commit to be durable, the next batch is already being written, so a record
  // waits for at most about one commit instead of the commit before it as well.
  explicit MysqlAuditLog(MysqlPool& pool, int writers = 4);
  ~MysqlAuditLog() override;  // writes what is queued, then stops

  void Append(AuditRecord record, std::function<void(absl::Status)> done) override;
  // Reads the audit table (no row) on a pooled connection.
  absl::Status Check() override;

 private:
  struct Pending {
    AuditRecord record;
    std::function<void(absl::Status)> done;
  };
  void Loop();
  absl::Status Write(absl::Span<const Pending> batch);

  MysqlPool& pool_;
  absl::Mutex mu_;
  // Records a caller waits for go first; the others when none wait, so that an answer never
  // queues behind rows nobody waits for.
  std::deque<Pending> awaited_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending> unawaited_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> writers_;
};

}  // namespace inburgering::gateway

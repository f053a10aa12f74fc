#include "gateway/audit_log.h"

#include <algorithm>
#include <bit>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/chunked_statement.h"
#include "common/log.h"
#include "google/protobuf/descriptor.h"

namespace inburgering::gateway {
namespace {

using google::protobuf::FieldDescriptor;

bool IsIdField(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
         (field->name() == "id" || field->name() == "statushouder_id" ||
          field->name() == "werkplek_id");
}

void Collect(const google::protobuf::Message& message, std::vector<std::string>& ids, size_t limit,
             int depth) {
  if (depth > 4) return;
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  auto add = [&](std::string value) {
    if (value.empty() || ids.size() >= limit) return;
    if (std::find(ids.begin(), ids.end(), value) == ids.end()) ids.push_back(std::move(value));
  };
  for (const FieldDescriptor* field : fields) {
    if (IsIdField(field)) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          add(reflection->GetRepeatedString(message, field, i));
        }
      } else {
        add(reflection->GetString(message, field));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          Collect(reflection->GetRepeatedMessage(message, field, i), ids, limit, depth + 1);
        }
      } else {
        Collect(reflection->GetMessage(message, field), ids, limit, depth + 1);
      }
    }
  }
}

constexpr int kColumns = 10;

std::string InsertText(int rows) {
  return absl::StrCat(
      "INSERT INTO audit_log (call_id, phase, occurred_at, action, object_ids, result, origin, "
      "actor_gemeente, actor_role, actor_subject) VALUES ",
      ChunkedStatement::Rows("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows));
}

// Every power of two up to the largest batch: a writer takes a batch of exactly one shape, so a
// batch is one INSERT, committed on its own (a single statement is atomic). One round trip per
// batch instead of begin, insert and commit: mariadbd's thread wake-ups were the writer's cost.
const ChunkedStatement& Insert() {
  static const ChunkedStatement statement(&InsertText, {64, 32, 16, 8, 4, 2, 1});
  return statement;
}
constexpr size_t kLargestBatch = 64;

}  // namespace

void CollectObjectIds(const google::protobuf::Message& message, std::vector<std::string>& ids,
                      size_t limit) {
  Collect(message, ids, limit, 0);
}

std::string JoinObjectIds(const std::vector<std::string>& ids) { return absl::StrJoin(ids, ","); }

MysqlAuditLog::MysqlAuditLog(MysqlPool& pool, int writers) : pool_(pool) {
  for (int i = 0; i < writers; ++i) writers_.emplace_back([this] { Loop(); });
}

MysqlAuditLog::~MysqlAuditLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& writer : writers_) writer.join();
}

void MysqlAuditLog::Append(AuditRecord record, std::function<void(absl::Status)> done) {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    done(absl::UnavailableError("audit log is shutting down"));
    return;
  }
  (done ? awaited_ : unawaited_).push_back({std::move(record), std::move(done)});
}

void MysqlAuditLog::Loop() {
  for (;;) {
    std::vector<Pending> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](MysqlAuditLog* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->awaited_.empty() || !self->unawaited_.empty();
          },
          this));
      std::deque<Pending>& queue = !awaited_.empty() ? awaited_ : unawaited_;
      if (queue.empty()) return;  // stopping and drained
      // What is left over goes to the next writer, which is likely waiting already.
      const size_t n = std::bit_floor(std::min(queue.size(), kLargestBatch));
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    absl::Status status = Write(batch);
    if (!status.ok()) {
      LogError("audit_write_failed", {{"code", absl::StatusCodeToString(status.code())},
                                      {"records", static_cast<long>(batch.size())}});
      status = absl::UnavailableError("audit log unavailable; the call is refused");
    }
    for (Pending& pending : batch) {
      if (pending.done) pending.done(status);
    }
  }
}

absl::Status MysqlAuditLog::Write(const std::vector<Pending>& batch) {
  // Autocommit: the batch's one statement commits itself, durably before `done` is called. A
  // connection lost mid-statement is retried once on a fresh one, so a row may, rarely, be stored
  // twice (same call_id and phase); never lost while a call is answered.
  return pool_.Run("append audit records", [&](PooledConnection& connection) {
    Insert().ForEach(
        connection, batch.size(), [&](sql::PreparedStatement& insert, size_t begin, size_t n) {
          for (size_t row = 0; row < n; ++row) {
            const AuditRecord& r = batch[begin + row].record;
            const int c = static_cast<int>(row) * kColumns;
            insert.setString(c + 1, r.call_id);
            insert.setString(c + 2, r.phase == AuditRecord::Phase::kBegin ? "begin" : "end");
            insert.setString(
                c + 3, absl::FormatTime("%Y-%m-%d %H:%M:%E6S", r.occurred_at, absl::UTCTimeZone()));
            insert.setString(c + 4, r.action);
            insert.setString(c + 5, JoinObjectIds(r.object_ids));
            insert.setString(c + 6, r.result);
            insert.setString(c + 7, r.origin.substr(0, 200));
            insert.setString(c + 8, r.actor_gemeente);
            insert.setString(c + 9, r.actor_role);
            insert.setString(c + 10, r.actor_subject.substr(0, 200));
          }
          insert.executeUpdate();
        });
    return absl::OkStatus();
  });
}

}  // namespace inburgering::gateway

#include "gateway/audit_log.h"

#include <algorithm>
#include <bit>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/chunked_statement.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status.h"
#include "google/protobuf/descriptor.h"

namespace inburgering::gateway {
namespace {

using google::protobuf::FieldDescriptor;

bool IsIdField(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
         (field->name() == "id" || field->name() == "statushouder_id" ||
          field->name() == "werkplek_id");
}

// Calls `visit(path, value)` for every non-empty id field of `message` and its nested messages (a
// few levels deep), with the field's path ("rows[3].statushouder.id"); stops at the first error.
absl::Status ForEachIdField(
    const google::protobuf::Message& message, const std::string& prefix, int depth,
    const std::function<absl::Status(const std::string&, const std::string&)>& visit) {
  if (depth > 4) return absl::OkStatus();
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (IsIdField(field)) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          const std::string value = reflection->GetRepeatedString(message, field, i);
          if (!value.empty()) RETURN_IF_ERROR(visit(absl::StrCat(path, "[", i, "]"), value));
        }
      } else if (std::string value = reflection->GetString(message, field); !value.empty()) {
        RETURN_IF_ERROR(visit(path, value));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          RETURN_IF_ERROR(ForEachIdField(reflection->GetRepeatedMessage(message, field, i),
                                         absl::StrCat(path, "[", i, "]"), depth + 1, visit));
        }
      } else {
        RETURN_IF_ERROR(
            ForEachIdField(reflection->GetMessage(message, field), path, depth + 1, visit));
      }
    }
  }
  return absl::OkStatus();
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
// Record ids per row: 1,000 of 26 characters and a comma fit the TEXT column (64 KB) with room.
constexpr size_t kIdsPerRow = 1000;

}  // namespace

absl::Status ValidateIdFields(const google::protobuf::Message& request) {
  return ForEachIdField(request, "", 0, [](const std::string& path, const std::string& value) {
    return ValidateRecordId(path, value);
  });
}

void CollectObjectIds(const google::protobuf::Message& message, std::vector<std::string>& ids) {
  absl::flat_hash_set<std::string> seen(ids.begin(), ids.end());
  (void)ForEachIdField(message, "", 0, [&](const std::string&, const std::string& value) {
    if (IsRecordId(value) && seen.insert(value).second) ids.push_back(value);
    return absl::OkStatus();
  });
}

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

absl::Status MysqlAuditLog::Check() {
  return pool_.Run("check audit log", [](PooledConnection& connection) {
    std::unique_ptr<sql::ResultSet> rs(
        connection.Prepare("SELECT id FROM audit_log WHERE id = 0").executeQuery());
    return absl::OkStatus();
  });
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
    std::vector<absl::Status> statuses(batch.size(), Write(batch));
    if (!statuses[0].ok() && statuses[0].code() != absl::StatusCode::kUnavailable &&
        batch.size() > 1) {
      // One record the database refuses must not fail the others' calls: each on its own.
      for (size_t i = 0; i < batch.size(); ++i) statuses[i] = Write({&batch[i], 1});
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      absl::Status status = statuses[i];
      if (!status.ok()) {
        LogError("audit_write_failed", {{"code", absl::StatusCodeToString(status.code())},
                                        {"error", status.message()},
                                        {"action", batch[i].record.action},
                                        {"call_id", batch[i].record.call_id}});
        status = absl::UnavailableError("audit log unavailable; the call is refused");
      }
      if (batch[i].done) batch[i].done(status);
    }
  }
}

absl::Status MysqlAuditLog::Write(absl::Span<const Pending> batch) {
  // A record naming more ids than fit one row (an import's thousands) is stored as several rows
  // with the same call_id and phase, so that every record a call names is in the trail.
  struct Row {
    const AuditRecord* record;
    size_t first_id, end_id;
  };
  std::vector<Row> rows;
  for (const Pending& pending : batch) {
    const AuditRecord& r = pending.record;
    size_t first = 0;
    do {
      const size_t end = std::min(r.object_ids.size(), first + kIdsPerRow);
      rows.push_back({&r, first, end});
      first = end;
    } while (first < r.object_ids.size());
  }
  // Autocommit: each INSERT commits itself, durably before `done` is called. A connection lost
  // mid-statement is retried once on a fresh one, so a row may, rarely, be stored twice (same
  // call_id and phase); never lost while a call is answered.
  return pool_.Run("append audit records", [&](PooledConnection& connection) {
    Insert().ForEach(
        connection, rows.size(), [&](sql::PreparedStatement& insert, size_t begin, size_t n) {
          for (size_t i = 0; i < n; ++i) {
            const Row& row = rows[begin + i];
            const AuditRecord& r = *row.record;
            const int c = static_cast<int>(i) * kColumns;
            insert.setString(c + 1, r.call_id);
            insert.setString(c + 2, r.phase == AuditRecord::Phase::kBegin ? "begin" : "end");
            insert.setString(
                c + 3, absl::FormatTime("%Y-%m-%d %H:%M:%E6S", r.occurred_at, absl::UTCTimeZone()));
            insert.setString(c + 4, r.action);
            insert.setString(c + 5, absl::StrJoin(r.object_ids.begin() + row.first_id,
                                                  r.object_ids.begin() + row.end_id, ","));
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

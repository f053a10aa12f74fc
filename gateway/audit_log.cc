#include "gateway/audit_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
constexpr size_t kRowsPerInsert = 16;

std::string InsertStatement(size_t rows) {
  std::vector<std::string> tuples(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  return absl::StrCat(
      "INSERT INTO audit_log (call_id, phase, occurred_at, action, object_ids, result, origin, "
      "actor_gemeente, actor_role, actor_subject) VALUES ",
      absl::StrJoin(tuples, ", "));
}

// Built once from literals only: no value ever reaches the SQL text.
const std::string kInsertRow = InsertStatement(1);
const std::string kInsertRows = InsertStatement(kRowsPerInsert);

}  // namespace

void CollectObjectIds(const google::protobuf::Message& message, std::vector<std::string>& ids,
                      size_t limit) {
  Collect(message, ids, limit, 0);
}

std::string JoinObjectIds(const std::vector<std::string>& ids) { return absl::StrJoin(ids, ","); }

MysqlAuditLog::MysqlAuditLog(MysqlPool& pool, size_t max_batch, int writers)
    : pool_(pool), max_batch_(max_batch) {
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
  queue_.push_back({std::move(record), std::move(done)});
}

void MysqlAuditLog::Loop() {
  for (;;) {
    std::vector<Pending> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](MysqlAuditLog* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    absl::Status status = Write(batch);
    if (!status.ok()) {
      LogError("audit_write_failed", {{"code", absl::StatusCodeToString(status.code())},
                                      {"records", static_cast<long>(batch.size())}});
      status = absl::UnavailableError("audit log unavailable; the call is refused");
    }
    for (Pending& pending : batch) pending.done(status);
  }
}

absl::Status MysqlAuditLog::Write(const std::vector<Pending>& batch) {
  return pool_.InTransaction("append audit records", [&](PooledConnection& connection) {
    // Multi-row INSERTs: one statement per kRowsPerInsert records instead of one per record
    // (the per-statement round trip, not the commit, was the writer's cost).
    size_t next = 0;
    auto bind = [&](sql::PreparedStatement& insert, int row) {
      const AuditRecord& r = batch[next++].record;
      const int c = row * kColumns;
      insert.setString(c + 1, r.call_id);
      insert.setString(c + 2, r.phase == AuditRecord::Phase::kBegin ? "begin" : "end");
      insert.setString(c + 3,
                       absl::FormatTime("%Y-%m-%d %H:%M:%E6S", r.occurred_at, absl::UTCTimeZone()));
      insert.setString(c + 4, r.action);
      insert.setString(c + 5, JoinObjectIds(r.object_ids));
      insert.setString(c + 6, r.result);
      insert.setString(c + 7, r.origin.substr(0, 200));
      insert.setString(c + 8, r.actor_gemeente);
      insert.setString(c + 9, r.actor_role);
      insert.setString(c + 10, r.actor_subject.substr(0, 200));
    };
    while (batch.size() - next >= kRowsPerInsert) {
      auto& insert = connection.Prepare(kInsertRows);
      for (size_t row = 0; row < kRowsPerInsert; ++row) bind(insert, static_cast<int>(row));
      insert.executeUpdate();
    }
    while (next < batch.size()) {
      auto& insert = connection.Prepare(kInsertRow);
      bind(insert, 0);
      insert.executeUpdate();
    }
    return absl::OkStatus();
  });
}

}  // namespace inburgering::gateway

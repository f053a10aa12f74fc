#include "gateway/audit_log.h"

#include <algorithm>

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

}  // namespace

void CollectObjectIds(const google::protobuf::Message& message, std::vector<std::string>& ids,
                      size_t limit) {
  Collect(message, ids, limit, 0);
}

std::string JoinObjectIds(const std::vector<std::string>& ids) { return absl::StrJoin(ids, ","); }

MysqlAuditLog::MysqlAuditLog(MysqlPool& pool, size_t max_batch)
    : pool_(pool), max_batch_(max_batch), thread_([this] { Loop(); }) {}

MysqlAuditLog::~MysqlAuditLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
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
    auto& insert = connection.Prepare(
        "INSERT INTO audit_log (occurred_at, action, object_ids, result, origin, actor_gemeente, "
        "actor_role, actor_subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const Pending& pending : batch) {
      const AuditRecord& r = pending.record;
      insert.setString(1,
                       absl::FormatTime("%Y-%m-%d %H:%M:%E6S", r.occurred_at, absl::UTCTimeZone()));
      insert.setString(2, r.action);
      insert.setString(3, JoinObjectIds(r.object_ids));
      insert.setString(4, r.result);
      insert.setString(5, r.origin.substr(0, 200));
      insert.setString(6, r.actor_gemeente);
      insert.setString(7, r.actor_role);
      insert.setString(8, r.actor_subject.substr(0, 200));
      insert.executeUpdate();
    }
    return absl::OkStatus();
  });
}

}  // namespace inburgering::gateway

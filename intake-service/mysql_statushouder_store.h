// StatushouderStore on MySQL/MariaDB (schema `intake`, migrations/), with its events in the
// service's transactional outbox.
#pragma once

#include <vector>

#include "common/migrations.h"
#include "common/mysql_pool.h"
#include "common/outbox.h"
#include "intake-service/statushouder_store.h"

namespace inburgering::intake {

// The intake schema's migrations (generated from migrations/*.sql), outbox tables included.
std::vector<Migration> IntakeMigrations();

// The event for a change: the record after it, without personal identifiers.
v1::Event StatushouderEvent(v1::StatushouderChanged::Change change,
                            const v1::Statushouder& statushouder);

class MysqlStatushouderStore : public StatushouderStore {
 public:
  MysqlStatushouderStore(MysqlPool& pool, Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  absl::StatusOr<v1::Statushouder> Create(const std::string& request_id,
                                          const std::string& request_hash,
                                          v1::Statushouder statushouder) override;
  std::vector<absl::StatusOr<v1::Statushouder>> CreateMany(
      std::vector<NewRegistration> registrations) override;
  absl::StatusOr<absl::flat_hash_map<std::string, v1::Statushouder>> GetMany(
      const std::string& gemeente, const std::vector<std::string>& ids) override;
  absl::StatusOr<v1::Statushouder> Update(const std::string& gemeente, const std::string& id,
                                          int64_t expected_version,
                                          v1::StatushouderChanged::Change change,
                                          const Mutation& mutate) override;
  absl::StatusOr<std::vector<ListedStatushouder>> List(const std::string& gemeente,
                                                       const ListQuery& query) override;
  absl::StatusOr<std::vector<ImportOutcome>> Import(const std::string& gemeente,
                                                    const std::vector<ImportCandidate>& candidates,
                                                    const ImportMerge& merge) override;

 private:
  MysqlPool& pool_;
  Outbox& outbox_;
};

}  // namespace inburgering::intake

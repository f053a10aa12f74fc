// MysqlPool and migrations against real MariaDB servers: the shared test server, and a private
// one that the reconnect test kills and restarts.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/call_deadline.h"
#include "common/migrations.h"
#include "common/mysql_pool.h"
#include "common/startup.h"
#include "tests/support/private_mariadb.h"
#include "tests/support/test_database.h"

namespace inburgering {
namespace {

const std::vector<Migration> kMigrations = {
    {1, "001_items", "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL);"},
    {2, "002_index",
     "CREATE INDEX items_name ON items (name);\n"
     "INSERT INTO items VALUES (1, 'eerste');"},
};

absl::Status Insert(MysqlPool& pool, int id, const std::string& name) {
  return pool.InTransaction("insert item", [&](PooledConnection& c) {
    auto& insert = c.Prepare("INSERT INTO items (id, name) VALUES (?, ?)");
    insert.setInt(1, id);
    insert.setString(2, name);
    insert.executeUpdate();
    return absl::OkStatus();
  });
}

// A private MariaDB (this test may kill it) with schema `app` holding the items table.
void StartPrivateServer(std::unique_ptr<testing::PrivateMariaDb>& server,
                        std::unique_ptr<MysqlPool>& pool) {
  auto started = testing::PrivateMariaDb::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  server = *std::move(started);
  ASSERT_TRUE(server->CreateSchema("app").ok());
  auto created = MysqlPool::Create(server->Options("app"));
  ASSERT_TRUE(created.ok()) << created.status();
  pool = *std::move(created);
  ASSERT_TRUE(ApplyMigrations(*pool, kMigrations).ok());
}

TEST(Migrations, ApplyingTwiceAppliesNothingTheSecondTime) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  int applied = -1;
  ASSERT_TRUE(ApplyMigrations((*db)->pool(), kMigrations, &applied).ok());
  EXPECT_EQ(applied, 2);
  ASSERT_TRUE(ApplyMigrations((*db)->pool(), kMigrations, &applied).ok());
  EXPECT_EQ(applied, 0);
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM items"), 1);
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM schema_migrations"), 2);
}

TEST(Migrations, ADifferentMigrationUnderARecordedVersionIsRefused) {
  auto db = testing::TestDatabase::Create(kMigrations);
  ASSERT_TRUE(db.ok()) << db.status();
  std::vector<Migration> other = kMigrations;
  other[1].name = "002_something_else";
  EXPECT_EQ(ApplyMigrations((*db)->pool(), other).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(MysqlPool, TransactionCommitsOnOkAndRollsBackOnError) {
  auto db = testing::TestDatabase::Create(kMigrations);
  ASSERT_TRUE(db.ok()) << db.status();
  MysqlPool& pool = (*db)->pool();
  ASSERT_TRUE(Insert(pool, 2, "tweede").ok());
  absl::Status failed = pool.InTransaction("insert then refuse", [](PooledConnection& c) {
    auto& insert = c.Prepare("INSERT INTO items (id, name) VALUES (?, ?)");
    insert.setInt(1, 3);
    insert.setString(2, "derde");
    insert.executeUpdate();
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM items"), 2);
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM items WHERE id = 3"), 0);
}

TEST(MysqlPool, DuplicateKeyIsAlreadyExistsWithoutSqlText) {
  auto db = testing::TestDatabase::Create(kMigrations);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::Status duplicate = Insert((*db)->pool(), 1, "nogmaals");
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(duplicate.message().find("INSERT"), absl::string_view::npos);
  EXPECT_EQ(duplicate.message().find("nogmaals"), absl::string_view::npos);
}

TEST(MysqlPool, ExhaustedPoolAnswersUnavailableAfterTheTimeout) {
  auto options = testing::TestServerOptions();
  ASSERT_TRUE(options.ok()) << options.status();
  options->pool_size = 1;
  options->acquire_timeout = absl::Milliseconds(100);
  auto pool = MysqlPool::Create(*options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ((*pool)->Acquire().status().code(), absl::StatusCode::kUnavailable);
}

// Issue 7, deadlines: work for a call whose deadline passes while its statement waits on a row
// lock is stopped by the server, and the pool's only connection is free again at once (without
// the limit the statement would wait innodb_lock_wait_timeout, 50 s).
TEST(MysqlPool, StatementWaitingOnALockStopsAtTheCallDeadline) {
  auto db = testing::TestDatabase::Create(kMigrations, /*pool_size=*/1);
  ASSERT_TRUE(db.ok()) << db.status();
  MysqlPool& pool = (*db)->pool();
  auto locker_pool = MysqlPool::Create((*db)->options());
  ASSERT_TRUE(locker_pool.ok()) << locker_pool.status();
  auto locker = (*locker_pool)->Acquire();
  ASSERT_TRUE(locker.ok());
  locker->raw().setAutoCommit(false);
  auto& lock = locker->Prepare("SELECT name FROM items WHERE id = ? FOR UPDATE");
  lock.setInt(1, 1);
  std::unique_ptr<sql::ResultSet> locked(lock.executeQuery());

  const absl::Time start = absl::Now();
  absl::Status stopped;
  {
    CallDeadlineScope deadline(start + absl::Milliseconds(200));
    stopped = pool.InTransaction("rename item", [](PooledConnection& c) {
      auto& update = c.Prepare("UPDATE items SET name = ? WHERE id = ?");
      update.setString(1, "gewijzigd");
      update.setInt(2, 1);
      update.executeUpdate();
      return absl::OkStatus();
    });
  }
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(stopped.code(), absl::StatusCode::kDeadlineExceeded) << stopped;
  EXPECT_EQ(stopped.message().find("UPDATE"), absl::string_view::npos);
  EXPECT_LT(took, absl::Seconds(1)) << "the statement waited for the lock past the deadline";

  // The lock is still held; the pool's one connection answers a read outside any deadline, with
  // the limit lifted again.
  absl::Status read = pool.Run("read item", [](PooledConnection& c) {
    std::unique_ptr<sql::ResultSet> rs(
        c.Prepare("SELECT name, @@max_statement_time AS limit_s FROM items WHERE id = 1")
            .executeQuery());
    EXPECT_TRUE(rs->next());
    EXPECT_EQ(GetString(*rs, "name"), "eerste");
    EXPECT_EQ(rs->getDouble("limit_s"), 0.0);
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
  locker->raw().rollback();
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM items WHERE name = 'gewijzigd'"), 0);
}

TEST(MysqlPool, WaitForAConnectionEndsAtTheCallDeadline) {
  auto options = testing::TestServerOptions();
  ASSERT_TRUE(options.ok()) << options.status();
  options->pool_size = 1;
  auto pool = MysqlPool::Create(*options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  const absl::Time start = absl::Now();
  CallDeadlineScope deadline(start + absl::Milliseconds(100));
  EXPECT_EQ((*pool)->Acquire().status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, options->acquire_timeout);
}

TEST(MysqlPool, ReconnectsAfterTheServerRestarts) {
  std::unique_ptr<testing::PrivateMariaDb> server;
  std::unique_ptr<MysqlPool> pool;
  ASSERT_NO_FATAL_FAILURE(StartPrivateServer(server, pool));
  // Fill the pool with several idle connections that the crash will leave dead.
  {
    std::vector<PooledConnection> held;
    for (int i = 0; i < 4; ++i) held.push_back(*pool->Acquire());
  }
  ASSERT_TRUE(Insert(*pool, 2, "voor").ok());

  ASSERT_TRUE(server->Kill().ok());
  absl::Status down = Insert(*pool, 3, "tijdens");
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;

  ASSERT_TRUE(server->Restart().ok());
  // The first call after the restart succeeds: dead connections are dropped and replaced.
  EXPECT_TRUE(Insert(*pool, 4, "na").ok());
  absl::Status count = pool->Run("count", [](PooledConnection& c) {
    std::unique_ptr<sql::ResultSet> rs(c.Prepare("SELECT COUNT(*) FROM items").executeQuery());
    rs->next();
    EXPECT_EQ(rs->getInt(1), 3);  // 1 from the migration, "voor" and "na"
    return absl::OkStatus();
  });
  EXPECT_TRUE(count.ok()) << count;
}

// Issue 26: Connector/C++ 1.1's commit() ignores mysql_commit's result, so a COMMIT sent on a
// connection the server has already dropped came back as success while the server rolled the
// transaction back. Here the connection is killed from another session right before COMMIT: the
// write is not in the database, so the answer must not be OK.
TEST(MysqlPool, ACommitTheServerNeverConfirmedIsNotOk) {
  auto db = testing::TestDatabase::Create(kMigrations);
  ASSERT_TRUE(db.ok()) << db.status();
  MysqlPool& pool = (*db)->pool();
  auto killer_pool = MysqlPool::Create((*db)->options());
  ASSERT_TRUE(killer_pool.ok()) << killer_pool.status();
  int attempts = 0;
  absl::Status status = pool.InTransaction("insert item", [&](PooledConnection& c) {
    ++attempts;
    auto& insert = c.Prepare("INSERT INTO items (id, name) VALUES (?, ?)");
    insert.setInt(1, 7);
    insert.setString(2, "verloren");
    insert.executeUpdate();
    std::unique_ptr<sql::ResultSet> rs(c.Prepare("SELECT CONNECTION_ID()").executeQuery());
    rs->next();
    const int64_t id = rs->getInt64(1);
    // KILL takes no placeholder; the id is the server's own number.
    return (*killer_pool)->Run("kill", [id](PooledConnection& k) {
      k.Prepare(absl::StrCat("KILL CONNECTION ", id)).execute();
      return absl::OkStatus();
    });
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("outcome unknown"), absl::string_view::npos) << status;
  EXPECT_EQ(attempts, 1) << "a commit of unknown outcome is not retried by the pool";
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM items WHERE id = 7"), 0);
  // The pool drops the dead connection: the next transaction commits.
  EXPECT_TRUE(Insert(pool, 8, "daarna").ok());
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM items WHERE id = 8"), 1);
}

// Issue 26, the same under load: eight writers commit while the server is SIGKILLed and started
// again. Every write that was answered OK is in the database afterwards.
TEST(MysqlPool, NoOkForAWriteLostWhenTheServerDiesUnderLoad) {
  std::unique_ptr<testing::PrivateMariaDb> server;
  std::unique_ptr<MysqlPool> pool;
  ASSERT_NO_FATAL_FAILURE(StartPrivateServer(server, pool));
  std::atomic<bool> stop{false};
  std::atomic<int> next_id{100};
  absl::Mutex mu;
  std::vector<int> acknowledged;
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&] {
      while (!stop) {
        const int id = next_id++;
        if (Insert(*pool, id, "last").ok()) {
          absl::MutexLock lock(&mu);
          acknowledged.push_back(id);
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(400));
  ASSERT_TRUE(server->Kill().ok());
  absl::SleepFor(absl::Milliseconds(200));
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_TRUE(server->Restart().ok());
  std::set<int> stored;
  absl::Status read = pool->Run("read", [&](PooledConnection& c) {
    std::unique_ptr<sql::ResultSet> rs(c.Prepare("SELECT id FROM items").executeQuery());
    while (rs->next()) stored.insert(rs->getInt(1));
    return absl::OkStatus();
  });
  ASSERT_TRUE(read.ok()) << read;
  int lost = 0;
  for (int id : acknowledged) lost += stored.contains(id) ? 0 : 1;
  EXPECT_GT(acknowledged.size(), 0u);
  EXPECT_EQ(lost, 0) << "of " << acknowledged.size() << " acknowledged writes";
}

TEST(Durability, TheTestServerOfTheSuiteMakesCommitsDurable) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  auto settings = ReadDurabilitySettings((*db)->pool());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->innodb_flush_log_at_trx_commit, 1);
  EXPECT_TRUE(settings->durable());
}

TEST(Durability, LazyFlushingIsRecognisedAsNotDurable) {
  auto server = testing::PrivateMariaDb::Start({"--innodb-flush-log-at-trx-commit=2"});
  ASSERT_TRUE(server.ok()) << server.status();
  auto pool = MysqlPool::Create((*server)->Options(""));
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto settings = ReadDurabilitySettings(**pool);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->innodb_flush_log_at_trx_commit, 2);
  EXPECT_FALSE(settings->durable());
  EXPECT_FALSE((DurabilitySettings{1, true, 0}.durable())) << "binlog on but not synced";
  EXPECT_TRUE((DurabilitySettings{1, false, 0}.durable()));
}

}  // namespace
}  // namespace inburgering

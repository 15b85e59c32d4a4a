// State documents through the Store interface, one suite run against both stores: a
// file, and an etcd key on the cluster tests/etcd/run.sh starts (skipped without it).
// Then what only etcd has: fencing a holder whose lease expired, and etcd's request
// size limit.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "etcd/base64.hpp"
#include "etcd/client.hpp"
#include "etcd/http.hpp"
#include "etcd_test_env.hpp"
#include "json/json.hpp"
#include "state/state.hpp"
#include "support.hpp"
#include "tcp_proxy.hpp"

using etcdtest::status_of;
using filelock::Status;
using filelock::state::open_store;
using filelock::state::StateOptions;
using filelock::state::Store;

namespace {

// A number member (the library keeps numbers as their text); -1 if missing.
long long number_of(const cJSON *object, const char *name) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(object, name);
  if (cJSON_IsRaw(n)) return std::stoll(n->valuestring);
  return cJSON_IsNumber(n) ? static_cast<long long>(n->valuedouble) : -1;
}

// "n" of the document {"n": N}.
long long counter_of(const std::string &json) {
  filelock::json::Doc doc = filelock::json::parse(json);
  return number_of(doc.get(), "n");
}

// Whether `key` existed at the store's `revision` (a range read at that revision).
bool existed_at(const std::string &url, const std::string &key, int64_t revision) {
  const filelock::etcd::Target target = filelock::etcd::parse_target(url, "test");
  filelock::etcd::Http http(target, "test");
  const filelock::etcd::Response r =
      http.post("test", "/v3/kv/range",
                "{\"key\":\"" + filelock::etcd::base64_encode(key) + "\",\"revision\":\"" +
                    std::to_string(revision) + "\",\"count_only\":true}");
  EXPECT_EQ(r.status, 200) << r.body;
  filelock::json::Doc doc = filelock::json::parse(r.body);
  // int64 as a string ("1"); the gateway leaves out a zero count.
  const cJSON *count = cJSON_GetObjectItemCaseSensitive(doc.get(), "count");
  if (cJSON_IsString(count)) return std::stoll(count->valuestring) > 0;
  return number_of(doc.get(), "count") > 0;
}

// The keys of the lock a state at `url` takes ("<name>/lock/<lease hex>").
std::vector<std::string> state_lock_keys(const std::string &url) {
  const std::string lock_url = url.substr(0, url.find('?')) + "/lock";
  const filelock::etcd::Target target = filelock::etcd::parse_target(lock_url, "test");
  filelock::etcd::Client client(target, "test");
  std::vector<std::string> keys;
  for (const auto &kv : client.range_prefix("test", target.name + "/").kvs) keys.push_back(kv.key);
  return keys;
}

void add_one(Store &store) {
  auto txn = store.begin();
  const std::string n = txn->get("/n");
  txn->set("/n", std::to_string(std::stoll(n) + 1));
  txn->commit();
}

class StateOnBothStores : public ::testing::TestWithParam<const char *> {
 protected:
  void SetUp() override {
    if (etcd()) {
      REQUIRE_ETCD();
      path_ = etcdtest::url("state", "ttl=2");
    } else {
      path_ = dir_.file("state.json");
    }
  }
  bool etcd() const { return std::string(GetParam()) == "etcd"; }
  std::shared_ptr<Store> open(StateOptions options = {}) {
    if (options.initial_json == "{}") options.initial_json = R"({"n": 0})";
    return open_store(path_, options);
  }

  fltest::TempDir dir_;
  std::string path_;
};

TEST_P(StateOnBothStores, WritesCountGenerationsAndWriteIfRefusesAStaleOne) {
  auto store = open();
  const Store::Snapshot first = store->read();
  EXPECT_EQ(counter_of(first.json), 0);
  EXPECT_GT(first.generation, 0u);
  const uint64_t second = store->write(R"({"n": 5})", nullptr);
  EXPECT_GT(second, first.generation);
  EXPECT_EQ(store->write(R"({"n": 5})", nullptr), second);  // the same document: no change
  std::string message;
  EXPECT_EQ(status_of([&] { store->write(R"({"n": 6})", &first.generation); }, &message), Status::conflict);
  EXPECT_NE(message.find("write state '" + path_ + "'"), std::string::npos) << message;
  EXPECT_EQ(counter_of(store->read().json), 5);
  EXPECT_GT(store->write(R"({"n": 7})", &second), second);
}

TEST_P(StateOnBothStores, GetReadsTheValueAtAPointer) {
  auto store = open();
  const uint64_t g = store->write(R"({"n": 3, "job": {"a/b": [1, {"s": "x"}]}})", nullptr);
  EXPECT_EQ(store->get("/n").json, "3");
  EXPECT_EQ(store->get("/n").generation, g);
  EXPECT_EQ(store->get("/job/a~1b/1").json, R"({"s":"x"})");
  EXPECT_EQ(counter_of(store->get("").json), 3);
  std::string message;
  EXPECT_EQ(status_of([&] { store->get("/missing"); }, &message), Status::not_found);
  EXPECT_NE(message.find("state get '" + path_ + "'"), std::string::npos) << message;
  EXPECT_EQ(status_of([&] { store->get("n"); }), Status::invalid);
  add_one(*store);
  EXPECT_EQ(store->get("/n").json, "4");
}

TEST_P(StateOnBothStores, ATransactionCommitsWholeOrNotAtAll) {
  auto store = open();
  {
    auto txn = store->begin();
    txn->set("/n", "1");
    txn->set("/name", R"("a")");
    txn->commit();
  }
  const Store::Snapshot committed = store->read();
  {
    auto txn = store->begin();
    txn->set("/n", "2");
    // Destroyed without commit: rolled back.
  }
  const Store::Snapshot after = store->read();
  EXPECT_EQ(after.json, committed.json);
  EXPECT_EQ(after.generation, committed.generation);
  EXPECT_EQ(counter_of(after.json), 1);
  // The lock was let go: another handle's transaction does not wait.
  auto other = open();
  add_one(*other);
  EXPECT_EQ(counter_of(store->read().json), 2);
}

TEST_P(StateOnBothStores, ProcessesAddingUnderTransactionsLoseNoIncrement) {
  auto store = open();
  const int processes = 3, rounds = 15;
  std::vector<fltest::Process> workers;
  for (int i = 0; i < processes; ++i)
    workers.push_back(fltest::spawn_helper("state_add", {path_, std::to_string(rounds)}));
  for (auto &w : workers) {
    EXPECT_EQ(fltest::read_line(w), "done");
    EXPECT_EQ(fltest::wait_exit(w), 0);
  }
  EXPECT_EQ(counter_of(store->read().json), processes * rounds);
}

TEST_P(StateOnBothStores, ARefusedCommitChangesNothingAndIsLogged) {
  StateOptions options;
  options.schema_json = R"({"type":"object","properties":{"n":{"type":"integer","maximum":10}}})";
  auto store = open(options);
  const Store::Snapshot before = store->read();
  std::string message;
  EXPECT_EQ(status_of([&] { store->write(R"({"n": 11})", nullptr); }, &message), Status::validation);
  EXPECT_NE(message.find(path_), std::string::npos) << message;
  const Store::Snapshot after = store->read();
  EXPECT_EQ(after.json, before.json);
  EXPECT_EQ(after.generation, before.generation);
  filelock::json::Doc history = filelock::json::parse(store->history(1));
  const cJSON *newest = cJSON_GetArrayItem(history.get(), 0);
  EXPECT_TRUE(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(newest, "ok")));
}

TEST_P(StateOnBothStores, BackupsHistoryAndRestoreAgree) {
  StateOptions options;
  options.max_backups = 3;
  auto store = open(options);
  std::vector<uint64_t> generations = {store->read().generation};
  for (int i = 1; i <= 5; ++i) generations.push_back(store->write("{\"n\": " + std::to_string(i) + "}", nullptr));
  const auto backups = store->backups();
  ASSERT_EQ(backups.size(), 3u);  // the newest three outgoing documents: n = 4, 3, 2
  EXPECT_EQ(backups[0].generation, generations[4]);
  EXPECT_EQ(backups[2].generation, generations[2]);
  filelock::json::Doc history = filelock::json::parse(store->history(2));
  const cJSON *newest = cJSON_GetArrayItem(history.get(), 0);
  EXPECT_EQ(static_cast<uint64_t>(number_of(newest, "generation")), generations[5]);
  const uint64_t restored = store->restore(backups[2].id);
  EXPECT_GT(restored, generations[5]);
  EXPECT_EQ(counter_of(store->read().json), 2);
  history = filelock::json::parse(store->history(1));
  EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(history.get(), 0), "op")->valuestring, "restore");
  EXPECT_EQ(status_of([&] { store->restore("20000101T000000.000000Z-g00000000000000000001"); }), Status::not_found);
  EXPECT_TRUE(store->verify().ok);
}

TEST_P(StateOnBothStores, AWaitForChangeIsWokenByAnotherProcessCommit) {
  auto store = open();
  const uint64_t now = store->read().generation;
  EXPECT_EQ(status_of([&] { store->wait_for_change(now, filelock::kNoWait); }), Status::timeout);
  auto writer = fltest::spawn_helper("state_add", {path_, "1", "300"});
  const uint64_t woken = store->wait_for_change(now, 10000);
  EXPECT_GT(woken, now);
  EXPECT_EQ(fltest::read_line(writer), "done");
  EXPECT_EQ(fltest::wait_exit(writer), 0);
  EXPECT_EQ(counter_of(store->read().json), 1);
  // A cancel from another thread ends a wait in progress.
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    store->cancel();
  });
  EXPECT_EQ(status_of([&] { store->wait_for_change(woken, filelock::kForever); }), Status::canceled);
  canceller.join();
}

INSTANTIATE_TEST_SUITE_P(Stores, StateOnBothStores, ::testing::Values("file", "etcd"),
                         [](const auto &info) { return std::string(info.param); });

// A holder paused past its lease (SIGSTOP) finds, when it resumes, that another process
// took the lock and committed: its own commit is refused as fenced and writes nothing.
TEST(EtcdState, AHolderPausedPastItsLeaseCannotCommit) {
  REQUIRE_ETCD();
  fltest::TempDir dir;
  const std::string url = etcdtest::url("paused", "ttl=2");
  StateOptions options;
  options.initial_json = R"({"n": 0})";
  auto store = open_store(url, options);
  const std::string go = dir.file("go");
  auto paused = fltest::spawn_helper("state_paused_commit", {url, go});
  ASSERT_EQ(fltest::read_line(paused), "begun");
  ASSERT_EQ(kill(static_cast<pid_t>(paused.pid), SIGSTOP), 0);
  // Its keep-alive stopped with it: the lease expires and the lock passes on.
  const int64_t start = etcdtest::mono_ns();
  add_one(*store);
  EXPECT_LT(etcdtest::ms_since(start), 10000);
  FILE *f = std::fopen(go.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  ASSERT_EQ(kill(static_cast<pid_t>(paused.pid), SIGCONT), 0);
  const std::string outcome = fltest::read_line(paused);
  EXPECT_EQ(outcome.rfind("conflict ", 0), 0u) << outcome;
  EXPECT_NE(outcome.find("fenced: this handle's lock"), std::string::npos) << outcome;
  EXPECT_NE(outcome.find(url), std::string::npos) << outcome;
  EXPECT_EQ(fltest::wait_exit(paused), 0);
  EXPECT_EQ(counter_of(store->read().json), 1);  // ours; the paused holder's 100 never landed
  EXPECT_TRUE(state_lock_keys(url).empty());  // and its refused commit left no lock behind
}

TEST(EtcdState, ADocumentOverEtcdsRequestLimitIsRefusedAndNothingChanges) {
  REQUIRE_ETCD();
  auto store = open_store(etcdtest::url("big"), {});
  const Store::Snapshot before = store->read();
  const std::string big = "{\"blob\": \"" + std::string(1600 << 10, 'x') + "\"}";
  std::string message;
  EXPECT_EQ(status_of([&] { store->write(big, nullptr); }, &message), Status::invalid);
  EXPECT_NE(message.find("request size limit"), std::string::npos) << message;
  const Store::Snapshot after = store->read();
  EXPECT_EQ(after.json, before.json);
  EXPECT_EQ(after.generation, before.generation);
}

// Taking the lock and reading the document cost one round trip: the read rides in the
// transaction that queues the lock key. After a wait for another holder, the document
// is read again, so the transaction sees the holder's commit.
TEST(EtcdState, BeginReadsTheDocumentInTheLocksOwnTransaction) {
  REQUIRE_ETCD();
  etcdtest::TcpProxy proxy(etcdtest::first_member_port());
  const std::string direct = etcdtest::url("one-trip", "ttl=5");
  auto store = open_store(etcdtest::proxied(direct, proxy.port()), {});
  store->write(R"({"n": 1})", nullptr);
  auto kv_requests = [&] {
    std::vector<std::string> kv;
    for (std::string &path : proxy.take_requests())  // lease keep-alives may pass too
      if (path.rfind("/v3/kv/", 0) == 0) kv.push_back(std::move(path));
    return kv;
  };
  kv_requests();
  {
    auto txn = store->begin();
    EXPECT_EQ(kv_requests(), std::vector<std::string>{"/v3/kv/txn"});
    EXPECT_EQ(txn->get("/n"), "1");
    txn->set("/n", "2");
    txn->commit();
  }
  auto other = open_store(direct, {});
  auto held = other->begin();  // this begin now waits for `held`
  std::thread commit_later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    held->set("/n", "3");
    held->commit();
  });
  auto txn = store->begin();
  commit_later.join();
  EXPECT_EQ(txn->get("/n"), "3");
  EXPECT_EQ(store->read().generation, txn->generation());
}

// A commit releases the transaction's lock in its own fenced etcd transaction: one
// request, and the lock key is gone at the revision the document was written at, so
// another handle takes the lock at once.
TEST(EtcdState, ACommitReleasesTheLockInItsOwnTransaction) {
  REQUIRE_ETCD();
  etcdtest::TcpProxy proxy(etcdtest::first_member_port());
  const std::string direct = etcdtest::url("release", "ttl=5");
  auto store = open_store(etcdtest::proxied(direct, proxy.port()), {});
  store->write(R"({"n": 1})", nullptr);  // lists the backups once
  auto txn = store->begin();
  const std::vector<std::string> keys = state_lock_keys(direct);
  ASSERT_EQ(keys.size(), 1u);
  txn->set("/n", "2");
  proxy.take_requests();
  const uint64_t generation = txn->commit();
  std::vector<std::string> kv;
  for (std::string &path : proxy.take_requests())  // lease keep-alives may pass too
    if (path.rfind("/v3/kv/", 0) == 0) kv.push_back(std::move(path));
  EXPECT_EQ(kv, std::vector<std::string>{"/v3/kv/txn"});
  EXPECT_TRUE(existed_at(direct, keys[0], static_cast<int64_t>(generation) - 1));
  EXPECT_FALSE(existed_at(direct, keys[0], static_cast<int64_t>(generation)));
  EXPECT_TRUE(state_lock_keys(direct).empty());
  // Another handle, and another process, take the lock without waiting.
  auto other = open_store(direct, {});
  other->begin({filelock::kNoWait, nullptr})->commit();
  auto child = fltest::spawn_helper("state_try_begin", {direct});
  EXPECT_EQ(fltest::read_line(child), "ok");
  EXPECT_EQ(fltest::wait_exit(child), 0);
}

// A commit whose compare fails (the document written meanwhile by a writer that takes
// no lock) writes nothing, leaves that writer's document, and still lets the lock go.
TEST(EtcdState, ARefusedCompareWritesNothingAndReleasesTheLock) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("refused", "ttl=5");
  StateOptions options;
  options.initial_json = R"({"n": 0})";
  auto store = open_store(url, options);
  auto txn = store->begin();
  txn->set("/n", "1");
  const filelock::etcd::Target target = filelock::etcd::parse_target(url, "test");
  filelock::etcd::Client client(target, "test");
  client.put("test", target.name + "/doc", "{\"n\": 7}\n");
  std::string message;
  EXPECT_EQ(status_of([&] { txn->commit(); }, &message), Status::conflict);
  EXPECT_NE(message.find("changed since it was read"), std::string::npos) << message;
  EXPECT_EQ(counter_of(store->read().json), 7);
  EXPECT_TRUE(state_lock_keys(url).empty());
  auto other = open_store(url, {});
  other->begin({filelock::kNoWait, nullptr});
}

TEST(EtcdState, MetaDirDoesNotApply) {
  REQUIRE_ETCD();
  StateOptions options;
  options.meta_dir = "/tmp/somewhere";
  std::string message;
  EXPECT_EQ(status_of([&] { open_store(etcdtest::url("meta"), options); }, &message), Status::invalid);
  EXPECT_NE(message.find("meta_dir does not apply"), std::string::npos) << message;
}

}  // namespace

// PATH ROUNDS [PAUSE_MS]: after PAUSE_MS, ROUNDS transactions each adding one to "n";
// prints "done".
FLTEST_HELPER("state_add") {
  if (args.size() > 2) std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(args[2])));
  auto store = open_store(args.at(0), {});
  for (int i = 0, rounds = std::stoi(args.at(1)); i < rounds; ++i) add_one(*store);
  std::printf("done\n");
  std::fflush(stdout);
  return 0;
}

// URL: a transaction begun without waiting and committed; prints "ok" or the failure.
FLTEST_HELPER("state_try_begin") {
  auto store = open_store(args.at(0), {});
  std::string message;
  const Status status = status_of([&] { store->begin({filelock::kNoWait, nullptr})->commit(); }, &message);
  std::printf("%s\n", status == Status::ok ? "ok" : message.c_str());
  std::fflush(stdout);
  return 0;
}

// URL GO_FILE: begins a transaction, sets "n" to 100, prints "begun", waits for GO_FILE
// (the test pauses this process meanwhile), commits and prints "<status> <message>".
FLTEST_HELPER("state_paused_commit") {
  auto store = open_store(args.at(0), {});
  auto txn = store->begin();
  txn->set("/n", "100");
  std::printf("begun\n");
  std::fflush(stdout);
  struct stat st;
  while (stat(args.at(1).c_str(), &st) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::string message;
  const Status status = status_of([&] { txn->commit(); }, &message);
  std::printf("%s %s\n", status == Status::conflict ? "conflict" : status == Status::ok ? "ok" : "other",
              message.c_str());
  std::fflush(stdout);
  return 0;
}

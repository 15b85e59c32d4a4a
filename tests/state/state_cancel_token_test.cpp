// Per-call cancel tokens on the state calls that wait (the lock: read, write, write_if,
// transactions, backup, restore, history, verify; a change: fl_state_wait_with) and on
// fl_append_with: a trigger ends that call's wait and leaves the handle as it was.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>

#include "filelock.h"
#include "support.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string reported_path(std::string path) {
#ifdef _WIN32
  for (char &c : path) {
    if (c == '/') c = '\\';
  }
#endif
  return path;
}

struct Token {
  fl_cancel_token *t = nullptr;
  Token() { EXPECT_EQ(fl_cancel_token_create(&t), FL_OK); }
  ~Token() { fl_cancel_token_free(t); }
};

fl_wait_opts with_token(fl_cancel_token *t, int64_t timeout_ms = FL_TIMEOUT_DEFAULT) {
  fl_wait_opts w;
  fl_wait_opts_init(&w);
  w.timeout_ms = timeout_ms;
  w.cancel = t;
  return w;
}

// Two handles on one state file: `holder` keeps a transaction (the exclusive lock)
// open while `st` waits.
struct StateToken : ::testing::Test {
  fltest::TempDir dir;
  std::string path = dir.file("s.json");
  std::string lock_path = reported_path(path) + ".lock";
  fl_state *st = nullptr, *other = nullptr;
  fl_txn *held = nullptr;
  void SetUp() override {
    ASSERT_EQ(fl_state_open(&st, path.c_str(), nullptr), FL_OK) << fl_last_error();
    ASSERT_EQ(fl_state_open(&other, path.c_str(), nullptr), FL_OK) << fl_last_error();
  }
  void TearDown() override {
    release();
    fl_state_close(other);
    fl_state_close(st);
  }
  void hold() { ASSERT_EQ(fl_txn_begin(other, &held), FL_OK) << fl_last_error(); }
  void release() {
    fl_txn_rollback(held);
    held = nullptr;
  }
  // Runs `call` in another thread while the lock is held; triggers `token` once the
  // call is waiting; expects FL_ECANCELED promptly, naming the lock.
  template <class Call>
  void expect_trigger_ends(Call call) {
    Token token;
    const fl_wait_opts w = with_token(token.t, FL_FOREVER);
    std::string message;
    auto waited = std::async(std::launch::async, [&] {
      const int rc = call(&w);
      message = fl_last_error();
      return rc;
    });
    struct Release {
      StateToken &t;
      bool armed = true;
      ~Release() {
        if (armed) t.release();  // a wait left blocked by a failure ends too
      }
    } release_on_exit{*this};
    EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
    const auto triggered = Clock::now();
    fl_cancel_token_trigger(token.t);
    ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    release_on_exit.armed = false;
    EXPECT_LT(Clock::now() - triggered, std::chrono::seconds(5));
    EXPECT_EQ(waited.get(), FL_ECANCELED);
    EXPECT_NE(message.find("lock '" + lock_path + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("cancel"), std::string::npos) << message;
  }
};

TEST_F(StateToken, TriggerEndsATransactionWaitAndTheHandleWorksAfter) {
  hold();
  expect_trigger_ends([&](const fl_wait_opts *w) {
    fl_txn *t = nullptr;
    const int rc = fl_txn_begin_with(st, &t, w);
    fl_txn_rollback(t);
    return rc;
  });
  // Still held: the next call waits and times out, it is not canceled.
  fl_wait_opts shortly = with_token(nullptr, 30);
  fl_txn *t = nullptr;
  EXPECT_EQ(fl_txn_begin_with(st, &t, &shortly), FL_ETIMEOUT) << fl_last_error();
  release();
  ASSERT_EQ(fl_txn_begin(st, &t), FL_OK) << fl_last_error();
  ASSERT_EQ(fl_txn_set(t, "/a", "1"), FL_OK);
  EXPECT_EQ(fl_txn_commit(t), FL_OK) << fl_last_error();
}

TEST_F(StateToken, TriggerEndsEveryKindOfLockWait) {
  hold();
  expect_trigger_ends([&](const fl_wait_opts *w) { return fl_state_write_with(st, "{\"a\":1}", w); });
  expect_trigger_ends([&](const fl_wait_opts *w) { return fl_state_write_if_with(st, "{}", 1, w); });
  expect_trigger_ends([&](const fl_wait_opts *w) {
    char *json = nullptr;
    const int rc = fl_state_read_with(st, &json, nullptr, w);
    fl_free(json);
    return rc;
  });
  expect_trigger_ends([&](const fl_wait_opts *w) {
    char *id = nullptr;
    const int rc = fl_state_backup_with(st, &id, w);
    fl_free(id);
    return rc;
  });
  expect_trigger_ends([&](const fl_wait_opts *w) { return fl_state_restore_with(st, "none", w); });
  expect_trigger_ends([&](const fl_wait_opts *w) {
    char *out = nullptr;
    const int rc = fl_state_history_with(st, 0, &out, w);
    fl_free(out);
    return rc;
  });
  expect_trigger_ends([&](const fl_wait_opts *w) {
    char *out = nullptr;
    const int rc = fl_state_verify_with(st, &out, w);
    fl_free(out);
    return rc;
  });
}

// The cancel lands after the call returned: nothing of it reaches the next calls.
TEST_F(StateToken, TriggerAfterTheCallDoesNotReachTheNextCall) {
  Token token;
  const fl_wait_opts w = with_token(token.t);
  ASSERT_EQ(fl_state_write_with(st, "{\"a\":1}", &w), FL_OK) << fl_last_error();
  fl_cancel_token_trigger(token.t);
  hold();
  const fl_wait_opts shortly = with_token(nullptr, 30);
  EXPECT_EQ(fl_state_write_if_with(st, "{}", 2, &shortly), FL_ETIMEOUT) << fl_last_error();
  release();
  EXPECT_EQ(fl_state_write(st, "{\"a\":2}"), FL_OK) << fl_last_error();
  uint64_t g = 0;
  EXPECT_EQ(fl_state_wait_with(st, 0, &g, nullptr), FL_OK);
  EXPECT_EQ(g, 3u);
}

TEST_F(StateToken, PreTriggeredTokenFailsAtOnce) {
  Token token;
  fl_cancel_token_trigger(token.t);
  const fl_wait_opts w = with_token(token.t);
  EXPECT_EQ(fl_state_write_with(st, "{\"a\":1}", &w), FL_ECANCELED);
  std::string message = fl_last_error();
  EXPECT_NE(message.find("lock '" + lock_path + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("cancel token"), std::string::npos) << message;
  EXPECT_EQ(fl_state_wait_with(st, 99, nullptr, &w), FL_ECANCELED);
  message = fl_last_error();
  EXPECT_NE(message.find("wait for a change '" + reported_path(path) + "'"), std::string::npos)
      << message;
  // Nothing was written, and the handle goes on.
  uint64_t g = 0;
  EXPECT_EQ(fl_state_read(st, nullptr, &g), FL_OK);
  EXPECT_EQ(g, 1u);
  fl_cancel_token_reset(token.t);
  EXPECT_EQ(fl_state_write_with(st, "{\"a\":1}", &w), FL_OK) << fl_last_error();
}

TEST_F(StateToken, TriggerEndsAChangeWait) {
  Token token;
  const fl_wait_opts w = with_token(token.t);
  std::string message;
  auto waited = std::async(std::launch::async, [&] {
    const int rc = fl_state_wait_with(st, 1, nullptr, &w);
    message = fl_last_error();
    return rc;
  });
  struct CommitOnExit {
    fl_state *s;
    ~CommitOnExit() { fl_state_write(s, "{\"end\":true}"); }  // ends a wait left blocked
  } commit_on_exit{other};
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  fl_cancel_token_trigger(token.t);
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(waited.get(), FL_ECANCELED);
  EXPECT_NE(message.find("wait for a change '" + reported_path(path) + "'"), std::string::npos)
      << message;
  // No request is left: the next wait times out, and a commit wakes the one after.
  const fl_wait_opts shortly = with_token(nullptr, 30);
  EXPECT_EQ(fl_state_wait_with(st, 1, nullptr, &shortly), FL_ETIMEOUT) << fl_last_error();
  ASSERT_EQ(fl_state_write(other, "{\"b\":1}"), FL_OK);
  uint64_t g = 0;
  EXPECT_EQ(fl_state_wait_with(st, 1, &g, nullptr), FL_OK) << fl_last_error();
  EXPECT_EQ(g, 2u);
}

TEST_F(StateToken, StateCancelStillWorksBesideAToken) {
  hold();
  Token token;
  const fl_wait_opts w = with_token(token.t, FL_FOREVER);
  auto waited = std::async(std::launch::async, [&] { return fl_state_write_with(st, "{}", &w); });
  struct Release {
    StateToken &t;
    ~Release() { t.release(); }
  } release_on_exit{*this};
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  EXPECT_EQ(fl_state_cancel(st), FL_OK);
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(waited.get(), FL_ECANCELED);
}

TEST(AppendToken, TriggerEndsTheWaitForTheFilesLock) {
  fltest::TempDir dir;
  const std::string path = dir.file("log.jsonl");
  fl_handle *holder = nullptr;
  ASSERT_EQ(fl_open(&holder, path.c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(holder, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  Token token;
  const fl_wait_opts w = with_token(token.t);
  std::string message;
  auto waited = std::async(std::launch::async, [&] {
    const int rc = fl_append_with(path.c_str(), "{\"n\":1}", nullptr, FL_DURABILITY_ATOMIC, &w);
    message = fl_last_error();
    return rc;
  });
  struct CloseOnExit {
    fl_handle *h;
    ~CloseOnExit() { fl_close(h); }
  } close_on_exit{holder};
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  fl_cancel_token_trigger(token.t);
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(waited.get(), FL_ECANCELED);
  EXPECT_NE(message.find("lock '" + reported_path(path) + ".lock'"), std::string::npos) << message;
  const fl_wait_opts shortly = with_token(nullptr, 30);
  EXPECT_EQ(fl_append_with(path.c_str(), "{\"n\":2}", nullptr, FL_DURABILITY_ATOMIC, &shortly),
            FL_ETIMEOUT);
}

}  // namespace

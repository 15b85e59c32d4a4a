// Per-call cancel tokens on lock waits (fl_lock_with): a trigger ends the wait of the
// call it was given to, promptly, and nothing else; fl_cancel keeps its own rules.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "filelock.h"
#include "support.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Handle {
  fl_handle *h = nullptr;
  ~Handle() { fl_close(h); }
};

// Releases the holder when a test ends, so a wait that a failed trigger left blocked
// ends too (the futures below join their threads).
struct ReleaseOnExit {
  fl_handle *h;
  ~ReleaseOnExit() { fl_unlock(h); }
};

struct Token {
  fl_cancel_token *t = nullptr;
  Token() { EXPECT_EQ(fl_cancel_token_create(&t), FL_OK); }
  ~Token() { fl_cancel_token_free(t); }
};

fl_wait_opts with_token(fl_cancel_token *t, int64_t timeout_ms = FL_FOREVER) {
  fl_wait_opts w;
  fl_wait_opts_init(&w);
  w.timeout_ms = timeout_ms;
  w.cancel = t;
  return w;
}

// Every backend that can wait here: the kernel lock, a name lock, classic fcntl locks.
struct TokenLock : ::testing::TestWithParam<int> {
  fltest::TempDir dir;
  std::string path = dir.file("x");
  Handle holder, waiter;
  fl_lock_options opts;
  void SetUp() override {
    fl_lock_options_init(&opts);
    opts.backend = GetParam();
    const int rc = fl_open(&holder.h, path.c_str(), &opts);
    if (rc == FL_EUNSUPPORTED) GTEST_SKIP() << fl_last_error();
    ASSERT_EQ(rc, FL_OK) << fl_last_error();
    ASSERT_EQ(fl_open(&waiter.h, path.c_str(), &opts), FL_OK) << fl_last_error();
    // Windows opens a POSIX-backend handle but has no such lock to take.
    const int locked = fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT);
    if (locked == FL_EUNSUPPORTED) GTEST_SKIP() << fl_last_error();
    ASSERT_EQ(locked, FL_OK) << fl_last_error();
    ASSERT_EQ(fl_unlock(holder.h), FL_OK);
  }
  std::string lock_path() const { return fl_lock_path(waiter.h); }
};

// The waiter blocks in fl_lock_with; a trigger from another thread ends it with
// FL_ECANCELED naming operation and path, and the handle is as before the call.
TEST_P(TokenLock, TriggerFromAnotherThreadEndsTheWaitPromptly) {
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  Token token;
  const fl_wait_opts w = with_token(token.t);
  std::string message;
  auto waited = std::async(std::launch::async, [&] {
    const int rc = fl_lock_with(waiter.h, FL_EXCLUSIVE, &w);
    message = fl_last_error();
    return rc;
  });
  ReleaseOnExit release{holder.h};
  // The wait is under way (it outlasts this by far, being forever).
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  const auto triggered = Clock::now();
  fl_cancel_token_trigger(token.t);
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const auto took = Clock::now() - triggered;
  EXPECT_EQ(waited.get(), FL_ECANCELED);
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_NE(message.find("lock '" + lock_path() + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("cancel"), std::string::npos) << message;
  EXPECT_EQ(fl_cancel_token_is_triggered(token.t), 1);
  // The handle is usable: busy while held, then taken without any cancel left over.
  EXPECT_EQ(fl_is_locked(waiter.h), 0);
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, FL_NOWAIT), FL_EBUSY);
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, 30), FL_ETIMEOUT);
  ASSERT_EQ(fl_unlock(holder.h), FL_OK);
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, 5000), FL_OK) << fl_last_error();
}

// A trigger after the call returned: the handle's next calls never see it.
TEST_P(TokenLock, TriggerAfterTheCallDoesNotReachTheNextCall) {
  Token token;
  const fl_wait_opts w = with_token(token.t);
  ASSERT_EQ(fl_lock_with(waiter.h, FL_EXCLUSIVE, &w), FL_OK) << fl_last_error();
  fl_cancel_token_trigger(token.t);
  ASSERT_EQ(fl_unlock(waiter.h), FL_OK);
  // Waits of the same handle: without a token, with a fresh token.
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, 30), FL_ETIMEOUT) << fl_last_error();
  Token fresh;
  const fl_wait_opts w2 = with_token(fresh.t, 30);
  EXPECT_EQ(fl_lock_with(waiter.h, FL_EXCLUSIVE, &w2), FL_ETIMEOUT) << fl_last_error();
  ASSERT_EQ(fl_unlock(holder.h), FL_OK);
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, FL_FOREVER), FL_OK) << fl_last_error();
}

// A trigger that ended one wait is not kept for the handle's next wait (fl_cancel's
// request would be, until a call takes it).
TEST_P(TokenLock, ACanceledWaitLeavesNoRequestBehind) {
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  Token token;
  fl_cancel_token_trigger(token.t);
  const fl_wait_opts w = with_token(token.t);
  EXPECT_EQ(fl_lock_with(waiter.h, FL_EXCLUSIVE, &w), FL_ECANCELED);
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, 30), FL_ETIMEOUT) << fl_last_error();
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, 30), FL_ETIMEOUT) << fl_last_error();
}

TEST_P(TokenLock, PreTriggeredTokenFailsAtOnceEvenWhenFree) {
  Token token;
  fl_cancel_token_trigger(token.t);
  fl_cancel_token_trigger(token.t);  // idempotent
  const fl_wait_opts w = with_token(token.t);
  const auto start = Clock::now();
  EXPECT_EQ(fl_lock_with(waiter.h, FL_EXCLUSIVE, &w), FL_ECANCELED);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  const std::string message = fl_last_error();
  EXPECT_NE(message.find("lock '" + lock_path() + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("cancel token"), std::string::npos) << message;
  EXPECT_EQ(fl_is_locked(waiter.h), 0);
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
}

TEST_P(TokenLock, ResetTokenServesAgain) {
  Token token;
  fl_cancel_token_trigger(token.t);
  fl_cancel_token_reset(token.t);
  EXPECT_EQ(fl_cancel_token_is_triggered(token.t), 0);
  const fl_wait_opts w = with_token(token.t);
  ASSERT_EQ(fl_lock_with(waiter.h, FL_EXCLUSIVE, &w), FL_OK) << fl_last_error();
  ASSERT_EQ(fl_unlock(waiter.h), FL_OK);
  // Reused for a wait that is then triggered.
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  auto waited = std::async(std::launch::async, [&] { return fl_lock_with(waiter.h, FL_EXCLUSIVE, &w); });
  ReleaseOnExit release{holder.h};
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  fl_cancel_token_trigger(token.t);
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(waited.get(), FL_ECANCELED);
}

// fl_cancel keeps working beside a token, with its own rules.
TEST_P(TokenLock, FlCancelStillEndsAWaitThatHasAToken) {
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  Token token;
  const fl_wait_opts w = with_token(token.t);
  auto waited = std::async(std::launch::async, [&] { return fl_lock_with(waiter.h, FL_EXCLUSIVE, &w); });
  ReleaseOnExit release{holder.h};
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  EXPECT_EQ(fl_cancel(waiter.h), FL_OK);
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(waited.get(), FL_ECANCELED);
  EXPECT_EQ(fl_cancel_token_is_triggered(token.t), 0);
  // A request made with no wait in progress is kept for the next call, token or not.
  EXPECT_EQ(fl_cancel(waiter.h), FL_OK);
  EXPECT_EQ(fl_lock_with(waiter.h, FL_EXCLUSIVE, &w), FL_ECANCELED);
  EXPECT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, 30), FL_ETIMEOUT);
}

// One token ends every wait it was given to, on any handle.
TEST_P(TokenLock, OneTokenEndsSeveralWaits) {
  Handle third;
  ASSERT_EQ(fl_open(&third.h, path.c_str(), &opts), FL_OK);
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  Token token;
  const fl_wait_opts w = with_token(token.t);
  auto a = std::async(std::launch::async, [&] { return fl_lock_with(waiter.h, FL_EXCLUSIVE, &w); });
  auto b = std::async(std::launch::async, [&] { return fl_lock_with(third.h, FL_EXCLUSIVE, &w); });
  ReleaseOnExit release{holder.h};
  EXPECT_EQ(a.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  fl_cancel_token_trigger(token.t);
  ASSERT_EQ(a.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(b.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(a.get(), FL_ECANCELED);
  EXPECT_EQ(b.get(), FL_ECANCELED);
}

TEST_P(TokenLock, WaitOptionsTimeout) {
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  fl_wait_opts w;
  fl_wait_opts_init(&w);
  w.timeout_ms = 30;
  EXPECT_EQ(fl_lock_with(waiter.h, FL_EXCLUSIVE, &w), FL_ETIMEOUT);
  w.timeout_ms = FL_NOWAIT;
  EXPECT_EQ(fl_lock_with(waiter.h, FL_EXCLUSIVE, &w), FL_EBUSY);
}

INSTANTIATE_TEST_SUITE_P(Backends, TokenLock,
                         ::testing::Values(FL_BACKEND_AUTO, FL_BACKEND_LOCKFILE, FL_BACKEND_POSIX),
                         [](const ::testing::TestParamInfo<int> &p) {
                           return p.param == FL_BACKEND_AUTO       ? std::string("auto")
                                  : p.param == FL_BACKEND_LOCKFILE ? std::string("lockfile")
                                                                   : std::string("posix");
                         });

TEST(CancelToken, OptionsAndArguments) {
  fl_wait_opts w;
  fl_wait_opts_init(&w);
  EXPECT_EQ(w.size, sizeof(fl_wait_opts));
  EXPECT_EQ(w.timeout_ms, FL_TIMEOUT_DEFAULT);
  EXPECT_EQ(w.cancel, nullptr);
  fltest::TempDir dir;
  Handle h;
  ASSERT_EQ(fl_open(&h.h, dir.file("x").c_str(), nullptr), FL_OK);
  fl_wait_opts unset{};
  EXPECT_EQ(fl_lock_with(h.h, FL_EXCLUSIVE, &unset), FL_EINVAL);
  EXPECT_NE(std::string(fl_last_error()).find("fl_wait_opts_init"), std::string::npos);
  w.timeout_ms = -3;
  EXPECT_EQ(fl_lock_with(h.h, FL_EXCLUSIVE, &w), FL_EINVAL);
  EXPECT_EQ(fl_lock_with(nullptr, FL_EXCLUSIVE, nullptr), FL_EINVAL);
  EXPECT_EQ(fl_lock_with(h.h, FL_EXCLUSIVE, nullptr), FL_OK);  // NULL: defaults
  EXPECT_EQ(fl_cancel_token_create(nullptr), FL_EINVAL);
  fl_cancel_token_trigger(nullptr);
  fl_cancel_token_reset(nullptr);
  fl_cancel_token_free(nullptr);
  EXPECT_EQ(fl_cancel_token_is_triggered(nullptr), 0);
}

}  // namespace

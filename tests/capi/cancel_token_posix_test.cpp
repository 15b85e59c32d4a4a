// Cancel tokens cost no thread: waits ended by their tokens leave the process with the
// threads it had (a token is a flag and a link, woken through the wait's own wake-up).
// POSIX only: threads are counted in /proc/self/task.
#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "filelock.h"
#include "support.hpp"

namespace {

// Threads of this process, from /proc/self/task; -1 where there is no such list.
int thread_count() {
  DIR *d = ::opendir("/proc/self/task");
  if (d == nullptr) return -1;
  int n = 0;
  while (struct dirent *e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

TEST(CancelTokenThreads, TokensAddNoThreads) {
  if (thread_count() < 0) GTEST_SKIP() << "no /proc/self/task to count threads in";
  fltest::TempDir dir;
  const std::string path = dir.file("x");
  fl_handle *holder = nullptr, *waiter = nullptr;
  ASSERT_EQ(fl_open(&holder, path.c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_open(&waiter, path.c_str(), nullptr), FL_OK);
  // Many tokens, used and dropped, on calls that do not wait: no thread at all.
  const int before = thread_count();
  for (int i = 0; i < 50; ++i) {
    fl_cancel_token *t = nullptr;
    ASSERT_EQ(fl_cancel_token_create(&t), FL_OK);
    fl_wait_opts w;
    fl_wait_opts_init(&w);
    w.cancel = t;
    ASSERT_EQ(fl_lock_with(waiter, FL_EXCLUSIVE, &w), FL_OK);
    ASSERT_EQ(fl_unlock(waiter), FL_OK);
    fl_cancel_token_trigger(t);
    fl_cancel_token_free(t);
  }
  EXPECT_EQ(thread_count(), before);
  // Waits ended by their tokens, one after another: the count comes back each time.
  ASSERT_EQ(fl_lock(holder, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  const int holding = thread_count();
  for (int i = 0; i < 10; ++i) {
    fl_cancel_token *t = nullptr;
    ASSERT_EQ(fl_cancel_token_create(&t), FL_OK);
    fl_wait_opts w;
    fl_wait_opts_init(&w);
    w.cancel = t;
    auto waited = std::async(std::launch::async, [&] { return fl_lock_with(waiter, FL_EXCLUSIVE, &w); });
    EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
    fl_cancel_token_trigger(t);
    ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(waited.get(), FL_ECANCELED);
    fl_cancel_token_free(t);
  }
  // A waiter thread per wait, where the platform has one, may still be finishing; the
  // async threads are joined. Nothing may accumulate per canceled wait.
  EXPECT_LE(thread_count(), holding + 1);
  fl_close(waiter);
  fl_close(holder);
}

}  // namespace

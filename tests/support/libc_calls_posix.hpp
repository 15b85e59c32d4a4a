// The C library's own file and lock calls, counted while an operation runs, against the
// calls the platform's system-call table saw (platform/syscalls.hpp): a call the table did
// not see is a bypass, which a test must not find. A binary that includes this links
// tests/support/libc_calls_posix.cpp, which defines the C library's functions (open,
// read, fstat, fcntl, flock, realpath, eventfd, pipe, inotify_init1, inotify_add_watch,
// kqueue, kevent, ...) to count them: POSIX only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "syscall_record.hpp"

namespace fltest {

// Counting on or off; reset() zeroes the counts.
void libc_counting(bool on);
void libc_reset();
// The calls of `call`'s kind counted so far (reads, writes and closes only of files
// opened while counting: a wake-up's eventfd or pipe is no file).
int libc_count(Syscall call);
// The stat calls counted so far that asked for a file's timestamps (any fstat, stat or
// lstat; a statx whose mask has STATX_CTIME or STATX_MTIME).
int libc_timestamp_queries();

// The table entries `op` goes through; fails the test if the C library saw a call of a
// counted kind beyond them.
template <typename Op>
std::vector<Syscall> record_calls(Op &&op) {
  libc_reset();
  SyscallRecording rec;
  libc_counting(true);
  op();
  libc_counting(false);
  rec.stop();
  std::map<Syscall, int> table;
  for (const Syscall c : rec.calls) ++table[c];
  int counted = 0;
  for (int c = 0; c < static_cast<int>(Syscall::count_); ++c) counted += libc_count(static_cast<Syscall>(c));
  EXPECT_GT(counted, 0) << "the C library's calls were not counted: this check proves nothing";
  for (int c = 0; c < static_cast<int>(Syscall::count_); ++c) {
    const auto call = static_cast<Syscall>(c);
    EXPECT_LE(libc_count(call), table[call])
        << "a " << filelock::platform::syscall_name(call)
        << " call bypassed the system-call table; table saw: " << call_list(rec.calls);
  }
  return rec.calls;
}

}  // namespace fltest

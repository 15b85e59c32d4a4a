// Tests' view of the platform's system-call table (platform/syscalls.hpp): record the
// entries an operation goes through, and pick the nth call of an entry to fail.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "platform/syscalls.hpp"

namespace fltest {

using filelock::platform::Syscall;

// Records every table entry made while alive (on any thread: a lock wait's waiter
// thread makes its lock call on its own).
class SyscallRecording {
 public:
  SyscallRecording() { filelock::platform::syscalls::set_recorder(&record, this); }
  ~SyscallRecording() { stop(); }
  SyscallRecording(const SyscallRecording &) = delete;
  SyscallRecording &operator=(const SyscallRecording &) = delete;
  void stop() { filelock::platform::syscalls::set_recorder(nullptr, nullptr); }
  std::vector<Syscall> calls;

 private:
  static void record(Syscall call, void *self) {
    auto *rec = static_cast<SyscallRecording *>(self);
    std::lock_guard<std::mutex> hold(rec->mutex_);
    rec->calls.push_back(call);
  }
  std::mutex mutex_;
};

// Which call of `call` (1-based, as syscalls::fail counts) is the first one made after
// the first `after` in `calls` (after == Syscall::count_: the first at all); 0 if none.
inline int nth_call(const std::vector<Syscall> &calls, Syscall call, Syscall after = Syscall::count_) {
  bool past = after == Syscall::count_;
  int seen = 0;
  for (const Syscall c : calls) {
    if (c == call) {
      ++seen;
      if (past) return seen;
    }
    if (c == after) past = true;
  }
  return 0;
}

// The 1-based count of `calls[i]` among calls[0..i]: what syscalls::fail needs to fail
// exactly the call at position i.
inline int nth_at(const std::vector<Syscall> &calls, size_t i) {
  int n = 0;
  for (size_t k = 0; k <= i; ++k) n += calls[k] == calls[i];
  return n;
}

inline std::string call_list(const std::vector<Syscall> &calls) {
  std::string out;
  for (const Syscall c : calls) out += std::string(out.empty() ? "" : " ") + filelock::platform::syscall_name(c);
  return out;
}

}  // namespace fltest

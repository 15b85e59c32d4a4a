// The release-wake table on Linux (release_wake.hpp): a POSIX shared-memory file of the
// user's, futex words in it, futex_waitv to sleep on one of them and on the caller's
// Wakeup at once.
#include "platform/release_wake.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <ctime>

#include "platform/posix/os_process.hpp"
#include "platform/posix/syscall.hpp"
#include "platform/process.hpp"

namespace filelock::platform {

struct ReleaseWakeSlot {
  std::atomic<uint32_t> generation;
  std::atomic<uint32_t> sleepers;  // non-zero: a wait may sleep on generation
  std::atomic<int32_t> holder;
  std::atomic<uint32_t> pid_ns;  // the holder's (low bits of its inode)
  std::atomic<uint64_t> key;     // the held file's
  uint64_t spare;
};

namespace {

constexpr size_t kSlots = 16384;
constexpr size_t kTableBytes = kSlots * sizeof(ReleaseWakeSlot);
static_assert(sizeof(ReleaseWakeSlot) == 32);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

// The table's layout version, in its name: processes of two versions never share one.
constexpr int kTableVersion = 3;

// Unused where waits park (FL_FLOCK_WAIT_PARKS): no table there.
[[maybe_unused]] void table_name(char (&name)[64], int version) noexcept {
  std::snprintf(name, sizeof name, "/filelock-wake-%u-v%d", static_cast<unsigned>(::geteuid()), version);
}

// false once futex_waitv proved missing (before Linux 5.16): waits go to the kernel.
std::atomic<bool> waitv_works{true};

// The table of this user, mapped once per process (a child inherits the mapping); nullptr
// where it cannot be had. Another user's file at the name, or one others may write, is
// not used: a process that can truncate it could make our loads fault.
ReleaseWakeSlot *open_table() noexcept {
#ifdef FL_FLOCK_WAIT_PARKS
  return nullptr;  // the macOS way of waiting, tested on Linux: no table there
#else
  char name[64];
  table_name(name, kTableVersion);
  const int fd = injected(Syscall::wake_table) ? -1 : ::shm_open(name, O_RDWR | O_CREAT, 0600);
  if (fd < 0) return nullptr;
  void *map = MAP_FAILED;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
      (st.st_mode & 077) == 0 &&
      (st.st_size >= static_cast<off_t>(kTableBytes) || ::ftruncate(fd, kTableBytes) == 0))
    map = ::mmap(nullptr, kTableBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return nullptr;
  // The previous version's table (a waiter count where v3 has a sleeper mark) would stay
  // in /dev/shm until reboot. Processes of that version keep their mapping; a later one
  // of theirs makes a fresh table, and waits between the two go to the kernel.
  table_name(name, kTableVersion - 1);
  ::shm_unlink(name);
  return static_cast<ReleaseWakeSlot *>(map);
#endif
}

ReleaseWakeSlot *table() noexcept {
  static ReleaseWakeSlot *const t = open_table();
  return t;
}

long futex(std::atomic<uint32_t> *word, int op, uint32_t value) noexcept {
  return ::syscall(SYS_futex, word, op, value, nullptr, nullptr, 0);
}

}  // namespace

ReleaseWake ReleaseWake::for_file(const FileInfo &id) noexcept {
  ReleaseWake w;
  ReleaseWakeSlot *t = table();
  if (t == nullptr) return w;
  const uint64_t h = (id.ino * 0x9E3779B97F4A7C15ull) ^ (id.dev * 0xC2B2AE3D27D4EB4Full);
  w.slot_ = t + ((h >> 32) % kSlots);
  w.key_ = h | 1;
  w.self_ = static_cast<int32_t>(current_pid());
  static const uint32_t pid_ns = static_cast<uint32_t>(os::pid_namespace());
  w.pid_ns_ = pid_ns;
  return w;
}

// The holder last: a reader that sees it sees the rest (or a later holder's: it then
// names a file or process that is not the one it sleeps on, and goes to the kernel).
void ReleaseWake::held() const noexcept {
  if (slot_ == nullptr) return;
  slot_->key.store(key_, std::memory_order_relaxed);
  slot_->pid_ns.store(pid_ns_, std::memory_order_relaxed);
  slot_->holder.store(self_, std::memory_order_release);
}

void ReleaseWake::released() const noexcept {
  if (slot_ == nullptr) return;
  int32_t self = self_;
  slot_->holder.compare_exchange_strong(self, 0);  // a later holder's mark stays
  slot_->generation.fetch_add(1);
  // Pairs with sleep()'s mark then the kernel's read of the generation: either the
  // sleeper's read finds the new generation, or this finds its mark (all sequentially
  // consistent). Clearing the mark wakes every sleeper, and each marks again before it
  // sleeps again, so a sleeper that died or left marks it for one release, not forever.
  if (slot_->sleepers.load() != 0 && slot_->sleepers.exchange(0) != 0)
    futex(&slot_->generation, FUTEX_WAKE, INT_MAX);
}

uint32_t ReleaseWake::generation() const noexcept { return slot_->generation.load(); }
bool ReleaseWake::sleepers() const noexcept { return slot_->sleepers.load() != 0; }

int32_t ReleaseWake::waking_holder() const noexcept {
  if (!waitv_works.load(std::memory_order_relaxed)) return 0;
  const int32_t pid = slot_->holder.load(std::memory_order_acquire);
  if (pid <= 0 || pid == self_ || slot_->key.load() != key_ || slot_->pid_ns.load() != pid_ns_)
    return 0;
  return pid;
}

ReleaseWake::Sleep ReleaseWake::sleep(uint32_t generation, Wakeup &wakeup, uint32_t signals,
                                      std::chrono::steady_clock::time_point until) const noexcept {
  if (syscalls::enter(Syscall::wake_sleep) != 0) return Sleep::timed_out;
  struct futex_waitv words[2] = {};
  words[0].val = generation;
  words[0].uaddr = reinterpret_cast<uintptr_t>(&slot_->generation);
  words[0].flags = FUTEX_32;
  words[1].val = signals;
  words[1].uaddr = reinterpret_cast<uintptr_t>(&wakeup.signals_);
  words[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  slot_->sleepers.store(1);
  wakeup.word_sleepers_.fetch_add(1);
  const long rc = ::syscall(SYS_futex_waitv, words, 2, 0, &ts, CLOCK_MONOTONIC);
  const int err = errno;
  wakeup.word_sleepers_.fetch_sub(1);
  if (rc == 0) return Sleep::changed;
  if (rc == 1) return Sleep::signalled;
  // EAGAIN: a word had changed already; EINTR: a signal. The caller looks again.
  if (err == EAGAIN || err == EINTR) return Sleep::changed;
  // ENOSYS (before Linux 5.16), or refused (a seccomp filter): waits go to the kernel.
  if (err != ETIMEDOUT) waitv_works.store(false, std::memory_order_relaxed);
  return Sleep::timed_out;
}

}  // namespace filelock::platform

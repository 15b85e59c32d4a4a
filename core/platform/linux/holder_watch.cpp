// HolderWatch on Linux (release_wake.hpp): a pidfd per watched holder, in one epoll set
// per process, served by one watcher thread that lives as long as the process. Starting
// a thread per wait would cost more than the wait it speeds up.
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <unordered_map>

#include "platform/process.hpp"
#include "platform/release_wake.hpp"
#include "platform/threads.hpp"

namespace filelock::platform {

namespace {

struct Watcher {
  std::atomic<int> epoll{-1};
  uint64_t owner = 0;  // the process it serves (its fork generation): a forked child needs its own
  std::mutex mutex;
  uint64_t next_id = 1;
  struct Entry {
    int pidfd;
    std::shared_ptr<Wakeup> wakeup;
    bool ended = false;  // the process ended (and its wake-up was signalled)
  };
  std::unordered_map<uint64_t, Entry> entries;
};

void *watcher_main(void *arg) {
  auto *w = static_cast<Watcher *>(arg);
  struct epoll_event events[16];
  while (true) {
    const int n = ::epoll_wait(w->epoll, events, 16, -1);
    if (n < 0 && errno != EINTR) return nullptr;
    std::lock_guard<std::mutex> guard(w->mutex);
    for (int i = 0; i < n; ++i) {
      auto it = w->entries.find(events[i].data.u64);
      if (it == w->entries.end()) continue;
      it->second.ended = true;
      it->second.wakeup->signal();
    }
  }
}

// This process's watcher, started on first use; nullptr if it cannot be. Never freed:
// its thread runs until the process ends. The one a forked child inherits has no thread
// (and its mutex may have been held at the fork): the child makes its own, without
// taking any lock the fork may have left held.
std::atomic<Watcher *> current{nullptr};

// The parent's epoll descriptor goes in the child at the fork itself, while its number
// still names it: a daemon child closes what it inherited, and the number may be one of
// its own files by the time it first waits.
const bool g_atfork_registered = [] {
  ::pthread_atfork(nullptr, nullptr, [] {
    if (Watcher *w = current.load()) {
      const int fd = w->epoll.exchange(-1);
      if (fd >= 0) ::close(fd);
    }
  });
  return true;
}();

Watcher *start_watcher(Watcher *inherited, uint64_t self) noexcept {
  auto *w = new (std::nothrow) Watcher;
  if (w == nullptr) return nullptr;
  w->owner = self;
  w->epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (w->epoll < 0 || !current.compare_exchange_strong(inherited, w)) {
    if (w->epoll >= 0) ::close(w->epoll);
    delete w;
    return inherited != nullptr && inherited->owner == self ? inherited : nullptr;  // lost a race
  }
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  ::pthread_attr_setstacksize(&attr, 64 * 1024);
  ::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // The host's signals go to its own threads, never to this one.
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  helper_thread_starting();  // it never releases a lock: no reason to wait (threads.hpp)
  const bool started = ::pthread_create(&thread, &attr, watcher_main, w) == 0;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::pthread_attr_destroy(&attr);
  if (!started) {
    helper_thread_ending();
    w->epoll = -1;  // kept, so no one tries again: watches are refused (the span still ends waits)
    return nullptr;
  }
  return w;
}

// This process's watcher if it has one (never starts one).
Watcher *own_watcher() noexcept {
  Watcher *w = current.load();
  return w != nullptr && w->owner == fork_generation() && w->epoll >= 0 ? w : nullptr;
}

Watcher *watcher() noexcept {
  if (Watcher *w = own_watcher()) return w;
  Watcher *w = current.load();
  const uint64_t self = fork_generation();
  if (w != nullptr && w->owner == self) return nullptr;  // one that could not start
  return start_watcher(w, self);
}

}  // namespace

HolderWatch::HolderWatch(int32_t pid, const std::shared_ptr<Wakeup> &wakeup) noexcept : pid_(pid) {
  Watcher *w = watcher();
  if (w == nullptr) return;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return;  // gone already (ESRCH), or no pidfd here
  std::lock_guard<std::mutex> guard(w->mutex);
  const uint64_t id = w->next_id++;
  // One-shot: a dead process's pidfd stays readable, and one signal is all it takes.
  struct epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = id;
  if (::epoll_ctl(w->epoll, EPOLL_CTL_ADD, pidfd, &ev) != 0) {
    ::close(pidfd);
    return;
  }
  w->entries.emplace(id, Watcher::Entry{pidfd, wakeup});
  id_ = id;
}

bool HolderWatch::live() const noexcept {
  Watcher *w = id_ != 0 ? own_watcher() : nullptr;
  if (w == nullptr) return false;
  std::lock_guard<std::mutex> guard(w->mutex);
  auto it = w->entries.find(id_);
  return it != w->entries.end() && !it->second.ended;
}

HolderWatch::~HolderWatch() {
  if (id_ == 0) return;
  Watcher *w = own_watcher();
  if (w == nullptr) return;  // made before a fork: the parent's to end
  std::lock_guard<std::mutex> guard(w->mutex);
  auto it = w->entries.find(id_);
  if (it == w->entries.end()) return;  // made in the parent before a fork
  ::epoll_ctl(w->epoll, EPOLL_CTL_DEL, it->second.pidfd, nullptr);
  ::close(it->second.pidfd);
  w->entries.erase(it);
}

}  // namespace filelock::platform

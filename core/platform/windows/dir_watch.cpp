// Directory watch on a change notification handle: it is signalled when a name in the
// directory is created, deleted or renamed, and can be waited on like any event. A
// second directory (also_arrivals) has a handle of its own; a thread waits on both and
// sets one event, the handle the waiter sleeps on.
#include "platform/dir_watch.hpp"

#include <new>
#include <thread>

#include "platform/threads.hpp"
#include "platform/windows/win_file.hpp"

namespace filelock::platform {

namespace {

HANDLE notification(const std::string &dir, DWORD filter) {
  std::wstring wide;
  if (!win::widen(dir, wide) || win::injected(Syscall::watch) != 0) return INVALID_HANDLE_VALUE;
  return ::FindFirstChangeNotificationW(wide.c_str(), FALSE, filter);
}

constexpr DWORD kNames = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME;
constexpr DWORD kWrites = FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_SIZE;

}  // namespace

struct DirectoryWatch::More {
  HANDLE first = INVALID_HANDLE_VALUE, second = INVALID_HANDLE_VALUE;
  HANDLE merged = nullptr, stop = nullptr;  // manual-reset events
  std::thread thread;

  // Re-arms whichever notification fired, then tells the waiter.
  void run() noexcept {
    HANDLE handles[3] = {stop, first, second};
    while (true) {
      const DWORD r = ::WaitForMultipleObjects(3, handles, FALSE, INFINITE);
      if (r == WAIT_OBJECT_0 + 1 || r == WAIT_OBJECT_0 + 2) {
        ::FindNextChangeNotification(handles[r - WAIT_OBJECT_0]);
        ::SetEvent(merged);
        continue;
      }
      return;  // stop, or a failed wait: the waiter re-checks every retry interval
    }
  }
  ~More() {
    if (thread.joinable()) {
      ::SetEvent(stop);
      thread.join();
    }
    if (second != INVALID_HANDLE_VALUE) ::FindCloseChangeNotification(second);
    if (merged != nullptr) ::CloseHandle(merged);
    if (stop != nullptr) ::CloseHandle(stop);
  }
};

// A rename onto a name is a FILE_NAME change, so both events share one filter; arrivals
// also count a file written in place (a state journal's append, as inotify's
// IN_CLOSE_WRITE does).
DirectoryWatch::DirectoryWatch(const std::string &dir, const std::string &name, Event event) noexcept
    : fd_(kInvalidFile), name_(name) {
  // No watch (kInvalidFile): callers re-check every retry interval.
  HANDLE h = notification(dir, event == Event::arrived ? kNames | kWrites : kNames);
  if (h != INVALID_HANDLE_VALUE) fd_ = h;
}

bool DirectoryWatch::also_arrivals(const std::string &dir, const std::string &) noexcept {
  if (fd_ == kInvalidFile || more_) return false;
  std::unique_ptr<More> more(new (std::nothrow) More);
  if (!more) return false;
  more->second = notification(dir, kNames | kWrites);
  if (win::injected(Syscall::wakeup) != 0) return false;
  more->merged = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  more->stop = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (more->second == INVALID_HANDLE_VALUE || more->merged == nullptr || more->stop == nullptr) return false;
  more->first = fd_;
  helper_thread_starting();
  try {
    More *m = more.get();
    more->thread = std::thread([m] {
      m->run();
      helper_thread_ending();
    });
  } catch (...) {
    helper_thread_ending();
    return false;
  }
  more_ = std::move(more);
  fd_ = more_->merged;  // what the waiter sleeps on from now
  return true;
}

DirectoryWatch::~DirectoryWatch() {
  if (more_) {
    const HANDLE first = more_->first;
    more_.reset();  // stops the thread before its handles close
    ::FindCloseChangeNotification(first);
  } else if (fd_ != kInvalidFile) {
    ::FindCloseChangeNotification(fd_);
  }
}

bool DirectoryWatch::complete() const noexcept { return fd_ != kInvalidFile; }

unsigned DirectoryWatch::drain() noexcept {
  // Re-arms the notification; changes since the last call signal it again at once.
  // With two, the thread re-armed them: the waiter's look after this sees what fired.
  if (more_) {
    ::ResetEvent(more_->merged);
  } else if (fd_ != kInvalidFile) {
    ::FindNextChangeNotification(fd_);
  }
  return kEither;  // a change notification names no entry
}

}  // namespace filelock::platform

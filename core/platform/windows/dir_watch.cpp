// Directory watch on a change notification handle: it is signalled when a name in the
// directory is created, deleted or renamed, and can be waited on like any event.
#include "platform/dir_watch.hpp"

#include "platform/windows/win_file.hpp"

namespace filelock::platform {

// A rename onto a name is a FILE_NAME change, so both events share one filter; arrivals
// also count a file written in place (a state journal's append, as inotify's
// IN_CLOSE_WRITE does).
DirectoryWatch::DirectoryWatch(const std::string &dir, const std::string &name, Event event) noexcept
    : fd_(kInvalidFile), name_(name) {
  std::wstring wide;
  if (!win::widen(dir, wide)) return;  // no watch: callers re-check every retry interval
  DWORD filter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME;
  if (event == Event::arrived) filter |= FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_SIZE;
  if (win::injected(Syscall::watch) != 0) return;  // the same
  HANDLE h = ::FindFirstChangeNotificationW(wide.c_str(), FALSE, filter);
  if (h != INVALID_HANDLE_VALUE) fd_ = h;  // else: the same
}

DirectoryWatch::~DirectoryWatch() {
  if (fd_ != kInvalidFile) ::FindCloseChangeNotification(fd_);
}

bool DirectoryWatch::drain() noexcept {
  // Re-arms the notification; changes since the last call signal it again at once.
  if (fd_ != kInvalidFile) ::FindNextChangeNotification(fd_);
  return true;  // a change notification names no entry
}

}  // namespace filelock::platform

// DirectoryWatch on macOS: a kqueue with a vnode filter on the directory. A name removed
// or renamed away writes the directory (NOTE_WRITE), and a kqueue descriptor polls
// readable while an event is pending, so Wakeup::wait_until_either can sleep on it.
// also_arrivals adds a vnode filter on the file itself (a kqueue watch on a directory
// sees its entries, not a file written in place) and one on its directory, so a file
// deleted and made again is followed: drain() opens the name again when it changed.
#include <fcntl.h>
#include <sys/event.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <new>
#include <string>

#include "platform/dir_watch.hpp"
#include "platform/paths.hpp"
#include "platform/posix/syscall.hpp"

namespace filelock::platform {

namespace {

// O_EVTONLY: watching must not keep the volume from being unmounted.
int open_watched(const std::string &path, int flags) {
  return injected(Syscall::open) ? -1 : ::open(path.c_str(), O_EVTONLY | O_CLOEXEC | flags);
}

bool add_vnode(int kq, int fd, unsigned notes) {
  struct kevent change;
  EV_SET(&change, fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, notes, 0, nullptr);
  return !injected(Syscall::watch_add) && ::kevent(kq, &change, 1, nullptr, 0, nullptr) == 0;
}

constexpr unsigned kFileNotes = NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_DELETE | NOTE_RENAME | NOTE_REVOKE;

}  // namespace

// A name renamed into the directory writes it as well (NOTE_WRITE): one filter for both events.
DirectoryWatch::DirectoryWatch(const std::string &dir, const std::string &name, Event) noexcept
    : fd_(injected(Syscall::watch) ? -1 : ::kqueue()), name_(name) {
  if (fd_ < 0) return;
  ::fcntl(fd_, F_SETFD, FD_CLOEXEC);
  dir_ = open_watched(dir, O_DIRECTORY);
  if (dir_ < 0 || !add_vnode(fd_, dir_, NOTE_WRITE | NOTE_DELETE)) {
    if (dir_ >= 0) ::close(dir_);
    ::close(fd_);
    fd_ = kInvalidFile;
    dir_ = kInvalidFile;
  }
}

// The file also_arrivals follows: its path, the descriptor watched (-1 while it is
// missing), its identity, and its directory's descriptor.
struct DirectoryWatch::More {
  std::string path;
  int file = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  int dir = -1;
  bool lost = false;  // a file there could not be watched: complete() is false
  // (Re)opens `path` and adds its filter when the name now holds another file; true if
  // it is watched (or missing: its directory's filter sees it arrive).
  bool follow(int kq);
};

bool DirectoryWatch::also_arrivals(const std::string &dir, const std::string &name) noexcept {
  if (fd_ < 0 || more_) return false;
  std::unique_ptr<More> m(new (std::nothrow) More);
  if (!m) return false;
  try {
    m->path = join_path(dir, name);
  } catch (...) {
    return false;
  }
  m->dir = open_watched(dir, O_DIRECTORY);
  if (m->dir < 0 || !add_vnode(fd_, m->dir, NOTE_WRITE | NOTE_DELETE) || !m->follow(fd_)) {
    // Filters go with their descriptors: nothing of this attempt stays on the queue.
    if (m->file >= 0) ::close(m->file);
    if (m->dir >= 0) ::close(m->dir);
    return false;
  }
  more_ = std::move(m);
  return true;
}

bool DirectoryWatch::More::follow(int kq) {
  struct stat st;
  const bool exists = !injected(Syscall::stat) && ::stat(path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) return false;
  if (file >= 0 && exists && st.st_dev == dev && st.st_ino == ino) return true;
  if (file >= 0) ::close(file);  // its filter goes with it
  file = -1;
  if (!exists) return true;
  const int fd = open_watched(path, 0);
  if (fd < 0) return errno == ENOENT;
  struct stat opened;
  if (injected(Syscall::stat) || ::fstat(fd, &opened) != 0 || !add_vnode(kq, fd, kFileNotes)) {
    ::close(fd);
    return false;
  }
  file = fd;
  dev = opened.st_dev;
  ino = opened.st_ino;
  return true;
}

bool DirectoryWatch::complete() const noexcept { return fd_ >= 0 && (!more_ || !more_->lost); }

DirectoryWatch::~DirectoryWatch() {
  if (more_) {
    if (more_->file >= 0) ::close(more_->file);
    if (more_->dir >= 0) ::close(more_->dir);
  }
  if (fd_ >= 0) ::close(fd_);
  if (dir_ >= 0) ::close(dir_);
}

unsigned DirectoryWatch::drain() noexcept {
  if (fd_ < 0) return kEither;
  struct kevent events[8];
  const struct timespec zero = {0, 0};
  while (::kevent(fd_, nullptr, 0, events, 8, &zero) > 0) {
  }
  // The followed file may have been replaced or made again: watch the one there now (one
  // that cannot be watched leaves complete() false: the caller re-checks on its interval).
  if (more_ && !more_->follow(fd_)) more_->lost = true;
  return kEither;  // a vnode event names no entry
}

}  // namespace filelock::platform

// The system calls the platform layer makes, as one table (the shape of SQLite's
// aSyscall): every file, directory, lock, path, wake-up and watch call in
// core/platform/{posix,linux,macos,windows} asks its entry first, so a test can make the
// nth call of an entry fail with a chosen errno (the call is then not made, except a
// checked close, which still releases the handle), or record the sequence of entries an
// operation goes through. Unarmed, asking costs one relaxed atomic load.
#pragma once

#include <atomic>
#include <cstdint>

namespace filelock::platform {

enum class Syscall : uint8_t {
  open,      // open(2) of a file or directory / CreateFileW
  fcntl,     // fcntl F_GETFL, F_SETFL (an open's O_NONBLOCK cleared once it proved a regular file)
  stat,      // fstat, stat, lstat / GetFileInformationByHandle
  read,      // read, pread (files, /proc) / ReadFile
  write,     // write (at the position or, appending, at the end) / WriteFile
  pwrite,    // pwrite / WriteFile at an offset
  truncate,  // ftruncate / SetFileInformationByHandle(FileEndOfFileInfo)
  chmod,     // fchmod
  fsync,     // fsync or F_FULLFSYNC of a file or directory / FlushFileBuffers
  close,     // close / CloseHandle
  rename,    // rename, renameat2(RENAME_NOREPLACE), renamex_np / MoveFileExW
  link,      // link / CreateHardLinkW
  unlink,    // unlink / DeleteFileW
  mkdir,     // mkdir / CreateDirectoryW
  rmdir,     // rmdir / RemoveDirectoryW
  opendir,   // opendir / FindFirstFileW
  lock,      // flock, fcntl F_SETLK(W)/F_OFD_SETLK(W) / LockFileEx
  unlock,    // flock LOCK_UN, fcntl F_UNLCK / UnlockFileEx
  realpath,  // realpath of a directory / GetFinalPathNameByHandleW (its open: `open`)
  wakeup,    // eventfd, pipe (a Wakeup's event) / CreateEventW
  watch,     // inotify_init1, kqueue / FindFirstChangeNotificationW (a DirectoryWatch)
  watch_add, // inotify_add_watch, kevent(EV_ADD) (a DirectoryWatch's directory)
  wake_table,  // shm_open of the release-wake table (release_wake.hpp)
  wake_sleep,  // futex_waitv on a release-wake word
  record_page, // memfd_create and mmap of a holder record's page, pread storing a record (record_page.hpp)
  count_
};

// The entry's name ("open", "fsync", ...).
const char *syscall_name(Syscall call) noexcept;

namespace syscalls {

// The nth (1-based) call of `call` from now on fails with `err` (an errno), and with
// `persistent` every later call too (a filesystem that refuses a call for good); err 0
// clears the entry.
void fail(Syscall call, int nth, int err, bool persistent = false) noexcept;
// Clears every entry's failure (the recorder stays).
void clear() noexcept;
// Called with each entry before its system call is made (or failed). nullptr: none. Set
// it only while no other thread makes calls that matter to the test.
using Recorder = void (*)(Syscall call, void *context);
void set_recorder(Recorder recorder, void *context) noexcept;

namespace detail {
extern std::atomic<bool> armed;  // a failure or a recorder is set
int enter_armed(Syscall call) noexcept;
}  // namespace detail

// Asked before each system call: 0, or the errno this call must fail with.
inline int enter(Syscall call) noexcept {
  return detail::armed.load(std::memory_order_relaxed) ? detail::enter_armed(call) : 0;
}

}  // namespace syscalls
}  // namespace filelock::platform

#include "io/lock_io.hpp"

#include <cerrno>

#include "common/error.hpp"
#include "io/file_io.hpp"

namespace filelock::io {

namespace {
bool missing(const platform::OsError &e) { return e.err == ENOENT || e.err == ENOTDIR; }
}  // namespace

OpenedFile open_lock_file(const std::string &path, unsigned mode) {
  OpenedFile f{platform::kInvalidFile, false, {}};
  const platform::OsError e = platform::open_lock_file(path, mode, f.file, f.read_only, f.id);
  if (!e) return f;
  const char *op = e.op != nullptr ? e.op : "open lock file";
  if (e.err == ELOOP)
    throw_error(Status::permission, op, path, "is a symbolic link; refusing to follow it");
  if (e.err == EISDIR)
    throw_error(Status::invalid, op, path, "is a directory, not a regular file");
  if (e.err == platform::kNotRegularFile)
    throw_error(Status::invalid, op, path, "is not a regular file (FIFO, socket or device)");
  fail(op, path, e);
}

platform::FileInfo identify(platform::NativeFile file, const std::string &path) {
  platform::FileInfo id;
  if (const platform::OsError e = platform::link_info(file, id)) fail("stat lock file", path, e);
  return id;
}

bool identify_path(const std::string &path, platform::FileInfo &out) {
  const platform::OsError e = platform::entry_info(path, out);
  if (e && missing(e)) return false;
  if (e) fail("stat", path, e);
  return true;
}

std::string read_head(platform::NativeFile file, size_t max, const std::string &path) {
  std::string out(max, '\0');
  size_t got = 0;
  while (got < max) {
    size_t n = 0;
    if (const platform::OsError e = platform::read_at(file, got, out.data() + got, max - got, n))
      fail("read lock file", path, e);
    if (n == 0) break;
    got += n;
  }
  out.resize(got);
  return out;
}

bool read_small_file(const std::string &path, size_t max, std::string &out) {
  platform::NativeFile file;
  if (const platform::OsError e = platform::open_read(path, file)) {
    if (missing(e)) return false;
    fail("read", path, e);
  }
  platform::FileInfo info;
  if (const platform::OsError e = platform::info(file, info)) {
    platform::close(file);
    fail("read", path, e);
  }
  if (!info.regular) {
    platform::close(file);
    throw_error(Status::invalid, "read", path, "is not a regular file");
  }
  std::string text;
  try {
    text = read_head(file, max, path);
  } catch (...) {
    platform::close(file);
    throw;
  }
  platform::close(file);
  out = std::move(text);
  return true;
}

bool create_exclusive_file(const std::string &path, unsigned mode, const std::string &content) {
  const platform::OsError e = platform::create_file(path, mode, content);
  if (e.err == EEXIST && e.op == nullptr) return false;
  if (e) fail("create lock file", path, e);
  return true;
}

bool create_exclusive_dir(const std::string &path, unsigned mode) {
  const platform::OsError e = platform::make_dir(path, mode);
  if (e.err == EEXIST) return false;
  if (e) fail("create lock directory", path, e);
  return true;
}

bool rename_path(const std::string &from, const std::string &to) {
  const platform::OsError e = platform::rename_replace(from, to, false);
  if (e.err == ENOENT) return false;
  if (e) fail("rename", from, e);
  return true;
}

bool rename_no_replace(const std::string &from, const std::string &to) {
  const platform::OsError e = platform::rename_no_replace(from, to);
  if (!e) return true;
  if (e.err == EEXIST || e.err == ENOTEMPTY || e.err == ENOENT) return false;
  if (e.op != nullptr) fail(e.op, to, e);  // the link() fallback's error names the new name
  fail("rename", from, e);
}

bool remove_file(const std::string &path) {
  const platform::OsError e = platform::remove(path);
  if (e.err == ENOENT) return false;
  if (e) fail("remove", path, e);
  return true;
}

bool remove_dir(const std::string &path) {
  const platform::OsError e = platform::remove_dir(path);
  if (e.err == ENOENT) return false;
  if (e) fail("remove directory", path, e);
  return true;
}

std::vector<std::string> list_dir(const std::string &dir) {
  std::vector<std::string> names;
  if (const platform::OsError e =
          platform::list_dir(dir, [&](std::string_view name) { names.emplace_back(name); }))
    fail("list directory", dir, e);
  return names;
}

void fail_kernel_lock(platform::KernelLockKind kind, const std::string &path,
                      const platform::OsError &e) {
  using platform::KernelLockKind;
  if (e.op != nullptr) fail(e.op, path, e);
  if (e.err == platform::kNoSuchLock)
    throw_error(Status::unsupported, "lock", path, platform::missing_lock_reason(kind));
  if (e.native != 0) fail("lock", path, e);
  const std::string name = platform::kernel_lock_name(kind);
  if (e.err == EBADF && kind != KernelLockKind::flock)
    throw_error(Status::permission, "lock", path,
                name + " locks need the lock file open for writing, and it may only be read by "
                       "this user (" + os_reason(e.err) + "); flock locks work read-only", e.err);
  if (e.err == ENOLCK || e.err == EOPNOTSUPP || e.err == ENOSYS || e.err == EINVAL)
    throw_error(Status::unsupported, "lock", path,
                name + " locks are not supported on this filesystem (" + os_reason(e.err) +
                    "); use the LOCKFILE or LOCKDIR backend (FL_BACKEND_LOCKFILE/LOCKDIR)",
                e.err);
  throw_os_error("lock", path, e.err);
}

bool kernel_try_lock(platform::NativeFile file, platform::KernelLockKind kind, LockMode mode,
                     const std::string &path) {
  bool acquired = false;
  if (const platform::OsError e = platform::kernel_try_lock(file, kind, mode, acquired))
    fail_kernel_lock(kind, path, e);
  return acquired;
}

void kernel_unlock(platform::NativeFile file, platform::KernelLockKind kind,
                   const std::string &path) {
  if (const platform::OsError e = platform::kernel_unlock(file, kind)) fail("unlock", path, e);
}

platform::WaitOutcome kernel_wait_lock(platform::NativeFile &file, platform::KernelLockKind kind,
                                       LockMode mode, bool forever,
                                       std::chrono::steady_clock::time_point deadline,
                                       const std::shared_ptr<platform::Wakeup> &wakeup,
                                       const std::atomic<bool> &cancel, const std::string &path,
                                       platform::ParkedWait *parked) {
  platform::WaitOutcome outcome = platform::WaitOutcome::timed_out;
  if (const platform::OsError e = platform::kernel_wait_lock(file, kind, mode, forever, deadline,
                                                             wakeup, cancel, path, parked, outcome))
    fail_kernel_lock(kind, path, e);
  return outcome;
}

platform::NativeFile hold_entry_lock(const std::string &path, bool directory) {
  platform::NativeFile file = platform::kInvalidFile;
  if (const platform::OsError e = platform::hold_entry_lock(path, directory, file))
    fail("lock (hold the lock entry)", path, e);
  return file;
}

int probe_kernel_lock(const std::string &path) {
  int state = 0;
  if (const platform::OsError e = platform::probe_kernel_lock(path, state))
    fail("probe lock", path, e);
  return state;
}

platform::RemoveOutcome remove_unheld_lock_file(const std::string &path) {
  platform::RemoveOutcome outcome = platform::RemoveOutcome::held;
  if (const platform::OsError e = platform::remove_unheld_lock_file(path, outcome))
    fail("remove lock file", path, e);
  return outcome;
}

}  // namespace filelock::io

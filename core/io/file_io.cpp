#include "io/file_io.hpp"

#include <cerrno>
#include <cstdio>
#include <random>

#include "common/error.hpp"
#include "io/observe.hpp"
#include "platform/paths.hpp"
#include "platform/process.hpp"

namespace filelock::io {


void fail(const char *op, const std::string &path, const platform::OsError &e) {
  const char *name = e.op != nullptr ? e.op : op;
  if (e.err == platform::kNotRegularFile) {
    throw_error(Status::permission, name, path,
                "not a regular file (a FIFO, socket, device or directory): refused");
  }
  if (e.err == platform::kInvalidPathEncoding)
    throw_error(Status::invalid, name, path, "is not valid UTF-8 (paths are UTF-8)", EINVAL);
  if (e.err == platform::kNoSuchLock)
    throw_error(Status::unsupported, name, path, "this kind of lock does not exist on this system");
  if (e.err == ELOOP) {
    throw_error(Status::permission, name, path, "a symbolic link, which is never followed here: refused");
  }
  if (e.native != 0) throw_error(platform::native_status(e), name, path, platform::native_reason(e), e.err);
  throw_os_error(name, path, e.err);
}

std::string dir_of(const std::string &path) { return platform::dir_name(path); }

std::string base_of(const std::string &path) { return platform::base_name(path); }

std::string random_token() {
  thread_local std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}() ^
                                   static_cast<uint64_t>(platform::current_pid())};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool read_file(const std::string &path, std::string &out, platform::FileInfo *info) {
  File file;
  if (const platform::OsError e = platform::open_read(path, file)) {
    if (e.err == ENOENT) return false;
    fail("open", path, e);
  }
  const platform::OsError e = platform::read_all(file, out, info);
  platform::close(file);  // read-only: nothing a failed close could lose
  if (e) fail("read", path, e);
  return true;
}

File create_exclusive(const std::string &path, unsigned mode) {
  File file;
  if (const platform::OsError e = platform::open_write(path, platform::Create::exclusive, false, mode, file))
    fail("create", path, e);
  observe(Step::create, path);
  return file;
}

void write_all(File file, std::string_view data, const std::string &path) {
  size_t written = 0;
  if (const platform::OsError e = platform::write_all(file, data, written)) fail("write", path, e);
  observe(Step::write, path);
}

void sync_file(File file, const std::string &path) {
  // Never retried: see platform::sync.
  if (const platform::OsError e = platform::sync(file)) fail("fsync", path, e);
  observe(Step::fsync, path);
}

void close_file(File file, const std::string &path) {
  if (const platform::OsError e = platform::close_checked(file)) fail("close", path, e);
}

void sync_dir(const std::string &dir) {
  if (const platform::OsError e = platform::sync_dir(dir)) fail("fsync directory", dir, e);
  observe(Step::dir_fsync, dir);
}

void sync_dir(File handle, const std::string &dir) {
  if (const platform::OsError e = platform::sync_dir(handle)) fail("fsync directory", dir, e);
  observe(Step::dir_fsync, dir);
}

DirHandle::DirHandle(const std::string &dir) {
  if (const platform::OsError e = platform::open_dir(dir, file_)) fail("open directory", dir, e);
}

DirHandle::~DirHandle() { platform::close(file_); }

void rename_file(const std::string &from, const std::string &to, bool wait_for_readers) {
  if (const platform::OsError e = platform::rename_replace(from, to, wait_for_readers))
    fail("rename", to, e);
  observe(Step::rename, to);
}

Link link_file(const std::string &from, const std::string &to) {
  const platform::OsError e = platform::hard_link(from, to);
  if (!e) {
    observe(Step::link, to);
    return Link::made;
  }
  if (e.err == EEXIST) return Link::exists;
  if (e.err == EPERM || e.err == EXDEV || e.err == ENOTSUP || e.err == EMLINK) return Link::unsupported;
  fail("link", to, e);
}

void remove_quietly(const std::string &path) noexcept { platform::remove(path); }

void make_dir(const std::string &dir, unsigned mode) {
  const platform::OsError made = platform::make_dir(dir, mode);
  if (made && made.err != EEXIST) fail("create directory", dir, made);
  platform::FileInfo info;
  if (const platform::OsError e = platform::path_info(dir, info)) fail("stat", dir, e);
  if (!info.directory) throw_os_error("create directory", dir, ENOTDIR);
}

}  // namespace filelock::io

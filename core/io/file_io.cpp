#include "io/file_io.hpp"

#include <cerrno>
#include <cstdio>
#include <random>

#include "common/error.hpp"
#include "io/fault.hpp"
#include "platform/paths.hpp"

namespace filelock::io {

namespace fs = platform::fs;

std::string dir_of(const std::string &path) { return platform::dir_name(path); }

std::string base_of(const std::string &path) { return platform::base_name(path); }

std::string random_token() {
  thread_local std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}() ^
                                   static_cast<uint64_t>(fs::current_pid())};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool read_file(const std::string &path, std::string &out, fs::FileInfo *info) {
  File file;
  if (const fs::OsError e = fs::open_read(path, file)) {
    if (e.err == ENOENT) return false;
    fs::fail("open", path, e);
  }
  const fs::OsError e = fs::read_all(file, out, info);
  fs::close(file);  // read-only: nothing a failed close could lose
  if (e) fs::fail("read", path, e);
  return true;
}

File create_exclusive(const std::string &path, unsigned mode) {
  if (const int err = take_fault(Step::create)) throw_os_error("create", path, err);
  File file;
  if (const fs::OsError e = fs::open_write(path, fs::Create::exclusive, false, mode, file))
    fs::fail("create", path, e);
  observe(Step::create, path);
  return file;
}

void write_all(File file, std::string_view data, const std::string &path) {
  if (const int err = take_fault(Step::write)) throw_os_error("write", path, err);
  size_t written = 0;
  if (const fs::OsError e = fs::write_all(file, data, written)) fs::fail("write", path, e);
  observe(Step::write, path);
}

void sync_file(File file, const std::string &path) {
  // Never retried: see fs::sync.
  if (const int err = take_fault(Step::fsync)) throw_os_error("fsync", path, err);
  if (const fs::OsError e = fs::sync(file)) fs::fail("fsync", path, e);
  observe(Step::fsync, path);
}

void close_file(File file, const std::string &path) {
  const int injected = take_fault(Step::close);
  const fs::OsError e = fs::close_checked(file);
  if (injected) throw_os_error("close", path, injected);
  if (e) fs::fail("close", path, e);
}

void sync_dir(const std::string &dir) {
  if (const int err = take_fault(Step::dir_fsync)) throw_os_error("fsync directory", dir, err);
  if (const fs::OsError e = fs::sync_dir(dir)) fs::fail("fsync directory", dir, e);
  observe(Step::dir_fsync, dir);
}

void sync_dir(File handle, const std::string &dir) {
  if (const int err = take_fault(Step::dir_fsync)) throw_os_error("fsync directory", dir, err);
  if (const fs::OsError e = fs::sync_dir(handle)) fs::fail("fsync directory", dir, e);
  observe(Step::dir_fsync, dir);
}

DirHandle::DirHandle(const std::string &dir) {
  if (const fs::OsError e = fs::open_dir(dir, file_)) fs::fail("open directory", dir, e);
}

DirHandle::~DirHandle() { fs::close(file_); }

void rename_file(const std::string &from, const std::string &to, bool wait_for_readers) {
  if (const int err = take_fault(Step::rename)) throw_os_error("rename", to, err);
  if (const fs::OsError e = fs::rename_replace(from, to, wait_for_readers))
    fs::fail("rename", to, e);
  observe(Step::rename, to);
}

Link link_file(const std::string &from, const std::string &to) {
  fs::OsError e{take_fault(Step::link), 0, nullptr};
  if (!e) {
    e = fs::hard_link(from, to);
    if (!e) {
      observe(Step::link, to);
      return Link::made;
    }
  }
  if (e.err == EEXIST) return Link::exists;
  if (e.err == EPERM || e.err == EXDEV || e.err == ENOTSUP || e.err == EMLINK) return Link::unsupported;
  fs::fail("link", to, e);
}

void remove_quietly(const std::string &path) noexcept { fs::remove(path); }

void make_dir(const std::string &dir, unsigned mode) {
  const fs::OsError made = fs::make_dir(dir, mode);
  if (made && made.err != EEXIST) fs::fail("create directory", dir, made);
  fs::FileInfo info;
  if (const fs::OsError e = fs::path_info(dir, info)) fs::fail("stat", dir, e);
  if (!info.directory) throw_os_error("create directory", dir, ENOTDIR);
}

}  // namespace filelock::io

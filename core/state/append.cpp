#include "state/append.hpp"

#include <cerrno>

#include "common/error.hpp"
#include "etcd/etcd_url.hpp"
#include "io/file_io.hpp"
#include "json/json.hpp"

namespace filelock::state {

namespace {


struct OpenedFile {
  io::File file = platform::kInvalidFile;
  bool created = false;
  platform::FileInfo info;
};

// Opens for appending (and reading its last byte); under the lock, so "did we create it" is exact.
OpenedFile open_for_append(const std::string &path) {
  OpenedFile f;
  platform::OsError e = platform::open_write(path, platform::Create::never, true, 0644, f.file, &f.info);
  if (e.err == ENOENT) {
    e = platform::open_write(path, platform::Create::exclusive, true, 0644, f.file, &f.info);
    f.created = !e;
  }
  if (e) io::fail("append", path, e);
  return f;
}

}  // namespace

void append_line(const std::string &path, std::string_view json, const LockOptions &lock_options,
                 bool durable, int64_t timeout_ms, CancelToken *token) {
  etcd::file_path_only(path, "append");
  std::string line;
  try {
    // Compact printing escapes every newline inside strings: one value, one line.
    line = json::print(json::parse(json).get(), false) + "\n";
  } catch (const json::JsonError &e) {
    throw_error(e.status(), "append", path, e.what());
  }
  const std::unique_ptr<Lock> lock = Lock::open(path, lock_options);
  lock->lock(LockMode::exclusive, timeout_ms, token);

  const OpenedFile f = open_for_append(path);
  const platform::FileInfo &st = f.info;
  size_t written = 0;
  try {
    // A file that does not end in a newline (written by someone else, or torn by a
    // crash) gets one first, so this line stays a line of its own.
    char last = '\n';
    size_t got = 0;
    if (st.size > 0 && !platform::read_at(f.file, st.size - 1, &last, 1, got) && got == 1 &&
        last != '\n') {
      line.insert(line.begin(), '\n');
    }
    if (const platform::OsError e = platform::write_append(f.file, line, written)) io::fail("append", path, e);
    if (durable) io::sync_file(f.file, path);
  } catch (...) {
    // Whole or not at all: cut back what this call wrote (a failed fsync included).
    if (written > 0) {
      if (const platform::OsError e = platform::truncate(f.file, st.size)) {
        platform::close(f.file);
        io::fail("append (cutting back a partial line)", path, e);
      }
    }
    platform::close(f.file);
    if (f.created) io::remove_quietly(path);
    throw;
  }
  io::close_file(f.file, path);
  if (durable && f.created) io::sync_dir(io::dir_of(path));
}

}  // namespace filelock::state

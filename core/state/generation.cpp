#include "state/generation.hpp"

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "io/checksum.hpp"
#include "io/observe.hpp"
#include "io/file_io.hpp"

namespace filelock::state {

namespace {
// Layout: magic, the five fields, a checksum of the first 48 bytes; 56 bytes in all,
// well inside one disk sector, so the in-place write cannot tear.
constexpr uint64_t kMagic = 0x3230304E45474C46ULL;  // "FLGEN002"
constexpr size_t kFields = 7;
constexpr size_t kSummed = (kFields - 1) * sizeof(uint64_t);
constexpr size_t kSize = kFields * sizeof(uint64_t);
}  // namespace

GenerationFile::GenerationFile(const std::string &path) : path_(path) {
  platform::OsError e = platform::open_write(path, platform::Create::never, false, 0644, file_);
  if (!e) return;
  if (e.err == EACCES || e.err == EPERM || e.err == EROFS) {
    // A reader who may not write the meta dir still reads the generation.
    open_read_only(e);
    return;
  }
  if (e.err != ENOENT) io::fail("open generation record", path, e);
  // Created once per state file; made durable at once so it is never lost later.
  e = platform::open_write(path, platform::Create::if_missing, false, 0644, file_);
  if (e) {
    if (e.err == EACCES || e.err == EPERM || e.err == EROFS) {
      // Nothing to read yet, and no right to create it: a record of zeros.
      read_only_ = true;
      write_error_ = e;
      return;
    }
    io::fail("create generation record", path, e);
  }
  try {
    io::sync_file(file_, path);
    io::sync_dir(io::dir_of(path));
  } catch (...) {
    platform::close(file_);
    throw;
  }
}

void GenerationFile::open_read_only(const platform::OsError &write_error) {
  read_only_ = true;
  write_error_ = write_error;
  if (const platform::OsError e = platform::open_read(path_, file_)) io::fail("open generation record", path_, e);
  platform::FileInfo info;
  platform::OsError e = platform::info(file_, info);
  if (!e && !info.regular) e = platform::OsError{platform::kNotRegularFile, 0, nullptr};
  if (e) {
    platform::close(file_);
    file_ = platform::kInvalidFile;
    io::fail("open generation record", path_, e);
  }
}

GenerationFile::~GenerationFile() {
  if (file_ != platform::kInvalidFile) platform::close(file_);
}

GenerationRecord GenerationFile::load() const {
  uint64_t f[kFields] = {};
  size_t n = 0;
  if (file_ == platform::kInvalidFile) return {};
  if (const platform::OsError e = platform::read_at(file_, 0, f, kSize, n)) io::fail("read generation record", path_, e);
  if (n != kSize || f[0] != kMagic ||
      f[kFields - 1] != io::hash64(std::string_view(reinterpret_cast<const char *>(f), kSummed))) {
    return {};
  }
  return {f[1], f[2], f[3], f[4], f[5]};
}

void GenerationFile::store(const GenerationRecord &r) {
  uint64_t f[kFields] = {kMagic, r.generation, r.checksum, r.previous_generation, r.previous_checksum,
                         r.backups_epoch, 0};
  f[kFields - 1] = io::hash64(std::string_view(reinterpret_cast<const char *>(f), kSummed));
  if (read_only_) io::fail("write generation record", path_, write_error_);
  if (const platform::OsError e = platform::write_at(file_, 0, f, kSize)) io::fail("write generation record", path_, e);
  io::observe(io::Step::pwrite, path_);
}

void GenerationFile::sync() {
  if (read_only_) io::fail("fsync generation record", path_, write_error_);
  io::sync_file(file_, path_);
}

uint64_t GenerationFile::resolve(const GenerationRecord &r, uint64_t checksum) {
  if (r.generation != 0 && checksum == r.checksum) return r.generation;
  if (r.previous_generation != 0 && checksum == r.previous_checksum) return r.previous_generation;
  return r.generation + 1;
}

}  // namespace filelock::state

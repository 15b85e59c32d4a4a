#include "state/generation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "io/checksum.hpp"
#include "io/fault.hpp"
#include "io/file_io.hpp"

namespace filelock::state {

namespace {
// Layout: magic, the four fields, a checksum of the first 40 bytes; 48 bytes in all,
// well inside one disk sector, so the in-place write cannot tear.
constexpr uint64_t kMagic = 0x3130304E45474C46ULL;  // "FLGEN001"
constexpr size_t kFields = 6;
constexpr size_t kSize = kFields * sizeof(uint64_t);
}  // namespace

GenerationFile::GenerationFile(const std::string &path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ >= 0) return;
  if (errno != ENOENT) throw_os_error("open generation record", path, errno);
  // Created once per state file; made durable at once so it is never lost later.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw_os_error("create generation record", path, errno);
  try {
    io::sync_file(fd_, path);
    io::sync_dir(io::dir_of(path));
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

GenerationFile::~GenerationFile() {
  if (fd_ >= 0) ::close(fd_);
}

GenerationRecord GenerationFile::load() const {
  uint64_t f[kFields] = {};
  ssize_t n;
  do {
    n = ::pread(fd_, f, kSize, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_os_error("read generation record", path_, errno);
  if (static_cast<size_t>(n) != kSize || f[0] != kMagic ||
      f[5] != io::hash64(std::string_view(reinterpret_cast<const char *>(f), 5 * sizeof(uint64_t)))) {
    return {};
  }
  return {f[1], f[2], f[3], f[4]};
}

void GenerationFile::store(const GenerationRecord &r) {
  uint64_t f[kFields] = {kMagic, r.generation, r.checksum, r.previous_generation, r.previous_checksum, 0};
  f[5] = io::hash64(std::string_view(reinterpret_cast<const char *>(f), 5 * sizeof(uint64_t)));
  if (const int err = io::take_fault(io::Step::pwrite)) throw_os_error("write generation record", path_, err);
  ssize_t n;
  do {
    n = ::pwrite(fd_, f, kSize, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_os_error("write generation record", path_, errno);
  if (static_cast<size_t>(n) != kSize) throw_os_error("write generation record", path_, EIO);
}

uint64_t GenerationFile::resolve(const GenerationRecord &r, uint64_t checksum) {
  if (r.generation != 0 && checksum == r.checksum) return r.generation;
  if (r.previous_generation != 0 && checksum == r.previous_checksum) return r.previous_generation;
  return r.generation + 1;
}

}  // namespace filelock::state

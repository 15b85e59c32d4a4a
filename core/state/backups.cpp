#include "state/backups.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.hpp"
#include "io/file_io.hpp"
#include "state/audit_log.hpp"

namespace filelock::state {

namespace {

constexpr const char *kSuffix = ".json";
constexpr size_t kIdSize = 23 + 2 + 20;  // "<yyyymmddThhmmss.uuuuuuZ>-g<20 digits>"
constexpr const char *kTempPrefix = ".tmp-";

// "2026-11-24T11:45:12.123456Z" -> "20261124T114512.123456Z"
std::string compact_time(const std::string &iso) {
  std::string out;
  for (const char c : iso) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

// Parses "<yyyymmddThhmmss.uuuuuuZ>-g<digits>"; false if the name is not one of ours.
bool parse_id(const std::string &id, BackupInfo &info) {
  if (id.size() != kIdSize || id[8] != 'T' || id[22] != 'Z' || id.compare(23, 2, "-g") != 0) {
    return false;
  }
  for (size_t i = 25; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
  }
  info.generation = std::strtoull(id.c_str() + 25, nullptr, 10);
  return true;
}

// The id's fields for listing: the id itself and its time in ISO 8601.
bool describe_id(const std::string &id, BackupInfo &info) {
  if (!parse_id(id, info)) return false;
  info.id = id;
  info.created_at = id.substr(0, 4) + "-" + id.substr(4, 2) + "-" + id.substr(6, 2) + "T" +
                    id.substr(9, 2) + ":" + id.substr(11, 2) + ":" + id.substr(13, 2) +
                    id.substr(15, 8);
  return true;
}

}  // namespace

std::string Backups::new_id(uint64_t generation) const {
  char gen[24];
  std::snprintf(gen, sizeof gen, "%020llu", static_cast<unsigned long long>(generation));
  for (;;) {
    const std::string id = compact_time(utc_now()) + "-g" + gen;
    struct stat st {};
    if (::stat((dir_ + "/" + id + kSuffix).c_str(), &st) != 0) return id;
  }
}

void Backups::add(const std::string &file, const std::string &id) {
  if (io::link_file(file, dir_ + "/" + id + kSuffix)) return;
  copy(file, id);  // no hard links here
}

// Through a temp file, so a backup is never seen half-written.
void Backups::copy(const std::string &file, const std::string &id) {
  const std::string target = dir_ + "/" + id + kSuffix;
  std::string contents;
  if (!io::read_file(file, contents)) throw_os_error("back up", file, ENOENT);
  const std::string temp = dir_ + "/" + kTempPrefix + io::random_token();
  const int fd = io::create_exclusive(temp, 0644);
  try {
    io::write_all(fd, contents, temp);
    io::close_file(fd, temp);
    io::rename_file(temp, target);
  } catch (...) {
    io::remove_quietly(temp);
    throw;
  }
}

void Backups::remove(const std::string &id) noexcept { io::remove_quietly(dir_ + "/" + id + kSuffix); }

std::vector<BackupInfo> Backups::list() const {
  std::vector<BackupInfo> out;
  DIR *d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    throw_os_error("list backups", dir_, errno);
  }
  while (const dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    const size_t suffix = std::string(kSuffix).size();
    if (name.size() <= suffix || name.compare(name.size() - suffix, suffix, kSuffix) != 0) continue;
    BackupInfo info;
    if (!describe_id(name.substr(0, name.size() - suffix), info)) continue;
    struct stat st {};
    if (::stat((dir_ + "/" + name).c_str(), &st) == 0) info.size = st.st_size;
    out.push_back(std::move(info));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const BackupInfo &a, const BackupInfo &b) {
    return a.generation != b.generation ? a.generation > b.generation : a.id > b.id;
  });
  return out;
}

// Runs after every commit, so it only reads names: no stat, no allocation per name.
// The generation is zero-padded, so comparing its digits as text orders by number.
void Backups::rotate(int keep) noexcept {
  try {
    using Name = std::array<char, kIdSize>;
    std::vector<Name> names;
    DIR *d = ::opendir(dir_.c_str());
    if (d == nullptr) return;
    while (const dirent *e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name.size() != kIdSize + 5 || name.substr(kIdSize) != kSuffix || name[8] != 'T' ||
          name[22] != 'Z' || name.substr(23, 2) != "-g") {
        continue;
      }
      Name n;
      std::memcpy(n.data(), name.data(), kIdSize);
      names.push_back(n);
    }
    ::closedir(d);
    const size_t kept = static_cast<size_t>(std::max(keep, 0));
    if (names.size() <= kept) return;
    // Newest first: by generation, then by time.
    std::sort(names.begin(), names.end(), [](const Name &a, const Name &b) {
      const int by_generation = std::memcmp(a.data() + 25, b.data() + 25, kIdSize - 25);
      return by_generation != 0 ? by_generation > 0 : std::memcmp(a.data(), b.data(), 25) > 0;
    });
    for (size_t i = kept; i < names.size(); ++i) remove(std::string(names[i].data(), kIdSize));
  } catch (...) {
    // Rotation is housekeeping; the next commit tries again.
  }
}

std::string Backups::file_of(const std::string &id) const {
  BackupInfo info;
  if (!parse_id(id, info)) throw_error(Status::not_found, "restore", dir_, "no backup '" + id + "'");
  return dir_ + "/" + id + kSuffix;
}

void Backups::remove_stale_temps() noexcept {
  DIR *d = ::opendir(dir_.c_str());
  if (d == nullptr) return;
  while (const dirent *e = ::readdir(d)) {
    if (std::string(e->d_name).rfind(kTempPrefix, 0) == 0) io::remove_quietly(dir_ + "/" + e->d_name);
  }
  ::closedir(d);
}

}  // namespace filelock::state

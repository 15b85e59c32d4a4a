#include "state/backups.hpp"

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

namespace fs = platform::fs;

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
    fs::FileInfo st;
    if (fs::path_info(dir_ + "/" + id + kSuffix, st)) return id;
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
  const io::File out = io::create_exclusive(temp, 0644);
  try {
    io::write_all(out, contents, temp);
    io::close_file(out, temp);
    io::rename_file(temp, target);
  } catch (...) {
    io::remove_quietly(temp);
    throw;
  }
}

void Backups::remove(const std::string &id) noexcept { io::remove_quietly(dir_ + "/" + id + kSuffix); }

std::vector<BackupInfo> Backups::list() const {
  std::vector<BackupInfo> out;
  const fs::OsError e = fs::list_dir(dir_, [&](std::string_view entry) {
    const std::string name(entry);
    const size_t suffix = std::string(kSuffix).size();
    if (name.size() <= suffix || name.compare(name.size() - suffix, suffix, kSuffix) != 0) return;
    BackupInfo info;
    if (!describe_id(name.substr(0, name.size() - suffix), info)) return;
    fs::FileInfo st;
    if (!fs::path_info(dir_ + "/" + name, st)) info.size = static_cast<int64_t>(st.size);
    out.push_back(std::move(info));
  });
  if (e) {
    if (e.err == ENOENT) return out;
    fs::fail("list backups", dir_, e);
  }
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
    const fs::OsError e = fs::list_dir(dir_, [&](std::string_view name) {
      if (name.size() != kIdSize + 5 || name.substr(kIdSize) != kSuffix || name[8] != 'T' ||
          name[22] != 'Z' || name.substr(23, 2) != "-g") {
        return;
      }
      Name n;
      std::memcpy(n.data(), name.data(), kIdSize);
      names.push_back(n);
    });
    if (e) return;
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
  try {
    fs::list_dir(dir_, [&](std::string_view name) {
      if (name.substr(0, std::string_view(kTempPrefix).size()) == kTempPrefix) {
        io::remove_quietly(dir_ + "/" + std::string(name));
      }
    });
  } catch (...) {
    // Housekeeping (out of memory building a name); the next open tries again.
  }
}

}  // namespace filelock::state

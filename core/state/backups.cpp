#include "state/backups.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.hpp"
#include "io/file_io.hpp"
#include "platform/paths.hpp"
#include "state/audit_log.hpp"

namespace filelock::state {

namespace {


constexpr const char *kSuffix = ".json";
constexpr size_t kIdSize = Backups::kIdSize;
constexpr const char *kTempPrefix = ".tmp-";

// "2026-11-24T11:45:12.123456Z" -> "20261124T114512.123456Z"
std::string compact_time(const std::string &iso) {
  std::string out;
  for (const char c : iso) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

// Whether `id` is "<yyyymmddThhmmss.uuuuuuZ>-g<20 digits>" with a generation that fits
// in 64 bits: listing and rotation both ask this one question, so they agree on which
// names are backups and on their order.
bool well_formed_id(std::string_view id) {
  if (id.size() != kIdSize || id[8] != 'T' || id[22] != 'Z' || id.substr(23, 2) != "-g") {
    return false;
  }
  const std::string_view digits = id.substr(25);
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return digits <= std::string_view("18446744073709551615");  // UINT64_MAX, 20 digits
}

// Parses a backup id; false if the name is not one of ours.
bool parse_id(const std::string &id, BackupInfo &info) {
  if (!well_formed_id(id)) return false;
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

std::string Backups::path_of(const std::string &id) const {
  return platform::join_path(dir_, id + kSuffix);
}

bool Backups::describe(const std::string &id, BackupInfo &info) { return describe_id(id, info); }

// Unique in practice: two backups of one generation within one microsecond take the
// same name, which add() and copy() detect and retry.
std::string Backups::new_id(uint64_t generation) {
  char gen[24];
  std::snprintf(gen, sizeof gen, "%020llu", static_cast<unsigned long long>(generation));
  return compact_time(utc_now()) + "-g" + gen;
}

std::string Backups::add(const std::string &file, uint64_t generation) {
  for (;;) {
    const std::string id = new_id(generation);
    switch (io::link_file(file, path_of(id))) {
      case io::Link::made:
        return id;
      case io::Link::exists:
        continue;  // the clock moves on: the next name differs
      case io::Link::unsupported:
        return copy(file, generation, false);
    }
  }
}

// Through a temp file, so a backup is never seen half-written. The final rename would
// silently replace a backup of the same name, so the name is checked first (on-demand
// backups are rare; the commit path links instead).
std::string Backups::copy(const std::string &file, uint64_t generation, bool durable) {
  std::string contents;
  if (!io::read_file(file, contents)) throw_os_error("back up", file, ENOENT);
  return write(contents, generation, durable);
}

std::string Backups::write(std::string_view contents, uint64_t generation, bool durable) {
  std::string id = new_id(generation);
  for (platform::FileInfo st; !platform::path_info(path_of(id), st);) id = new_id(generation);
  const std::string temp = platform::join_path(dir_, kTempPrefix + io::random_token());
  const io::File out = io::create_exclusive(temp, 0644);
  try {
    io::write_all(out, contents, temp);
    if (durable) io::sync_file(out, temp);
    io::close_file(out, temp);
    io::rename_file(temp, path_of(id));
  } catch (...) {
    io::remove_quietly(temp);
    throw;
  }
  if (durable) io::sync_dir(dir_);
  return id;
}

void Backups::remove(const std::string &id) noexcept { io::remove_quietly(path_of(id)); }

std::vector<BackupInfo> Backups::list() const {
  std::vector<BackupInfo> out;
  const platform::OsError e = platform::list_dir(dir_, [&](std::string_view entry) {
    const std::string name(entry);
    const size_t suffix = std::string(kSuffix).size();
    if (name.size() <= suffix || name.compare(name.size() - suffix, suffix, kSuffix) != 0) return;
    BackupInfo info;
    if (!describe_id(name.substr(0, name.size() - suffix), info)) return;
    platform::FileInfo st;
    if (!platform::path_info(platform::join_path(dir_, name), st))
      info.size = static_cast<int64_t>(st.size);
    out.push_back(std::move(info));
  });
  if (e) {
    if (e.err == ENOENT) return out;
    io::fail("list backups", dir_, e);
  }
  std::sort(out.begin(), out.end(), [](const BackupInfo &a, const BackupInfo &b) {
    return a.generation != b.generation ? a.generation > b.generation : a.id > b.id;
  });
  return out;
}

namespace {

// Oldest first: by generation (zero-padded, so its digits compare as text), then time.
bool older(const Backups::Name &a, const Backups::Name &b) {
  constexpr size_t gen = 25;
  const int by_generation = std::memcmp(a.data() + gen, b.data() + gen, Backups::kIdSize - gen);
  return by_generation != 0 ? by_generation < 0 : std::memcmp(a.data(), b.data(), gen) < 0;
}

bool to_name(std::string_view id, Backups::Name &out) {
  if (!well_formed_id(id)) return false;
  std::memcpy(out.data(), id.data(), Backups::kIdSize);
  return true;
}

}  // namespace

// Reads names only: no stat, no allocation per name.
bool Backups::list_names() {
  names_known_ = false;
  names_.clear();
  const platform::OsError e = platform::list_dir(dir_, [&](std::string_view name) {
    Name n;
    const size_t suffix = std::string_view(kSuffix).size();
    if (name.size() == kIdSize + suffix && name.substr(kIdSize) == kSuffix &&
        to_name(name.substr(0, kIdSize), n)) {
      names_.push_back(n);
    }
  });
  if (e) return false;
  std::sort(names_.begin(), names_.end(), older);
  return true;
}

void Backups::rotate(int keep, uint64_t seen, uint64_t now, const std::string &added) noexcept {
  try {
    Name fresh;
    if (names_known_ && names_epoch_ == seen && to_name(added, fresh)) {
      names_.insert(std::upper_bound(names_.begin(), names_.end(), fresh, older), fresh);
    } else if (!list_names()) {
      return;
    }
    names_known_ = false;  // until the directory is known to match again
    const size_t kept = static_cast<size_t>(std::max(keep, 0));
    bool listed_again = false;
    while (names_.size() > kept) {
      const platform::OsError e = platform::remove(path_of(std::string(names_.front().data(), kIdSize)));
      if (e && e.err == ENOENT && !listed_again) {
        // Removed by hand or by a process that did not raise the epoch: look again.
        listed_again = true;
        if (!list_names()) return;
        continue;
      }
      if (e && e.err != ENOENT) return;  // the next rotation lists and tries again
      names_.erase(names_.begin());
    }
    names_epoch_ = now;
    names_known_ = true;
  } catch (...) {
    // Rotation is housekeeping; the next commit lists and tries again.
    names_known_ = false;
  }
}

std::string Backups::file_of(const std::string &id) const {
  BackupInfo info;
  if (!parse_id(id, info)) throw_error(Status::not_found, "restore", dir_, "no backup '" + id + "'");
  return path_of(id);
}

void Backups::remove_stale_temps() noexcept {
  try {
    platform::list_dir(dir_, [&](std::string_view name) {
      if (name.substr(0, std::string_view(kTempPrefix).size()) == kTempPrefix) {
        io::remove_quietly(platform::join_path(dir_, std::string(name)));
      }
    });
  } catch (...) {
    // Housekeeping (out of memory building a name); the next open tries again.
  }
}

}  // namespace filelock::state

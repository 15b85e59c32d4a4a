// Backups of a state file in meta_dir/backups/: "<time>-g<generation>.json", so names
// sort by time and say which generation they hold. Made by hard-linking the outgoing
// file (the commit never writes a file in place, so the linked inode never changes
// again): the cost does not depend on the document's size. Where links are not
// supported, a copy is written instead. An on-demand backup of the live file is always
// a copy: another program may still edit that file in place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace filelock::state {

struct BackupInfo {
  std::string id;
  uint64_t generation = 0;
  std::string created_at;  // ISO 8601 UTC
  int64_t size = 0;
};

class Backups {
 public:
  explicit Backups(std::string dir) : dir_(std::move(dir)) {}

  // A new id for a backup of `generation`, unique even within one microsecond.
  std::string new_id(uint64_t generation) const;
  // Links (or copies) `file` as backup `id`: only for a file nobody writes again (the
  // outgoing file of a commit, about to be replaced by rename). Throws Error.
  void add(const std::string &file, const std::string &id);
  // Copies `file` as backup `id`: for the live file, which another program may still
  // rewrite in place (a link would change with it). Throws Error.
  void copy(const std::string &file, const std::string &id);
  void remove(const std::string &id) noexcept;
  // Newest first (by generation, then time).
  std::vector<BackupInfo> list() const;
  // Removes the oldest beyond `keep`; best effort.
  void rotate(int keep) noexcept;
  // Throws Error(not_found) for an unknown or malformed id.
  std::string file_of(const std::string &id) const;
  // Leftover copy temp files from a crash; call under the exclusive lock.
  void remove_stale_temps() noexcept;
  const std::string &dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace filelock::state

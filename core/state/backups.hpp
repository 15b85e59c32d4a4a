// Backups of a state file in meta_dir/backups/: "<time>-g<generation>.json", so names
// sort by time and say which generation they hold. Made by hard-linking the outgoing
// file (the commit never writes a file in place, so the linked inode never changes
// again): the cost does not depend on the document's size. Where links are not
// supported, a copy is written instead. An on-demand backup of the live file is always
// a copy: another program may still edit that file in place.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
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

  // Links (or, where links are not supported, copies) `file` as a new backup of
  // `generation` and returns its id: only for a file nobody writes again (the outgoing
  // file of a commit, about to be replaced by rename). Throws Error.
  std::string add(const std::string &file, uint64_t generation);
  // Copies `file` as a new backup of `generation` and returns its id: for the live
  // file, which another program may still rewrite in place (a link would change with
  // it). `durable`: the copy and its name are fsynced before this returns. Throws Error.
  std::string copy(const std::string &file, uint64_t generation, bool durable);
  // The same with the document's text (a journal's current document, which no file holds).
  std::string write(std::string_view contents, uint64_t generation, bool durable);
  void remove(const std::string &id) noexcept;
  // Newest first (by generation, then time).
  std::vector<BackupInfo> list() const;
  // Removes the oldest beyond `keep` after this holder of the exclusive lock added
  // backup `added`; best effort. `seen` is the generation record's backups_epoch as
  // read under the lock before the change, `now` the value written for it. When
  // `seen` is the epoch this object wrote last, nobody else changed backups/ since and
  // the names kept from then (plus `added`) are the directory's: no listing needed.
  void rotate(int keep, uint64_t seen, uint64_t now, const std::string &added) noexcept;
  // Throws Error(not_found) for an unknown or malformed id.
  std::string file_of(const std::string &id) const;
  // Leftover copy temp files from a crash; call under the exclusive lock.
  void remove_stale_temps() noexcept;
  const std::string &dir() const { return dir_; }

  static constexpr size_t kIdSize = 23 + 2 + 20;  // "<yyyymmddThhmmss.uuuuuuZ>-g<20 digits>"
  using Name = std::array<char, kIdSize>;
  // A new id for a backup of `generation` (the time now); the fields of an id (false
  // if it is not one). Other stores (etcd) name their backups the same way.
  static std::string new_id(uint64_t generation);
  static bool describe(const std::string &id, BackupInfo &info);

 private:
  std::string path_of(const std::string &id) const;
  bool list_names();

  std::string dir_;
  // Backup ids oldest first, as of backups_epoch `names_epoch_`; valid only while
  // `names_known_`.
  std::vector<Name> names_;
  uint64_t names_epoch_ = 0;
  bool names_known_ = false;
};

}  // namespace filelock::state

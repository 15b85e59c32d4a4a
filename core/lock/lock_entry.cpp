#include "lock/lock_entry.hpp"

#include <atomic>

#include "common/error.hpp"
#include "lock/holder_record.hpp"
#include "platform/fs_ops.hpp"
#include "platform/process.hpp"

namespace filelock {

namespace {

std::string record_path(const std::string &lock_path, bool directory) {
  return directory ? lock_path + "/" + kLockDirRecordName : lock_path;
}

// Unique in this process and across processes; never ends in ".lock", so scans skip it.
std::string aside_name(const std::string &lock_path) {
  static std::atomic<uint64_t> counter{0};
  return lock_path + ".breaking-" + std::to_string(platform::self_identity().pid) + "-" +
         std::to_string(platform::current_thread_id()) + "-" + std::to_string(++counter);
}

}  // namespace

bool read_lock_entry(const std::string &lock_path, bool directory, platform::FileIdentity &id,
                     std::string &record_bytes) {
  if (!platform::identify_path(lock_path, id)) return false;
  record_bytes.clear();
  try {
    platform::read_small_file(record_path(lock_path, directory), kHolderRecordSize * 2,
                              record_bytes);
  } catch (const Error &) {
    record_bytes.clear();  // unreadable record: judged by age only
  }
  return true;
}

void remove_lock_entry(const std::string &lock_path, bool directory) {
  if (directory) {
    platform::remove_file(record_path(lock_path, true));
    platform::remove_dir(lock_path);
  } else {
    platform::remove_file(lock_path);
  }
}

bool break_lock_entry(const std::string &lock_path, bool directory,
                      const platform::FileIdentity &judged, const std::string &judged_bytes) {
  const std::string aside = aside_name(lock_path);
  if (!platform::rename_path(lock_path, aside)) return false;  // already gone
  platform::FileIdentity now;
  std::string bytes;
  if (read_lock_entry(aside, directory, now, bytes) && now == judged && bytes == judged_bytes) {
    remove_lock_entry(aside, directory);
    return true;
  }
  // We took a newer holder's lock: give it back, unless yet another one took the name.
  if (!platform::rename_no_replace(aside, lock_path)) remove_lock_entry(aside, directory);
  return false;
}

}  // namespace filelock

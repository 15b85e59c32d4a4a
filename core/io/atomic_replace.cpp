#include "io/atomic_replace.hpp"

#include "common/error.hpp"
#include "io/file_io.hpp"

namespace filelock::io {

namespace fs = platform::fs;

std::string temp_prefix(const std::string &target) { return "." + base_of(target) + ".tmp-"; }

void atomic_replace(const std::string &target, std::string_view content,
                    const ReplaceOptions &options, bool *renamed) {
  if (renamed != nullptr) *renamed = false;
  const std::string dir = dir_of(target);
  const std::string temp = dir + "/" + temp_prefix(target) + random_token();

  // The new file keeps the target's permissions; a first version gets 0666 & ~umask.
  fs::FileInfo st;
  const bool had_target = options.mode >= 0 || !fs::path_info(target, st);
  const unsigned mode = options.mode >= 0 ? static_cast<unsigned>(options.mode) : had_target ? st.mode : 0666;

  // 1. A fresh temp file in the same directory (rename is atomic only within one
  //    filesystem); O_EXCL so two writers can never share one.
  File file = create_exclusive(temp, mode);
  bool open = true;
  try {
    // 2. Every byte, then 3. fsync: the contents are on disk before any name points at them.
    write_all(file, content, temp);
    if (had_target) {
      if (const fs::OsError e = fs::set_mode(file, mode)) fs::fail("chmod", temp, e);
    }
    if (options.durable) sync_file(file, temp);
    // 4. close is checked: on some filesystems it reports a deferred write error.
    open = false;
    close_file(file, temp);
    // 5. Work that must happen before the switch (backup link, generation record).
    if (options.before_rename) options.before_rename();
    // 6. The switch: atomic, readers see either file whole.
    rename_file(temp, target);
    if (renamed != nullptr) *renamed = true;
  } catch (...) {
    if (open) fs::close(file);
    remove_quietly(temp);
    throw;
  }
  // 7. fsync the directory so the rename itself survives a power cut. A failure here
  //    is reported, not retried: the new contents are visible but not known durable.
  if (!options.durable) return;
  try {
    if (options.dir_handle != nullptr) sync_dir(*options.dir_handle, dir);
    else sync_dir(dir);
  } catch (const Error &e) {
    throw Error(e.status(), std::string(e.what()) +
                                "; the new contents of '" + target +
                                "' are in place but may not be durable",
                e.path(), e.os_error());
  }
}

void remove_stale_temps(const std::string &target) {
  const std::string dir = dir_of(target);
  const std::string prefix = temp_prefix(target);
  const fs::OsError e = fs::list_dir(dir, [&](std::string_view name) {
    if (name.substr(0, prefix.size()) == prefix) remove_quietly(dir + "/" + std::string(name));
  });
  if (e) fs::fail("open directory", dir, e);
}

}  // namespace filelock::io

#include "io/pending_file.hpp"

#include "common/error.hpp"

namespace filelock::io {


std::string temp_prefix(const std::string &target) { return "." + base_of(target) + ".tmp-"; }

PendingFile::PendingFile(const std::string &target, int mode)
    : target_(target), temp_(dir_of(target) + "/" + temp_prefix(target) + random_token()) {
  platform::FileInfo st;
  const bool had_target = mode >= 0 || !platform::path_info(target, st);
  const unsigned bits = mode >= 0 ? static_cast<unsigned>(mode) : had_target ? st.mode : 0666;
  // Same directory: rename is atomic only within one filesystem. O_EXCL: two writers
  // never share one temp file.
  file_ = create_exclusive(temp_, bits);
  if (!had_target) return;
  // create_exclusive's bits went through the umask: the target's are kept exactly.
  if (const platform::OsError e = platform::set_mode(file_, bits)) {
    platform::close(file_);
    remove_quietly(temp_);
    fail("chmod", temp_, e);
  }
}

PendingFile::~PendingFile() {
  if (file_ != platform::kInvalidFile) platform::close(file_);
  if (!replaced_) remove_quietly(temp_);
}

void PendingFile::write(std::string_view content) { write_all(file_, content, temp_); }

void PendingFile::sync() { sync_file(file_, temp_); }

void PendingFile::close() {
  const File file = file_;
  file_ = platform::kInvalidFile;  // closed whatever close reports
  close_file(file, temp_);
}

void PendingFile::replace() {
  rename_file(temp_, target_);
  replaced_ = true;
}

void PendingFile::sync_dir(const File *dir) {
  const std::string dir_name = dir_of(target_);
  try {
    if (dir != nullptr) io::sync_dir(*dir, dir_name);
    else io::sync_dir(dir_name);
  } catch (const Error &e) {
    throw Error(e.status(), std::string(e.what()) + "; the new contents of '" + target_ +
                                "' are in place but may not be durable",
                e.path(), e.os_error());
  }
}

void remove_stale_temps(const std::string &target) {
  const std::string dir = dir_of(target);
  const std::string prefix = temp_prefix(target);
  const platform::OsError e = platform::list_dir(dir, [&](std::string_view name) {
    if (name.substr(0, prefix.size()) == prefix) remove_quietly(dir + "/" + std::string(name));
  });
  if (e) fail("open directory", dir, e);
}

}  // namespace filelock::io

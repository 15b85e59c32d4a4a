#include "platform/owner.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "platform/posix/syscall.hpp"

namespace filelock::platform {

OsError ownership(const std::string &path, bool follow, Ownership &out) {
  struct stat st {};
  const int rc = injected(Syscall::stat)
                     ? -1
                     : (follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st));
  if (rc != 0) return OsError{errno, 0, nullptr};
  out.known = true;
  out.uid = static_cast<uint64_t>(st.st_uid);
  out.symlink = S_ISLNK(st.st_mode);
  out.directory = S_ISDIR(st.st_mode);
  out.others_write = (st.st_mode & S_IWOTH) != 0;
  return OsError{};
}

uint64_t current_uid() noexcept { return static_cast<uint64_t>(::geteuid()); }

std::string user_name(uint64_t uid) {
  struct passwd pw {};
  struct passwd *found = nullptr;
  char buf[4096];
  const std::string id = "uid " + std::to_string(uid);
  if (::getpwuid_r(static_cast<uid_t>(uid), &pw, buf, sizeof buf, &found) == 0 && found != nullptr) {
    return std::string(found->pw_name) + " (" + id + ")";
  }
  return id;
}

}  // namespace filelock::platform

#include "pid_namespace_posix.hpp"

#include <sys/wait.h>
#include <unistd.h>

namespace locktest {

int NamespacedHelper::wait() {
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  if (out != nullptr) fclose(out);
  pid = -1;
  out = nullptr;
  return status;
}

NamespacedHelper spawn_in_pid_namespace(const std::string &role,
                                        const std::vector<std::string> &args) {
  NamespacedHelper h;
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  int out[2];
  if (n <= 0 || pipe(out) != 0) return h;
  exe[n] = '\0';
  std::vector<const char *> argv = {"unshare", "--pid", "--mount-proc", "--kill-child", exe,
                                    "--helper", role.c_str()};
  for (const std::string &a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  h.pid = fork();
  if (h.pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execvp("unshare", const_cast<char *const *>(argv.data()));
    _exit(127);
  }
  close(out[1]);
  h.out = fdopen(out[0], "r");
  char line[256] = {};
  if (h.out != nullptr && fgets(line, sizeof line, h.out) != nullptr) h.first_line = line;
  return h;
}

std::string no_namespace_reason(int status) {
  return "unshare --pid --mount-proc failed here (it needs root or user namespaces); exit "
         "status " + std::to_string(status);
}

}  // namespace locktest

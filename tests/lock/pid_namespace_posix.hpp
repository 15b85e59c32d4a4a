// A helper process of this test binary in a PID namespace of its own on this machine
// (`unshare --pid --mount-proc --kill-child`: a container that shares the host's files),
// for the tests of holders whose pids mean another process here.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace locktest {

struct NamespacedHelper {
  pid_t pid = -1;      // unshare's: killing it ends the helper too
  FILE *out = nullptr;
  std::string first_line;  // "" if unshare could not make the namespace
  // Waits for unshare to end and closes `out`: the status as waitpid() gives it.
  int wait();
};

// Runs helper ROLE ARGS there and reads its first line of output.
NamespacedHelper spawn_in_pid_namespace(const std::string &role,
                                        const std::vector<std::string> &args);

// Why a test is skipped when first_line is "" (with the status wait() gave).
std::string no_namespace_reason(int status);

}  // namespace locktest

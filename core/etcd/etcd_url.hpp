// etcd:// names: "etcd://host:port[,host:port...]/prefix/name[?ttl=5s&...]".
// Portable (no client code), so every platform can tell such a path apart and refuse it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lock/lock.hpp"

namespace filelock::etcd {

struct Target {
  std::string url;                     // as given: every message names it
  std::vector<std::string> endpoints;  // "http://host:port", in the order given
  std::string name;                    // "prefix/name": the keys are "<name>/<lease hex>"
  int64_t ttl_s = 5;                   // lease TTL: how long a dead holder keeps the lock
  int64_t dial_timeout_ms = 2000;      // one TCP connect
  int64_t request_timeout_ms = 5000;   // one request, failovers included
  // TLS (https to every endpoint) when any is set: the members' certificates checked
  // against ca_file (else the system's CAs); cert_file and key_file, together, this
  // client's certificate for members that require one.
  std::string ca_file, cert_file, key_file;
  // Password authentication: the user, and a file holding the password (read at each
  // authentication; never in the URL, which every message names).
  std::string user, password_file;
};

bool is_etcd_url(const std::string &path) noexcept;

// What takes only file paths so far (state files, appends): refuses an etcd:// name
// with Error(unsupported) naming `op`, instead of treating it as a relative file path.
const std::string &file_path_only(const std::string &path, const char *op);

// Throws Error(invalid) naming `op`, the URL and what is wrong. `given`: the settings
// given as options (fl_lock_options' etcd_* fields); each applies as if it were in the
// name, and one also in the name with another value is refused naming both.
Target parse_target(const std::string &url, const char *op, const LockOptions::Etcd &given = {});

// The fl_lock_options field of the first setting in `given` that is set ("etcd_ttl_ms",
// ...), or nullptr: a file path refuses them.
const char *first_setting(const LockOptions::Etcd &given) noexcept;

}  // namespace filelock::etcd

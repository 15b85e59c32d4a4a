// Shared by the state suites: small file helpers and a State opened with defaults.
#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "state/state.hpp"

namespace statetest {

// The whole file into `out`; false (and `out` empty) if it could not be opened.
inline bool read_if_open(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  if (in.is_open()) ss << in.rdbuf();
  out = ss.str();
  return in.is_open();
}

inline std::string slurp(const std::string &path) {
  std::string text;
  read_if_open(path, text);
  return text;
}

inline void spit(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::vector<std::string> entries(const std::string &dir) {
  std::vector<std::string> out;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (const dirent *e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    ::closedir(d);
  }
  return out;
}

// Names in dir that look like temp files of a commit or a backup copy.
inline std::vector<std::string> temp_files(const std::string &dir) {
  std::vector<std::string> out;
  for (const auto &name : entries(dir)) {
    if (name.rfind(".state.json.tmp-", 0) == 0) out.push_back(name);
  }
  for (const auto &name : entries(dir + "/.state.json.filelock/backups")) {
    if (name.rfind(".tmp-", 0) == 0) out.push_back(name);
  }
  return out;
}

// The status an Error carries, or ok.
template <typename Fn>
filelock::Status status_of(Fn &&fn, std::string *message = nullptr) {
  try {
    fn();
  } catch (const filelock::Error &e) {
    if (message != nullptr) *message = e.what();
    return e.status();
  }
  return filelock::Status::ok;
}

}  // namespace statetest

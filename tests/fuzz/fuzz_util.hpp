// Shared by the fuzz targets: an invariant check that stops the run (libFuzzer then
// saves the input as a crash), and small helpers for building inputs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "json/json.hpp"

#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace fuzz {

// True when s is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t code = n == 1 ? c : c & (0xff >> (n + 1));
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      code = code << 6 | (b & 0x3f);
    }
    const uint32_t min = n == 1 ? 0 : n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += n;
  }
  return true;
}


// parse() or null for text the parser refuses (any refusal must be Status::invalid)
// or that holds a known finding.
inline filelock::json::Doc try_parse(std::string_view text) {
  try {
    return filelock::json::parse(text);
  } catch (const filelock::json::JsonError &e) {
    FUZZ_CHECK(e.status() == filelock::Status::invalid);
    return nullptr;
  }
}

// Compact text of a node; "" for null.
inline std::string text_of(const cJSON *node) {
  return node == nullptr ? std::string() : filelock::json::print(node, false);
}

}  // namespace fuzz

#include <ftw.h>
#include <unistd.h>

#include <fstream>

namespace fuzz {

// A private directory for the whole run: in FILELOCK_FUZZ_DIR when set (scripts/fuzz.sh
// makes one and removes it afterwards: libFuzzer ends a run without the atexit handlers
// below), else in /dev/shm where there is one (file-backed targets run thousands of
// times a second), else in TMPDIR; removed at exit where exit handlers run.
inline const std::string &scratch_dir() {
  static const std::string dir = [] {
    const char *base = std::getenv("FILELOCK_FUZZ_DIR");
    if (base == nullptr) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/filelock-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    std::atexit([] {
      nftw(scratch_dir().c_str(), [](const char *p, const struct stat *, int, struct FTW *) { return ::remove(p); },
           16, FTW_DEPTH | FTW_PHYS);
    });
    return tmpl;
  }();
  return dir;
}

// Empties `dir` (keeping it), so each input starts from nothing.
inline void clear_dir(const std::string &dir) {
  nftw(dir.c_str(), [](const char *p, const struct stat *, int, struct FTW *f) {
    return f->level == 0 ? 0 : ::remove(p);
  }, 16, FTW_DEPTH | FTW_PHYS);
}

inline void write_bytes(const std::string &path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(out.good());
}

}  // namespace fuzz

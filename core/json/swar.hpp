// Eight bytes at a time (SWAR) for the parser's and printer's string scans: a word is
// tested for bytes that need work, and only flagged words are looked at byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(_MSC_VER)
#include <intrin.h>
#endif

namespace filelock::json::swar {

inline uint64_t load8(const void *p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

inline constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;

// High bit set in each byte that is zero (and possibly in bytes above one that is).
inline uint64_t zero_bytes(uint64_t v) { return (v - kOnes) & ~v; }

// Flags each byte that is '"', '\\' or a control character (NUL included), the bytes a
// JSON string cannot hold as they are. Bytes of 0x80 and above are not flagged.
inline uint64_t quote_backslash_control(uint64_t x) {
  return (((x - 0x20 * kOnes) & ~x) | zero_bytes(x ^ ('"' * kOnes)) | zero_bytes(x ^ ('\\' * kOnes))) & kHighs;
}

// How many bytes of a flagged word come before its first flagged byte. Only bytes
// above a flagged byte can be flagged falsely (a borrow runs upwards), so the lowest
// flag is exact; on a big-endian machine, 0 (the caller then scans byte by byte).
inline size_t first_flagged(uint64_t flags) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return static_cast<size_t>(__builtin_ctzll(flags)) / 8;
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_ARM64))
  unsigned long at;
  _BitScanForward64(&at, flags);
  return at / 8;
#else
  (void)flags;
  return 0;
#endif
}

}  // namespace filelock::json::swar

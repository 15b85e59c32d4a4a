// Checksums for detecting damage and external changes; not for security.
#pragma once

#include <cstdint>
#include <string_view>

namespace filelock::io {

// CRC-32 (IEEE 802.3, as zlib's crc32), for audit-log lines.
uint32_t crc32(std::string_view data);

// A fast 64-bit hash of a whole document (8 bytes per step), to tell whether the file
// on disk is the one a generation record describes.
uint64_t hash64(std::string_view data);

}  // namespace filelock::io

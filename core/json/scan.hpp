// The strict pre-scan run before cJSON parses a text: checks what cJSON accepts but
// JSON forbids (invalid UTF-8, raw control characters, leading zeros, NaN, Infinity)
// and nesting depth, and records where each number's text is.
#pragma once

#include <string_view>
#include <vector>

namespace filelock::json {

struct NumberText {
  size_t offset;
  size_t length;
};

// Throws JsonError(invalid) naming the byte offset. Numbers come in document order.
void scan(std::string_view text, std::vector<NumberText> &numbers);

// Offset of the first invalid UTF-8 sequence, or npos.
size_t invalid_utf8_at(std::string_view text);

}  // namespace filelock::json

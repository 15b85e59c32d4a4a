#include "json/scan.hpp"

#include <string>

#include "json/json.hpp"

namespace filelock::json {

namespace {

[[noreturn]] void fail(size_t at, const std::string &what) {
  throw JsonError(Status::invalid, what + " at byte " + std::to_string(at));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259 number grammar; returns the end of the number starting at i.
size_t scan_number(std::string_view s, size_t i) {
  const size_t start = i;
  if (s[i] == '-') ++i;
  if (i >= s.size() || !is_digit(s[i])) fail(start, "invalid number");
  if (s[i] == '0') {
    ++i;
    if (i < s.size() && is_digit(s[i])) fail(start, "number with a leading zero");
  } else {
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !is_digit(s[i])) fail(start, "invalid number");
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !is_digit(s[i])) fail(start, "invalid number");
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' ||
                       s[i] == '-' || is_digit(s[i]))) {
    fail(start, "invalid number");
  }
  return i;
}

}  // namespace

size_t invalid_utf8_at(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) { ++i; continue; }
    size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return i;
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

void scan(std::string_view s, std::vector<NumberText> &numbers) {
  if (const size_t bad = invalid_utf8_at(s); bad != std::string_view::npos) {
    fail(bad, "invalid UTF-8");
  }
  int depth = 0;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (static_cast<unsigned char>(s[i]) < 0x20) fail(i, "unescaped control character in string");
        if (s[i] == '\\') ++i;  // cJSON checks the escape itself
      }
      ++i;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) {
        fail(i, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      }
      ++i;
    } else if (c == '}' || c == ']') {
      --depth;
      ++i;
    } else if (c == '-' || is_digit(c)) {
      const size_t end = scan_number(s, i);
      numbers.push_back({i, end - i});
      i = end;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      size_t end = i;
      while (end < s.size() && ((s[end] >= 'a' && s[end] <= 'z') || (s[end] >= 'A' && s[end] <= 'Z'))) ++end;
      const std::string_view word = s.substr(i, end - i);
      if (word != "true" && word != "false" && word != "null") {
        fail(i, "'" + std::string(word) + "' is not a JSON value (NaN and Infinity are not allowed)");
      }
      i = end;
    } else {
      ++i;  // punctuation and whitespace: cJSON checks the structure
    }
  }
}

}  // namespace filelock::json

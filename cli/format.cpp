// Ages, times and tables for the readable (non --json) output.
#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace filelock::cli {

std::string format_age(int64_t ms) {
  if (ms < 0) return "-";
  if (ms < 1000) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  struct Unit {
    int64_t seconds;
    const char *name;
  };
  static const Unit units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  int parts = 0;
  for (const Unit &u : units) {
    if (s >= u.seconds || (parts == 1)) {
      int64_t n = s / u.seconds;
      s %= u.seconds;
      if (n > 0) out += std::to_string(n) + u.name;
      if (++parts == 2) break;
    }
  }
  return out;
}

std::string format_time(const cJSON *value) {
  if (cJSON_IsString(value)) return value->valuestring;
  if (!cJSON_IsNumber(value)) return "-";
  double t = value->valuedouble;
  if (t > 1e11) t /= 1000;  // milliseconds since the epoch
  std::time_t secs = static_cast<std::time_t>(std::floor(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// Length of the valid UTF-8 sequence at text[i] (overlongs, surrogates and code
// points past U+10FFFF are not valid), or 0.
size_t utf8_length(const std::string &text, size_t i, uint32_t &code) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = b(0);
  size_t n;
  uint32_t min;
  if (c >= 0xc2 && c <= 0xdf) n = 2, code = c & 0x1f, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) n = 3, code = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, code = c & 0x07, min = 0x10000;
  else return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    code = code << 6 | (b(k) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return n;
}

}  // namespace

std::string printable(const std::string &text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto escape = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      escape(c);
      ++i;
    } else if (c < 0x80) {
      out += text[i++];
    } else {
      uint32_t code = 0;
      const size_t n = utf8_length(text, i, code);
      if (n == 0 || code <= 0x9f) {
        // Not UTF-8 (a terminal may take a lone 0x9b as CSI) or a C1 control.
        for (size_t k = 0; k < (n == 0 ? 1 : n); ++k) escape(static_cast<unsigned char>(text[i + k]));
        i += n == 0 ? 1 : n;
      } else {
        out.append(text, i, n);
        i += n;
      }
    }
  }
  return out;
}

void Table::print(std::ostream &out) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const auto &r : rows_)
      if (c < r.size()) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string> &cells) {
    std::string s;
    for (size_t c = 0; c < headers_.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      s += cell;
      if (c + 1 < headers_.size()) s.append(width[c] - cell.size() + 2, ' ');
    }
    out << s << '\n';
  };
  line(headers_);
  for (const auto &r : rows_) line(r);
}

}  // namespace filelock::cli

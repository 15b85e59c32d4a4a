// Human-readable output: ages, times and aligned tables.
#pragma once

#include <cjson/cJSON.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace filelock::cli {

// 3500 -> "3s", 5400000 -> "1h30m": the two largest units.
std::string format_age(int64_t ms);
// A timestamp field as ISO-8601 UTC: numbers are taken as Unix time (seconds or
// milliseconds, by size); strings print as they are.
std::string format_time(const cJSON *value);

// `text` safe to print on a terminal: control characters (C0, DEL, C1), bytes that
// are not UTF-8 and backslashes become \xNN / \\, so a label or path cannot move
// the cursor, retitle the window or hide itself, and what is shown is unambiguous.
std::string printable(const std::string &text);

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream &out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace filelock::cli

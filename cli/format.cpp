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

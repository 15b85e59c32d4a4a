// GNU-style option parsing and human durations for every subcommand.
#include "args.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "cli.hpp"

namespace filelock::cli {

std::string ParsedArgs::get(const std::string &name, const std::string &fallback) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

namespace {

const OptionSpec *find_long(const std::vector<OptionSpec> &specs, const std::string &name) {
  for (const auto &s : specs)
    if (name == s.long_name) return &s;
  return nullptr;
}

const OptionSpec *find_short(const std::vector<OptionSpec> &specs, char c) {
  for (const auto &s : specs)
    if (s.short_name != 0 && s.short_name == c) return &s;
  return nullptr;
}

}  // namespace

ParsedArgs parse_args(const std::vector<std::string> &args, const std::vector<OptionSpec> &specs,
                      int stop_after) {
  ParsedArgs out;
  size_t i = 0;
  auto take_rest = [&](size_t from) {
    if (from < args.size() && args[from] == "--") ++from;
    out.rest.assign(args.begin() + static_cast<long>(from), args.end());
  };
  for (; i < args.size(); ++i) {
    if (stop_after >= 0 && static_cast<int>(out.positional.size()) == stop_after) {
      take_rest(i);
      return out;
    }
    const std::string &a = args[i];
    if (a == "--") {
      // Everything after "--" is positional; with stop_after the command starts here.
      for (++i; i < args.size(); ++i) {
        if (stop_after >= 0 && static_cast<int>(out.positional.size()) == stop_after) {
          out.rest.assign(args.begin() + static_cast<long>(i), args.end());
          return out;
        }
        out.positional.push_back(args[i]);
      }
      return out;
    }
    if (a == "-h" || a == "--help") {
      out.help = true;
      continue;
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        inline_value = true;
      }
      const OptionSpec *s = find_long(specs, name);
      if (s == nullptr) throw UsageError("unknown option '--" + name + "'");
      if (s->value == OptionSpec::none) {
        if (inline_value) throw UsageError("option '--" + name + "' takes no value");
        out.values[name];
      } else if (inline_value) {
        out.values[name].push_back(value);
      } else if (s->value == OptionSpec::required) {
        if (i + 1 >= args.size()) throw UsageError("option '--" + name + "' needs a value");
        out.values[name].push_back(args[++i]);
      } else if (i + 1 < args.size() && s->accepts != nullptr && s->accepts(args[i + 1])) {
        out.values[name].push_back(args[++i]);
      } else {
        out.values[name];
      }
      continue;
    }
    if (a.size() > 1 && a[0] == '-' && !(a[1] >= '0' && a[1] <= '9')) {
      // One or more short flags; the last may take a value ("-w5" or "-w 5").
      for (size_t k = 1; k < a.size(); ++k) {
        const OptionSpec *s = find_short(specs, a[k]);
        if (s == nullptr) {
          if (a[k] == 'h') {
            out.help = true;
            continue;
          }
          throw UsageError(std::string("unknown option '-") + a[k] + "'");
        }
        if (s->value == OptionSpec::none) {
          out.values[s->long_name];
          continue;
        }
        if (k + 1 < a.size()) {
          out.values[s->long_name].push_back(a.substr(k + 1));
        } else if (s->value == OptionSpec::required) {
          if (i + 1 >= args.size())
            throw UsageError(std::string("option '-") + a[k] + "' needs a value");
          out.values[s->long_name].push_back(args[++i]);
        } else if (i + 1 < args.size() && s->accepts != nullptr && s->accepts(args[i + 1])) {
          out.values[s->long_name].push_back(args[++i]);
        } else {
          out.values[s->long_name];
        }
        break;
      }
      continue;
    }
    out.positional.push_back(a);
  }
  if (stop_after >= 0 && static_cast<int>(out.positional.size()) == stop_after) take_rest(i);
  return out;
}

bool parse_duration_ms(const std::string &text, int64_t *ms) {
  // Digits with an optional fraction, then a unit: no signs, exponents or hex.
  size_t n = text.find_first_not_of("0123456789.");
  if (text.empty() || n == 0 || text.compare(0, n, ".") == 0) return false;
  if (text.find('.') != text.rfind('.')) return false;
  const std::string digits = text.substr(0, n);
  const double number = std::strtod(digits.c_str(), nullptr);
  const std::string unit = n == std::string::npos ? "" : text.substr(n);
  double scale;
  if (unit.empty() || unit == "s" || unit == "sec")
    scale = 1000;
  else if (unit == "ms")
    scale = 1;
  else if (unit == "m" || unit == "min")
    scale = 60.0 * 1000;
  else if (unit == "h")
    scale = 3600.0 * 1000;
  else if (unit == "d")
    scale = 86400.0 * 1000;
  else
    return false;
  double value = number * scale;
  if (!std::isfinite(value) || value < 0 || value > 9.0e15) return false;
  *ms = static_cast<int64_t>(std::llround(value));
  return true;
}

bool is_duration(const std::string &text) {
  int64_t ignored;
  return parse_duration_ms(text, &ignored);
}

int64_t duration_option(const std::string &option, const std::string &text) {
  int64_t ms;
  if (!parse_duration_ms(text, &ms))
    throw UsageError(option + ": '" + text +
                     "' is not a duration (use e.g. 500ms, 30s, 15m, 2h, 1d; a plain number "
                     "is seconds)");
  return ms;
}

long long int_option(const std::string &option, const std::string &text, long long min,
                     long long max) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min || v > max)
    throw UsageError(option + ": '" + text + "' is not a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max));
  return v;
}

}  // namespace filelock::cli

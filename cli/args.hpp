// Command-line parsing shared by the subcommands: GNU-style options and durations.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace filelock::cli {

struct OptionSpec {
  char short_name;        // 0: long form only
  const char *long_name;  // key in ParsedArgs::values
  enum Value { none, required, optional } value;
  // optional values: a separate next argument is taken only if this accepts it;
  // "--name=VALUE" always is.
  bool (*accepts)(const std::string &) = nullptr;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>> values;  // "" for flags and absent optionals
  std::vector<std::string> positional;
  std::vector<std::string> rest;  // arguments after the point where parsing stopped
  bool help = false;

  bool has(const std::string &name) const { return values.count(name) != 0; }
  // The last value given for `name`, or `fallback` if the option is absent.
  std::string get(const std::string &name, const std::string &fallback = "") const;
};

// Parses `args` (after the subcommand name). "--" ends the options. With
// stop_after >= 0, parsing stops after that many positionals and everything after
// them (minus one leading "--") lands in `rest` untouched: `run PATH -- cmd -x`.
// Throws UsageError naming the bad option.
ParsedArgs parse_args(const std::vector<std::string> &args, const std::vector<OptionSpec> &specs,
                      int stop_after = -1);

// "500ms", "30s", "15m", "2h", "1d", "1.5" (seconds) -> milliseconds.
bool parse_duration_ms(const std::string &text, int64_t *ms);
bool is_duration(const std::string &text);
// Parses a duration or throws UsageError "OPTION: 'TEXT' is not a duration (...)".
int64_t duration_option(const std::string &option, const std::string &text);
// Parses an integer within [min, max] or throws UsageError naming the option.
long long int_option(const std::string &option, const std::string &text, long long min,
                     long long max);

}  // namespace filelock::cli

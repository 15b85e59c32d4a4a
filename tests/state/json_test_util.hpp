// Shared by the JSON suites.
#pragma once

#include <string>

#include "json/json.hpp"

namespace filelock::json::test {

// The parser's message for `text`, or "" when it parses.
inline std::string parse_error(const std::string &text) {
  try {
    parse(text);
  } catch (const JsonError &e) {
    return e.what();
  }
  return "";
}

}  // namespace filelock::json::test

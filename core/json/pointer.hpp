// JSON Pointer (RFC 6901) on cJSON trees: "" is the whole document, "~1" is "/",
// "~0" is "~", and "-" names the position after an array's last element.
#pragma once

#include <string>
#include <vector>

#include "json/json.hpp"

namespace filelock::json {

// The unescaped reference tokens. Throws JsonError(invalid) for a malformed pointer,
// including one that is not valid UTF-8. An array index with a leading zero ("01") is
// invalid wherever it meets an array.
std::vector<std::string> parse_pointer(const std::string &pointer);

// The node the pointer names; throws JsonError(not_found) when there is none.
const cJSON *get(const cJSON *root, const std::string &pointer);

// Puts value at pointer, creating missing parents as objects; "-" (or the array's
// size) appends. Setting "" replaces the whole document. Refused (invalid), with
// nothing changed, when the value would sit deeper than kMaxDepth levels (pointer
// tokens plus the value's own nesting).
void set(Doc &root, const std::string &pointer, Doc value);

// Removes the node; throws JsonError(not_found) when there is none, (invalid) for "".
void remove(Doc &root, const std::string &pointer);

}  // namespace filelock::json

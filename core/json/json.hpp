// JSON documents for the state engine: cJSON trees with strict input checks that cJSON
// alone does not make, so that data is never silently changed on its way through.
#pragma once

#include <cjson/cJSON.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.hpp"

namespace filelock::json {

// Documents nested deeper than this are refused (FL_JSON_MAX_DEPTH in filelock.h).
inline constexpr int kMaxDepth = 256;

// A JSON-level failure (bad input, schema rule, missing pointer). The caller adds the
// operation and the file when it turns this into an Error.
class JsonError : public std::runtime_error {
 public:
  JsonError(Status status, const std::string &reason)
      : std::runtime_error(reason), status_(status) {}
  Status status() const noexcept { return status_; }

 private:
  Status status_;
};

// Frees a tree and its siblings as cJSON_Delete does, including the nodes parse()
// carves from blocks (node_blocks.hpp), which cJSON_Delete cannot free.
void free_tree(cJSON *node) noexcept;

struct Deleter {
  void operator()(cJSON *p) const noexcept { free_tree(p); }
};
using Doc = std::unique_ptr<cJSON, Deleter>;

// Parses strict RFC 8259 JSON: valid UTF-8, no control characters in strings, no
// duplicate keys, no NaN/Infinity, nesting at most kMaxDepth. Every number is kept as
// its original text (a cJSON raw node), so values a double cannot carry (integers
// beyond 2^53, 30 digits, 1e400) are written back exactly as they came. A leading
// UTF-8 byte order mark is skipped; \u0000 is refused (strings are NUL-terminated).
// One pass, linear in the text. Throws JsonError(invalid) naming the byte offset or
// the pointer.
Doc parse(std::string_view text);

// Compact (one line) or indented text, exactly as cJSON_Print(Unformatted) would;
// numbers print as their original text. A tree nested deeper than kMaxDepth, which
// parse() would refuse, throws JsonError(invalid).
std::string print(const cJSON *node, bool pretty);
// The same, appended to `out` (a caller that knows the size can reserve it first).
void print(const cJSON *node, bool pretty, std::string &out);

Doc duplicate(const cJSON *node);

// Puts `fresh` in the place of `old`, a child of `parent` (with old's key in an
// object), and frees old: cJSON_Replace* would free it with cJSON_Delete.
void replace(cJSON *parent, cJSON *old, Doc fresh);

// Numbers: cJSON numbers and the raw nodes parse() makes for exact-text numbers.
bool is_number(const cJSON *node);
bool is_integer(const cJSON *node);
double number_value(const cJSON *node);

// Exact order of two numbers by their decimal values (-1, 0, 1), even where a double
// would round them together (2^53 and 2^53 + 1).
int compare_numbers(const cJSON *a, const cJSON *b);

// Nesting depth (a scalar is 0, "[]" is 1).
int depth(const cJSON *node);

// Deep equality; numbers compare by value.
bool equal(const cJSON *a, const cJSON *b);

// Member lookup by key for an object: a linear search for small objects, a hash index
// for large ones, so that matching every member of one object against another is
// linear rather than quadratic (cJSON keeps members in a linked list).
class KeyIndex {
 public:
  explicit KeyIndex(const cJSON *object);
  const cJSON *find(const char *key) const;

 private:
  static constexpr size_t kLinearKeys = 16;
  const cJSON *object_;
  std::unordered_map<std::string_view, const cJSON *> index_;
};

// "/a/b~1c" for use in messages.
std::string escape_token(const std::string &token);

}  // namespace filelock::json

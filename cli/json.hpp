// Reading the library's JSON reports (cJSON) and printing JSON documents.
#pragma once

#include <cjson/cJSON.h>

#include <cstdint>
#include <memory>
#include <string>

namespace filelock::cli {

// A string the library handed out; freed with fl_free.
class LibString {
 public:
  LibString() = default;
  ~LibString();
  LibString(const LibString &) = delete;
  LibString &operator=(const LibString &) = delete;
  char **out() { return &p_; }
  std::string str() const { return p_ != nullptr ? p_ : ""; }

 private:
  char *p_ = nullptr;
};

struct JsonDeleter {
  void operator()(cJSON *j) const { cJSON_Delete(j); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

// Parses a report from the library; throws Failure if it is not JSON.
Json parse_report(const std::string &text);
// True if `text` is one complete JSON value.
bool is_json(const std::string &text);

const cJSON *field(const cJSON *obj, const char *name);      // NULL if missing or obj is NULL
std::string text_field(const cJSON *obj, const char *name);  // "" unless a string
bool bool_field(const cJSON *obj, const char *name);         // false unless true
bool number_field(const cJSON *obj, const char *name, int64_t *out);
// A value as a person reads it: strings unquoted, whole numbers without ".0",
// containers as compact JSON, null or missing as "-".
std::string display(const cJSON *value);

// `s` as a JSON string literal, quotes and escapes included.
std::string quote_json(const std::string &s);

// JSON text on one line: whitespace outside strings removed, values untouched.
std::string compact(const std::string &json);

// Re-indents JSON text (two spaces) without re-encoding any value, so numbers and
// strings print exactly as the library stored them.
std::string pretty(const std::string &json);

}  // namespace filelock::cli

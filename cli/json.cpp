// JSON helpers: report fields for tables, and a text-level pretty printer.
#include "json.hpp"

#include <cmath>
#include <cstdio>

#include "cli.hpp"
#include "filelock.h"

namespace filelock::cli {

LibString::~LibString() { fl_free(p_); }

Json parse_report(const std::string &text) {
  Json j(cJSON_ParseWithOpts(text.c_str(), nullptr, 1));
  if (!j) throw Failure(kExitError, "the library returned a report that is not JSON: " + text);
  return j;
}

bool is_json(const std::string &text) {
  return Json(cJSON_ParseWithOpts(text.c_str(), nullptr, 1)) != nullptr;
}

const cJSON *field(const cJSON *obj, const char *name) {
  return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : nullptr;
}

std::string text_field(const cJSON *obj, const char *name) {
  const cJSON *v = field(obj, name);
  return cJSON_IsString(v) ? v->valuestring : "";
}

bool bool_field(const cJSON *obj, const char *name) { return cJSON_IsTrue(field(obj, name)); }

bool number_field(const cJSON *obj, const char *name, int64_t *out) {
  const cJSON *v = field(obj, name);
  if (!cJSON_IsNumber(v)) return false;
  *out = static_cast<int64_t>(std::llround(v->valuedouble));
  return true;
}

std::string display(const cJSON *v) {
  if (v == nullptr || cJSON_IsNull(v)) return "-";
  if (cJSON_IsString(v)) return v->valuestring;
  if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? "yes" : "no";
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    char buf[64];
    if (std::floor(d) == d && std::fabs(d) < 9.0e15)
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
    else
      std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }
  char *s = cJSON_PrintUnformatted(v);
  std::string out = s != nullptr ? s : "";
  cJSON_free(s);
  return out;
}

std::string quote_json(const std::string &s) {
  Json j(cJSON_CreateString(s.c_str()));
  char *text = cJSON_PrintUnformatted(j.get());
  std::string out = text != nullptr ? text : "\"\"";
  cJSON_free(text);
  return out;
}

std::string compact(const std::string &json) {
  std::string out;
  bool in_string = false, escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      continue;
    } else if (c == '"') {
      in_string = true;
    }
    out += c;
  }
  return out;
}

std::string pretty(const std::string &json) {
  std::string out;
  int depth = 0;
  bool in_string = false, escaped = false;
  auto newline = [&] {
    out += '\n';
    out.append(static_cast<size_t>(depth) * 2, ' ');
  };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out += c;
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        break;
      case '{':
      case '[': {
        // Empty containers stay on one line.
        size_t j = json.find_first_not_of(" \t\r\n", i + 1);
        if (j != std::string::npos && (json[j] == '}' || json[j] == ']')) {
          out += c;
          out += json[j];
          i = j;
          break;
        }
        out += c;
        ++depth;
        newline();
        break;
      }
      case '}':
      case ']':
        --depth;
        newline();
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace filelock::cli

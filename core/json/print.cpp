// The printer behind json::print: byte for byte cJSON's output (its indented form is
// what every state file holds, and a commit compares the new text with the old), but
// written straight into one growing std::string.
#include <cstring>
#include <string>

#include "json/json.hpp"

namespace filelock::json {

namespace {

// Needs escaping in cJSON's style: '"', '\\' and control characters.
bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void print_string(std::string &out, const char *s) {
  out += '"';
  if (s != nullptr) {
    const char *run = s;
    for (const char *p = s; *p != '\0'; ++p) {
      const auto c = static_cast<unsigned char>(*p);
      if (!needs_escape(c)) continue;
      out.append(run, static_cast<size_t>(p - run));
      run = p + 1;
      out += '\\';
      switch (c) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '\b': out += 'b'; break;
        case '\f': out += 'f'; break;
        case '\n': out += 'n'; break;
        case '\r': out += 'r'; break;
        case '\t': out += 't'; break;
        default: {
          static const char hex[] = "0123456789abcdef";
          out += "u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        }
      }
    }
    out.append(run);
  }
  out += '"';
}

// Numbers built as doubles (not parsed) are rare: cJSON prints them, so its rules
// for precision and for NaN/Infinity stay in one place.
void print_double(std::string &out, const cJSON *node) {
  char *text = cJSON_PrintUnformatted(node);
  if (text == nullptr) throw std::bad_alloc();
  out += text;
  cJSON_free(text);
}

class Printer {
 public:
  Printer(std::string &out, bool pretty) : out_(out), pretty_(pretty) {}

  void value(const cJSON *node, size_t depth) {
    switch (node->type & 0xFF) {
      case cJSON_NULL: out_ += "null"; return;
      case cJSON_False: out_ += "false"; return;
      case cJSON_True: out_ += "true"; return;
      case cJSON_Number: print_double(out_, node); return;
      case cJSON_Raw:
        if (node->valuestring == nullptr) break;
        out_ += node->valuestring;
        return;
      case cJSON_String: print_string(out_, node->valuestring); return;
      case cJSON_Array: array(node, depth); return;
      case cJSON_Object: object(node, depth); return;
      default: break;
    }
    throw JsonError(Status::invalid, "cannot print a JSON node of unknown type");
  }

 private:
  void array(const cJSON *node, size_t depth) {
    out_ += '[';
    for (const cJSON *c = node->child; c != nullptr; c = c->next) {
      value(c, depth + 1);
      if (c->next != nullptr) out_ += pretty_ ? ", " : ",";
    }
    out_ += ']';
  }

  void object(const cJSON *node, size_t depth) {
    out_ += '{';
    if (pretty_) out_ += '\n';
    for (const cJSON *c = node->child; c != nullptr; c = c->next) {
      if (pretty_) out_.append(depth + 1, '\t');
      print_string(out_, c->string);
      out_ += pretty_ ? ":\t" : ":";
      value(c, depth + 1);
      if (c->next != nullptr) out_ += ',';
      if (pretty_) out_ += '\n';
    }
    if (pretty_) out_.append(depth, '\t');
    out_ += '}';
  }

  std::string &out_;
  bool pretty_;
};

}  // namespace

void print(const cJSON *node, bool pretty, std::string &out) { Printer(out, pretty).value(node, 0); }

std::string print(const cJSON *node, bool pretty) {
  std::string out;
  print(node, pretty, out);
  return out;
}

}  // namespace filelock::json

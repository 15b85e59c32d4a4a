// The printer behind json::print: byte for byte cJSON's output (its indented form is
// what every state file holds, and a commit compares the new text with the old), but
// written straight into one growing std::string through a raw cursor.
#include <algorithm>
#include <cstring>
#include <string>

#include "json/json.hpp"

namespace filelock::json {

namespace {

// Bytes that stop a plain run: '"', '\\' and control characters need escaping in
// cJSON's style; NUL ends the C string.
struct StopTable {
  bool stop[256] = {};
  constexpr StopTable() {
    for (int c = 0; c < 0x20; ++c) stop[c] = true;
    stop[static_cast<unsigned char>('"')] = true;
    stop[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr StopTable kStop;

// Writes into the caller's string through a raw pointer: the string is grown (doubling,
// into its reserved capacity first) ahead of each write and cut to length at the end, so
// that a byte costs a store rather than a checked append.
class Writer {
 public:
  explicit Writer(std::string &out) : out_(out), pos_(out.size()) {}
  ~Writer() { out_.resize(pos_); }
  Writer(const Writer &) = delete;
  Writer &operator=(const Writer &) = delete;

  // Room for n more bytes at cursor().
  char *room(size_t n) {
    if (n > out_.size() - pos_) grow(n);
    return &out_[pos_];
  }
  void advance(size_t n) { pos_ += n; }

  void put(char c) {
    *room(1) = c;
    ++pos_;
  }
  void put(const char *s, size_t n) {
    std::memcpy(room(n), s, n);
    pos_ += n;
  }
  void fill(char c, size_t n) {
    std::memset(room(n), c, n);
    pos_ += n;
  }

 private:
  void grow(size_t n) {
    const size_t need = pos_ + n;
    out_.resize(std::max({need, out_.capacity(), 2 * out_.size(), size_t{256}}));
  }

  std::string &out_;
  size_t pos_;
};

void print_string(Writer &w, const char *s) {
  w.put('"');
  if (s != nullptr) {
    const auto *p = reinterpret_cast<const unsigned char *>(s);
    for (;;) {
      const unsigned char *run = p;
      while (!kStop.stop[*p]) ++p;
      w.put(reinterpret_cast<const char *>(run), static_cast<size_t>(p - run));
      const unsigned char c = *p;
      if (c == '\0') break;
      ++p;
      char *o = w.room(6);
      o[0] = '\\';
      size_t n = 2;
      switch (c) {
        case '"': o[1] = '"'; break;
        case '\\': o[1] = '\\'; break;
        case '\b': o[1] = 'b'; break;
        case '\f': o[1] = 'f'; break;
        case '\n': o[1] = 'n'; break;
        case '\r': o[1] = 'r'; break;
        case '\t': o[1] = 't'; break;
        default: {
          static const char hex[] = "0123456789abcdef";
          o[1] = 'u';
          o[2] = '0';
          o[3] = '0';
          o[4] = hex[c >> 4];
          o[5] = hex[c & 0xF];
          n = 6;
        }
      }
      w.advance(n);
    }
  }
  w.put('"');
}

// Numbers built as doubles (not parsed) are rare: cJSON prints them, so its rules
// for precision and for NaN/Infinity stay in one place.
void print_double(Writer &w, const cJSON *node) {
  char *text = cJSON_PrintUnformatted(node);
  if (text == nullptr) throw std::bad_alloc();
  w.put(text, std::strlen(text));
  cJSON_free(text);
}

class Printer {
 public:
  Printer(std::string &out, bool pretty) : w_(out), pretty_(pretty) {}

  void value(const cJSON *node, size_t depth) {
    switch (node->type & 0xFF) {
      case cJSON_NULL: w_.put("null", 4); return;
      case cJSON_False: w_.put("false", 5); return;
      case cJSON_True: w_.put("true", 4); return;
      case cJSON_Number: print_double(w_, node); return;
      case cJSON_Raw:
        if (node->valuestring == nullptr) break;
        w_.put(node->valuestring, std::strlen(node->valuestring));
        return;
      case cJSON_String: print_string(w_, node->valuestring); return;
      case cJSON_Array: array(node, depth); return;
      case cJSON_Object: object(node, depth); return;
      default: break;
    }
    throw JsonError(Status::invalid, "cannot print a JSON node of unknown type");
  }

 private:
  // A tree deeper than parse() accepts could not be read back: refused here, so that
  // a commit, which prints the whole document anyway, needs no walk of its own.
  static void check_nesting(size_t depth) {
    if (depth >= static_cast<size_t>(kMaxDepth)) too_deep();  // cold: the branch is laid out as unlikely
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void too_deep() {
    throw JsonError(Status::invalid, "document nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  void array(const cJSON *node, size_t depth) {
    check_nesting(depth);
    w_.put('[');
    for (const cJSON *c = node->child; c != nullptr; c = c->next) {
      value(c, depth + 1);
      if (c->next != nullptr) {
        if (pretty_) w_.put(", ", 2);
        else w_.put(',');
      }
    }
    w_.put(']');
  }

  void object(const cJSON *node, size_t depth) {
    check_nesting(depth);
    w_.put('{');
    if (pretty_) w_.put('\n');
    for (const cJSON *c = node->child; c != nullptr; c = c->next) {
      if (pretty_) w_.fill('\t', depth + 1);
      print_string(w_, c->string);
      if (pretty_) w_.put(":\t", 2);
      else w_.put(':');
      value(c, depth + 1);
      if (c->next != nullptr) w_.put(',');
      if (pretty_) w_.put('\n');
    }
    if (pretty_) w_.fill('\t', depth);
    w_.put('}');
  }

  Writer w_;
  bool pretty_;
};

}  // namespace

void print(const cJSON *node, bool pretty, std::string &out) { Printer(out, pretty).value(node, 0); }

// No walk ahead to size the text: measured, a second pass over the tree cost more
// than the string's doublings (print ran 1.3-1.6x as fast without it, 64 KiB to 4 MiB).
std::string print(const cJSON *node, bool pretty) {
  std::string out;
  out.reserve(4096);
  print(node, pretty, out);
  return out;
}

}  // namespace filelock::json

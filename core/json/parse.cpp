// The strict parser behind json::parse: one pass over the text that checks what
// RFC 8259 requires (and cJSON's own parser lets through: invalid UTF-8, raw control
// characters, leading zeros, NaN, duplicate keys) while it builds the cJSON tree.
// Numbers become raw nodes holding their original text, so that values a double
// cannot carry are written back exactly as they came.
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "json/json.hpp"

namespace filelock::json {

namespace {

// Objects up to this size are checked for duplicate keys pairwise (no allocation);
// larger ones through a hash set, so that no object costs O(n^2).
constexpr size_t kPairwiseKeys = 16;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

cJSON *new_node(int type) {
  auto *node = static_cast<cJSON *>(cJSON_malloc(sizeof(cJSON)));
  if (node == nullptr) throw std::bad_alloc();
  std::memset(node, 0, sizeof(cJSON));
  node->type = type;
  return node;
}

char *new_text(const char *data, size_t length) {
  auto *text = static_cast<char *>(cJSON_malloc(length + 1));
  if (text == nullptr) throw std::bad_alloc();
  std::memcpy(text, data, length);
  text[length] = '\0';
  return text;
}

// Appends keeping cJSON's list invariant (the first child's prev is the last child),
// so the tree is whole, and freed whole, whenever parsing stops.
void append_child(cJSON *parent, cJSON *item) {
  cJSON *head = parent->child;
  if (head == nullptr) {
    parent->child = item;
    item->prev = item;
    return;
  }
  head->prev->next = item;
  item->prev = head->prev;
  head->prev = item;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Doc run() {
    // A UTF-8 byte order mark is skipped, as cJSON did.
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;
    skip_space();
    if (i_ == s_.size()) throw JsonError(Status::invalid, "empty document");
    Doc root(new_node(cJSON_Invalid));
    value(root.get(), 0);
    skip_space();
    if (i_ != s_.size()) fail(i_, "unexpected text after the JSON value");
    return root;
  }

 private:
  [[noreturn]] static void fail(size_t at, const std::string &what) {
    throw JsonError(Status::invalid, what + " at byte " + std::to_string(at));
  }
  [[noreturn]] void fail_syntax() const { fail(i_, "invalid JSON"); }

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }

  void expect(char c) {
    if (i_ >= s_.size() || s_[i_] != c) fail_syntax();
    ++i_;
  }

  // Fills `node` (already linked into the tree) with the value at i_.
  void value(cJSON *node, int depth) {
    if (i_ >= s_.size()) fail_syntax();
    const char c = s_[i_];
    if (c == '{') {
      container(node, cJSON_Object, depth);
    } else if (c == '[') {
      container(node, cJSON_Array, depth);
    } else if (c == '"') {
      node->type = cJSON_String;
      node->valuestring = string();
    } else if (c == '-' || is_digit(c)) {
      const size_t start = i_;
      number();
      node->type = cJSON_Raw;
      node->valuestring = new_text(s_.data() + start, i_ - start);
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      literal(node);
    } else {
      fail_syntax();
    }
  }

  void container(cJSON *node, int type, int depth) {
    if (depth + 1 > kMaxDepth) fail(i_, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    node->type = type;
    path_.push_back(node);
    const char close = type == cJSON_Object ? '}' : ']';
    ++i_;
    skip_space();
    if (i_ < s_.size() && s_[i_] == close) {
      ++i_;
      path_.pop_back();
      return;
    }
    size_t count = 0;
    for (;;) {
      cJSON *item = new_node(cJSON_Invalid);
      append_child(node, item);
      ++count;
      if (type == cJSON_Object) {
        if (i_ >= s_.size() || s_[i_] != '"') fail_syntax();
        item->string = string();
        skip_space();
        expect(':');
        skip_space();
      }
      value(item, depth + 1);
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        skip_space();
        continue;
      }
      expect(close);
      break;
    }
    if (type == cJSON_Object) check_keys(node, count);
    path_.pop_back();
  }

  void check_keys(const cJSON *object, size_t count) {
    const cJSON *dup = nullptr;
    if (count <= kPairwiseKeys) {
      for (const cJSON *a = object->child; a != nullptr && dup == nullptr; a = a->next) {
        for (const cJSON *b = a->next; b != nullptr; b = b->next) {
          if (std::strcmp(a->string, b->string) == 0) {
            dup = b;
            break;
          }
        }
      }
    } else {
      keys_.clear();
      for (const cJSON *c = object->child; c != nullptr && dup == nullptr; c = c->next) {
        if (!keys_.insert(c->string).second) dup = c;
      }
    }
    if (dup != nullptr) {
      throw JsonError(Status::invalid, "duplicate key '" + std::string(dup->string) + "' in object '" +
                                           pointer_of_open() + "'");
    }
  }

  // The pointer of the innermost open container; built only for messages.
  std::string pointer_of_open() const {
    std::string out;
    for (size_t k = 1; k < path_.size(); ++k) {
      const cJSON *parent = path_[k - 1];
      // The open child is always the parent's last one.
      const cJSON *item = parent->child->prev;
      if (cJSON_IsObject(parent)) {
        out += "/" + escape_token(item->string);
      } else {
        size_t index = 0;
        for (const cJSON *c = parent->child; c != item; c = c->next) ++index;
        out += "/" + std::to_string(index);
      }
    }
    return out;
  }

  // RFC 8259 number grammar; leaves i_ past the number.
  void number() {
    const size_t start = i_;
    if (s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !is_digit(s_[i_])) fail(start, "invalid number");
    if (s_[i_] == '0') {
      ++i_;
      if (i_ < s_.size() && is_digit(s_[i_])) fail(start, "number with a leading zero");
    } else {
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) fail(start, "invalid number");
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) fail(start, "invalid number");
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E' || s_[i_] == '+' ||
                           s_[i_] == '-' || is_digit(s_[i_]))) {
      fail(start, "invalid number");
    }
  }

  void literal(cJSON *node) {
    const size_t start = i_;
    while (i_ < s_.size() && ((s_[i_] >= 'a' && s_[i_] <= 'z') || (s_[i_] >= 'A' && s_[i_] <= 'Z'))) ++i_;
    const std::string_view word = s_.substr(start, i_ - start);
    if (word == "true") {
      node->type = cJSON_True;
      node->valueint = 1;
    } else if (word == "false") {
      node->type = cJSON_False;
    } else if (word == "null") {
      node->type = cJSON_NULL;
    } else {
      fail(start, "'" + std::string(word) + "' is not a JSON value (NaN and Infinity are not allowed)");
    }
  }

  // The string starting at i_ (a '"'), unescaped into a new C string.
  char *string() {
    const size_t open = i_++;
    // Plain strings (no escapes) are copied in one piece.
    size_t k = i_;
    while (k < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[k]);
      if (c == '"' || c == '\\' || c < 0x20) break;
      if (c >= 0x80) {
        k = utf8_end(k);
        continue;
      }
      ++k;
    }
    if (k < s_.size() && s_[k] == '"') {
      char *out = new_text(s_.data() + i_, k - i_);
      i_ = k + 1;
      return out;
    }
    std::string out(s_.substr(i_, k - i_));
    i_ = k;
    for (;;) {
      if (i_ >= s_.size()) fail(open, "unterminated string");
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') break;
      if (c < 0x20) fail(i_, "unescaped control character in string");
      if (c == '\\') {
        escape(out);
      } else if (c >= 0x80) {
        const size_t end = utf8_end(i_);
        out.append(s_.data() + i_, end - i_);
        i_ = end;
      } else {
        out += static_cast<char>(c);
        ++i_;
      }
    }
    ++i_;
    return new_text(out.data(), out.size());
  }

  // End of the UTF-8 sequence starting at k; refuses what is not UTF-8: bad lead or
  // continuation bytes, overlong forms, UTF-16 surrogates, code points past U+10FFFF.
  size_t utf8_end(size_t k) const {
    const auto c = static_cast<unsigned char>(s_[k]);
    size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else fail(k, "invalid UTF-8");
    if (k + len > s_.size()) fail(k, "invalid UTF-8");
    for (size_t n = 1; n < len; ++n) {
      const auto cc = static_cast<unsigned char>(s_[k + n]);
      if ((cc & 0xC0) != 0x80) fail(k, "invalid UTF-8");
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      fail(k, "invalid UTF-8");
    }
    return k + len;
  }

  void escape(std::string &out) {
    const size_t at = i_;
    if (i_ + 1 >= s_.size()) fail(at, "invalid escape in string");
    const char e = s_[i_ + 1];
    i_ += 2;
    switch (e) {
      case '"': out += '"'; return;
      case '\\': out += '\\'; return;
      case '/': out += '/'; return;
      case 'b': out += '\b'; return;
      case 'f': out += '\f'; return;
      case 'n': out += '\n'; return;
      case 'r': out += '\r'; return;
      case 't': out += '\t'; return;
      case 'u': break;
      default: fail(at, "invalid escape in string");
    }
    unsigned cp = hex4(at);
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail(at, "unpaired UTF-16 surrogate in string");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u') {
        fail(at, "unpaired UTF-16 surrogate in string");
      }
      i_ += 2;
      const unsigned low = hex4(at);
      if (low < 0xDC00 || low > 0xDFFF) fail(at, "unpaired UTF-16 surrogate in string");
      cp = 0x10000 + (((cp & 0x3FF) << 10) | (low & 0x3FF));
    }
    // Strings are stored NUL-terminated: a NUL would silently cut the string short.
    if (cp == 0) fail(at, "\\u0000 in a string is not supported");
    append_utf8(out, cp);
  }

  // Four hex digits at i_ (just past "\u").
  unsigned hex4(size_t at) {
    if (i_ + 4 > s_.size()) fail(at, "invalid \\u escape in string");
    unsigned v = 0;
    for (size_t n = 0; n < 4; ++n) {
      const char h = s_[i_ + n];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<unsigned>(h - 'A' + 10);
      else fail(at, "invalid \\u escape in string");
    }
    i_ += 4;
    return v;
  }

  static void append_utf8(std::string &out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  std::vector<const cJSON *> path_;         // open containers, root first
  std::unordered_set<std::string_view> keys_;  // reused across large objects
};

}  // namespace

Doc parse(std::string_view text) { return Parser(text).run(); }

}  // namespace filelock::json

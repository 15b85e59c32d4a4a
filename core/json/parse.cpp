// The strict parser behind json::parse: one pass over the text that checks what
// RFC 8259 requires (and cJSON's own parser lets through: invalid UTF-8, raw control
// characters, leading zeros, NaN, duplicate keys) while it builds the cJSON tree.
// Numbers become raw nodes holding their original text, so that values a double
// cannot carry are written back exactly as they came.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "json/json.hpp"
#include "json/node_blocks.hpp"
#include "json/swar.hpp"

namespace filelock::json {

namespace {

// Objects up to this size are checked for duplicate keys pairwise (no allocation);
// larger ones through a hash table, so that no object costs O(n^2).
constexpr size_t kPairwiseKeys = 16;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Eight bytes at once: nonzero if any is '"', '\\', a control character or not ASCII,
// i.e. if the byte-by-byte scan has work to do there (it may flag a plain byte next to
// such a one; never misses one).
uint64_t special8(const char *p) {
  const uint64_t x = swar::load8(p);
  return (x & swar::kHighs) | swar::quote_backslash_control(x);
}

// A key as the duplicate check sees it: its bytes in the node, and a hash that makes
// most pairs differ at a glance.
struct KeyRef {
  const char *data;
  size_t size;
  uint64_t hash;
  bool operator==(const KeyRef &o) const {
    return hash == o.hash && size == o.size && std::memcmp(data, o.data, size) == 0;
  }
};

uint64_t load4(const char *p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// Every byte counts: keys that share long prefixes and suffixes ("/runs/00017/out.json")
// must not collide, or a large object's table would turn quadratic. The tail is read
// as fixed-size loads that may overlap bytes already mixed (a variable-size copy
// through memory stalled every key).
uint64_t key_hash(const char *p, size_t n) {
  constexpr uint64_t k = 0xff51afd7ed558ccdULL;
  uint64_t h = n * 0x9E3779B97F4A7C15ULL;
  const auto mix = [&](uint64_t w) {
    h = (h ^ w) * k;
    h ^= h >> 32;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) mix(swar::load8(p + i));
    mix(swar::load8(p + n - 8));
  } else if (n >= 4) {
    mix(load4(p) | load4(p + n - 4) << 32);
  } else if (n > 0) {
    const auto *u = reinterpret_cast<const unsigned char *>(p);
    mix(u[0] | uint64_t{u[n / 2]} << 8 | uint64_t{u[n - 1]} << 16);
  }
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

// One piece of memory per node, carved from the parse's blocks: the key and the text
// of a string or number live right after the node, flagged so that free_tree frees
// neither on its own (StringIsConst: the key; IsReference on a leaf: its valuestring).
struct Piece {
  const char *data = nullptr;  // nullptr: none
  size_t size = 0;
};

cJSON *new_node(blocks::Carver &carver, int type, Piece key, Piece text) {
  const size_t bytes = sizeof(cJSON) + (key.data ? key.size + 1 : 0) + (text.data ? text.size + 1 : 0);
  auto *block = static_cast<char *>(carver.take(bytes));
  auto *node = reinterpret_cast<cJSON *>(block);
  std::memset(node, 0, sizeof(cJSON));
  node->type = type | blocks::kCarved;
  char *next = block + sizeof(cJSON);
  if (key.data != nullptr) {
    std::memcpy(next, key.data, key.size);
    next[key.size] = '\0';
    node->string = next;
    node->type |= cJSON_StringIsConst;
    next += key.size + 1;
  }
  if (text.data != nullptr) {
    std::memcpy(next, text.data, text.size);
    next[text.size] = '\0';
    node->valuestring = next;
    node->type |= cJSON_IsReference;
  }
  return node;
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
  explicit Parser(std::string_view text)
      : s_(text), carver_(text.size()) {}

  Doc run() {
    // A UTF-8 byte order mark is skipped, as cJSON did.
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;
    skip_space();
    if (i_ == s_.size()) throw JsonError(Status::invalid, "empty document");
    value(nullptr, Piece{}, 0);
    skip_space();
    if (i_ != s_.size()) fail(i_, "unexpected text after the JSON value");
    return std::move(root_);
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

  // Links a new node into the tree at once, so that the tree is whole (and freed
  // whole) wherever parsing stops.
  void attach(cJSON *parent, cJSON *node) {
    if (parent == nullptr) root_.reset(node);
    else append_child(parent, node);
  }

  // Parses the value at i_ into a new child of `parent` (the root if null).
  void value(cJSON *parent, Piece key, int depth) {
    if (i_ >= s_.size()) fail_syntax();
    const char c = s_[i_];
    if (c == '{' || c == '[') {
      const int type = c == '{' ? cJSON_Object : cJSON_Array;
      if (depth + 1 > kMaxDepth) fail(i_, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      cJSON *node = new_node(carver_, type, key, Piece{});
      attach(parent, node);
      container(node, depth);
    } else if (c == '"') {
      const Piece text = string(text_);
      attach(parent, new_node(carver_, cJSON_String, key, text));
    } else if (c == '-' || is_digit(c)) {
      const size_t start = i_;
      number();
      attach(parent, new_node(carver_, cJSON_Raw, key, Piece{s_.data() + start, i_ - start}));
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      const int type = literal();
      cJSON *node = new_node(carver_, type, key, Piece{});
      if (type == cJSON_True) node->valueint = 1;  // as cJSON sets it
      attach(parent, node);
    } else {
      fail_syntax();
    }
  }

  void container(cJSON *node, int depth) {
    const bool object = cJSON_IsObject(node);
    path_.push_back(node);
    const char close = object ? '}' : ']';
    ++i_;
    skip_space();
    if (i_ < s_.size() && s_[i_] == close) {
      ++i_;
      path_.pop_back();
      return;
    }
    const size_t first_key = keys_.size();
    for (;;) {
      Piece key;
      uint64_t hash = 0;
      if (object) {
        if (i_ >= s_.size() || s_[i_] != '"') fail_syntax();
        key = string(key_);
        hash = key_hash(key.data, key.size);
        skip_space();
        expect(':');
        skip_space();
      }
      value(node, key, depth + 1);
      // The key's copy lives in the node just appended (the last child).
      if (object) keys_.push_back(KeyRef{node->child->prev->string, key.size, hash});
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        skip_space();
        continue;
      }
      expect(close);
      break;
    }
    if (object) {
      check_keys(first_key);
      keys_.resize(first_key);
    }
    path_.pop_back();
  }

  // Checks the keys of the object just closed (keys_ from `first` on) in member order,
  // naming the same duplicate a pairwise scan names: the first key met again later.
  void check_keys(size_t first) {
    const KeyRef *dup = nullptr;
    const size_t end = keys_.size();
    if (end - first <= kPairwiseKeys) {
      if (!maybe_duplicate(first, end)) return;
      for (size_t a = first; a < end && dup == nullptr; ++a) {
        for (size_t b = a + 1; b < end; ++b) {
          if (keys_[a] == keys_[b]) {
            dup = &keys_[b];
            break;
          }
        }
      }
    } else {
      // Open addressing on the hashes already made: one table, reused, no node per key.
      size_t slots = 16;
      while (slots < 2 * (end - first)) slots *= 2;
      table_.assign(slots, 0);
      for (size_t c = first; c < end && dup == nullptr; ++c) {
        for (size_t at = keys_[c].hash & (slots - 1);; at = (at + 1) & (slots - 1)) {
          if (table_[at] == 0) {
            table_[at] = c + 1;
            break;
          }
          if (keys_[table_[at] - 1] == keys_[c]) {
            dup = &keys_[c];
            break;
          }
        }
      }
    }
    if (dup != nullptr) {
      throw JsonError(Status::invalid, "duplicate key '" + std::string(dup->data, dup->size) + "' in object '" +
                                           pointer_of_open() + "'");
    }
  }

  // False when the keys from `first` to `end` are surely distinct: a 256-bit filter on
  // their hashes, a key compared with the earlier ones only where its bit is taken.
  // Most objects then cost one test per key instead of a comparison per pair.
  bool maybe_duplicate(size_t first, size_t end) const {
    uint64_t seen[4] = {};
    for (size_t c = first; c < end; ++c) {
      const uint64_t h = keys_[c].hash >> 56;
      const uint64_t bit = uint64_t{1} << (h & 63);
      uint64_t &word = seen[h >> 6];
      if (word & bit) {
        for (size_t a = first; a < c; ++a) {
          if (keys_[a] == keys_[c]) return true;
        }
      }
      word |= bit;
    }
    return false;
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

  int literal() {
    const size_t start = i_;
    while (i_ < s_.size() && ((s_[i_] >= 'a' && s_[i_] <= 'z') || (s_[i_] >= 'A' && s_[i_] <= 'Z'))) ++i_;
    const std::string_view word = s_.substr(start, i_ - start);
    if (word == "true") return cJSON_True;
    if (word == "false") return cJSON_False;
    if (word == "null") return cJSON_NULL;
    fail(start, "'" + std::string(word) + "' is not a JSON value (NaN and Infinity are not allowed)");
  }

  // The first byte from k on that ends a plain run ('"', '\\', a control character, or
  // the end of the text), checking the UTF-8 it passes over.
  size_t plain_end(size_t k) const {
    const size_t n = s_.size();
    for (;;) {
      while (k + 8 <= n) {
        const uint64_t special = special8(s_.data() + k);
        if (special != 0) {
          k += swar::first_flagged(special);
          break;
        }
        k += 8;
      }
      if (k >= n) return n;
      const auto c = static_cast<unsigned char>(s_[k]);
      if (c == '"' || c == '\\' || c < 0x20) return k;
      k = c >= 0x80 ? utf8_end(k) : k + 1;
    }
  }

  // The string starting at i_ (a '"'), unescaped: a view into the text itself when
  // it has no escapes, else into `scratch`. Valid until the next call with `scratch`.
  Piece string(std::string &scratch) {
    const size_t open = i_++;
    size_t k = plain_end(i_);
    if (k < s_.size() && s_[k] == '"') {
      const Piece plain{s_.data() + i_, k - i_};
      i_ = k + 1;
      return plain;
    }
    scratch.assign(s_.data() + i_, k - i_);
    i_ = k;
    for (;;) {
      if (i_ >= s_.size()) fail(open, "unterminated string");
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') break;
      if (c < 0x20) fail(i_, "unescaped control character in string");
      escape(scratch);  // the run ended here and not on '"' or a control: a '\\'
      k = plain_end(i_);
      scratch.append(s_.data() + i_, k - i_);
      i_ = k;
    }
    ++i_;
    return Piece{scratch.data(), scratch.size()};
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
  Doc root_;
  blocks::Carver carver_;  // after root_: it goes first (node_blocks.hpp)
  std::string key_, text_;                     // unescaped strings, reused
  std::vector<const cJSON *> path_;         // open containers, root first
  std::vector<KeyRef> keys_;                   // keys of the open objects, outermost first
  std::vector<size_t> table_;                  // hash table of a large object: keys_ index + 1
};

}  // namespace

Doc parse(std::string_view text) { return Parser(text).run(); }

}  // namespace filelock::json

#include "json/json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "json/scan.hpp"

namespace filelock::json {

namespace {

// A decimal's value in canonical form: sign, significant digits, exponent.
struct Decimal {
  bool negative = false;
  std::string digits;  // no leading or trailing zeros; empty for zero
  long exponent = 0;   // value = 0.digits * 10^exponent
  bool operator==(const Decimal &o) const {
    return negative == o.negative && digits == o.digits && (digits.empty() || exponent == o.exponent);
  }
};

Decimal to_decimal(std::string_view t) {
  Decimal d;
  size_t i = 0;
  if (i < t.size() && t[i] == '-') { d.negative = true; ++i; }
  long point = 0;
  bool seen_point = false;
  for (; i < t.size() && t[i] != 'e' && t[i] != 'E'; ++i) {
    if (t[i] == '.') { seen_point = true; continue; }
    if (d.digits.empty() && t[i] == '0') {
      if (seen_point) --point;  // leading zeros after the point shift the exponent
      continue;
    }
    d.digits += t[i];
    if (!seen_point) ++point;
  }
  long exp = 0;
  if (i < t.size()) exp = std::strtol(std::string(t.substr(i + 1)).c_str(), nullptr, 10);
  while (!d.digits.empty() && d.digits.back() == '0') d.digits.pop_back();
  d.exponent = point + exp;
  return d;
}

// The JSON pointer of a node, from the chain of its ancestors; built only for messages.
std::string pointer_of(const std::vector<const cJSON *> &path) {
  std::string out;
  for (size_t i = 1; i < path.size(); ++i) {
    const cJSON *parent = path[i - 1];
    if (cJSON_IsObject(parent)) {
      out += "/" + escape_token(path[i]->string);
    } else {
      size_t index = 0;
      for (const cJSON *c = parent->child; c != path[i]; c = c->next) ++index;
      out += "/" + std::to_string(index);
    }
  }
  return out;
}

// Small objects are checked pairwise (no allocation), large ones with a hash set.
const cJSON *find_duplicate_key(const cJSON *object) {
  constexpr int kPairwise = 16;
  int count = 0;
  for (const cJSON *c = object->child; c != nullptr && count <= kPairwise; c = c->next) ++count;
  if (count <= kPairwise) {
    for (const cJSON *a = object->child; a != nullptr; a = a->next) {
      for (const cJSON *b = a->next; b != nullptr; b = b->next) {
        if (std::strcmp(a->string, b->string) == 0) return b;
      }
    }
    return nullptr;
  }
  std::unordered_set<std::string_view> keys;
  for (const cJSON *c = object->child; c != nullptr; c = c->next) {
    if (!keys.insert(c->string).second) return c;
  }
  return nullptr;
}

struct Fixer {
  std::string_view text;
  const std::vector<NumberText> &numbers;
  size_t next = 0;
  std::vector<const cJSON *> path{};

  // Walks in document order (cJSON keeps it), so the k-th number node is the k-th
  // number text found by the scan.
  void walk(cJSON *node) {
    if (cJSON_IsNumber(node)) {
      fix_number(node);
      return;
    }
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) return;
    path.push_back(node);
    if (cJSON_IsObject(node)) {
      if (const cJSON *dup = find_duplicate_key(node)) {
        throw JsonError(Status::invalid, "duplicate key '" + std::string(dup->string) +
                                             "' in object '" + pointer_of(path) + "'");
      }
    }
    for (cJSON *c = node->child; c != nullptr; c = c->next) walk(c);
    path.pop_back();
  }

  // Every number keeps its own text: a double cannot carry every JSON number (2^53 + 1,
  // 30 digits, 1e400, -0), and cJSON prints doubles with 15 digits when they compare
  // "close enough", so its printer alone would silently change values.
  void fix_number(cJSON *node) {
    const NumberText &n = numbers.at(next++);
    char *raw = static_cast<char *>(cJSON_malloc(n.length + 1));
    if (raw == nullptr) throw std::bad_alloc();
    std::memcpy(raw, text.data() + n.offset, n.length);
    raw[n.length] = '\0';
    node->type = cJSON_Raw;
    node->valuestring = raw;
  }
};

void compact_numbers_count(const cJSON *node, size_t &count) {
  if (cJSON_IsNumber(node)) ++count;
  for (const cJSON *c = node->child; c != nullptr; c = c->next) compact_numbers_count(c, count);
}

}  // namespace

Doc parse(std::string_view text) {
  std::vector<NumberText> numbers;
  scan(text, numbers);
  const char *end = nullptr;
  Doc doc(cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, 0));
  if (!doc) {
    const size_t at = end != nullptr && end >= text.data() ? static_cast<size_t>(end - text.data()) : 0;
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      throw JsonError(Status::invalid, "empty document");
    }
    throw JsonError(Status::invalid, "invalid JSON at byte " + std::to_string(at));
  }
  for (const char *p = end; p < text.data() + text.size(); ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
      throw JsonError(Status::invalid, "unexpected text after the JSON value at byte " +
                                           std::to_string(p - text.data()));
    }
  }
  size_t count = 0;
  compact_numbers_count(doc.get(), count);
  if (count != numbers.size()) throw JsonError(Status::invalid, "invalid JSON number");
  Fixer{text, numbers}.walk(doc.get());
  return doc;
}

std::string print(const cJSON *node, bool pretty) {
  char *out = pretty ? cJSON_Print(node) : cJSON_PrintUnformatted(node);
  if (out == nullptr) throw std::bad_alloc();
  std::string s(out);
  cJSON_free(out);
  return s;
}

Doc duplicate(const cJSON *node) {
  Doc copy(cJSON_Duplicate(node, 1));
  if (!copy) throw std::bad_alloc();
  return copy;
}

// parse() turns every number into a raw node holding its text; cJSON numbers only
// appear in trees built by hand.
bool is_number(const cJSON *node) { return cJSON_IsNumber(node) || cJSON_IsRaw(node); }

bool is_integer(const cJSON *node) {
  if (cJSON_IsNumber(node)) {
    return std::isfinite(node->valuedouble) && std::floor(node->valuedouble) == node->valuedouble;
  }
  if (cJSON_IsRaw(node)) {
    const Decimal d = to_decimal(node->valuestring);
    return d.digits.empty() || d.exponent >= static_cast<long>(d.digits.size());
  }
  return false;
}

double number_value(const cJSON *node) {
  return cJSON_IsRaw(node) ? std::strtod(node->valuestring, nullptr) : node->valuedouble;
}

namespace {

Decimal decimal_of(const cJSON *node) {
  if (cJSON_IsRaw(node)) return to_decimal(node->valuestring);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", node->valuedouble);
  return to_decimal(buf);
}

// Orders magnitudes: value = 0.digits * 10^exponent, no leading zeros, "" for zero.
int compare_magnitude(const Decimal &a, const Decimal &b) {
  if (a.digits.empty() || b.digits.empty()) return !a.digits.empty() - !b.digits.empty();
  if (a.exponent != b.exponent) return a.exponent < b.exponent ? -1 : 1;
  const int c = a.digits.compare(b.digits);  // "12" < "123" as 0.12 < 0.123
  return (c > 0) - (c < 0);
}

}  // namespace

int compare_numbers(const cJSON *a, const cJSON *b) {
  const Decimal x = decimal_of(a);
  const Decimal y = decimal_of(b);
  const bool x_neg = x.negative && !x.digits.empty();
  const bool y_neg = y.negative && !y.digits.empty();
  if (x_neg != y_neg) return x_neg ? -1 : 1;
  const int m = compare_magnitude(x, y);
  return x_neg ? -m : m;
}

int depth(const cJSON *node) {
  if (!cJSON_IsArray(node) && !cJSON_IsObject(node)) return 0;
  int deepest = 0;
  for (const cJSON *c = node->child; c != nullptr; c = c->next) {
    const int d = depth(c);
    if (d > deepest) deepest = d;
    if (deepest >= kMaxDepth) break;  // deep enough to refuse; no need to look further
  }
  return deepest + 1;
}

void check_depth(const cJSON *node) {
  if (depth(node) > kMaxDepth) {
    throw JsonError(Status::invalid, "document nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
}

bool equal(const cJSON *a, const cJSON *b) {
  if (is_number(a) && is_number(b)) {
    return compare_numbers(a, b) == 0;
  }
  if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
    for (const cJSON *c = a->child; c != nullptr; c = c->next) {
      const cJSON *other = cJSON_GetObjectItemCaseSensitive(b, c->string);
      if (other == nullptr || !equal(c, other)) return false;
    }
    return true;
  }
  if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
    const cJSON *x = a->child;
    const cJSON *y = b->child;
    for (; x != nullptr && y != nullptr; x = x->next, y = y->next) {
      if (!equal(x, y)) return false;
    }
    return x == nullptr && y == nullptr;
  }
  return cJSON_Compare(a, b, 1);
}

std::string escape_token(const std::string &token) {
  std::string out;
  for (const char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

}  // namespace filelock::json

#include "json/json.hpp"

#include "json/node_blocks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace filelock::json {

namespace {

// A decimal's value in canonical form: sign, significant digits, exponent.
struct Decimal {
  bool negative = false;
  std::string digits;  // no leading or trailing zeros; empty for zero
  long long exponent = 0;  // value = 0.digits * 10^exponent
  bool operator==(const Decimal &o) const {
    return negative == o.negative && digits == o.digits && (digits.empty() || exponent == o.exponent);
  }
};

Decimal to_decimal(std::string_view t) {
  Decimal d;
  size_t i = 0;
  if (i < t.size() && t[i] == '-') { d.negative = true; ++i; }
  long long point = 0;
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
  long long exp = 0;
  if (i < t.size()) exp = std::strtoll(std::string(t.substr(i + 1)).c_str(), nullptr, 10);
  // strtoll saturates at LLONG_MAX; far beyond any digit count, yet point + exp cannot
  // overflow (long is 32 bits on Windows, hence long long).
  constexpr long long kExpLimit = 1LL << 40;
  exp = std::max(-kExpLimit, std::min(kExpLimit, exp));
  while (!d.digits.empty() && d.digits.back() == '0') d.digits.pop_back();
  d.exponent = point + exp;
  return d;
}

}  // namespace

void free_tree(cJSON *node) noexcept {
  while (node != nullptr) {
    cJSON *next = node->next;
    if ((node->type & cJSON_IsReference) == 0) {
      free_tree(node->child);
      cJSON_free(node->valuestring);
    }
    if ((node->type & cJSON_StringIsConst) == 0) cJSON_free(node->string);
    if ((node->type & blocks::kCarved) != 0) blocks::release(node);
    else cJSON_free(node);
    node = next;
  }
}

namespace {
// A key of its own for `node` (freed with it), copied from `key`.
void own_key(cJSON *node, const char *key) {
  const size_t size = std::strlen(key) + 1;
  auto *copy = static_cast<char *>(cJSON_malloc(size));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, key, size);
  if ((node->type & cJSON_StringIsConst) == 0) cJSON_free(node->string);
  node->string = copy;
  node->type &= ~cJSON_StringIsConst;
}
}  // namespace

void replace(cJSON *parent, cJSON *old, Doc fresh) {
  cJSON *item = fresh.get();
  if (old->string != nullptr) own_key(item, old->string);
  // The links as cJSON_ReplaceItemViaPointer sets them: the first child's prev is the last.
  fresh.release();
  item->next = old->next;
  item->prev = old->prev;
  if (item->next != nullptr) item->next->prev = item;
  if (parent->child == old) {
    if (old->prev == old) item->prev = item;
    parent->child = item;
  } else {
    item->prev->next = item;
    if (item->next == nullptr) parent->child->prev = item;
  }
  old->next = old->prev = nullptr;
  free_tree(old);
}

// cJSON_Duplicate would share a key flagged StringIsConst with the original, and
// parse() keeps keys that way (inside the node's block): each key is copied here.
Doc duplicate(const cJSON *node) {
  Doc copy(cJSON_Duplicate(node, 0));
  if (!copy) throw std::bad_alloc();
  copy->type &= ~blocks::kCarved;  // cJSON copies the type's bits; the copy is its own
  if ((copy->type & cJSON_StringIsConst) && copy->string != nullptr) own_key(copy.get(), copy->string);
  for (const cJSON *c = node->child; c != nullptr; c = c->next) {
    cJSON_AddItemToArray(copy.get(), duplicate(c).release());
  }
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
  const int type = node->type & 0xFF;
  if (type != cJSON_Array && type != cJSON_Object) return 0;
  int deepest = 0;
  for (const cJSON *c = node->child; c != nullptr; c = c->next) {
    const int d = depth(c);
    if (d > deepest) deepest = d;
    if (deepest >= kMaxDepth) break;  // deep enough to refuse; no need to look further
  }
  return deepest + 1;
}

bool equal(const cJSON *a, const cJSON *b) {
  if (is_number(a) && is_number(b)) {
    return compare_numbers(a, b) == 0;
  }
  if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
    const KeyIndex other(b);
    for (const cJSON *c = a->child; c != nullptr; c = c->next) {
      const cJSON *o = other.find(c->string);
      if (o == nullptr || !equal(c, o)) return false;
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

KeyIndex::KeyIndex(const cJSON *object) : object_(object) {
  size_t count = 0;
  for (const cJSON *c = object->child; c != nullptr; c = c->next) ++count;
  if (count <= kLinearKeys) return;
  index_.reserve(count);
  for (const cJSON *c = object->child; c != nullptr; c = c->next) index_.emplace(c->string, c);
}

const cJSON *KeyIndex::find(const char *key) const {
  if (index_.empty()) return cJSON_GetObjectItemCaseSensitive(object_, key);
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : it->second;
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

#include "json/pointer.hpp"

namespace filelock::json {

namespace {

std::string join(const std::vector<std::string> &tokens, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += "/" + escape_token(tokens[i]);
  return out;
}

// Offset of the first byte that is not strict UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF included), or npos. A key that is not UTF-8 would make a
// file the parser refuses on the next read.
size_t invalid_utf8_at(const std::string &s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const int len = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return i;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
    for (int k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return i;
    }
    i += len;
  }
  return std::string::npos;
}

// An array index: digits without a leading zero; -1 when the token is not one.
// "01" is refused outright: RFC 6901 does not allow it, so it names no element.
long array_index(const std::string &token) {
  if (token.empty() || token.size() > 9) return -1;
  long value = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  if (token.size() > 1 && token[0] == '0') {
    throw JsonError(Status::invalid, "array index '" + token + "' has a leading zero");
  }
  return value;
}

cJSON *child(cJSON *node, const std::string &token) {
  if (cJSON_IsObject(node)) return cJSON_GetObjectItemCaseSensitive(node, token.c_str());
  if (cJSON_IsArray(node)) {
    const long i = array_index(token);
    return i < 0 ? nullptr : cJSON_GetArrayItem(node, static_cast<int>(i));
  }
  return nullptr;
}

cJSON *walk(cJSON *root, const std::vector<std::string> &tokens, size_t count) {
  cJSON *node = root;
  for (size_t i = 0; i < count; ++i) {
    node = child(node, tokens[i]);
    if (node == nullptr) {
      throw JsonError(Status::not_found, "no value at '" + join(tokens, i + 1) + "'");
    }
  }
  return node;
}

const char *type_name(const cJSON *n) {
  if (cJSON_IsObject(n)) return "an object";
  if (cJSON_IsArray(n)) return "an array";
  if (cJSON_IsString(n)) return "a string";
  if (cJSON_IsBool(n)) return "a boolean";
  if (cJSON_IsNull(n)) return "null";
  return "a number";
}

}  // namespace

std::vector<std::string> parse_pointer(const std::string &pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') {
    throw JsonError(Status::invalid, "JSON pointer '" + pointer + "' must be empty or start with '/'");
  }
  const size_t bad = invalid_utf8_at(pointer);
  if (bad != std::string::npos) {
    // The pointer itself cannot be echoed: it is not text.
    throw JsonError(Status::invalid, "JSON pointer '" + pointer.substr(0, bad) +
                                         "...' is not valid UTF-8 at byte " + std::to_string(bad));
  }
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      const char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next != '0' && next != '1') {
        throw JsonError(Status::invalid, "JSON pointer '" + pointer + "': '~' must be followed by 0 or 1");
      }
      token += next == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

const cJSON *get(const cJSON *root, const std::string &pointer) {
  const auto tokens = parse_pointer(pointer);
  return walk(const_cast<cJSON *>(root), tokens, tokens.size());
}

void set(Doc &root, const std::string &pointer, Doc value) {
  const auto tokens = parse_pointer(pointer);
  // Refused before anything changes when the value would end up deeper than the limit:
  // each token is one level above it, and the rest of the document is unchanged.
  // (A long pointer could also build a chain deep enough to overflow the stack of
  // anything that walks the document.)
  if (tokens.size() > static_cast<size_t>(kMaxDepth) ||
      static_cast<int>(tokens.size()) + depth(value.get()) > kMaxDepth) {
    throw JsonError(Status::invalid, "setting '" + pointer.substr(0, 64) + (pointer.size() > 64 ? "...'" : "'") +
                                         " would nest the document deeper than " +
                                         std::to_string(kMaxDepth) + " levels");
  }
  if (tokens.empty()) {
    root = std::move(value);
    return;
  }
  cJSON *node = root.get();
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    cJSON *next = child(node, tokens[i]);
    if (next == nullptr) {
      if (!cJSON_IsObject(node)) {
        throw JsonError(cJSON_IsArray(node) ? Status::not_found : Status::invalid,
                        "cannot create '" + join(tokens, i + 1) + "': '" + join(tokens, i) +
                            "' is " + type_name(node));
      }
      next = cJSON_AddObjectToObject(node, tokens[i].c_str());
      if (next == nullptr) throw std::bad_alloc();
    }
    node = next;
  }
  const std::string &last = tokens.back();
  if (cJSON_IsObject(node)) {
    if (cJSON *existing = cJSON_GetObjectItemCaseSensitive(node, last.c_str()); existing != nullptr) {
      replace(node, existing, std::move(value));
    } else {
      cJSON_AddItemToObject(node, last.c_str(), value.release());
    }
    return;
  }
  if (cJSON_IsArray(node)) {
    const long size = cJSON_GetArraySize(node);
    const long index = last == "-" ? size : array_index(last);
    if (index < 0 || index > size) {
      throw JsonError(Status::not_found, "array index '" + pointer + "' is out of range (size " +
                                             std::to_string(size) + ")");
    }
    if (index == size) cJSON_AddItemToArray(node, value.release());
    else replace(node, cJSON_GetArrayItem(node, static_cast<int>(index)), std::move(value));
    return;
  }
  throw JsonError(Status::invalid, "cannot set '" + pointer + "': '" +
                                       join(tokens, tokens.size() - 1) + "' is " + type_name(node));
}

void remove(Doc &root, const std::string &pointer) {
  const auto tokens = parse_pointer(pointer);
  if (tokens.empty()) throw JsonError(Status::invalid, "cannot remove the whole document");
  cJSON *parent = walk(root.get(), tokens, tokens.size() - 1);
  cJSON *target = child(parent, tokens.back());
  if (target == nullptr) throw JsonError(Status::not_found, "no value at '" + pointer + "'");
  free_tree(cJSON_DetachItemViaPointer(parent, target));
}

}  // namespace filelock::json

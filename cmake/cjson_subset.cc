// The part of the cJSON API the engine (holder records, the JSON layer, the audit log),
// the C API and the tests use, for the Windows and macOS check builds: Debian ships
// cJSON for the host only. Each function behaves as cJSON 1.7's does.
// scripts/windows-check.sh and scripts/macos-check.sh compile it against the system
// cJSON.h; everywhere else filelock links the real cJSON.
#include <cjson/cJSON.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

cJSON *new_item(int type) {
  auto *item = static_cast<cJSON *>(std::calloc(1, sizeof(cJSON)));
  if (item != nullptr) item->type = type;
  return item;
}

char *copy(const char *s, size_t n) {
  auto *out = static_cast<char *>(std::malloc(n + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

void append(cJSON *parent, cJSON *item) {
  if (parent->child == nullptr) {
    parent->child = item;
    item->prev = item;  // cJSON keeps the last element in the first one's prev
    return;
  }
  cJSON *last = parent->child->prev;
  last->next = item;
  item->prev = last;
  parent->child->prev = item;
}

struct Parser {
  const char *p;
  const char *end;
  int depth = 0;

  void skip_space() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }
  bool literal(const char *word) {
    const size_t n = std::strlen(word);
    if (static_cast<size_t>(end - p) < n || std::strncmp(p, word, n) != 0) return false;
    p += n;
    return true;
  }
  static void put_utf8(std::string &out, unsigned long cp) {
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
  bool hex4(unsigned long &v) {
    if (end - p < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p++;
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned long>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned long>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned long>(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  char *string() {
    if (p >= end || *p != '"') return nullptr;
    ++p;
    std::string out;
    while (p < end && *p != '"') {
      if (*p != '\\') {
        out += *p++;
        continue;
      }
      if (++p >= end) return nullptr;
      const char e = *p++;
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned long cp;
          if (!hex4(cp)) return nullptr;
          if (cp >= 0xD800 && cp < 0xDC00) {
            unsigned long low;
            if (!literal("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return nullptr;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          put_utf8(out, cp);
          break;
        }
        default: return nullptr;
      }
    }
    if (p >= end) return nullptr;
    ++p;
    return copy(out.data(), out.size());
  }
  cJSON *value() {
    skip_space();
    if (p >= end || ++depth > CJSON_NESTING_LIMIT) return nullptr;
    cJSON *item = nullptr;
    if (literal("null")) item = new_item(cJSON_NULL);
    else if (literal("true")) item = new_item(cJSON_True);
    else if (literal("false")) item = new_item(cJSON_False);
    else if (*p == '"') {
      char *s = string();
      if (s == nullptr) return nullptr;
      item = new_item(cJSON_String);
      item->valuestring = s;
    } else if (*p == '[' || *p == '{') {
      item = container(*p == '{');
    } else {
      item = number();
    }
    --depth;
    return item;
  }
  cJSON *number() {
    std::string text;
    while (p < end && std::strchr("+-0123456789.eE", *p) != nullptr) text += *p++;
    if (text.empty()) return nullptr;
    char *stop = nullptr;
    const double d = std::strtod(text.c_str(), &stop);
    if (stop != text.c_str() + text.size()) return nullptr;
    cJSON *item = new_item(cJSON_Number);
    cJSON_SetNumberHelper(item, d);
    return item;
  }
  cJSON *container(bool object) {
    cJSON *item = new_item(object ? cJSON_Object : cJSON_Array);
    ++p;
    skip_space();
    if (p < end && *p == (object ? '}' : ']')) {
      ++p;
      return item;
    }
    while (true) {
      char *key = nullptr;
      if (object) {
        skip_space();
        key = string();
        skip_space();
        if (key == nullptr || p >= end || *p++ != ':') {
          std::free(key);
          cJSON_Delete(item);
          return nullptr;
        }
      }
      cJSON *child = value();
      if (child == nullptr) {
        std::free(key);
        cJSON_Delete(item);
        return nullptr;
      }
      child->string = key;
      append(item, child);
      skip_space();
      if (p < end && *p == ',') {
        ++p;
        continue;
      }
      if (p < end && *p == (object ? '}' : ']')) {
        ++p;
        return item;
      }
      cJSON_Delete(item);
      return nullptr;
    }
  }
};

void print_string(std::string &out, const char *s) {
  out += '"';
  for (; *s != '\0'; ++s) {
    const unsigned char c = static_cast<unsigned char>(*s);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// As cJSON prints: pretty output indents objects with tabs, one member a line, and
// keeps arrays on one line with ", " between elements.
void print(std::string &out, const cJSON *item, bool pretty = false, int depth = 0) {
  switch (item->type & 0xFF) {
    case cJSON_NULL: out += "null"; break;
    case cJSON_True: out += "true"; break;
    case cJSON_False: out += "false"; break;
    case cJSON_String: print_string(out, item->valuestring ? item->valuestring : ""); break;
    case cJSON_Raw: out += item->valuestring ? item->valuestring : ""; break;
    case cJSON_Number: {
      const double d = item->valuedouble;
      char buf[32];
      double back = 0;
      if (std::isnan(d) || std::isinf(d)) {
        std::snprintf(buf, sizeof buf, "null");
      } else if (d == static_cast<double>(item->valueint)) {
        std::snprintf(buf, sizeof buf, "%d", item->valueint);
      } else {
        std::snprintf(buf, sizeof buf, "%1.15g", d);
        if (std::sscanf(buf, "%lg", &back) != 1 || back != d) std::snprintf(buf, sizeof buf, "%1.17g", d);
      }
      out += buf;
      break;
    }
    case cJSON_Array:
      out += '[';
      for (const cJSON *c = item->child; c != nullptr; c = c->next) {
        if (c != item->child) out += pretty ? ", " : ",";
        print(out, c, pretty, depth + 1);
      }
      out += ']';
      break;
    case cJSON_Object:
      out += '{';
      if (pretty) out += '\n';
      for (const cJSON *c = item->child; c != nullptr; c = c->next) {
        if (pretty) out.append(static_cast<size_t>(depth + 1), '\t');
        print_string(out, c->string ? c->string : "");
        out += ':';
        if (pretty) out += '\t';
        print(out, c, pretty, depth + 1);
        if (c->next != nullptr) out += ',';
        if (pretty) out += '\n';
      }
      if (pretty) out.append(static_cast<size_t>(depth), '\t');
      out += '}';
      break;
    default: break;
  }
}

// A string-valued item (cJSON_String, cJSON_Raw); nullptr if out of memory.
cJSON *text_item(int type, const char *text) {
  cJSON *item = new_item(type);
  if (item == nullptr) return nullptr;
  item->valuestring = copy(text, std::strlen(text));
  if (item->valuestring == nullptr) {
    cJSON_Delete(item);
    return nullptr;
  }
  return item;
}

cJSON *add(cJSON *object, const char *name, cJSON *item) {
  if (object == nullptr || item == nullptr) {
    cJSON_Delete(item);
    return nullptr;
  }
  item->string = copy(name, std::strlen(name));
  append(object, item);
  return item;
}

}  // namespace

extern "C" {

CJSON_PUBLIC(double) cJSON_SetNumberHelper(cJSON *object, double number) {
  object->valuedouble = number;
  object->valueint = number >= 2147483647.0 ? 2147483647
                     : number <= -2147483648.0 ? -2147483647 - 1
                                               : static_cast<int>(number);
  return number;
}

CJSON_PUBLIC(cJSON *) cJSON_ParseWithLengthOpts(const char *value, size_t length,
                                                const char **return_parse_end,
                                                cJSON_bool require_null_terminated) {
  if (value == nullptr) return nullptr;
  Parser parser{value, value + length};
  cJSON *item = parser.value();
  if (item != nullptr) {
    parser.skip_space();
    if (require_null_terminated && parser.p < parser.end && *parser.p != '\0') {
      cJSON_Delete(item);
      item = nullptr;
    }
  }
  if (return_parse_end != nullptr) *return_parse_end = parser.p;
  return item;
}

CJSON_PUBLIC(cJSON *) cJSON_ParseWithOpts(const char *value, const char **return_parse_end,
                                          cJSON_bool require_null_terminated) {
  return value == nullptr ? nullptr
                          : cJSON_ParseWithLengthOpts(value, std::strlen(value) + 1,
                                                      return_parse_end, require_null_terminated);
}

CJSON_PUBLIC(cJSON *) cJSON_Parse(const char *value) {
  return value == nullptr ? nullptr : cJSON_ParseWithLengthOpts(value, std::strlen(value), nullptr, 0);
}

CJSON_PUBLIC(int) cJSON_GetArraySize(const cJSON *array) {
  int n = 0;
  for (const cJSON *c = array != nullptr ? array->child : nullptr; c != nullptr; c = c->next) ++n;
  return n;
}

CJSON_PUBLIC(void) cJSON_Delete(cJSON *item) {
  while (item != nullptr) {
    cJSON *next = item->next;
    // As cJSON does: a reference owns neither its children nor its string, and a
    // StringIsConst key belongs to someone else (the engine's parser sets both flags).
    if (!(item->type & cJSON_IsReference)) {
      if (item->child != nullptr) cJSON_Delete(item->child);
      std::free(item->valuestring);
    }
    if (!(item->type & cJSON_StringIsConst)) std::free(item->string);
    std::free(item);
    item = next;
  }
}

CJSON_PUBLIC(void) cJSON_free(void *object) { std::free(object); }

CJSON_PUBLIC(cJSON_bool) cJSON_IsObject(const cJSON *const item) {
  return item != nullptr && (item->type & 0xFF) == cJSON_Object;
}
CJSON_PUBLIC(cJSON_bool) cJSON_IsNumber(const cJSON *const item) {
  return item != nullptr && (item->type & 0xFF) == cJSON_Number;
}
CJSON_PUBLIC(cJSON_bool) cJSON_IsNull(const cJSON *const item) {
  return item != nullptr && (item->type & 0xFF) == cJSON_NULL;
}
CJSON_PUBLIC(cJSON_bool) cJSON_IsTrue(const cJSON *const item) {
  return item != nullptr && (item->type & 0xFF) == cJSON_True;
}
CJSON_PUBLIC(cJSON_bool) cJSON_IsString(const cJSON *const item) {
  return item != nullptr && (item->type & 0xFF) == cJSON_String;
}

// Case-insensitive over ASCII, as cJSON's own comparison is.
static bool same_ignoring_case(const char *a, const char *b) {
  const auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  for (; *a != '\0' && *b != '\0'; ++a, ++b)
    if (lower(*a) != lower(*b)) return false;
  return *a == *b;
}

CJSON_PUBLIC(cJSON *) cJSON_GetObjectItem(const cJSON *const object, const char *const string) {
  if (object == nullptr || string == nullptr) return nullptr;
  for (cJSON *c = object->child; c != nullptr; c = c->next)
    if (c->string != nullptr && same_ignoring_case(c->string, string)) return c;
  return nullptr;
}

CJSON_PUBLIC(cJSON *) cJSON_CreateObject(void) { return new_item(cJSON_Object); }

CJSON_PUBLIC(cJSON_bool) cJSON_AddItemToArray(cJSON *array, cJSON *item) {
  if (array == nullptr || item == nullptr || array == item) return 0;
  append(array, item);
  return 1;
}

CJSON_PUBLIC(cJSON_bool) cJSON_AddItemToObject(cJSON *object, const char *string, cJSON *item) {
  if (object == nullptr || item == nullptr || string == nullptr || object == item) return 0;
  std::free(item->string);
  item->string = copy(string, std::strlen(string));
  append(object, item);
  return 1;
}

CJSON_PUBLIC(cJSON *) cJSON_AddNullToObject(cJSON *const object, const char *const name) {
  return add(object, name, new_item(cJSON_NULL));
}
CJSON_PUBLIC(cJSON *) cJSON_AddTrueToObject(cJSON *const object, const char *const name) {
  return add(object, name, new_item(cJSON_True));
}
CJSON_PUBLIC(cJSON *) cJSON_AddBoolToObject(cJSON *const object, const char *const name,
                                            const cJSON_bool boolean) {
  return add(object, name, new_item(boolean ? cJSON_True : cJSON_False));
}
CJSON_PUBLIC(cJSON *) cJSON_AddNumberToObject(cJSON *const object, const char *const name,
                                              const double number) {
  cJSON *item = new_item(cJSON_Number);
  if (item != nullptr) cJSON_SetNumberHelper(item, number);
  return add(object, name, item);
}
CJSON_PUBLIC(cJSON *) cJSON_AddStringToObject(cJSON *const object, const char *const name,
                                              const char *const string) {
  return add(object, name, text_item(cJSON_String, string));
}
CJSON_PUBLIC(cJSON *) cJSON_AddArrayToObject(cJSON *const object, const char *const name) {
  return add(object, name, new_item(cJSON_Array));
}

CJSON_PUBLIC(char *) cJSON_Print(const cJSON *item) {
  if (item == nullptr) return nullptr;
  std::string out;
  print(out, item, true);
  return copy(out.data(), out.size());
}

CJSON_PUBLIC(char *) cJSON_PrintUnformatted(const cJSON *item) {
  if (item == nullptr) return nullptr;
  std::string out;
  print(out, item);
  return copy(out.data(), out.size());
}

CJSON_PUBLIC(void *) cJSON_malloc(size_t size) { return std::malloc(size); }

CJSON_PUBLIC(cJSON_bool) cJSON_IsArray(const cJSON *const item) {
  return item != nullptr && (item->type & 0xFF) == cJSON_Array;
}
CJSON_PUBLIC(cJSON_bool) cJSON_IsFalse(const cJSON *const item) {
  return item != nullptr && (item->type & 0xFF) == cJSON_False;
}
CJSON_PUBLIC(cJSON_bool) cJSON_IsBool(const cJSON *const item) {
  return item != nullptr && (item->type & (cJSON_True | cJSON_False)) != 0;
}
CJSON_PUBLIC(cJSON_bool) cJSON_IsRaw(const cJSON *const item) {
  return item != nullptr && (item->type & 0xFF) == cJSON_Raw;
}

CJSON_PUBLIC(cJSON *) cJSON_GetObjectItemCaseSensitive(const cJSON *const object,
                                                       const char *const string) {
  if (object == nullptr || string == nullptr) return nullptr;
  for (cJSON *c = object->child; c != nullptr; c = c->next)
    if (c->string != nullptr && std::strcmp(c->string, string) == 0) return c;
  return nullptr;
}

CJSON_PUBLIC(cJSON *) cJSON_GetArrayItem(const cJSON *array, int index) {
  if (array == nullptr || index < 0) return nullptr;
  cJSON *c = array->child;
  while (c != nullptr && index-- > 0) c = c->next;
  return c;
}

CJSON_PUBLIC(cJSON *) cJSON_CreateArray(void) { return new_item(cJSON_Array); }

CJSON_PUBLIC(cJSON *) cJSON_CreateString(const char *string) {
  return text_item(cJSON_String, string);
}

CJSON_PUBLIC(cJSON *) cJSON_AddRawToObject(cJSON *const object, const char *const name,
                                           const char *const raw) {
  return add(object, name, text_item(cJSON_Raw, raw));
}
CJSON_PUBLIC(cJSON *) cJSON_AddObjectToObject(cJSON *const object, const char *const name) {
  return add(object, name, new_item(cJSON_Object));
}

CJSON_PUBLIC(cJSON *) cJSON_DetachItemViaPointer(cJSON *parent, cJSON *const item) {
  if (parent == nullptr || item == nullptr) return nullptr;
  if (item != parent->child) item->prev->next = item->next;
  if (item->next != nullptr) item->next->prev = item->prev;
  if (item == parent->child) {
    parent->child = item->next;
  } else if (item->next == nullptr) {
    parent->child->prev = item->prev;  // the last one moved
  }
  item->prev = nullptr;
  item->next = nullptr;
  return item;
}

CJSON_PUBLIC(cJSON_bool) cJSON_ReplaceItemViaPointer(cJSON *const parent, cJSON *const item,
                                                     cJSON *replacement) {
  if (parent == nullptr || parent->child == nullptr || replacement == nullptr || item == nullptr)
    return 0;
  if (replacement == item) return 1;
  replacement->next = item->next;
  replacement->prev = item->prev;
  if (replacement->next != nullptr) replacement->next->prev = replacement;
  if (parent->child == item) {
    if (parent->child->prev == parent->child) replacement->prev = replacement;
    parent->child = replacement;
  } else {
    if (replacement->prev != nullptr) replacement->prev->next = replacement;
    if (replacement->next == nullptr) parent->child->prev = replacement;
  }
  item->next = nullptr;
  item->prev = nullptr;
  cJSON_Delete(item);
  return 1;
}

CJSON_PUBLIC(cJSON_bool) cJSON_ReplaceItemInArray(cJSON *array, int which, cJSON *newitem) {
  if (which < 0) return 0;
  return cJSON_ReplaceItemViaPointer(array, cJSON_GetArrayItem(array, which), newitem);
}

CJSON_PUBLIC(cJSON_bool) cJSON_ReplaceItemInObjectCaseSensitive(cJSON *object,
                                                                const char *string,
                                                                cJSON *newitem) {
  if (newitem == nullptr || string == nullptr) return 0;
  std::free(newitem->string);
  newitem->string = copy(string, std::strlen(string));
  if (newitem->string == nullptr) return 0;
  newitem->type &= ~cJSON_StringIsConst;
  return cJSON_ReplaceItemViaPointer(object, cJSON_GetObjectItemCaseSensitive(object, string),
                                     newitem);
}

CJSON_PUBLIC(cJSON *) cJSON_Duplicate(const cJSON *item, cJSON_bool recurse) {
  if (item == nullptr) return nullptr;
  // Every string is copied (this subset's cJSON_Delete frees them all).
  cJSON *out = new_item(item->type & ~(cJSON_IsReference | cJSON_StringIsConst));
  if (out == nullptr) return nullptr;
  out->valueint = item->valueint;
  out->valuedouble = item->valuedouble;
  if (item->valuestring != nullptr) {
    out->valuestring = copy(item->valuestring, std::strlen(item->valuestring));
    if (out->valuestring == nullptr) goto fail;
  }
  if (item->string != nullptr) {
    out->string = copy(item->string, std::strlen(item->string));
    if (out->string == nullptr) goto fail;
  }
  if (recurse) {
    for (const cJSON *c = item->child; c != nullptr; c = c->next) {
      cJSON *dup = cJSON_Duplicate(c, 1);
      if (dup == nullptr) goto fail;
      append(out, dup);
    }
  }
  return out;
fail:
  cJSON_Delete(out);
  return nullptr;
}

CJSON_PUBLIC(cJSON_bool) cJSON_Compare(const cJSON *const a, const cJSON *const b,
                                       const cJSON_bool case_sensitive) {
  if (a == nullptr || b == nullptr || (a->type & 0xFF) != (b->type & 0xFF)) return 0;
  switch (a->type & 0xFF) {
    case cJSON_False: case cJSON_True: case cJSON_NULL: case cJSON_Number: case cJSON_String:
    case cJSON_Raw: case cJSON_Array: case cJSON_Object:
      break;
    default:
      return 0;
  }
  if (a == b) return 1;
  switch (a->type & 0xFF) {
    case cJSON_False: case cJSON_True: case cJSON_NULL:
      return 1;
    case cJSON_Number: {
      const double m = std::fmax(std::fabs(a->valuedouble), std::fabs(b->valuedouble));
      return std::fabs(a->valuedouble - b->valuedouble) <= m * 2.220446049250313e-16;
    }
    case cJSON_String: case cJSON_Raw:
      if (a->valuestring == nullptr || b->valuestring == nullptr) return 0;
      return std::strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array: {
      const cJSON *x = a->child;
      const cJSON *y = b->child;
      for (; x != nullptr && y != nullptr; x = x->next, y = y->next)
        if (!cJSON_Compare(x, y, case_sensitive)) return 0;
      return x == y;
    }
    default: {  // objects: the same keys with equal values, in any order
      const auto find = [case_sensitive](const cJSON *o, const char *key) {
        return case_sensitive ? cJSON_GetObjectItemCaseSensitive(o, key)
                              : cJSON_GetObjectItem(o, key);
      };
      for (const cJSON *x = a->child; x != nullptr; x = x->next) {
        const cJSON *y = find(b, x->string);
        if (y == nullptr || !cJSON_Compare(x, y, case_sensitive)) return 0;
      }
      for (const cJSON *y = b->child; y != nullptr; y = y->next) {
        const cJSON *x = find(a, y->string);
        if (x == nullptr || !cJSON_Compare(y, x, case_sensitive)) return 0;
      }
      return 1;
    }
  }
}

}  // extern "C"

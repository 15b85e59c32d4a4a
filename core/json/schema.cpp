#include "json/schema.hpp"

#include <cstring>
#include <set>

namespace filelock::json {

namespace {

const std::set<std::string> kAnnotations = {"$schema", "$id", "title", "description",
                                            "default", "examples", "$comment"};
const std::set<std::string> kTypes = {"object", "array",   "string", "number",
                                      "integer", "boolean", "null"};

[[noreturn]] void bad_schema(const std::string &where, const std::string &what) {
  throw JsonError(Status::invalid, "schema '" + where + "': " + what);
}

[[noreturn]] void violation(const std::string &pointer, const std::string &what) {
  throw JsonError(Status::validation, "'" + pointer + "': " + what);
}

bool has_type(const cJSON *value, const std::string &type) {
  if (type == "object") return cJSON_IsObject(value);
  if (type == "array") return cJSON_IsArray(value);
  if (type == "string") return cJSON_IsString(value);
  if (type == "number") return is_number(value);
  if (type == "integer") return is_integer(value);
  if (type == "boolean") return cJSON_IsBool(value);
  return cJSON_IsNull(value);
}

size_t code_points(const char *s) {
  size_t n = 0;
  for (; *s != '\0'; ++s) n += (static_cast<unsigned char>(*s) & 0xC0) != 0x80;
  return n;
}

std::string number_text(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

double non_negative_count(const cJSON *rule, const std::string &where) {
  if (!is_integer(rule) || number_value(rule) < 0) {
    bad_schema(where, std::string(rule->string) + " must be a non-negative integer");
  }
  return number_value(rule);
}

}  // namespace

Schema::Schema(std::string_view schema_json) {
  try {
    schema_ = parse(schema_json);
  } catch (const JsonError &e) {
    throw JsonError(Status::invalid, std::string("schema: ") + e.what());
  }
  compile(schema_.get(), "");
}

void Schema::compile(const cJSON *schema, const std::string &where) {
  if (cJSON_IsBool(schema)) return;
  if (!cJSON_IsObject(schema)) bad_schema(where, "a schema must be an object or a boolean");
  for (const cJSON *rule = schema->child; rule != nullptr; rule = rule->next) {
    const std::string key = rule->string;
    const std::string at = where + "/" + escape_token(key);
    if (kAnnotations.count(key) != 0) continue;
    if (key == "type") {
      const auto check_name = [&](const cJSON *t) {
        if (!cJSON_IsString(t) || kTypes.count(t->valuestring) == 0) bad_schema(at, "unknown type");
      };
      if (cJSON_IsArray(rule)) {
        for (const cJSON *t = rule->child; t != nullptr; t = t->next) check_name(t);
      } else {
        check_name(rule);
      }
    } else if (key == "properties") {
      if (!cJSON_IsObject(rule)) bad_schema(at, "must be an object");
      for (const cJSON *p = rule->child; p != nullptr; p = p->next) {
        compile(p, at + "/" + escape_token(p->string));
      }
    } else if (key == "additionalProperties" || key == "items") {
      compile(rule, at);
    } else if (key == "required") {
      if (!cJSON_IsArray(rule)) bad_schema(at, "must be an array of strings");
      for (const cJSON *r = rule->child; r != nullptr; r = r->next) {
        if (!cJSON_IsString(r)) bad_schema(at, "must be an array of strings");
      }
    } else if (key == "enum") {
      if (!cJSON_IsArray(rule)) bad_schema(at, "must be an array");
    } else if (key == "const") {
      // any value
    } else if (key == "minimum" || key == "maximum") {
      if (!is_number(rule)) bad_schema(at, "must be a number");
    } else if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems") {
      non_negative_count(rule, at);
    } else if (key == "pattern") {
      if (!cJSON_IsString(rule)) bad_schema(at, "must be a string");
      try {
        patterns_.emplace(rule, Regex(rule->valuestring));
      } catch (const RegexError &e) {
        bad_schema(at, std::string("invalid regular expression: ") + e.what());
      }
    } else {
      bad_schema(at, "keyword '" + key + "' is not supported");
    }
  }
}

void Schema::check(const cJSON *document) const {
  std::string pointer;
  check(schema_.get(), document, pointer);
}

void Schema::check(const cJSON *schema, const cJSON *value, std::string &pointer) const {
  if (cJSON_IsBool(schema)) {
    if (cJSON_IsFalse(schema)) violation(pointer, "no value is allowed here (schema false)");
    return;
  }
  for (const cJSON *rule = schema->child; rule != nullptr; rule = rule->next) {
    const char *key = rule->string;
    if (std::strcmp(key, "type") == 0) {
      bool ok = false;
      std::string names;
      if (cJSON_IsArray(rule)) {
        for (const cJSON *t = rule->child; t != nullptr; t = t->next) {
          ok = ok || has_type(value, t->valuestring);
          names += names.empty() ? t->valuestring : std::string(" or ") + t->valuestring;
        }
      } else {
        ok = has_type(value, rule->valuestring);
        names = rule->valuestring;
      }
      if (!ok) violation(pointer, "type: must be " + names + ", is " + print(value, false));
    } else if (std::strcmp(key, "enum") == 0) {
      bool found = false;
      for (const cJSON *e = rule->child; e != nullptr && !found; e = e->next) found = equal(e, value);
      if (!found) violation(pointer, "enum: " + print(value, false) + " is not one of " + print(rule, false));
    } else if (std::strcmp(key, "const") == 0) {
      if (!equal(rule, value)) violation(pointer, "const: must be " + print(rule, false));
    } else if (std::strcmp(key, "minimum") == 0 && is_number(value)) {
      if (compare_numbers(value, rule) < 0) {
        violation(pointer, "minimum: " + print(value, false) + " is less than " + print(rule, false));
      }
    } else if (std::strcmp(key, "maximum") == 0 && is_number(value)) {
      if (compare_numbers(value, rule) > 0) {
        violation(pointer, "maximum: " + print(value, false) + " is greater than " + print(rule, false));
      }
    } else if (std::strcmp(key, "minLength") == 0 && cJSON_IsString(value)) {
      if (code_points(value->valuestring) < number_value(rule)) {
        violation(pointer, "minLength: shorter than " + number_text(number_value(rule)) + " characters");
      }
    } else if (std::strcmp(key, "maxLength") == 0 && cJSON_IsString(value)) {
      if (code_points(value->valuestring) > number_value(rule)) {
        violation(pointer, "maxLength: longer than " + number_text(number_value(rule)) + " characters");
      }
    } else if (std::strcmp(key, "minItems") == 0 && cJSON_IsArray(value)) {
      if (cJSON_GetArraySize(value) < number_value(rule)) {
        violation(pointer, "minItems: fewer than " + number_text(number_value(rule)) + " items");
      }
    } else if (std::strcmp(key, "maxItems") == 0 && cJSON_IsArray(value)) {
      if (cJSON_GetArraySize(value) > number_value(rule)) {
        violation(pointer, "maxItems: more than " + number_text(number_value(rule)) + " items");
      }
    } else if (std::strcmp(key, "pattern") == 0 && cJSON_IsString(value)) {
      if (!patterns_.at(rule).search(value->valuestring)) {
        violation(pointer, "pattern: does not match " + print(rule, false));
      }
    } else if (std::strcmp(key, "required") == 0 && cJSON_IsObject(value)) {
      for (const cJSON *r = rule->child; r != nullptr; r = r->next) {
        if (cJSON_GetObjectItemCaseSensitive(value, r->valuestring) == nullptr) {
          violation(pointer, std::string("required: property '") + r->valuestring + "' is missing");
        }
      }
    } else if (std::strcmp(key, "properties") == 0 && cJSON_IsObject(value)) {
      for (const cJSON *p = rule->child; p != nullptr; p = p->next) {
        const cJSON *member = cJSON_GetObjectItemCaseSensitive(value, p->string);
        if (member == nullptr) continue;
        const size_t len = pointer.size();
        pointer += "/" + escape_token(p->string);
        check(p, member, pointer);
        pointer.resize(len);
      }
    } else if (std::strcmp(key, "additionalProperties") == 0 && cJSON_IsObject(value)) {
      const cJSON *declared = cJSON_GetObjectItemCaseSensitive(schema, "properties");
      for (const cJSON *m = value->child; m != nullptr; m = m->next) {
        if (declared != nullptr && cJSON_GetObjectItemCaseSensitive(declared, m->string) != nullptr) continue;
        const size_t len = pointer.size();
        pointer += "/" + escape_token(m->string);
        if (cJSON_IsFalse(rule)) violation(pointer, "additionalProperties: property is not allowed");
        check(rule, m, pointer);
        pointer.resize(len);
      }
    } else if (std::strcmp(key, "items") == 0 && cJSON_IsArray(value)) {
      size_t index = 0;
      for (const cJSON *item = value->child; item != nullptr; item = item->next, ++index) {
        const size_t len = pointer.size();
        pointer += "/" + std::to_string(index);
        check(rule, item, pointer);
        pointer.resize(len);
      }
    }
  }
}

}  // namespace filelock::json

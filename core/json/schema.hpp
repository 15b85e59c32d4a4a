// A JSON Schema subset checked before every commit (and on read when asked): type,
// properties, required, additionalProperties, items, enum, const, minimum, maximum,
// minLength/maxLength (code points), minItems/maxItems, pattern (the ECMA-262 subset of
// json/regex.hpp, unanchored, linear time).
// Annotations ($schema, $id, title, description, default, examples, $comment) are
// ignored; any other keyword is refused when the schema is loaded, so a rule is never
// silently not enforced.
#pragma once

#include <map>
#include <string_view>

#include "json/json.hpp"
#include "json/regex.hpp"

namespace filelock::json {

class Schema {
 public:
  // Throws JsonError(invalid) for a malformed schema or an unsupported keyword.
  explicit Schema(std::string_view schema_json);
  // Throws JsonError(validation): "'<pointer>': <rule> ...".
  void check(const cJSON *document) const;

 private:
  void compile(const cJSON *schema, const std::string &where);
  void check(const cJSON *schema, const cJSON *value, std::string &pointer) const;

  Doc schema_;
  std::map<const cJSON *, Regex> patterns_;
};

}  // namespace filelock::json

#include "state/journal_ops.hpp"

#include <cstring>

#include "json/merge_patch.hpp"
#include "json/pointer.hpp"

namespace filelock::state {

namespace {

void add_op(std::string &ops, const char *op, const std::string &pointer, const cJSON *value) {
  if (!ops.empty()) ops += ',';
  ops += R"({"op":")";
  ops += op;
  ops += R"(","path":)";
  const json::Doc path(cJSON_CreateString(pointer.c_str()));
  if (!path) throw std::bad_alloc();
  json::print(path.get(), false, ops);
  if (value != nullptr) {
    ops += R"(,"value":)";
    json::print(value, false, ops);
  }
  ops += '}';
}

[[noreturn]] void bad(const std::string &why) {
  throw json::JsonError(Status::corrupt, "journal record: " + why);
}

}  // namespace

void add_set_op(std::string &ops, const std::string &pointer, const cJSON *value) {
  add_op(ops, "set", pointer, value);
}
void add_remove_op(std::string &ops, const std::string &pointer) { add_op(ops, "remove", pointer, nullptr); }
void add_merge_op(std::string &ops, const cJSON *patch) { add_op(ops, "merge", "", patch); }

void apply_ops(json::Doc &doc, std::string_view payload) {
  json::Doc ops = json::parse(payload);
  if (!cJSON_IsArray(ops.get())) bad("not an array of operations");
  for (cJSON *op = ops->child; op != nullptr; op = op->next) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(op, "op");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(op, "path");
    cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
    if (!cJSON_IsString(name) || !cJSON_IsString(path)) bad("an operation without op or path");
    const char *kind = name->valuestring;
    if (std::strcmp(kind, "remove") == 0) {
      json::remove(doc, path->valuestring);
      continue;
    }
    if (value == nullptr) bad(std::string("a '") + kind + "' without a value");
    if (std::strcmp(kind, "set") == 0) {
      // Taken out of the record rather than copied: the record is parsed for this alone.
      cJSON *taken = cJSON_DetachItemViaPointer(op, value);
      if ((taken->type & cJSON_StringIsConst) == 0) cJSON_free(taken->string);
      taken->string = nullptr;  // its key in the record: an array element has none
      taken->type &= ~cJSON_StringIsConst;
      json::set(doc, path->valuestring, json::Doc(taken));
    } else if (std::strcmp(kind, "merge") == 0 && path->valuestring[0] == '\0') {
      json::merge_patch(doc, value);
    } else {
      bad(std::string("unknown operation '") + kind + "'");
    }
  }
}

}  // namespace filelock::state

#include "json/merge_patch.hpp"

namespace filelock::json {

namespace {

// A value with the patch's nulls removed: what MergePatch gives on a non-object target.
Doc patched_fresh(const cJSON *patch);

// RFC 7386 for an object target and object patch, in place; keys keep their order.
void apply_object(cJSON *target, const cJSON *patch) {
  for (const cJSON *p = patch->child; p != nullptr; p = p->next) {
    cJSON *existing = cJSON_GetObjectItemCaseSensitive(target, p->string);
    if (cJSON_IsNull(p)) {
      if (existing != nullptr) free_tree(cJSON_DetachItemViaPointer(target, existing));
    } else if (cJSON_IsObject(p) && cJSON_IsObject(existing)) {
      apply_object(existing, p);
    } else if (existing != nullptr) {
      replace(target, existing, patched_fresh(p));
    } else {
      cJSON_AddItemToObject(target, p->string, patched_fresh(p).release());
    }
  }
}

Doc patched_fresh(const cJSON *patch) {
  if (!cJSON_IsObject(patch)) return duplicate(patch);
  Doc object(cJSON_CreateObject());
  if (!object) throw std::bad_alloc();
  apply_object(object.get(), patch);
  return object;
}

}  // namespace

void merge_patch(Doc &target, const cJSON *patch) {
  if (!cJSON_IsObject(patch) || !cJSON_IsObject(target.get())) {
    target = patched_fresh(patch);
    return;
  }
  apply_object(target.get(), patch);
}

}  // namespace filelock::json

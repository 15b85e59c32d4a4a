// JSON Merge Patch (RFC 7386) on fuzzed documents: applying a patch twice gives what
// applying it once gave; a non-object patch replaces the target; for an object patch
// a null member is absent afterwards, a non-object member is the result's member, and
// members the patch does not name are untouched.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>

#include "fuzz_util.hpp"
#include "json/merge_patch.hpp"

using namespace filelock;

namespace {

// Every member the (object) patch names, at every level, is as the patch says.
void check_applied(const cJSON *result, const cJSON *patch) {
  FUZZ_CHECK(cJSON_IsObject(result));
  for (const cJSON *p = patch->child; p; p = p->next) {
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(result, p->string);
    if (cJSON_IsNull(p)) FUZZ_CHECK(got == nullptr);
    else if (!cJSON_IsObject(p)) FUZZ_CHECK(got != nullptr && json::equal(got, p));
    else check_applied(got, p);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string patch_text = in.ConsumeRandomLengthString(2048);
  const json::Doc patch = fuzz::try_parse(patch_text);
  json::Doc target = fuzz::try_parse(in.ConsumeRemainingBytesAsString());
  if (!patch || !target) return 0;
  const json::Doc original = json::duplicate(target.get());

  json::merge_patch(target, patch.get());
  if (!cJSON_IsObject(patch.get())) {
    FUZZ_CHECK(json::equal(target.get(), patch.get()));
  } else {
    check_applied(target.get(), patch.get());
    if (cJSON_IsObject(original.get())) {
      for (const cJSON *o = original->child; o; o = o->next) {
        if (cJSON_GetObjectItemCaseSensitive(patch.get(), o->string)) continue;
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(target.get(), o->string);
        FUZZ_CHECK(got != nullptr && json::equal(got, o));
      }
    }
  }
  // Idempotence: the same patch again changes nothing.
  const json::Doc once = json::duplicate(target.get());
  json::merge_patch(target, patch.get());
  FUZZ_CHECK(json::equal(target.get(), once.get()));
  FUZZ_CHECK(json::depth(target.get()) <= std::max(json::depth(original.get()), json::depth(patch.get())));
  return 0;
}

// JSON pointers on fuzzed documents: a pointer's tokens escape back to a pointer with
// the same tokens; get, set and remove fail only with their documented statuses; after
// a set, get at the pointer returns the value; a refused set changes nothing; and a set
// that added a member or element, followed by its remove, gives the original back.
#include <fuzzer/FuzzedDataProvider.h>

#include <vector>

#include "fuzz_util.hpp"
#include "json/pointer.hpp"

using namespace filelock;

namespace {

std::string pointer_of(const std::vector<std::string> &tokens, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "/" + json::escape_token(tokens[i]);
  return out;
}

// get() or null for a missing node; `invalid` for a pointer that is malformed there.
const cJSON *try_get(const cJSON *root, const std::string &pointer, bool *invalid = nullptr) {
  try {
    return json::get(root, pointer);
  } catch (const json::JsonError &e) {
    FUZZ_CHECK(e.status() == Status::not_found || e.status() == Status::invalid);
    if (invalid) *invalid = e.status() == Status::invalid;
    return nullptr;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string pointer = in.ConsumeRandomLengthString(512);
  const std::string value_text = in.ConsumeRandomLengthString(512);
  const std::string doc_text = in.ConsumeRemainingBytesAsString();

  std::vector<std::string> tokens;
  try {
    tokens = json::parse_pointer(pointer);
  } catch (const json::JsonError &e) {
    FUZZ_CHECK(e.status() == Status::invalid);
    return 0;
  }
  FUZZ_CHECK(pointer_of(tokens, tokens.size()) == pointer);
  FUZZ_CHECK(json::parse_pointer(pointer_of(tokens, tokens.size())) == tokens);

  json::Doc doc = fuzz::try_parse(doc_text);
  if (!doc) doc = json::parse("{}");
  json::Doc value = fuzz::try_parse(value_text);
  if (!value) value = json::parse("null");
  const json::Doc original = json::duplicate(doc.get());

  const cJSON *before = try_get(doc.get(), pointer);
  const std::string parent_pointer = tokens.empty() ? "" : pointer_of(tokens, tokens.size() - 1);
  const cJSON *parent_before = tokens.empty() ? nullptr : try_get(doc.get(), parent_pointer);
  const int parent_size = parent_before ? cJSON_GetArraySize(parent_before) : 0;
  const bool parent_was_array = cJSON_IsArray(parent_before);
  const bool parent_was_object = cJSON_IsObject(parent_before);

  try {
    json::set(doc, pointer, json::duplicate(value.get()));
  } catch (const json::JsonError &e) {
    FUZZ_CHECK(e.status() == Status::invalid || e.status() == Status::not_found);
    FUZZ_CHECK(json::equal(doc.get(), original.get()));  // refused: nothing changed
    return 0;
  }
  FUZZ_CHECK(json::depth(doc.get()) <= json::kMaxDepth);
  if (tokens.empty()) {
    FUZZ_CHECK(json::equal(doc.get(), value.get()));
    return 0;
  }
  // "-" (or the array's size) appended: the value is now the last element.
  std::vector<std::string> resolved = tokens;
  const cJSON *parent = try_get(doc.get(), parent_pointer);
  FUZZ_CHECK(parent != nullptr);
  const bool appended = parent_was_array && (tokens.back() == "-" || tokens.back() == std::to_string(parent_size));
  if (appended) {
    FUZZ_CHECK(cJSON_GetArraySize(parent) == parent_size + 1);
    resolved.back() = std::to_string(parent_size);
  }
  const std::string at = pointer_of(resolved, resolved.size());
  const cJSON *got = try_get(doc.get(), at);
  FUZZ_CHECK(got != nullptr);
  FUZZ_CHECK(json::equal(got, value.get()));

  // A new member or element taken away again leaves the document as it was.
  if ((parent_was_object && before == nullptr) || appended) {
    json::remove(doc, at);
    FUZZ_CHECK(json::equal(doc.get(), original.get()));
    if (parent_was_object) FUZZ_CHECK(try_get(doc.get(), at) == nullptr);
  }
  return 0;
}

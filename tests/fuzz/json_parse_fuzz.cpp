// The JSON parser on any bytes: a refusal is a JsonError(invalid); an accepted document
// is within the depth limit, prints to text that parses back to an equal document, and
// printing is a fixed point (compact and indented forms alike).
#include "fuzz_util.hpp"

using namespace filelock;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  const json::Doc doc = fuzz::try_parse(text);
  if (!doc) return 0;
  FUZZ_CHECK(json::depth(doc.get()) <= json::kMaxDepth);
  FUZZ_CHECK(json::equal(doc.get(), doc.get()));

  const std::string compact = json::print(doc.get(), false);
  FUZZ_CHECK(fuzz::valid_utf8(compact));
  const json::Doc again = fuzz::try_parse(compact);
  FUZZ_CHECK(again != nullptr);
  FUZZ_CHECK(json::equal(doc.get(), again.get()));
  FUZZ_CHECK(json::print(again.get(), false) == compact);

  const std::string pretty = json::print(doc.get(), true);
  const json::Doc from_pretty = fuzz::try_parse(pretty);
  FUZZ_CHECK(from_pretty != nullptr);
  FUZZ_CHECK(json::equal(doc.get(), from_pretty.get()));
  FUZZ_CHECK(json::print(from_pretty.get(), false) == compact);

  const json::Doc copy = json::duplicate(doc.get());
  FUZZ_CHECK(json::equal(doc.get(), copy.get()));
  FUZZ_CHECK(json::print(copy.get(), false) == compact);
  return 0;
}

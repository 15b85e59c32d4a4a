// The schema checker on fuzzed schemas and documents: loading refuses only with
// JsonError(invalid); checking refuses only with JsonError(validation); the verdict and
// its message are the same every time and for the document's own printed text.
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_util.hpp"
#include "json/schema.hpp"

using namespace filelock;

namespace {

// "" when the document passes, else the validation message.
std::string verdict(const json::Schema &schema, const cJSON *doc) {
  try {
    schema.check(doc);
    return "";
  } catch (const json::JsonError &e) {
    FUZZ_CHECK(e.status() == Status::validation);
    FUZZ_CHECK(*e.what() != '\0');
    return e.what();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string schema_text = in.ConsumeRandomLengthString(4096);
  const json::Doc doc = fuzz::try_parse(in.ConsumeRemainingBytesAsString());
  std::unique_ptr<json::Schema> schema;
  try {
    schema = std::make_unique<json::Schema>(schema_text);
  } catch (const json::JsonError &e) {
    FUZZ_CHECK(e.status() == Status::invalid);
    return 0;
  }
  if (!doc) return 0;
  const std::string first = verdict(*schema, doc.get());
  FUZZ_CHECK(verdict(*schema, doc.get()) == first);
  const json::Doc reparsed = json::parse(json::print(doc.get(), true));
  FUZZ_CHECK(verdict(*schema, reparsed.get()) == first);
  return 0;
}

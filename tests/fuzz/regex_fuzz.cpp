// The schema's regular expressions on fuzzed patterns and subjects: compiling refuses
// only with RegexError; search is deterministic; a pattern without anchors or word
// boundaries that matches a subject matches it inside any longer text; and every
// valid UTF-8 string, its syntax characters escaped, is a pattern that matches itself.
#include <fuzzer/FuzzedDataProvider.h>

#include <memory>

#include "fuzz_util.hpp"
#include "json/regex.hpp"

using namespace filelock;

namespace {

std::unique_ptr<json::Regex> try_compile(const std::string &pattern) {
  try {
    return std::make_unique<json::Regex>(pattern);
  } catch (const json::RegexError &e) {
    FUZZ_CHECK(*e.what() != '\0');
    return nullptr;
  }
}

// Anchors and word boundaries depend on what surrounds a match; conservatively, any
// '^', '$' or escaped letter b/B (an escape of a backslash included) rules a pattern out.
bool context_free(const std::string &pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '^' || pattern[i] == '$') return false;
    if (pattern[i] == '\\' && i + 1 < pattern.size() && (pattern[i + 1] == 'b' || pattern[i + 1] == 'B'))
      return false;
  }
  return true;
}

std::string escaped(const std::string &literal) {
  std::string out;
  for (const char c : literal) {
    if (std::string_view("\\^$.|?*+()[]{}/").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string pattern = in.ConsumeRandomLengthString(256);
  const std::string prefix = in.ConsumeRandomLengthString(16);
  const std::string subject = in.ConsumeRemainingBytesAsString();

  if (const auto re = try_compile(pattern)) {
    const bool found = re->search(subject);
    FUZZ_CHECK(re->search(subject) == found);
    bool ascii = true;
    for (const char c : prefix) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (found && ascii && context_free(pattern) && fuzz::valid_utf8(subject)) {
      FUZZ_CHECK(re->search(prefix + subject + prefix));
    }
  }
  if (fuzz::valid_utf8(subject) && subject.size() <= 512 && subject.find('\0') == std::string::npos) {
    const auto literal = try_compile(escaped(subject));
    FUZZ_CHECK(literal != nullptr);
    FUZZ_CHECK(literal->search(subject));
    FUZZ_CHECK(literal->search("x" + subject + "y"));
  }
  return 0;
}

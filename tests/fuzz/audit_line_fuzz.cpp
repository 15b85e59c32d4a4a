// Audit log lines, as read back from a file anyone may have damaged: any line is
// refused or read as a JSON object; a line formatted for any entry reads back with the
// same fields (invalid UTF-8 turned valid, never refused); and changing any one byte
// of a formatted line makes it refused.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>

#include "fuzz_util.hpp"
#include "state/audit_log.hpp"

using namespace filelock;

namespace {

std::string without_nul(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
  return s;
}

std::string string_member(const cJSON *rec, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
  FUZZ_CHECK(v != nullptr);
  return cJSON_IsString(v) ? v->valuestring : "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (const json::Doc any = state::AuditLog::parse_line(std::string(reinterpret_cast<const char *>(data), size))) {
    FUZZ_CHECK(cJSON_IsObject(any.get()));
  }

  FuzzedDataProvider in(data, size);
  state::AuditEntry e;
  e.generation = in.ConsumeIntegral<uint64_t>();
  e.ok = in.ConsumeBool();
  e.op = without_nul(in.ConsumeRandomLengthString(16));
  e.owner = without_nul(in.ConsumeRandomLengthString(64));
  e.error = without_nul(in.ConsumeRandomLengthString(128));
  const int changed = in.ConsumeIntegralInRange<int>(0, 8);
  for (int i = 0; i < changed; ++i) e.changed.push_back(without_nul(in.ConsumeRandomLengthString(32)));
  const uint8_t flip = in.ConsumeIntegralInRange<uint8_t>(1, 255);

  std::string line = state::AuditLog::format(e);
  FUZZ_CHECK(!line.empty() && line.back() == '\n');
  FUZZ_CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  line.pop_back();
  const json::Doc rec = state::AuditLog::parse_line(line);
  FUZZ_CHECK(rec != nullptr);
  FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(rec.get(), "crc") == nullptr);
  const cJSON *gen = cJSON_GetObjectItemCaseSensitive(rec.get(), "generation");
  FUZZ_CHECK(gen != nullptr && json::print(gen, false) == std::to_string(e.generation));
  FUZZ_CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(rec.get(), "ok")) &&
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec.get(), "ok")) == e.ok);
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(rec.get(), "changed");
  FUZZ_CHECK(cJSON_GetArraySize(list) == static_cast<int>(e.changed.size()));
  if (fuzz::valid_utf8(e.op)) FUZZ_CHECK(string_member(rec.get(), "op") == e.op);
  if (fuzz::valid_utf8(e.owner)) FUZZ_CHECK(string_member(rec.get(), "owner") == e.owner);
  if (fuzz::valid_utf8(e.error)) FUZZ_CHECK(string_member(rec.get(), "error") == e.error);
  for (int i = 0; i < static_cast<int>(e.changed.size()); ++i) {
    if (fuzz::valid_utf8(e.changed[i])) FUZZ_CHECK(cJSON_GetArrayItem(list, i)->valuestring == e.changed[i]);
  }

  // One damaged byte anywhere is found, the closing '"}' outside the checksum too.
  const size_t at = in.ConsumeIntegralInRange<size_t>(0, line.size() - 1);
  std::string damaged = line;
  damaged[at] = static_cast<char>(damaged[at] ^ flip);
  FUZZ_CHECK(state::AuditLog::parse_line(damaged) == nullptr);
  return 0;
}

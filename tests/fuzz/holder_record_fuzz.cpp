// Holder records, as read from a lock file anyone may write: any bytes parse or are
// refused without harm; a record rendered for any identity the OS can produce
// (a hostname of up to 64 bytes, a 36-character boot id, any owner label) is exactly
// kHolderRecordSize bytes ending in '\n' and parses back to the same fields, the owner
// label cut only where it would not fit.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>

#include "fuzz_util.hpp"
#include "lock/holder_record.hpp"
#include "lock/lock.hpp"

using namespace filelock;

namespace {

// Exact in a double and so in the record's JSON number.
constexpr int64_t kMaxExact = int64_t{1} << 53;

std::string without_nul(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string bytes(reinterpret_cast<const char *>(data), size);
  {
    HolderRecord any;
    (void)parse_holder_record(bytes, any);
  }

  FuzzedDataProvider in(data, size);
  platform::ProcessIdentity who;
  who.pid = in.ConsumeIntegralInRange<int64_t>(1, (int64_t{1} << 31) - 1);
  who.start_time = in.ConsumeIntegralInRange<int64_t>(0, kMaxExact);
  who.host = without_nul(in.ConsumeRandomLengthString(64));  // HOST_NAME_MAX
  for (int i = 0; i < 36; ++i) who.boot_id += "0123456789abcdef-"[in.ConsumeIntegralInRange<int>(0, 16)];
  const int64_t at = in.ConsumeIntegralInRange<int64_t>(0, kMaxExact);
  const uint64_t handle = in.ConsumeIntegral<uint64_t>();
  const char *backend = backend_name(static_cast<Backend>(in.ConsumeIntegralInRange<int>(0, 6)));
  const std::string owner = without_nul(in.ConsumeRemainingBytesAsString());

  const HolderRecordTemplate tmpl(who, owner, backend, handle);
  const std::string record = tmpl.render(at);
  FUZZ_CHECK(record.size() == kHolderRecordSize);
  FUZZ_CHECK(record.back() == '\n');
  HolderRecord back;
  FUZZ_CHECK(parse_holder_record(record, back));
  FUZZ_CHECK(back.pid == who.pid);
  FUZZ_CHECK(back.start_time == who.start_time);
  // A hostname is recorded printable (control characters and bytes that are not UTF-8
  // replaced) and cut to 64 bytes; one that already is comes back as it was.
  const std::string printable = to_printable_utf8(who.host, true);
  if (printable == who.host) {
    FUZZ_CHECK(back.host == who.host);
  } else {
    FUZZ_CHECK(back.host.size() <= 64 && printable.compare(0, back.host.size(), back.host) == 0);
  }
  FUZZ_CHECK(back.boot_id == who.boot_id);
  FUZZ_CHECK(back.acquired_at == at);
  FUZZ_CHECK(back.mode == "exclusive");
  FUZZ_CHECK(back.backend == backend);
  FUZZ_CHECK(owner.compare(0, back.owner.size(), back.owner) == 0);
  // The label is whole whenever it fits: the fixed part (as rendered without a label),
  // the member ',"owner":' and the quoted label, with room for the time (24 bytes).
  size_t quoted = 2;
  for (const unsigned char c : owner) quoted += c < 0x20 ? 6 : c == '"' || c == '\\' ? 2 : 1;
  const std::string bare = HolderRecordTemplate(who, "", backend, handle).render(at);
  const size_t fixed = bare.find(",\"acquired_at\":") + std::string(",\"acquired_at\":").size();
  if (fixed + 9 + quoted + 24 <= kHolderRecordSize) FUZZ_CHECK(back.owner == owner);
  return 0;
}

// The generation record (meta_dir/generation), as read from a file anyone may have
// written: any bytes load as a record or as all zeros (only the exact layout with its
// magic and checksum counts); resolve() gives each stored checksum its generation; and
// any record stored reads back unchanged, whatever bytes lay beyond it.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstring>

#include "fuzz_util.hpp"
#include "state/generation.hpp"

using namespace filelock;

namespace {

bool same(const state::GenerationRecord &a, const state::GenerationRecord &b) {
  return a.generation == b.generation && a.checksum == b.checksum &&
         a.previous_generation == b.previous_generation && a.previous_checksum == b.previous_checksum &&
         a.backups_epoch == b.backups_epoch;
}

void check_resolve(const state::GenerationRecord &r) {
  if (r.generation != 0) FUZZ_CHECK(state::GenerationFile::resolve(r, r.checksum) == r.generation);
  if (r.previous_generation != 0 && r.previous_checksum != r.checksum)
    FUZZ_CHECK(state::GenerationFile::resolve(r, r.previous_checksum) == r.previous_generation);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  state::GenerationRecord next;
  next.generation = in.ConsumeIntegral<uint64_t>();
  next.checksum = in.ConsumeIntegral<uint64_t>();
  next.previous_generation = in.ConsumeIntegral<uint64_t>();
  next.previous_checksum = in.ConsumeIntegral<uint64_t>();
  next.backups_epoch = in.ConsumeIntegral<uint64_t>();
  const std::string bytes = in.ConsumeRemainingBytesAsString();

  const std::string path = fuzz::scratch_dir() + "/generation";
  fuzz::write_bytes(path, bytes);
  state::GenerationFile file(path);
  const state::GenerationRecord loaded = file.load();
  if (bytes.size() < 56) FUZZ_CHECK(same(loaded, {}));
  check_resolve(loaded);
  check_resolve(next);

  file.store(next);
  FUZZ_CHECK(same(file.load(), next));
  FUZZ_CHECK(same(state::GenerationFile(path).load(), next));
  return 0;
}

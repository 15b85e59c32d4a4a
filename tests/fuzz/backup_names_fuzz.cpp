// The backups directory (meta_dir/backups), as listed from a directory anyone may have
// put files in: list() names only well-formed backups, each with the generation its
// name says, newest first; file_of() accepts exactly those ids; rotation keeps the
// newest `keep` backups and never removes a file that is not one.
#include <dirent.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <set>

#include "fuzz_util.hpp"
#include "state/backups.hpp"

using namespace filelock;

namespace {

std::set<std::string> names_in(const std::string &dir) {
  std::set<std::string> out;
  if (DIR *d = opendir(dir.c_str())) {
    while (const dirent *e = readdir(d)) {
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.insert(e->d_name);
    }
    closedir(d);
  }
  return out;
}

// A name: fuzzed bytes, or (half the time) one shaped like a backup's, with fuzzed parts.
std::string name_from(FuzzedDataProvider &in) {
  if (in.ConsumeBool()) {
    std::string id = in.ConsumeBytesAsString(8) + "T" + in.ConsumeBytesAsString(6) + "." +
                     in.ConsumeBytesAsString(6) + "Z-g";
    if (in.ConsumeBool()) {  // as written: a uint64_t, zero-padded
      char digits[24];
      std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(in.ConsumeIntegral<uint64_t>()));
      id += digits;
    } else {  // any 20 digits; past UINT64_MAX the name is no backup: neither listed nor rotated
      for (int i = 0; i < 20; ++i) id += static_cast<char>('0' + in.ConsumeIntegralInRange<int>(0, 9));
    }
    return id + (in.ConsumeBool() ? ".json" : in.ConsumeRandomLengthString(6));
  }
  return in.ConsumeRandomLengthString(64);
}

// The backup id a planted name stands for ("" if it is no "<id>.json": a name that only
// begins with an id, e.g. "<id>61124", is not that backup).
std::string id_of(const std::string &name) {
  const std::string ext = ".json";
  if (name.size() <= ext.size() || name.compare(name.size() - ext.size(), ext.size(), ext) != 0) return "";
  return name.substr(0, name.size() - ext.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string dir = fuzz::scratch_dir() + "/backups";
  mkdir(dir.c_str(), 0755);
  fuzz::clear_dir(dir);
  const int keep = in.ConsumeIntegralInRange<int>(0, 8);
  std::set<std::string> planted;
  for (int i = in.ConsumeIntegralInRange<int>(0, 12); i > 0 && in.remaining_bytes() > 0; --i) {
    const std::string name = name_from(in);
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos || name.size() > 200) {
      continue;
    }
    fuzz::write_bytes(dir + "/" + name, "{}");
    planted.insert(name);
  }

  state::Backups backups(dir);
  const auto listed = backups.list();
  std::set<std::string> ids;
  for (size_t i = 0; i < listed.size(); ++i) {
    const auto &b = listed[i];
    FUZZ_CHECK(b.id.size() == state::Backups::kIdSize);
    FUZZ_CHECK(planted.count(b.id + ".json") == 1);
    FUZZ_CHECK(b.generation == std::strtoull(b.id.c_str() + 25, nullptr, 10));
    FUZZ_CHECK(b.size == 2);
    FUZZ_CHECK(backups.file_of(b.id) == dir + "/" + b.id + ".json");
    if (i > 0) {
      const auto &prev = listed[i - 1];
      FUZZ_CHECK(prev.generation > b.generation || (prev.generation == b.generation && prev.id > b.id));
    }
    ids.insert(b.id);
  }
  for (const auto &name : planted) {
    if (ids.count(id_of(name))) continue;
    try {
      backups.file_of(name);
      FUZZ_CHECK(name.size() == state::Backups::kIdSize);  // well-formed, just not a .json file
    } catch (const Error &e) {
      FUZZ_CHECK(e.status() == Status::not_found);
    }
  }

  backups.rotate(keep, 0, 1, "");
  const auto after = names_in(dir);
  size_t kept = 0;
  for (const auto &name : planted) {
    if (!ids.count(id_of(name))) {
      FUZZ_CHECK(after.count(name) == 1);  // not a backup: never removed
      continue;
    }
    if (after.count(name)) ++kept;
  }
  FUZZ_CHECK(kept == std::min<size_t>(ids.size(), static_cast<size_t>(keep)));
  for (size_t i = 0; i < listed.size() && i < static_cast<size_t>(keep); ++i) {
    FUZZ_CHECK(after.count(listed[i].id + ".json") == 1);  // the newest are the ones kept
  }
  return 0;
}

// A state file opened over a meta_dir anyone may have filled: fuzzed generation
// record, audit.log and audit.log.1, owner file, lock file (holder record) and
// backups/ (names and contents), beside a fuzzed document. Whatever is there, every
// call ends in success or a filelock::Error with a message (never another exception);
// a document that parses is read as it is; a commit on top of anything read gives a
// higher generation, reads back, and is the newest history record whenever history
// can be read; a restored backup reads back as that backup's document.
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/stat.h>

#include "fuzz_util.hpp"
#include "state/state.hpp"

using namespace filelock;

namespace {

void plant(FuzzedDataProvider &in, const std::string &path, size_t max) {
  if (in.ConsumeBool()) fuzz::write_bytes(path, in.ConsumeRandomLengthString(max));
}

void expect_error(const Error &e) { FUZZ_CHECK(*e.what() != '\0'); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string dir = fuzz::scratch_dir() + "/meta";
  mkdir(dir.c_str(), 0755);
  fuzz::clear_dir(dir);
  const std::string path = dir + "/state.json";
  const std::string meta = dir + "/.state.json.filelock";
  mkdir(meta.c_str(), 0755);
  mkdir((meta + "/backups").c_str(), 0755);

  state::StateOptions options;
  options.durable = false;
  options.max_backups = in.ConsumeIntegralInRange<int>(0, 4);
  options.lock_timeout_ms = 0;
  plant(in, meta + "/generation", 80);
  plant(in, meta + "/audit.log", 2048);
  plant(in, meta + "/audit.log.1", 1024);
  plant(in, path + ".lock", 600);
  if (in.ConsumeBool()) fuzz::write_bytes(meta + "/owner", in.ConsumeBool() ? path : in.ConsumeRandomLengthString(64));
  for (int i = in.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
    char id[64];
    std::snprintf(id, sizeof id, "20261124T1145%02d.%06dZ-g%020llu", in.ConsumeIntegralInRange<int>(0, 59),
                  in.ConsumeIntegralInRange<int>(0, 999999),
                  static_cast<unsigned long long>(in.ConsumeIntegralInRange<uint64_t>(0, 1000)));
    fuzz::write_bytes(meta + "/backups/" + id + ".json", in.ConsumeRandomLengthString(512));
  }
  const std::string document = in.ConsumeRemainingBytesAsString();
  fuzz::write_bytes(path, document);

  std::unique_ptr<state::State> st;
  try {
    st = std::make_unique<state::State>(path, options);
  } catch (const Error &e) {
    expect_error(e);
    return 0;
  }

  try {
    const auto report = st->verify();
    FUZZ_CHECK(report.ok || !report.problems.empty());  // damage is always named
  } catch (const Error &e) {
    expect_error(e);
  }
  try {
    FUZZ_CHECK(cJSON_IsArray(fuzz::try_parse(st->history(0)).get()));
  } catch (const Error &e) {
    // A damaged log, or a planted lock file (a legacy pid lock of a live pid) held.
    FUZZ_CHECK(e.status() == Status::corrupt || e.status() == Status::busy ||
               e.status() == Status::timeout);
  }
  std::vector<state::BackupInfo> backups;
  try {
    backups = st->backups();
  } catch (const Error &e) {
    expect_error(e);
  }

  state::State::Snapshot snap{};
  try {
    snap = st->read();
  } catch (const Error &e) {
    expect_error(e);
    const json::Doc as_json = fuzz::try_parse(document);
    FUZZ_CHECK(as_json == nullptr);  // only a document that does not parse is refused
    return 0;
  }
  FUZZ_CHECK(snap.generation >= 1);
  const json::Doc was = fuzz::try_parse(document);
  FUZZ_CHECK(was != nullptr && json::equal(was.get(), fuzz::try_parse(snap.json).get()));

  // A commit on top of whatever was there.
  const std::string next = "{\"fuzz\":" + std::to_string(snap.generation) + "}";
  uint64_t committed = 0;
  try {
    committed = st->write(next, &snap.generation);
  } catch (const Error &e) {
    expect_error(e);
    return 0;
  }
  FUZZ_CHECK(committed > snap.generation);
  const auto after = st->read();
  FUZZ_CHECK(after.generation == committed);
  FUZZ_CHECK(json::equal(fuzz::try_parse(after.json).get(), json::parse(next).get()));
  try {
    const json::Doc history = fuzz::try_parse(st->history(1));
    const cJSON *newest = cJSON_GetArrayItem(history.get(), 0);
    FUZZ_CHECK(newest != nullptr);
    FUZZ_CHECK(json::print(cJSON_GetObjectItemCaseSensitive(newest, "generation"), false) ==
               std::to_string(committed));
  } catch (const Error &e) {
    // A damaged log, or a planted lock file (a legacy pid lock of a live pid) held.
    FUZZ_CHECK(e.status() == Status::corrupt || e.status() == Status::busy ||
               e.status() == Status::timeout);  // damage the fuzzer planted, found
  }

  // The newest backup that parses, restored, is the document.
  for (const auto &b : st->backups()) {
    std::string text;
    if (!io::read_file(meta + "/backups/" + b.id + ".json", text)) continue;
    const json::Doc want = fuzz::try_parse(text);
    if (!want) continue;
    const uint64_t restored = st->restore(b.id);
    FUZZ_CHECK(restored > committed);
    const auto now = st->read();
    FUZZ_CHECK(now.generation == restored);
    FUZZ_CHECK(json::equal(fuzz::try_parse(now.json).get(), want.get()));
    break;
  }
  return 0;
}

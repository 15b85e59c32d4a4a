// JSON figures: the engine's own parser and printer (core/json) on a document shaped like
// pipeline state, beside cJSON parsing and printing the same bytes, in the same run.
//   json.fl_parse_SIZE_mbps      json::parse of the indented text (what a state file holds)
//   json.fl_print_SIZE_mbps      json::print, indented, of that tree
//   json.fl_print_compact_SIZE_mbps  json::print, one line
//   json.cjson_parse_SIZE_mbps   cJSON_ParseWithLength of the same text
//   json.cjson_print_SIZE_mbps   cJSON_Print of cJSON's own tree (its bytes out)
//   json.fl_parse_SIZE_allocs    allocations through cJSON's hooks in one json::parse, from
//                                cold (no blocks kept from an earlier parse)
//   json.cjson_parse_SIZE_allocs the same for cJSON_ParseWithLength
// MB/s is 10^6 bytes a second of JSON text (read or written); SIZE is 64k or 4m.
#include <cjson/cJSON.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "harness.hpp"
#include "json/json.hpp"
#include "json/node_blocks.hpp"
#include "suites.hpp"

namespace bench {
namespace {

// A fixed pseudo-random sequence, so every run measures the same document.
class Lcg {
 public:
  uint32_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state_ >> 33);
  }
  uint32_t below(uint32_t n) { return next() % n; }

 private:
  uint64_t state_ = 0x2545F4914F6CDD1DULL;
};

const char *const kStatus[] = {"success", "failed", "running", "skipped"};
const char *const kTags[] = {"nightly", "étape-2", "gpu", "retry", "東京", "backfill"};
const char *const kNotes[] = {
    "ok",
    "line one\\nline two",
    "said \\\"done\\\" at C:\\\\runs\\\\out",
    "tab\\there",
    "résumé of the 日本語 step ✓",
    "emoji 😀 and \\u00e9scape",
    "plain note with no escapes at all, somewhat longer than the others in this set",
};

// One record of a run: strings, integers, decimals, exponents, booleans and null.
void append_record(std::string &out, Lcg &rng, int i) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"id\":%d,\"name\":\"run-%06d\",\"status\":\"%s\",\"ok\":%s,\"duration_ms\":%u.%02u,"
                "\"retries\":%u,\"started\":\"2026-12-%02uT%02u:%02u:%02uZ\",\"host\":\"worker-%02u\","
                "\"tags\":[\"%s\",\"%s\"],\"note\":\"%s\",\"error\":null,"
                "\"metrics\":{\"rows\":%u,\"bytes\":%u%04u,\"ratio\":0.%03u,\"score\":-%u.%ue-3}}",
                i, i, kStatus[rng.below(4)], rng.below(5) ? "true" : "false", rng.below(100000),
                rng.below(100), rng.below(4), 1 + rng.below(28), rng.below(24), rng.below(60),
                rng.below(60), rng.below(32), kTags[rng.below(6)], kTags[rng.below(6)],
                kNotes[rng.below(7)], rng.below(1000000), 1 + rng.below(100000), rng.below(10000),
                rng.below(1000), 1 + rng.below(9), rng.below(10));
  out += buf;
}

// Pipeline state with `records` runs: a header object, the runs, and an object keyed
// by stage with one small entry each (a large object, as a per-key index makes).
std::string make_compact(int records) {
  Lcg rng;
  std::string out =
      "{\"version\":3,\"counter\":0,\"pipeline\":{\"name\":\"ingest\",\"owner\":\"équipe données\","
      "\"schedule\":\"0 * * * *\",\"paused\":false,\"limits\":{\"max_parallel\":8,\"timeout_s\":3600}},"
      "\"runs\":[";
  for (int i = 0; i < records; ++i) {
    if (i) out += ',';
    append_record(out, rng, i);
  }
  out += "],\"stages\":{";
  char buf[160];
  for (int i = 0; i < records / 4; ++i) {
    std::snprintf(buf, sizeof buf, "%s\"stage-%05d\":{\"done\":%s,\"last\":%d,\"checksum\":\"%08x\"}",
                  i ? "," : "", i, rng.below(2) ? "true" : "false", i * 4, rng.next());
    out += buf;
  }
  return out + "}}";
}

// The indented text (the form a state file holds) of about `bytes` bytes.
std::string make_doc(size_t bytes) {
  const int probe = 200;
  const size_t probe_size = filelock::json::print(filelock::json::parse(make_compact(probe)).get(), true).size();
  const int records = static_cast<int>(static_cast<double>(bytes) / static_cast<double>(probe_size) * probe);
  return filelock::json::print(filelock::json::parse(make_compact(records < 1 ? 1 : records)).get(), true);
}

long g_allocs = 0;
void *counting_malloc(size_t n) {
  ++g_allocs;
  return std::malloc(n);
}

// Allocations while `op` runs: through cJSON's hooks, and the blocks the engine's
// parser carves nodes from, counted from cold (the blocks kept from earlier parses are
// freed first; a warm parse of the same size allocates none).
long count_allocs(const std::function<void()> &op) {
  namespace blocks = filelock::json::blocks;
  blocks::free_kept_blocks();
  cJSON_Hooks hooks{counting_malloc, std::free};
  cJSON_InitHooks(&hooks);
  g_allocs = 0;
  const auto before = static_cast<long>(blocks::blocks_in_use());
  op();
  // The tree is freed by now and its blocks kept (up to 512): those are what it took.
  const long n = g_allocs + static_cast<long>(blocks::blocks_in_use()) - before;
  cJSON_InitHooks(nullptr);
  return n;
}

void sized(const Config &cfg, size_t bytes, const std::string &tag, int rounds, int batch) {
  namespace json = filelock::json;
  const std::string text = make_doc(bytes);
  const json::Doc tree = json::parse(text);
  cJSON *ctree = cJSON_ParseWithLength(text.data(), text.size());
  if (ctree == nullptr) die("cJSON cannot parse the benchmark document");
  char *cprinted = cJSON_Print(ctree);
  const size_t cprinted_size = std::strlen(cprinted);
  cJSON_free(cprinted);
  const size_t compact_size = json::print(tree.get(), false).size();

  std::string out;
  const std::vector<Variant> v = {
      {"json.fl_parse_" + tag, [&] { json::parse(text); }},
      {"json.cjson_parse_" + tag, [&] { cJSON_Delete(cJSON_ParseWithLength(text.data(), text.size())); }},
      {"json.fl_print_" + tag, [&] { out = json::print(tree.get(), true); }},
      {"json.fl_print_compact_" + tag, [&] { out = json::print(tree.get(), false); }},
      {"json.cjson_print_" + tag, [&] { cJSON_free(cJSON_Print(ctree)); }},
  };
  const size_t sizes[] = {text.size(), text.size(), text.size(), compact_size, cprinted_size};
  // Interleaved rounds as in harness.hpp, but each timed batch follows one untimed run
  // of the same operation. Freeing a tree leaves glibc's free lists full of small
  // blocks that the next large request merges: without the untimed run, that bill
  // lands on whichever variant comes next instead of the one that left them.
  std::vector<std::vector<double>> samples(v.size());
  const int n_rounds = cfg.quick ? 1 : rounds, n_batch = cfg.quick ? 1 : batch;
  for (int r = 0; r < n_rounds; ++r) {
    for (size_t i = 0; i < v.size(); ++i) {
      v[i].op();
      const double t = now_us();
      for (int k = 0; k < n_batch; ++k) v[i].op();
      samples[i].push_back((now_us() - t) / n_batch);
    }
  }
  for (size_t i = 0; i < v.size(); ++i) {
    emit(v[i].name + "_mbps", static_cast<double>(sizes[i]) / median(samples[i]));  // bytes/µs
  }
  emit("json.fl_parse_" + tag + "_allocs", static_cast<double>(count_allocs([&] { json::parse(text); })));
  emit("json.cjson_parse_" + tag + "_allocs", static_cast<double>(count_allocs([&] {
         cJSON_Delete(cJSON_ParseWithLength(text.data(), text.size()));
       })));
  emit("json.doc_" + tag + "_bytes", static_cast<double>(text.size()));
  cJSON_Delete(ctree);
}

}  // namespace

void run_json_suite(const Config &cfg) {
  sized(cfg, 64 * 1024, "64k", 41, 20);
  sized(cfg, 4 * 1024 * 1024, "4m", 21, 1);
}

}  // namespace bench

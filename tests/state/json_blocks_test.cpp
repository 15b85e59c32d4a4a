// The memory of parsed trees: nodes carved from a few blocks, each block freed with
// its last node, wherever that node ended up.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "json/json.hpp"
#include "json/merge_patch.hpp"
#include "json/node_blocks.hpp"
#include "json/pointer.hpp"

namespace filelock::json {
namespace {

std::atomic<long> g_allocs{0}, g_frees{0};
void *counted_malloc(size_t n) {
  g_allocs.fetch_add(1);
  return std::malloc(n);
}
void counted_free(void *p) {
  if (p != nullptr) g_frees.fetch_add(1);
  std::free(p);
}

// Counts, while it lives, what goes through cJSON's allocator (nodes, keys and strings
// that cJSON makes) and the parse's blocks. live(): what is allocated and not freed,
// apart from blocks kept for the next parse.
struct CountedAllocations {
  CountedAllocations() {
    blocks::free_kept_blocks();
    base = static_cast<long>(blocks::blocks_in_use());
    g_allocs = 0;
    g_frees = 0;
    cJSON_Hooks hooks{counted_malloc, counted_free};
    cJSON_InitHooks(&hooks);
  }
  ~CountedAllocations() { cJSON_InitHooks(nullptr); }
  long new_blocks() const { return static_cast<long>(blocks::blocks_in_use()) - base; }
  long live() const { return g_allocs - g_frees + new_blocks() - static_cast<long>(blocks::kept_blocks()); }
  long base;
};

std::string members(int n, const std::string &value) {
  std::string text = "{";
  for (int i = 0; i < n; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + value;
  return text + "}";
}

TEST(JsonBlocks, ParsingThousandsOfNodesTakesAFewAllocations) {
  const std::string text = members(1000, R"({"name":"x","n":[1,2.5,true,null]})");  // 8000 nodes
  CountedAllocations counted;
  {
    const Doc doc = parse(text);
    EXPECT_EQ(g_allocs.load(), 0);
    EXPECT_LE(counted.new_blocks(), 16);  // one per block of some 800 nodes, not one per node
    EXPECT_EQ(cJSON_GetArraySize(doc.get()), 1000);
  }
  EXPECT_EQ(counted.live(), 0);
}

// The blocks of a large document, emptied, serve the next parse: parsing the same
// document again allocates nothing for its nodes (a rewrite-mode transaction parses
// its document every time). What is kept is bounded.
TEST(JsonBlocks, EmptiedBlocksServeTheNextParse) {
  const std::string text = members(20000, R"({"name":"x","n":[1,2.5,true,null]})");
  CountedAllocations counted;
  parse(text);
  const long made = counted.new_blocks();
  EXPECT_GT(made, 10);
  EXPECT_EQ(static_cast<long>(blocks::kept_blocks()), made);
  {
    const Doc again = parse(text);
    EXPECT_EQ(counted.new_blocks(), made);  // every block came from those kept
    EXPECT_EQ(blocks::kept_blocks(), 0u);
  }
  EXPECT_EQ(static_cast<long>(blocks::kept_blocks()), made);
  const std::string huge = members(200000, R"({"name":"x","n":[1,2.5,true,null]})");  // ~64 MiB of nodes
  parse(huge);
  EXPECT_EQ(blocks::kept_blocks(), 512u);
  EXPECT_EQ(counted.live(), 0);
  blocks::free_kept_blocks();
  EXPECT_EQ(counted.new_blocks(), 0);
  EXPECT_EQ(g_allocs, g_frees.load());
}

TEST(JsonBlocks, AValueMovedOutOfItsDocumentOutlivesIt) {
  const std::string big(100000, 'b');  // a node of its own block
  CountedAllocations counted;
  Doc target = parse(R"({"keep":1,"list":[0]})");
  {
    Doc record = parse(R"({"value":{"big":")" + big + R"(","n":[1,2]},"other":"o"})");
    cJSON *value = cJSON_DetachItemViaPointer(record.get(), record->child);
    value->string = nullptr;  // its key lives in its memory; a set value has none
    value->type &= ~cJSON_StringIsConst;
    set(target, "/moved", Doc(value));
    Doc list_item = parse(R"({"from":"another parse"})");
    set(target, "/list/0", std::move(list_item));
  }
  EXPECT_GT(counted.live(), 0);
  EXPECT_EQ(print(target.get(), false),
            R"({"keep":1,"list":[{"from":"another parse"}],"moved":{"big":")" + big + R"(","n":[1,2]}})");
  set(target, "/moved/big", parse("\"small\""));
  remove(target, "/moved/n/0");
  EXPECT_EQ(print(target.get(), false), R"({"keep":1,"list":[{"from":"another parse"}],"moved":{"big":"small","n":[2]}})");
  target.reset();
  EXPECT_EQ(counted.live(), 0);  // every block freed, and freed once
}

// A host program may install its own allocator in cJSON at any time: a tree parsed
// before, and the blocks kept for later parses, are not handed to it.
TEST(JsonBlocks, NothingParsedGoesToAnAllocatorInstalledLater) {
  Doc doc = parse(members(3000, R"({"s":"text","n":[1,2]})"));
  CountedAllocations counted;  // frees the kept blocks first, then counts
  doc.reset();
  EXPECT_EQ(g_frees.load(), 0);
  EXPECT_GT(blocks::kept_blocks(), 0u);
  blocks::free_kept_blocks();
  EXPECT_EQ(g_frees.load(), 0);
}

// A replaced member keeps its place and its key at the head, in the middle, at the
// end and alone, and the list stays whole (the next append lands at the end).
TEST(JsonBlocks, AReplacedMemberKeepsItsPlace) {
  CountedAllocations counted;
  {
    Doc doc = parse(R"({"a":1,"b":2,"c":3,"only":{"x":0},"l":[1,2,3]})");
    set(doc, "/a", parse("[10]"));
    set(doc, "/b", parse("20"));
    set(doc, "/c", parse("\"30\""));
    set(doc, "/only/x", parse("{}"));
    set(doc, "/only/y", parse("1"));
    set(doc, "/l/0", parse("9"));
    set(doc, "/l/2", parse("7"));
    set(doc, "/l/-", parse("6"));
    set(doc, "/d", parse("4"));
    EXPECT_EQ(print(doc.get(), false),
              R"({"a":[10],"b":20,"c":"30","only":{"x":{},"y":1},"l":[9,2,7,6],"d":4})");
    merge_patch(doc, parse(R"({"a":null,"b":{"z":1},"d":5,"e":6})").get());
    EXPECT_EQ(print(doc.get(), false),
              R"({"b":{"z":1},"c":"30","only":{"x":{},"y":1},"l":[9,2,7,6],"d":5,"e":6})");
    // The links backwards as cJSON keeps them: the first member's prev is the last.
    EXPECT_STREQ(doc->child->prev->string, "e");
    EXPECT_STREQ(doc->child->prev->prev->string, "d");
  }
  EXPECT_EQ(counted.live(), 0);
}

// Nodes of one parse that end up in two documents, freed by two threads at once,
// free their blocks once (ThreadSanitizer checks the count).
TEST(JsonBlocks, NodesOfOneParseFreedByTwoThreads) {
  std::string text = "[";
  for (int i = 0; i < 2000; ++i) text += (i ? ",{\"i\":" : "{\"i\":") + std::to_string(i) + "}";
  text += "]";
  CountedAllocations counted;
  for (int round = 0; round < 50; ++round) {
    Doc source = parse(text);
    Doc even(cJSON_CreateArray()), odd(cJSON_CreateArray());
    for (int i = 0; source->child != nullptr; ++i) {
      cJSON_AddItemToArray(i % 2 ? odd.get() : even.get(), cJSON_DetachItemViaPointer(source.get(), source->child));
    }
    source.reset();
    std::thread t([&] { odd.reset(); });
    even.reset();
    t.join();
  }
  EXPECT_EQ(counted.live(), 0);
}

}  // namespace
}  // namespace filelock::json

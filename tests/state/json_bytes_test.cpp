// Byte-exact printing and exact error offsets, pinned: the printer and the parser scan
// strings several bytes at a time, and state files on disk, commits that compare the
// new text with the old, and messages naming a byte offset all depend on these bytes.
#include <gtest/gtest.h>

#include <string>

#include "json/json.hpp"
#include "json_test_util.hpp"

namespace filelock::json {
namespace {

// What the printer wrote before it scanned strings in blocks (cJSON's format).
const char *const kVariedInput =
    R"JSON({"text":"plain","esc":"q\" b\\ s\/ \b\f\n\r\t \u0001\u001f \u007f end",)JSON"
    R"JSON("utf8":"é 日本 😀 \u00e9\u65e5\ud83d\ude00","nums":[0,-0,1.5,-2.25e-10,1E+400,)JSON"
    R"JSON(123456789012345678901234567890,-0.0e0,9007199254740993],"lits":[true,false,null],)JSON"
    R"JSON("empty":{"o":{},"a":[],"s":""},"nested":[[[{"k":[1,{"deep":"v"}]}]],{}],"":{"":""},)JSON"
    R"JSON("key \"q\"\n":[" lead","trail "]})JSON";
const char *const kVariedCompact =
    "{\"text\":\"plain\",\"esc\":\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001f \177 end\",\"ut"
    "f8\":\"\303\251 \346\227\245\346\234\254 \360\237\230\200 \303\251\346\227\245\360\237\230\200"
    "\",\"nums\":[0,-0,1.5,-2.25e-10,1E+400,123456789012345678901234567890,-0.0e0,90071992547409"
    "93],\"lits\":[true,false,null],\"empty\":{\"o\":{},\"a\":[],\"s\":\"\"},\"nested\":[[[{\"k\""
    ":[1,{\"deep\":\"v\"}]}]],{}],\"\":{\"\":\"\"},\"key \\\"q\\\"\\n\":[\" lead\",\"trail \"]}";
const char *const kVariedPretty =
    "{\n"
    "\t\"text\":\t\"plain\",\n"
    "\t\"esc\":\t\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001f \177 end\",\n"
    "\t\"utf8\":\t\"\303\251 \346\227\245\346\234\254 \360\237\230\200 \303\251\346\227\245\360\237"
    "\230\200\",\n"
    "\t\"nums\":\t[0, -0, 1.5, -2.25e-10, 1E+400, 123456789012345678901234567890, -0.0e0, 900719"
    "9254740993],\n"
    "\t\"lits\":\t[true, false, null],\n"
    "\t\"empty\":\t{\n"
    "\t\t\"o\":\t{\n"
    "\t\t},\n"
    "\t\t\"a\":\t[],\n"
    "\t\t\"s\":\t\"\"\n"
    "\t},\n"
    "\t\"nested\":\t[[[{\n"
    "\t\t\t\t\t\"k\":\t[1, {\n"
    "\t\t\t\t\t\t\t\"deep\":\t\"v\"\n"
    "\t\t\t\t\t\t}]\n"
    "\t\t\t\t}]], {\n"
    "\t\t}],\n"
    "\t\"\":\t{\n"
    "\t\t\"\":\t\"\"\n"
    "\t},\n"
    "\t\"key \\\"q\\\"\\n\":\t[\" lead\", \"trail \"]\n"
    "}";
const char *const kBuiltCompact =
    "{\"tenth\":0.1,\"int\":42,\"big\":1e+300,\"neg\":-3.5,\"arr\":[],\"s\":\"x\"}";
const char *const kBuiltPretty =
    "{\n"
    "\t\"tenth\":\t0.1,\n"
    "\t\"int\":\t42,\n"
    "\t\"big\":\t1e+300,\n"
    "\t\"neg\":\t-3.5,\n"
    "\t\"arr\":\t[],\n"
    "\t\"s\":\t\"x\"\n"
    "}";

using test::parse_error;

TEST(JsonBytes, VariedDocumentPrintsAsBefore) {
  const Doc doc = parse(kVariedInput);
  EXPECT_EQ(print(doc.get(), false), kVariedCompact);
  EXPECT_EQ(print(doc.get(), true), kVariedPretty);
  // Appending keeps what the caller already holds.
  std::string out = "prefix";
  print(doc.get(), true, out);
  EXPECT_EQ(out, std::string("prefix") + kVariedPretty);
}

TEST(JsonBytes, BuiltTreePrintsAsBefore) {
  Doc built(cJSON_CreateObject());
  cJSON_AddNumberToObject(built.get(), "tenth", 0.1);
  cJSON_AddNumberToObject(built.get(), "int", 42);
  cJSON_AddNumberToObject(built.get(), "big", 1e300);
  cJSON_AddNumberToObject(built.get(), "neg", -3.5);
  cJSON_AddItemToObject(built.get(), "arr", cJSON_CreateArray());
  cJSON_AddStringToObject(built.get(), "s", "x");
  EXPECT_EQ(print(built.get(), false), kBuiltCompact);
  EXPECT_EQ(print(built.get(), true), kBuiltPretty);
}

// The duplicate check of a large object hashes whole keys: keys alike but for a
// middle part (paths) would otherwise collide and take minutes (past the timeout).
TEST(JsonBytes, LargeObjectsWithLongAlikeKeysStayLinear) {
  std::string big = "{";
  for (int i = 0; i < 200000; ++i) big += "\"/data/runs/" + std::to_string(i) + "/output.json\":" + std::to_string(i) + ",";
  EXPECT_EQ(parse_error(big + "\"end\":0}"), "");
  EXPECT_NE(parse_error(big + "\"/data/runs/12345/output.json\":0}")
                .find("duplicate key '/data/runs/12345/output.json' in object ''"),
            std::string::npos);
}

// Large documents take another allocation path (bigger node blocks); same bytes.
TEST(JsonBytes, LargeDocumentPrintsAsBefore) {
  std::string big = "[";
  while (big.size() < 1024 * 1024) big += std::string(big.size() > 1 ? "," : "") + kVariedCompact;
  big += "]";
  const Doc doc = parse(big);
  EXPECT_EQ(print(doc.get(), false), big);
  const std::string pretty = print(doc.get(), true);
  EXPECT_EQ(pretty.compare(0, 3, "[{\n"), 0);
  EXPECT_TRUE(equal(parse(pretty).get(), doc.get()));
  EXPECT_EQ(print(parse(pretty).get(), true), pretty);
}

// Every byte that needs escaping, at every offset of a long string (inside and across
// the blocks a scan reads at once), prints as cJSON prints it.
TEST(JsonBytes, EscapesAtEveryOffset) {
  for (int c = 1; c < 0x80; ++c) {
    for (size_t at = 0; at < 40; ++at) {
      std::string plain(48, 'a');
      plain[at] = static_cast<char>(c);
      plain[47 - at / 2] = '\xC3';  // a two-byte character in the run as well
      plain.insert(48 - at / 2, 1, '\xA9');
      Doc doc(cJSON_CreateObject());
      cJSON_AddStringToObject(doc.get(), plain.c_str(), plain.c_str());
      char *expected = cJSON_PrintUnformatted(doc.get());
      ASSERT_NE(expected, nullptr);
      EXPECT_EQ(print(doc.get(), false), expected) << "byte " << c << " at " << at;
      const std::string text = expected;
      cJSON_free(expected);
      // And it parses back to the same string, escaped or not.
      const Doc again = parse(text);
      EXPECT_STREQ(again->child->valuestring, plain.c_str()) << "byte " << c << " at " << at;
      EXPECT_STREQ(again->child->string, plain.c_str()) << "byte " << c << " at " << at;
    }
  }
}

// Refusals inside a long plain run name the same byte as a byte-at-a-time scan would.
TEST(JsonBytes, ErrorOffsetsInsideLongStrings) {
  for (size_t at = 0; at < 40; ++at) {
    const std::string head = "{\"key\":\"" + std::string(at, 'x');
    const size_t offset = head.size();
    const std::string tail = std::string(40, 'y') + "\"}";
    EXPECT_NE(parse_error(head + "\xFF" + tail).find("invalid UTF-8 at byte " + std::to_string(offset)),
              std::string::npos) << at;
    EXPECT_NE(parse_error(head + "\xE6\x97" + tail).find("invalid UTF-8 at byte " + std::to_string(offset)),
              std::string::npos) << at;
    EXPECT_NE(parse_error(head + "\x01" + tail)
                  .find("unescaped control character in string at byte " + std::to_string(offset)),
              std::string::npos) << at;
    EXPECT_NE(parse_error(head + "\\q" + tail).find("invalid escape in string at byte " + std::to_string(offset)),
              std::string::npos) << at;
    EXPECT_NE(parse_error(head).find("unterminated string at byte 7"), std::string::npos) << at;
    // The same in a key.
    const std::string key_head = "{\"" + std::string(at, 'k');
    EXPECT_NE(parse_error(key_head + "\xFF" + tail + ":1}")
                  .find("invalid UTF-8 at byte " + std::to_string(key_head.size())),
              std::string::npos) << at;
  }
}

// The duplicate-key check reports the same key and object as before, also when an
// object holds several duplicates, or a nested object has its own.
TEST(JsonBytes, DuplicateKeysNamedAsBefore) {
  EXPECT_NE(parse_error(R"({"x":1,"y":1,"y":2,"x":2})").find("duplicate key 'x' in object ''"), std::string::npos);
  EXPECT_NE(parse_error(R"({"a":1,"a":{"b":1,"b":2}})").find("duplicate key 'b' in object '/a'"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"a":1,"a":2,"c":[1,}})").find("invalid JSON at byte"), std::string::npos);
  EXPECT_NE(parse_error(R"([0,{"p":{"q":1,"q\u0000":2}}])").find("\\u0000"), std::string::npos);
  EXPECT_NE(parse_error(R"([0,{"p":{"q":1,"\u0071":2}}])").find("duplicate key 'q' in object '/1/p'"),
            std::string::npos);
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  EXPECT_NE(parse_error(big + "\"k39\":0,\"k3\":1}").find("duplicate key 'k39' in object ''"),
            std::string::npos);
  // Keys that differ only past a common prefix, or in length, are not duplicates.
  EXPECT_EQ(parse_error(R"({"abcdefghijklmnop1":1,"abcdefghijklmnop2":2,"abc":3,"abcd":4,"":5})"), "");
}

// Keys of every length up to 24 bytes that differ in one byte only, wherever it is,
// are told apart; the same key twice is found, in objects of any size up to the one
// where the check changes method, whichever member it repeats.
TEST(JsonBytes, DuplicateKeysFoundAtEveryLengthAndPosition) {
  for (size_t len = 0; len <= 24; ++len) {
    const std::string key(len, 'k');
    for (size_t at = 0; at < len; ++at) {
      std::string other = key;
      other[at] = 'q';
      EXPECT_EQ(parse_error("{\"" + key + "\":1,\"" + other + "\":2}"), "") << len << " " << at;
    }
    EXPECT_NE(parse_error("{\"" + key + "\":1,\"" + key + "\":2}").find("duplicate key '" + key + "'"),
              std::string::npos) << len;
  }
  for (int members = 1; members <= 17; ++members) {
    std::string object = "{";
    for (int i = 0; i < members; ++i) object += "\"m" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    EXPECT_EQ(parse_error(object + "\"m\":0}"), "") << members;
    for (int again = 0; again < members; ++again) {
      EXPECT_NE(parse_error(object + "\"m" + std::to_string(again) + "\":0}")
                    .find("duplicate key 'm" + std::to_string(again) + "' in object ''"),
                std::string::npos) << members << " " << again;
    }
  }
}

}  // namespace
}  // namespace filelock::json

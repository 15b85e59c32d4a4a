// Input that once hung or crashed the process holding the state lock: schema patterns
// that backtrack or recurse per character, and JSON pointers that are not UTF-8, have
// a leading-zero index or are deep enough to overflow the stack.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "json/pointer.hpp"
#include "json/regex.hpp"
#include "json/schema.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::json {
namespace {

using statetest::slurp;
using statetest::status_of;

struct Case {
  const char *pattern;
  const char *subject;
  bool matches;
};

TEST(Regex, MatchesTheEcmaSubsetWithUnanchoredSearch) {
  const Case cases[] = {
      {"abc", "xxabcxx", true},           {"^abc", "xabc", false},
      {"^abc$", "abc", true},             {"^abc$", "abcd", false},
      {"", "anything", true},             {"^$", "", true},
      {"a.c", "abc", true},               {"a.c", "a\nc", false},
      {"^\\d{3}-\\d{4}$", "555-1234", true}, {"^\\d{3}-\\d{4}$", "55-1234", false},
      {"^\\w+$", "snake_case9", true},    {"^\\w+$", "kebab-case", false},
      {"^\\W$", "-", true},               {"\\s", "a b", true},
      {"^\\S+$", "a b", false},           {"^\\D+$", "abc", true},
      {"^[a-c]+$", "abcab", true},        {"^[a-c]+$", "abcd", false},
      {"^[^0-9]+$", "abc", true},         {"^[^0-9]+$", "ab1", false},
      {"^[\\d.]+$", "1.25", true},        {"^[-a]+$", "a-a", true},
      {"^[a-]+$", "-a", true},            {"^(ab|cd)+$", "abcdab", true},
      {"^(ab|cd)+$", "abc", false},       {"^(?:x|y)z$", "yz", true},
      {"^(?<tag>v)\\d$", "v1", true},     {"^a{2}$", "aa", true},
      {"^a{2}$", "aaa", false},           {"^a{2,}$", "aaaa", true},
      {"^a{2,}$", "a", false},            {"^a{1,3}$", "aaa", true},
      {"^a{1,3}$", "aaaa", false},        {"^a{0}$", "", true},
      {"^a*?b$", "aaab", true},           {"^a+?$", "aa", true},
      {"^a??b$", "b", true},              {"^a{1,2}?$", "aa", true},
      {"x{a}", "x{a}", true},             {"^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\\\\\^\\$$", ".*+?()[]{}|\\^$", true},
      {"^\\x41\\u0042\\u{43}$", "ABC", true}, {"^\\t\\n$", "\t\n", true},
      {"\\bcat\\b", "a cat here", true},  {"\\bcat\\b", "concatenate", false},
      {"\\Bcat", "concat", true},         {"^[\\b]$", "\b", true},
      {"^(a|)+$", "aaa", true},           {"^(a*)*$", "aaaa", true},
      {"^(a*)*b$", "aaaa", false},        {"^(|a)b", "ab", true},
      {"^[]$", "", false},                {"^[^]$", "\n", true},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(Regex(c.pattern).search(c.subject), c.matches) << c.pattern << " on " << c.subject;
  }
}

TEST(Regex, WorksOnCodePointsNotBytes) {
  const Case cases[] = {
      {"^.$", "\xC3\xA9", true},                    // é is one character
      {"^..$", "\xC3\xA9", false},                  // not two bytes
      {"^.$", "\xF0\x9F\x98\x80", true},            // U+1F600 (outside the BMP)
      {"^[\xC3\xA0-\xC3\xBF]+$", "\xC3\xA9\xC3\xA8", true},  // [à-ÿ]
      {"^[^\xC3\xA9]$", "\xC3\xA8", true},
      {"^[^\xC3\xA9]$", "\xC3\xA9", false},
      {"^\xE6\x97\xA5+$", "\xE6\x97\xA5\xE6\x97\xA5", true},  // a quantified multi-byte literal
      {"^\\u00e9$", "\xC3\xA9", true},
      {"^\\u{1F600}$", "\xF0\x9F\x98\x80", true},
      {"\\s", "a\xC2\xA0" "b", true},               // no-break space is \s
      {"^\\w$", "\xC3\xA9", false},                 // \w is ASCII in ECMA-262
  };
  for (const Case &c : cases) {
    EXPECT_EQ(Regex(c.pattern).search(c.subject), c.matches) << c.pattern << " on " << c.subject;
  }
}

// These crashed (stack overflow in std::regex) or ran for a minute under the lock.
TEST(Regex, PathologicalCasesRunInMilliseconds) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(Regex("^.*$").search(std::string(100000, 'x')));
  EXPECT_TRUE(Regex("^(a|b)*$").search(std::string(200000, 'a')));
  EXPECT_FALSE(Regex("^(a+)+$").search(std::string(5000, 'a') + "b"));
  EXPECT_FALSE(Regex("^(a|aa)*c$").search(std::string(5000, 'a')));
  EXPECT_FALSE(Regex("(x+x+)+y").search(std::string(5000, 'x')));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 2000);
}

TEST(Regex, RefusesWhatNeedsBacktrackingOrIsMalformed) {
  const std::pair<const char *, const char *> bad[] = {
      {"(a)\\1", "backreference"},       {"(?<n>a)\\k<n>", "backreference"},
      {"a(?=b)", "lookahead"},           {"a(?!b)", "lookahead"},
      {"(?<=a)b", "lookbehind"},         {"(?<!a)b", "lookbehind"},
      {"\\p{L}", "property"},            {"(ab", "missing ')'"},
      {"ab)", "unmatched ')'"},          {"[ab", "missing ']'"},
      {"*a", "nothing to repeat"},       {"a**", "nothing to repeat"},
      {"^*", "nothing to repeat"},       {"a{3,1}", "out of order"},
      {"[z-a]", "out of order"},         {"\\q", "unknown escape"},
      {"a\\", "end of the pattern"},     {"a{1001}", "repetition count"},
  };
  for (const auto &[pattern, why] : bad) {
    try {
      Regex r(pattern);
      ADD_FAILURE() << pattern << " was accepted";
    } catch (const RegexError &e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << pattern << ": " << e.what();
    }
  }
}

TEST(Regex, CapsTheCompiledProgram) {
  try {
    Regex r("(((a{1000}){1000}){1000})");
    FAIL() << "accepted";
  } catch (const RegexError &e) {
    EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
  }
  Regex fine("^a{1,1000}$");
  EXPECT_TRUE(fine.search(std::string(1000, 'a')));
  EXPECT_FALSE(fine.search(std::string(1001, 'a')));
}

TEST(SchemaPattern, UnsupportedConstructIsRefusedNamingTheSchemaPointer) {
  try {
    Schema s(R"({"properties":{"id":{"type":"string","pattern":"^(a)\\1$"}}})");
    FAIL() << "accepted";
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::invalid);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("/properties/id/pattern"), std::string::npos) << msg;
    EXPECT_NE(msg.find("backreference"), std::string::npos) << msg;
  }
}

TEST(SchemaPattern, LongSubjectIsCheckedWithoutCrashing) {
  Schema s(R"({"properties":{"s":{"type":"string","pattern":"^(a|b)*$"}}})");
  s.check(parse("{\"s\":\"" + std::string(100000, 'a') + "\"}").get());
  try {
    s.check(parse("{\"s\":\"" + std::string(100000, 'a') + "c\"}").get());
    FAIL() << "accepted";
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::validation);
    EXPECT_NE(std::string(e.what()).find("/s"), std::string::npos);
  }
}

TEST(Pointer, MustBeUtf8) {
  for (const char *bad : {"/k\xff", "/\xC0\xAF", "/\xED\xA0\x80", "/\xF4\x90\x80\x80", "/a\xE6\x97"}) {
    try {
      parse_pointer(bad);
      ADD_FAILURE() << "accepted";
    } catch (const JsonError &e) {
      EXPECT_EQ(e.status(), Status::invalid);
      EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(parse_pointer("/\xC3\xA9/\xF0\x9F\x98\x80").size(), 2u);
}

TEST(Pointer, LeadingZeroIndexIsInvalidNotOutOfRange) {
  Doc doc = parse(R"({"arr":[10,20]})");
  try {
    set(doc, "/arr/01", parse("1"));
    FAIL() << "accepted";
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::invalid);
    EXPECT_NE(std::string(e.what()).find("leading zero"), std::string::npos) << e.what();
  }
  EXPECT_THROW(get(doc.get(), "/arr/00"), JsonError);
  EXPECT_EQ(print(doc.get(), false), R"({"arr":[10,20]})");
  EXPECT_EQ(print(get(doc.get(), "/arr/0"), false), "10");
}

TEST(Pointer, TooManyTokensAreRefusedBeforeAnythingChanges) {
  Doc doc = parse(R"({"a":1})");
  std::string pointer;
  for (int i = 0; i < 200000; ++i) pointer += "/k";
  try {
    set(doc, pointer, parse("1"));
    FAIL() << "accepted";
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::invalid);
    EXPECT_NE(std::string(e.what()).find("deeper than"), std::string::npos) << e.what();
  }
  EXPECT_EQ(print(doc.get(), false), R"({"a":1})");
  std::string limit;
  for (int i = 0; i < kMaxDepth; ++i) limit += "/k";
  set(doc, limit, parse("1"));  // exactly at the limit is allowed
}

// The value's own nesting counts: 250 tokens hold a value 6 deep, not 7, and the
// refusal comes at set, not later at commit.
TEST(Pointer, ADeepValueUnderALongPointerIsRefusedAtSet) {
  Doc doc = parse(R"({"a":1})");
  std::string pointer;
  for (int i = 0; i < kMaxDepth - 6; ++i) pointer += "/k";
  const auto nested = [](int levels) {
    return std::string(static_cast<size_t>(levels), '[') + std::string(static_cast<size_t>(levels), ']');
  };
  try {
    set(doc, pointer, parse(nested(7)));
    FAIL() << "accepted";
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::invalid);
    EXPECT_NE(std::string(e.what()).find("deeper than 256"), std::string::npos) << e.what();
  }
  EXPECT_EQ(print(doc.get(), false), R"({"a":1})");
  set(doc, pointer, parse(nested(6)));
  EXPECT_EQ(depth(doc.get()), kMaxDepth);
  EXPECT_NO_THROW(print(doc.get(), false));
}

// A commit's print is its depth check: a tree built deeper than parse() accepts (no
// operation makes one; this one is made by hand) is refused rather than written.
TEST(Print, ATreeTooDeepToReadBackIsRefused) {
  const auto chain = [](int levels, bool objects) {
    Doc root(objects ? cJSON_CreateObject() : cJSON_CreateArray());
    cJSON *node = root.get();
    for (int i = 1; i < levels; ++i) {
      cJSON *inner = objects ? cJSON_AddObjectToObject(node, "k") : cJSON_CreateArray();
      if (!objects) cJSON_AddItemToArray(node, inner);
      node = inner;
    }
    return root;
  };
  for (const bool objects : {false, true}) {
    const std::string text = print(chain(kMaxDepth, objects).get(), true);
    EXPECT_EQ(depth(parse(text).get()), kMaxDepth);
    try {
      print(chain(kMaxDepth + 1, objects).get(), true);
      FAIL() << "printed";
    } catch (const JsonError &e) {
      EXPECT_EQ(e.status(), Status::invalid);
      EXPECT_NE(std::string(e.what()).find("nests deeper than 256"), std::string::npos) << e.what();
    }
  }
}

struct StateSafety : ::testing::Test {
  fltest::TempDir dir;
  std::string path = dir.file("state.json");
};

TEST_F(StateSafety, BadPointerLeavesTheStateReadable) {
  state::State st(path, {});
  const std::string before = slurp(path);
  auto txn = st.begin();
  std::string msg;
  EXPECT_EQ(status_of([&] { txn->set("/k\xff", "1"); }, &msg), Status::invalid);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += "/d";
  EXPECT_EQ(status_of([&] { txn->set(deep, "1"); }), Status::invalid);
  txn->set("/ok", "1");
  txn->commit();
  auto again = st.begin();  // refused as corrupt when a non-UTF-8 key got through
  EXPECT_EQ(again->get("/ok"), "1");
  again.reset();
  EXPECT_NE(slurp(path), before);
}

TEST_F(StateSafety, PathologicalPatternDoesNotHoldTheLockForLong) {
  state::StateOptions o;
  o.schema_json = R"({"properties":{"s":{"type":"string","pattern":"^(a+)+$"}}})";
  state::State st(path, o);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(status_of([&] { st.write("{\"s\":\"" + std::string(30, 'a') + "b\"}", nullptr); }),
            Status::validation);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace filelock::json

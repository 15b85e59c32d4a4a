// Strict parsing, exact numbers, pointers, merge patch and the schema subset.
#include <gtest/gtest.h>

#include <string>

#include "json/json.hpp"
#include "json_test_util.hpp"
#include "json/merge_patch.hpp"
#include "json/pointer.hpp"
#include "json/schema.hpp"

namespace filelock::json {
namespace {

std::string roundtrip(const std::string &text) { return print(parse(text).get(), false); }

Status parse_status(const std::string &text) {
  try {
    parse(text);
  } catch (const JsonError &e) {
    return e.status();
  }
  return Status::ok;
}

using test::parse_error;

TEST(JsonParse, AcceptsStrictJson) {
  EXPECT_EQ(roundtrip(R"({"a":[1,2.5,"x",true,false,null],"b":{}})"),
            R"({"a":[1,2.5,"x",true,false,null],"b":{}})");
  EXPECT_EQ(roundtrip(" \n 42 \n"), "42");
  EXPECT_EQ(roundtrip(R"("h\u00e9\n")"), R"("hé\n")");
}

TEST(JsonParse, RefusesWhatJsonForbids) {
  EXPECT_NE(parse_error("{\"a\":\"\xff\"}").find("invalid UTF-8 at byte 6"), std::string::npos);
  EXPECT_NE(parse_error("\"\xed\xa0\x80\"").find("invalid UTF-8"), std::string::npos);  // surrogate
  EXPECT_NE(parse_error("\"\xc0\xaf\"").find("invalid UTF-8"), std::string::npos);      // overlong
  EXPECT_NE(parse_error(R"({"a":1,"a":2})").find("duplicate key 'a'"), std::string::npos);
  EXPECT_NE(parse_error(R"({"x":{"a":1,"a":2}})").find("object '/x'"), std::string::npos);
  EXPECT_NE(parse_error("[NaN]").find("'NaN' is not a JSON value"), std::string::npos);
  EXPECT_NE(parse_error("[Infinity]").find("Infinity"), std::string::npos);
  EXPECT_EQ(parse_status("[-Infinity]"), Status::invalid);
  EXPECT_NE(parse_error("[01]").find("leading zero"), std::string::npos);
  EXPECT_EQ(parse_status("[1.]"), Status::invalid);
  EXPECT_EQ(parse_status("[.5]"), Status::invalid);
  EXPECT_EQ(parse_status("[1e]"), Status::invalid);
  EXPECT_EQ(parse_status("[+1]"), Status::invalid);
  EXPECT_NE(parse_error("\"a\tb\"").find("control character"), std::string::npos);
  EXPECT_NE(parse_error("{} 1").find("after the JSON value"), std::string::npos);
  EXPECT_NE(parse_error("{\"a\":}").find("invalid JSON at byte"), std::string::npos);
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_EQ(parse_status(std::string("\"a\0b\"", 5)), Status::invalid);
}

TEST(JsonParse, StringEscapes) {
  EXPECT_EQ(roundtrip(R"(["\ud83d\ude00","\/","\b\f\r\t","\u001f\u007f"])"),
            "[\"\xF0\x9F\x98\x80\",\"/\",\"\\b\\f\\r\\t\",\"\\u001f\x7F\"]");
  EXPECT_NE(parse_error(R"(["\ud83d"])").find("unpaired UTF-16 surrogate"), std::string::npos);
  EXPECT_NE(parse_error(R"(["\ude00"])").find("unpaired UTF-16 surrogate"), std::string::npos);
  EXPECT_NE(parse_error(R"(["\u12G4"])").find("invalid \\u escape"), std::string::npos);
  EXPECT_NE(parse_error(R"(["\x"])").find("invalid escape"), std::string::npos);
  // A NUL would end the stored C string early and silently shorten the value.
  EXPECT_NE(parse_error(R"({"a":"x\u0000y"})").find("\\u0000"), std::string::npos);
  EXPECT_NE(parse_error(R"(["abc)").find("unterminated string"), std::string::npos);
  EXPECT_EQ(roundtrip("\xEF\xBB\xBF[1]"), "[1]");  // a byte order mark is skipped
}

// The printer must write exactly what cJSON writes: state files already on disk hold
// cJSON's indented form, and a commit that changes nothing is recognised by its bytes.
TEST(JsonPrint, MatchesCjsonByteForByte) {
  const std::string text =
      R"({"a":[1,{"b":[],"c":{}},[[]],"x\"y\\z\n\u0001"],"":{"d":{"e":[true,false,null,-0.5e+3]}},"f":[{}]})";
  const Doc doc = parse(text);
  for (const bool pretty : {true, false}) {
    char *expected = pretty ? cJSON_Print(doc.get()) : cJSON_PrintUnformatted(doc.get());
    ASSERT_NE(expected, nullptr);
    EXPECT_EQ(print(doc.get(), pretty), expected) << (pretty ? "pretty" : "compact");
    cJSON_free(expected);
  }
  // Trees built by hand print their double numbers as cJSON does.
  Doc built(cJSON_CreateObject());
  cJSON_AddNumberToObject(built.get(), "n", 0.1);
  cJSON_AddNumberToObject(built.get(), "i", 42);
  char *expected = cJSON_Print(built.get());
  EXPECT_EQ(print(built.get(), true), expected);
  cJSON_free(expected);
}

// Large objects stay linear: with a pairwise duplicate-key check or a lookup per
// member in equal(), 200000 members would take minutes (past the suite's timeout).
TEST(JsonParse, LargeObjectsStayLinear) {
  std::string big = "{";
  for (int i = 0; i < 200000; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const std::string unique = big + "\"end\":[1,2,3]}";
  EXPECT_TRUE(equal(parse(unique).get(), parse(unique).get()));
  EXPECT_NE(parse_error(big + "\"k7\":0}").find("duplicate key 'k7' in object ''"), std::string::npos);
}

// parse() keeps keys and texts inside each node's block; a copy must own its own.
TEST(JsonParse, DuplicateOutlivesTheOriginal) {
  Doc original = parse(R"({"k":{"inner":"v","n":[1,2.5]},"s":"x\ny"})");
  const Doc copy = duplicate(original.get());
  original.reset();
  EXPECT_EQ(print(copy.get(), false), R"({"k":{"inner":"v","n":[1,2.5]},"s":"x\ny"})");
  Doc target = parse(R"({"keep":1})");
  set(target, "/k", duplicate(copy->child));
  replace(target.get(), target->child, duplicate(copy->child->next));
  EXPECT_EQ(print(target.get(), false), R"({"keep":"x\ny","k":{"inner":"v","n":[1,2.5]}})");
}

TEST(JsonParse, DepthLimitIsExact) {
  const std::string ok = std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']');
  const std::string deep = "[" + ok + "]";
  EXPECT_EQ(parse_status(ok), Status::ok);
  EXPECT_NE(parse_error(deep).find("nesting deeper than 256"), std::string::npos);
  EXPECT_EQ(depth(parse(ok).get()), kMaxDepth);
}

TEST(JsonNumbers, KeepEveryValueExactly) {
  // Integers beyond 2^53, more digits than a double holds, out of range, negative zero:
  // each is written back as it came.
  for (const std::string n : {"9007199254740993", "-9007199254740993", "123456789012345678901234567890",
                              "0.1000000000000000000000001", "1e400", "-0", "5e-324"}) {
    EXPECT_EQ(roundtrip("[" + n + "]"), "[" + n + "]") << n;
  }
  // Every number keeps its text, even where a double would print it differently.
  EXPECT_EQ(roundtrip("[9007199254740992,0.1,1.5e3,-2.25,1E2,0.30000000000000004,1.0]"),
            "[9007199254740992,0.1,1.5e3,-2.25,1E2,0.30000000000000004,1.0]");
  // Equality (enum, const) compares values, not spellings.
  EXPECT_TRUE(equal(parse("[1.0,1500]").get(), parse("[1,1.5e3]").get()));
  EXPECT_FALSE(equal(parse("[9007199254740993]").get(), parse("[9007199254740992]").get()));
  const Doc big = parse("[18446744073709551617]");
  EXPECT_TRUE(is_number(big->child));
  EXPECT_TRUE(is_integer(big->child));
  EXPECT_FALSE(is_integer(parse("[1.5]")->child));
}

TEST(JsonNumbers, CompareExactly) {
  const auto cmp = [](const char *a, const char *b) {
    return compare_numbers(parse(a).get(), parse(b).get());
  };
  EXPECT_EQ(cmp("9007199254740993", "9007199254740992"), 1);
  EXPECT_EQ(cmp("1.0", "1"), 0);
  EXPECT_EQ(cmp("-0", "0"), 0);
  EXPECT_EQ(cmp("-2", "1"), -1);
  EXPECT_EQ(cmp("-2", "-10"), 1);
  EXPECT_EQ(cmp("0.12", "0.123"), -1);
  EXPECT_EQ(cmp("1e400", "1e399"), 1);
  EXPECT_EQ(cmp("0.001", "0"), 1);
  EXPECT_EQ(cmp("1500", "1.5e3"), 0);
}

TEST(JsonPointer, GetFollowsRfc6901) {
  const Doc doc = parse(R"({"a/b":{"m~n":[10,20]},"":1})");
  EXPECT_EQ(print(get(doc.get(), "/a~1b/m~0n/1"), false), "20");
  EXPECT_EQ(print(get(doc.get(), "/"), false), "1");
  EXPECT_EQ(get(doc.get(), ""), doc.get());
  try {
    get(doc.get(), "/a~1b/zz/q");
    FAIL();
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::not_found);
    EXPECT_NE(std::string(e.what()).find("'/a~1b/zz'"), std::string::npos);
  }
  EXPECT_THROW(get(doc.get(), "a"), JsonError);
  EXPECT_THROW(get(doc.get(), "/~2"), JsonError);
  EXPECT_THROW(get(doc.get(), "/a~1b/m~0n/01"), JsonError);
}

TEST(JsonPointer, SetCreatesParentsAndAppends) {
  Doc doc = parse(R"({"list":[1]})");
  set(doc, "/x/y/z", parse("true"));
  set(doc, "/list/-", parse("2"));
  set(doc, "/list/2", parse("3"));
  set(doc, "/list/0", parse("0"));
  EXPECT_EQ(print(doc.get(), false), R"({"list":[0,2,3],"x":{"y":{"z":true}}})");
  try {
    set(doc, "/list/7", parse("1"));
    FAIL();
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::not_found);
  }
  try {
    set(doc, "/x/y/z/w", parse("1"));
    FAIL();
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::invalid);
    EXPECT_NE(std::string(e.what()).find("is a boolean"), std::string::npos);
  }
  EXPECT_EQ(print(doc.get(), false), R"({"list":[0,2,3],"x":{"y":{"z":true}}})");
  set(doc, "", parse("[]"));
  EXPECT_EQ(print(doc.get(), false), "[]");
}

TEST(JsonPointer, Remove) {
  Doc doc = parse(R"({"a":{"b":1,"c":2},"l":[1,2,3]})");
  remove(doc, "/a/b");
  remove(doc, "/l/1");
  EXPECT_EQ(print(doc.get(), false), R"({"a":{"c":2},"l":[1,3]})");
  EXPECT_THROW(remove(doc, "/a/b"), JsonError);
  EXPECT_THROW(remove(doc, ""), JsonError);
}

TEST(JsonMergePatch, Rfc7386Examples) {
  // The test cases of RFC 7386 appendix A.
  const struct { const char *target, *patch, *result; } rfc[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
      // Found by fuzzing: an object replacing a member that is not one lost its name.
      {R"({"x":1})", R"({"x":{"y":1}})", R"({"x":{"y":1}})"},
      {R"({"a":{"x":"s","k":2}})", R"({"a":{"x":{"y":{"z":null,"w":2}}}})",
       R"({"a":{"x":{"y":{"w":2}},"k":2}})"},
  };
  for (const auto &c : rfc) {
    Doc target = parse(c.target);
    merge_patch(target, parse(c.patch).get());
    EXPECT_EQ(print(target.get(), false), c.result) << c.target << " + " << c.patch;
  }
}

std::string violation(const Schema &schema, const std::string &doc) {
  try {
    schema.check(parse(doc).get());
  } catch (const JsonError &e) {
    EXPECT_EQ(e.status(), Status::validation);
    return e.what();
  }
  return "";
}

TEST(JsonSchema, EveryRuleNamesPointerAndRule) {
  const Schema s(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["phase"],
    "additionalProperties": false,
    "properties": {
      "phase": {"type": "object", "properties": {
        "status": {"enum": ["pending", "running", "success", "failed"]},
        "count": {"type": "integer", "minimum": 0, "maximum": 10},
        "name": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-zé]+$"},
        "tags": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
        "kind": {"const": "book"},
        "extra": {"type": ["null", "number"]}
      }}
    }})");
  EXPECT_EQ(violation(s, R"({"phase":{"status":"pending","count":3,"name":"éé","tags":["a"],"kind":"book","extra":null}})"), "");
  EXPECT_EQ(violation(s, R"({})"), "'': required: property 'phase' is missing");
  EXPECT_EQ(violation(s, R"({"phase":{},"x":1})"), "'/x': additionalProperties: property is not allowed");
  EXPECT_NE(violation(s, R"({"phase":"no"})").find("'/phase': type: must be object"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"status":"done"}})").find("'/phase/status': enum"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"count":1.5}})").find("'/phase/count': type: must be integer"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"count":-1}})").find("'/phase/count': minimum"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"count":11}})").find("'/phase/count': maximum"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"name":"é"}})").find("'/phase/name': minLength"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"name":"éééé"}})").find("'/phase/name': maxLength"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"name":"AB"}})").find("'/phase/name': pattern"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"tags":[]}})").find("'/phase/tags': minItems"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"tags":["a","b","c"]}})").find("maxItems"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"tags":["a",1]}})").find("'/phase/tags/1': type"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"kind":"cd"}})").find("'/phase/kind': const"), std::string::npos);
  EXPECT_NE(violation(s, R"({"phase":{"extra":"s"}})").find("must be null or number"), std::string::npos);
  // A big integer kept as text is still a number and an integer.
  EXPECT_NE(violation(s, R"({"phase":{"count":9007199254740993}})").find("maximum"), std::string::npos);
  // Bounds compare exactly, beyond what a double can tell apart.
  const Schema big(R"({"maximum":9007199254740992})");
  EXPECT_EQ(violation(big, "9007199254740992"), "");
  EXPECT_NE(violation(big, "9007199254740993").find("maximum"), std::string::npos);
}

TEST(JsonSchema, RefusesWhatItCannotEnforce) {
  EXPECT_THROW(Schema(R"({"oneOf":[]})"), JsonError);
  EXPECT_THROW(Schema(R"({"type":"int"})"), JsonError);
  EXPECT_THROW(Schema(R"({"pattern":"("})"), JsonError);
  EXPECT_THROW(Schema(R"({"minLength":-1})"), JsonError);
  EXPECT_THROW(Schema("{"), JsonError);
}

// Found by fuzzing: an exponent past LONG_MAX overflowed a signed long whenever numbers
// were compared (UBSan: signed-integer-overflow). Huge exponents still order correctly.
TEST(JsonNumbers, HugeExponentsCompareWithoutOverflow) {
  Doc huge = parse("33e88888888888888888888888");
  Doc tiny = parse("33e-88888888888888888888888");
  Doc one = parse("1");
  EXPECT_GT(compare_numbers(huge.get(), one.get()), 0);
  EXPECT_LT(compare_numbers(tiny.get(), one.get()), 0);
  EXPECT_TRUE(equal(huge.get(), parse("33e88888888888888888888888").get()));
}

}  // namespace
}  // namespace filelock::json

// Regular expressions for the schema keyword "pattern": the ECMA-262 subset JSON Schema
// recommends (literals, escapes, classes, ".", "^", "$", \b, groups, alternation, greedy
// and lazy quantifiers), matched over UTF-8 code points with unanchored search.
//
// Matching simulates the automaton (a Thompson NFA, all states in step) instead of
// backtracking: time is linear in the subject for a given pattern and the stack never
// grows with the subject, so no pattern can hang or crash a process holding the lock.
// Constructs that need backtracking (backreferences, lookaround) are refused.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace filelock::json {

// A pattern that cannot be compiled; what() names the construct and its offset.
class RegexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Regex {
 public:
  // Compiled programs are capped at this many instructions ({n,m} copies its operand).
  static constexpr size_t kMaxProgram = 20000;
  // Throws RegexError.
  explicit Regex(std::string_view pattern);
  // True when the pattern matches somewhere in subject.
  bool search(std::string_view subject) const;

  struct Inst {
    enum Op : uint8_t { kClass, kSplit, kJmp, kMatch, kBegin, kEnd, kWordBoundary, kNotWordBoundary };
    Op op;
    int32_t x = 0;  // kClass: index into classes_; kSplit/kJmp: target
    int32_t y = 0;  // kSplit: second target
  };
  // Sorted, disjoint, inclusive code point ranges.
  using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

 private:
  std::vector<Inst> program_;
  std::vector<Ranges> classes_;
};

}  // namespace filelock::json

#include "json/regex.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

namespace filelock::json {

namespace {

using Ranges = Regex::Ranges;
using Inst = Regex::Inst;

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr int kMaxNesting = 100;    // groups inside groups: parsing and emitting recurse
constexpr int kMaxRepeat = 1000;    // the largest count in {n,m}
constexpr int kInfinite = -1;

// Decodes one UTF-8 sequence at s[i], advancing i. Invalid bytes read as U+FFFD so a
// subject that is not UTF-8 still matches in linear time.
uint32_t decode(std::string_view s, size_t &i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += len;
  return cp;
}

Ranges normalize(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (const auto &x : r) {
    if (!out.empty() && x.first <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, x.second);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

Ranges complement(const Ranges &sorted) {
  Ranges out;
  uint32_t next = 0;
  for (const auto &x : sorted) {
    if (x.first > next) out.emplace_back(next, x.first - 1);
    next = x.second + 1;
  }
  if (next <= kMaxCodePoint) out.emplace_back(next, kMaxCodePoint);
  return out;
}

const Ranges kDigit = {{'0', '9'}};
const Ranges kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
// ECMA-262 WhiteSpace and LineTerminator.
const Ranges kSpace = {{0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680},
                       {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F},
                       {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
const Ranges kLineTerminator = {{0x0A, 0x0A}, {0x0D, 0x0D}, {0x2028, 0x2029}};

bool is_word(int32_t cp) { return cp >= 0 && cp < 0x80 && (std::isalnum(cp) != 0 || cp == '_'); }

bool contains(const Ranges &r, uint32_t cp) {
  auto it = std::upper_bound(r.begin(), r.end(), std::make_pair(cp, kMaxCodePoint));
  return it != r.begin() && std::prev(it)->second >= cp;
}

struct Node {
  enum Kind { kEmpty, kClass, kAssert, kConcat, kAlt, kRepeat } kind = kEmpty;
  Ranges ranges;                     // kClass
  Inst::Op assertion = Inst::kBegin;  // kAssert
  int min = 0, max = 0;              // kRepeat
  std::vector<Node> kids;
};

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  Node parse() {
    Node n = alternation(0);
    if (i_ < p_.size()) fail("unmatched ')'");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string &what) const {
    throw RegexError(what + " at offset " + std::to_string(i_));
  }
  bool at(char c) const { return i_ < p_.size() && p_[i_] == c; }
  bool starts(std::string_view s) const { return p_.substr(i_, s.size()) == s; }

  Node alternation(int depth) {
    Node alt;
    alt.kind = Node::kAlt;
    alt.kids.push_back(sequence(depth));
    while (at('|')) {
      ++i_;
      alt.kids.push_back(sequence(depth));
    }
    return alt.kids.size() == 1 ? std::move(alt.kids[0]) : alt;
  }

  Node sequence(int depth) {
    Node seq;
    seq.kind = Node::kConcat;
    while (i_ < p_.size() && !at('|') && !at(')')) {
      Node atom_node = atom(depth);
      seq.kids.push_back(quantified(std::move(atom_node)));
    }
    return seq;
  }

  Node quantified(Node atom_node) {
    int min = 0, max = 0;
    if (!quantifier(min, max)) return atom_node;
    if (atom_node.kind == Node::kAssert) fail("nothing to repeat (an anchor cannot be quantified)");
    if (at('?')) ++i_;  // lazy: the same set of matches, and only whether one exists counts
    if (at('*') || at('+') || at('?') || (at('{') && brace_quantifier_ahead())) {
      fail("nothing to repeat (a quantifier after a quantifier)");
    }
    Node rep;
    rep.kind = Node::kRepeat;
    rep.min = min;
    rep.max = max;
    rep.kids.push_back(std::move(atom_node));
    return rep;
  }

  bool quantifier(int &min, int &max) {
    if (at('*')) min = 0, max = kInfinite;
    else if (at('+')) min = 1, max = kInfinite;
    else if (at('?')) min = 0, max = 1;
    else if (at('{') && brace_quantifier_ahead()) return braces(min, max);
    else return false;
    ++i_;
    return true;
  }

  // ECMA-262 Annex B: a '{' that does not start {n}, {n,} or {n,m} is a literal.
  bool brace_quantifier_ahead() const {
    size_t j = i_ + 1;
    const size_t digits_start = j;
    while (j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j])) != 0) ++j;
    if (j == digits_start) return false;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      while (j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j])) != 0) ++j;
    }
    return j < p_.size() && p_[j] == '}';
  }

  int number() {
    long v = 0;
    while (i_ < p_.size() && std::isdigit(static_cast<unsigned char>(p_[i_])) != 0) {
      v = std::min<long>(v * 10 + (p_[i_++] - '0'), kMaxRepeat + 1L);
    }
    if (v > kMaxRepeat) fail("repetition count above " + std::to_string(kMaxRepeat));
    return static_cast<int>(v);
  }

  bool braces(int &min, int &max) {
    ++i_;  // '{'
    min = max = number();
    if (at(',')) {
      ++i_;
      max = at('}') ? kInfinite : number();
    }
    ++i_;  // '}'
    if (max != kInfinite && max < min) fail("numbers out of order in {n,m} quantifier");
    return true;
  }

  Node atom(int depth) {
    const char c = p_[i_];
    if (c == '^' || c == '$') {
      ++i_;
      Node n;
      n.kind = Node::kAssert;
      n.assertion = c == '^' ? Inst::kBegin : Inst::kEnd;
      return n;
    }
    if (c == '.') {
      ++i_;
      return class_node(complement(kLineTerminator));
    }
    if (c == '(') return group(depth);
    if (c == '[') return bracket();
    if (c == '\\') return escape();
    if (c == '*' || c == '+' || c == '?' || (c == '{' && brace_quantifier_ahead())) fail("nothing to repeat");
    return class_node({{decode(p_, i_), 0}}, true);
  }

  static Node class_node(Ranges r, bool single = false) {
    if (single) r[0].second = r[0].first;
    Node n;
    n.kind = Node::kClass;
    n.ranges = normalize(std::move(r));
    return n;
  }

  Node group(int depth) {
    if (depth + 1 > kMaxNesting) fail("groups nested deeper than " + std::to_string(kMaxNesting));
    ++i_;  // '('
    if (starts("?=") || starts("?!")) fail("lookahead '(" + std::string(p_.substr(i_, 2)) + "' is not supported");
    if (starts("?<=") || starts("?<!")) fail("lookbehind '(" + std::string(p_.substr(i_, 3)) + "' is not supported");
    if (starts("?:")) {
      i_ += 2;
    } else if (starts("?<")) {
      const size_t close = p_.find('>', i_);
      if (close == std::string_view::npos || close == i_ + 2) fail("invalid group name");
      i_ = close + 1;
    } else if (at('?')) {
      fail("invalid group '(?'");
    }
    Node inner = alternation(depth + 1);
    if (!at(')')) fail("missing ')'");
    ++i_;
    return inner;
  }

  Node escape() {
    Ranges r;
    Inst::Op assertion = Inst::kBegin;
    if (class_escape(r, false, assertion)) return class_node(std::move(r));
    Node n;
    n.kind = Node::kAssert;
    n.assertion = assertion;
    return n;
  }

  // After '\': fills r with the escape's characters and returns true, or returns false
  // with an assertion (\b, \B outside a class).
  bool class_escape(Ranges &r, bool in_class, Inst::Op &assertion) {
    ++i_;  // '\'
    if (i_ >= p_.size()) fail("'\\' at the end of the pattern");
    const char c = p_[i_++];
    switch (c) {
      case 'd': r = kDigit; return true;
      case 'D': r = complement(kDigit); return true;
      case 'w': r = kWord; return true;
      case 'W': r = complement(kWord); return true;
      case 's': r = kSpace; return true;
      case 'S': r = complement(normalize(kSpace)); return true;
      case 'b':
        if (in_class) return single(r, 0x08);
        assertion = Inst::kWordBoundary;
        return false;
      case 'B':
        if (in_class) fail("'\\B' inside a character class");
        assertion = Inst::kNotWordBoundary;
        return false;
      case 't': return single(r, '\t');
      case 'n': return single(r, '\n');
      case 'r': return single(r, '\r');
      case 'v': return single(r, '\v');
      case 'f': return single(r, '\f');
      case '0':
        if (i_ < p_.size() && std::isdigit(static_cast<unsigned char>(p_[i_])) != 0) {
          fail("octal escape '\\0" + std::string(1, p_[i_]) + "' is not supported");
        }
        return single(r, 0);
      case 'x': return single(r, hex(2));
      case 'u': return single(r, unicode_escape());
      case 'c':
        if (i_ < p_.size() && std::isalpha(static_cast<unsigned char>(p_[i_])) != 0) {
          return single(r, static_cast<uint32_t>(p_[i_++]) % 32);
        }
        fail("invalid control escape '\\c'");
      case 'k': fail("backreference '\\k' is not supported");
      case 'p':
      case 'P': fail("Unicode property escape '\\" + std::string(1, c) + "' is not supported");
      default: break;
    }
    if (c >= '1' && c <= '9') fail("backreference '\\" + std::string(1, c) + "' is not supported");
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      fail("unknown escape '\\" + std::string(1, c) + "'");
    }
    --i_;  // an escaped syntax or other character stands for itself (it may be UTF-8)
    return single(r, decode(p_, i_));
  }

  static bool single(Ranges &r, uint32_t cp) {
    r = {{cp, cp}};
    return true;
  }

  uint32_t hex(int digits) {
    uint32_t v = 0;
    for (int k = 0; k < digits; ++k) {
      if (i_ >= p_.size() || std::isxdigit(static_cast<unsigned char>(p_[i_])) == 0) fail("invalid hex escape");
      const char h = static_cast<char>(std::tolower(static_cast<unsigned char>(p_[i_++])));
      v = v * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : h - 'a' + 10);
    }
    return v;
  }

  uint32_t unicode_escape() {
    if (!at('{')) return hex(4);
    ++i_;
    uint32_t v = 0;
    int digits = 0;
    while (i_ < p_.size() && std::isxdigit(static_cast<unsigned char>(p_[i_])) != 0 && digits < 6) {
      v = v * 16 + hex(1);
      ++digits;
    }
    if (digits == 0 || !at('}') || v > kMaxCodePoint) fail("invalid '\\u{...}' escape");
    ++i_;
    return v;
  }

  Node bracket() {
    ++i_;  // '['
    const bool negate = at('^');
    if (negate) ++i_;
    Ranges all;
    while (!at(']')) {
      if (i_ >= p_.size()) fail("missing ']'");
      Ranges lo;
      const bool lo_single = class_atom(lo);
      if (lo_single && at('-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;  // '-'
        Ranges hi;
        if (!class_atom(hi)) fail("a class escape cannot bound a range");
        if (hi[0].first < lo[0].first) fail("range out of order in character class");
        all.emplace_back(lo[0].first, hi[0].first);
      } else {
        all.insert(all.end(), lo.begin(), lo.end());
      }
    }
    ++i_;  // ']'
    Ranges r = normalize(std::move(all));
    return class_node(negate ? complement(r) : r);
  }

  // One class member into r; true when it is a single character (a possible range bound).
  bool class_atom(Ranges &r) {
    if (!at('\\')) return single(r, decode(p_, i_));
    Inst::Op unused = Inst::kBegin;
    class_escape(r, true, unused);
    return r.size() == 1 && r[0].first == r[0].second;
  }

  std::string_view p_;
  size_t i_ = 0;
};

class Emitter {
 public:
  Emitter(std::vector<Inst> &program, std::vector<Ranges> &classes) : prog_(program), classes_(classes) {}

  void emit(const Node &n) {
    switch (n.kind) {
      case Node::kEmpty: return;
      case Node::kClass:
        classes_.push_back(n.ranges);
        push({Inst::kClass, static_cast<int32_t>(classes_.size() - 1)});
        return;
      case Node::kAssert: push({n.assertion}); return;
      case Node::kConcat:
        for (const Node &k : n.kids) emit(k);
        return;
      case Node::kAlt: return alternation(n);
      case Node::kRepeat: return repeat(n);
    }
  }

 private:
  int32_t here() const { return static_cast<int32_t>(prog_.size()); }

  void push(Inst inst) {
    if (prog_.size() >= Regex::kMaxProgram) {
      throw RegexError("pattern too large: more than " + std::to_string(Regex::kMaxProgram) +
                       " instructions once repetitions are expanded");
    }
    prog_.push_back(inst);
  }

  void alternation(const Node &n) {
    std::vector<int32_t> jumps;
    for (size_t k = 0; k < n.kids.size(); ++k) {
      const bool last = k + 1 == n.kids.size();
      const int32_t split = here();
      if (!last) push({Inst::kSplit, split + 1});
      emit(n.kids[k]);
      if (!last) {
        jumps.push_back(here());
        push({Inst::kJmp});
        prog_[split].y = here();
      }
    }
    for (const int32_t j : jumps) prog_[j].x = here();
  }

  void repeat(const Node &n) {
    const Node &kid = n.kids[0];
    const int required = n.max == kInfinite ? std::max(n.min - 1, 0) : n.min;
    for (int k = 0; k < required; ++k) emit(kid);
    if (n.max == kInfinite) {
      if (n.min >= 1) {  // one more copy, looped: kid+
        const int32_t start = here();
        emit(kid);
        push({Inst::kSplit, start, here() + 1});
      } else {  // kid*
        const int32_t split = here();
        push({Inst::kSplit, split + 1});
        emit(kid);
        push({Inst::kJmp, split});
        prog_[split].y = here();
      }
      return;
    }
    std::vector<int32_t> splits;
    for (int k = n.min; k < n.max; ++k) {
      splits.push_back(here());
      push({Inst::kSplit, here() + 1});
      emit(kid);
    }
    for (const int32_t s : splits) prog_[s].y = here();
  }

  std::vector<Inst> &prog_;
  std::vector<Ranges> &classes_;
};

}  // namespace

Regex::Regex(std::string_view pattern) {
  const Node tree = Parser(pattern).parse();
  Emitter(program_, classes_).emit(tree);
  program_.push_back({Inst::kMatch});
}

bool Regex::search(std::string_view subject) const {
  const size_t n = program_.size();
  std::vector<uint32_t> mark(n, 0);
  std::vector<int32_t> stack, current, pending;
  uint32_t generation = 0;
  int32_t prev = -1;  // the code point before the position; -1 at the start

  // Follows the non-consuming instructions from pc at this position; true on a match.
  const auto add = [&](int32_t start, size_t pos, int32_t next) {
    stack.push_back(start);
    while (!stack.empty()) {
      const int32_t pc = stack.back();
      stack.pop_back();
      if (mark[pc] == generation) continue;
      mark[pc] = generation;
      const Inst &in = program_[pc];
      switch (in.op) {
        case Inst::kMatch: stack.clear(); return true;
        case Inst::kClass: current.push_back(pc); break;
        case Inst::kJmp: stack.push_back(in.x); break;
        case Inst::kSplit:
          stack.push_back(in.y);
          stack.push_back(in.x);
          break;
        case Inst::kBegin:
          if (pos == 0) stack.push_back(pc + 1);
          break;
        case Inst::kEnd:
          if (pos == subject.size()) stack.push_back(pc + 1);
          break;
        case Inst::kWordBoundary:
        case Inst::kNotWordBoundary:
          if ((is_word(prev) != is_word(next)) == (in.op == Inst::kWordBoundary)) stack.push_back(pc + 1);
          break;
      }
    }
    return false;
  };

  size_t pos = 0;
  while (true) {
    size_t after = pos;
    const int32_t next = pos < subject.size() ? static_cast<int32_t>(decode(subject, after)) : -1;
    ++generation;
    current.clear();
    for (const int32_t pc : pending) {
      if (add(pc, pos, next)) return true;
    }
    if (add(0, pos, next)) return true;  // unanchored: a match may start at any position
    if (pos == subject.size()) return false;
    pending.clear();
    for (const int32_t pc : current) {
      if (contains(classes_[program_[pc].x], static_cast<uint32_t>(next))) pending.push_back(pc + 1);
    }
    prev = next;
    pos = after;
  }
}

}  // namespace filelock::json

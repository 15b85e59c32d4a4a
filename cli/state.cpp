// `filelock state ...`: read and change a JSON state file through the state API, so
// every change is locked, atomic, backed up and logged exactly as from the library.
#include <sys/stat.h>

#include <climits>
#include <iostream>
#include <iterator>
#include <memory>

#include "args.hpp"
#include "cli.hpp"
#include "etcd_options.hpp"
#include "filelock.h"
#include "format.hpp"
#include "json.hpp"

namespace filelock::cli {

const char *const kStateHelp =
    "Usage: filelock state get FILE [POINTER] [--json] [-r|--raw]\n"
    "       filelock state set FILE POINTER JSON\n"
    "       filelock state remove FILE POINTER\n"
    "       filelock state merge FILE PATCH\n"
    "       filelock state history FILE [-n N] [--json]\n"
    "       filelock state backups FILE [--json]\n"
    "       filelock state restore FILE ID\n"
    "       filelock state verify FILE [--json]\n"
    "       filelock state watch FILE [--once] [--after GEN] [-w DUR] [--json]\n"
    "\n"
    "Reads and changes the JSON state file FILE under its lock (the same lock, backups\n"
    "and audit log as programs using the library). POINTER is an RFC 6901 JSON pointer\n"
    "(\"/jobs/0/status\"; \"\" is the whole document); set creates missing parents.\n"
    "JSON and PATCH (an RFC 7386 merge patch) are JSON text; '-' reads it from stdin.\n"
    "A JSON string needs its quotes: '\"done\"'. get, history, backups and verify never\n"
    "create FILE; set, remove and merge create it as {} if it is missing. Each command\n"
    "takes FILE's lock itself: do not wrap it in 'filelock run FILE' (it would wait).\n"
    "watch prints FILE's generation each time a commit from any process changes it,\n"
    "one line per change seen (commits close together may show as one line with the\n"
    "latest generation), until interrupted; it is woken by the commit, not by polling.\n"
    "\n"
    "Options:\n"
    "  --json               machine-readable output (one line of JSON)\n"
    "  -r, --raw            get: print a string value without quotes\n"
    "  -n, --limit N        history: the newest N records (default: all)\n"
    "      --once           watch: exit after the first change\n"
    "      --after GEN      watch: changes past generation GEN (default: the current one)\n"
    "  -w, --timeout DUR    wait at most DUR for the lock (default 10s); watch: for a\n"
    "                       change (default: no limit), exit 1 when none came\n"
    "      --owner LABEL    who is changing FILE, recorded in its history\n"
    "      --meta-dir DIR   where backups and the log live, if not the default\n"
    "                       (.FILE.filelock/ beside FILE)\n"
    "  -h, --help           show this help\n"
    FILELOCK_CLI_ETCD_HELP
    "\n"
    "Exit status: 0 ok; 2 invalid JSON or pointer; 3 FILE, pointer target or backup\n"
    "not found; 1 the lock was not had in time; 5 FILE is damaged (verify found\n"
    "problems); 4 other errors.\n"
    "\n"
    "Examples:\n"
    "  filelock state get pipeline.json /stage --raw\n"
    "  filelock state set pipeline.json /workers/3 '{\"status\": \"busy\"}'\n"
    "  filelock state merge pipeline.json '{\"paused\": true, \"reason\": null}'\n"
    "  filelock state history pipeline.json -n 10\n"
    "  filelock state backups pipeline.json\n"
    "  filelock state restore pipeline.json 20260101T120000Z-g41\n"
    "  filelock state verify pipeline.json\n"
    "  filelock state watch pipeline.json --once -w 5m\n";

namespace {

struct StateCloser {
  void operator()(fl_state *s) const { fl_state_close(s); }
};
using State = std::unique_ptr<fl_state, StateCloser>;

struct Txn {
  fl_txn *t = nullptr;
  ~Txn() { fl_txn_rollback(t); }
  fl_txn *release() {
    fl_txn *out = t;
    t = nullptr;
    return out;
  }
};

struct Context {
  std::string sub;
  ParsedArgs args;
  std::string file;
  bool json = false;
};

bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

State open_state(const Context &c, bool may_create) {
  // An etcd:// name has no file to look for: the store makes its key at the first open.
  if (!may_create && c.file.rfind("etcd://", 0) != 0 && !exists(c.file))
    throw Failure(kExitNotFound, "'" + c.file + "' does not exist (state " + c.sub +
                                     " does not create it; 'filelock state set " + c.file +
                                     " \"\" {}' does)");
  fl_state_options opts;
  fl_state_options_init(&opts);
  if (c.args.has("timeout"))
    opts.lock_timeout_ms = duration_option("-w/--timeout", c.args.get("timeout"));
  const std::string meta_dir = c.args.get("meta-dir");
  if (!meta_dir.empty()) opts.meta_dir = meta_dir.c_str();
  // The owner label goes into the audit log with every change this command makes.
  fl_lock_options lock;
  fl_lock_options_init(&lock);
  const std::string owner = c.args.get("owner");
  if (!owner.empty()) lock.owner = owner.c_str();
  etcd_options_from(c.args, c.file, &lock);
  opts.lock = &lock;
  fl_state *st = nullptr;
  check(fl_state_open(&st, c.file.c_str(), &opts));
  return State(st);
}

// JSON text from an argument, or from stdin for "-"; refused early with a hint.
std::string json_argument(const std::string &what, const std::string &text) {
  std::string json = text;
  if (text == "-") json.assign(std::istreambuf_iterator<char>(std::cin), {});
  if (!is_json(json)) {
    std::string hint = json.empty() || json[0] == '{' || json[0] == '[' || json[0] == '"'
                           ? ""
                           : " (a JSON string needs quotes: '\"" + json + "\"')";
    throw UsageError(what + " '" + json + "' is not valid JSON" + hint);
  }
  return json;
}

uint64_t generation(fl_state *st) {
  uint64_t g = 0;
  check(fl_state_read(st, nullptr, &g));
  return g;
}

// Runs one change in a transaction and reports the new generation.
template <typename Change>
int change(const Context &c, const std::string &done, Change &&apply) {
  State st = open_state(c, true);
  Txn txn;
  check(fl_txn_begin(st.get(), &txn.t));
  check(apply(txn.t));
  check(fl_txn_commit(txn.release()));
  uint64_t g = generation(st.get());
  if (c.json)
    std::cout << "{\"file\":" << quote_json(c.file) << ",\"generation\":" << g << "}\n";
  else
    std::cout << c.file << ": " << done << " (generation " << g << ")\n";
  return kExitOk;
}

void expect_positionals(const Context &c, size_t n, const char *usage) {
  if (c.args.positional.size() != n)
    throw UsageError(std::string("usage: filelock state ") + usage);
}

int get(const Context &c) {
  if (c.args.positional.empty() || c.args.positional.size() > 2)
    throw UsageError("usage: filelock state get FILE [POINTER]");
  State st = open_state(c, false);
  LibString value;
  if (c.args.positional.size() == 1 || c.args.positional[1].empty()) {
    check(fl_state_read(st.get(), value.out(), nullptr));
  } else {
    Txn txn;
    check(fl_txn_begin(st.get(), &txn.t));
    check(fl_txn_get(txn.t, c.args.positional[1].c_str(), value.out()));
  }
  if (c.args.has("raw")) {
    Json v(cJSON_Parse(value.str().c_str()));
    if (cJSON_IsString(v.get())) {
      std::cout << v->valuestring << "\n";
      return kExitOk;
    }
  }
  std::cout << (c.json ? compact(value.str()) : pretty(value.str())) << "\n";
  return kExitOk;
}

int history(const Context &c) {
  expect_positionals(c, 1, "history FILE [-n N]");
  int limit = c.args.has("limit")
                  ? static_cast<int>(int_option("-n/--limit", c.args.get("limit"), 1, 1000000000))
                  : 0;
  State st = open_state(c, false);
  LibString records;
  check(fl_state_history(st.get(), limit, records.out()));
  if (c.json) {
    std::cout << compact(records.str()) << "\n";
    return kExitOk;
  }
  Json list = parse_report(records.str());
  if (cJSON_GetArraySize(list.get()) == 0) {
    std::cout << c.file << ": no history\n";
    return kExitOk;
  }
  // RESULT comes last: a failure's message is long and would push the columns apart.
  Table table({"TIME", "GENERATION", "OP", "PID", "HOST", "OWNER", "CHANGED", "RESULT"});
  const cJSON *rec = nullptr;
  cJSON_ArrayForEach(rec, list.get()) {
    std::string changed;
    const cJSON *member = nullptr;
    cJSON_ArrayForEach(member, field(rec, "changed")) {
      std::string pointer = display(member);
      changed += (changed.empty() ? "" : ",") + (pointer.empty() ? std::string("(all)") : pointer);
    }
    const cJSON *error = field(rec, "error");
    std::string result = cJSON_IsFalse(field(rec, "ok")) ? "FAILED" : "ok";
    if (cJSON_IsString(error)) result += ": " + std::string(error->valuestring);
    table.add({format_time(field(rec, "time")), display(field(rec, "generation")),
               printable(display(field(rec, "op"))), display(field(rec, "pid")),
               printable(display(field(rec, "host"))), printable(display(field(rec, "owner"))),
               changed.empty() ? "-" : printable(changed), printable(result)});
  }
  table.print(std::cout);
  return kExitOk;
}

int backups(const Context &c) {
  expect_positionals(c, 1, "backups FILE");
  State st = open_state(c, false);
  LibString list_json;
  check(fl_state_backups(st.get(), list_json.out()));
  if (c.json) {
    std::cout << compact(list_json.str()) << "\n";
    return kExitOk;
  }
  Json list = parse_report(list_json.str());
  Table table({"ID", "GENERATION", "CREATED", "SIZE"});
  const cJSON *b = nullptr;
  cJSON_ArrayForEach(b, list.get()) {
    table.add({display(field(b, "id")), display(field(b, "generation")),
               format_time(field(b, "created_at")), display(field(b, "size"))});
  }
  if (table.empty())
    std::cout << c.file << ": no backups\n";
  else
    table.print(std::cout);
  return kExitOk;
}

int restore(const Context &c) {
  expect_positionals(c, 2, "restore FILE ID (ids: filelock state backups FILE)");
  State st = open_state(c, false);
  const std::string &id = c.args.positional[1];
  check(fl_state_restore(st.get(), id.c_str()));
  uint64_t g = generation(st.get());
  if (c.json)
    std::cout << "{\"file\":" << quote_json(c.file) << ",\"generation\":" << g << "}\n";
  else
    std::cout << c.file << ": restored backup " << id << " (generation " << g << ")\n";
  return kExitOk;
}

int verify(const Context &c) {
  expect_positionals(c, 1, "verify FILE");
  State st = open_state(c, false);
  LibString report_json;
  // A damaged file is a finding, not a failure to verify: the report comes with it.
  const int rc = fl_state_verify(st.get(), report_json.out());
  if (!(rc == FL_ECORRUPT && !report_json.str().empty())) check(rc);
  Json report = parse_report(report_json.str());
  const bool ok = bool_field(report.get(), "ok");
  if (c.json) {
    std::cout << compact(report_json.str()) << "\n";
    return ok ? kExitOk : kExitDamaged;
  }
  std::cout << c.file << ": " << (ok ? "ok" : "PROBLEMS FOUND") << "\n";
  const cJSON *item = nullptr;
  cJSON_ArrayForEach(item, report.get()) {
    std::string key = item->string;
    if (key == "ok" || key == "problems") continue;
    std::cout << "  " << key << ":";
    if (cJSON_IsObject(item)) {
      const cJSON *member = nullptr;
      cJSON_ArrayForEach(member, item) std::cout << " " << member->string << "=" << display(member);
    } else {
      std::cout << " " << display(item);
    }
    std::cout << "\n";
  }
  cJSON_ArrayForEach(item, field(report.get(), "problems")) {
    std::cout << "  problem: " << display(item) << "\n";
  }
  const std::string newest = text_field(field(report.get(), "backups"), "newest");
  if (!ok && !newest.empty())
    std::cout << "To go back to the newest backup: filelock state restore " << c.file << " "
              << newest << "\n";
  return ok ? kExitOk : kExitDamaged;
}

// One line per change seen until interrupted, or until the first with --once; a wait
// with -w that sees no change fails with the library's timeout (exit 1).
int watch(const Context &c) {
  expect_positionals(c, 1, "watch FILE");
  State st = open_state(c, false);
  uint64_t seen = 0;
  if (c.args.has("after")) {
    seen = static_cast<uint64_t>(int_option("--after", c.args.get("after"), 0, LLONG_MAX));
  } else {
    const int rc = fl_state_wait(st.get(), 0, FL_NOWAIT, &seen);  // the generation now
    if (rc != FL_ETIMEOUT) check(rc);
  }
  const int64_t timeout =
      c.args.has("timeout") ? duration_option("-w/--timeout", c.args.get("timeout")) : FL_FOREVER;
  const bool once = c.args.has("once");
  do {
    check(fl_state_wait(st.get(), seen, timeout, &seen));
    if (c.json)
      std::cout << "{\"file\":" << quote_json(c.file) << ",\"generation\":" << seen << "}";
    else
      std::cout << seen;
    std::cout << std::endl;  // flushed: a reader of a pipe sees each change as it comes
  } while (!once);
  return kExitOk;
}

}  // namespace

bool is_state_command(const std::string &name) {
  static const char *const kCommands[] = {"get",     "set",     "remove",  "merge",  "history",
                                          "backups", "restore", "verify",  "watch"};
  for (const char *c : kCommands)
    if (name == c) return true;
  return false;
}

int state_main(const Args &args) {
  if (args.empty())
    throw UsageError(
        "expects a state command: get, set, remove, merge, history, backups, "
        "restore, verify or watch");
  if (args[0] == "-h" || args[0] == "--help") {
    std::cout << kStateHelp;
    return kExitOk;
  }
  Context c;
  c.sub = args[0];
  if (!is_state_command(c.sub))
    throw UsageError("unknown state command '" + c.sub +
                     "' (get, set, remove, merge, history, backups, restore, verify, watch)");
  c.args = parse_args(Args(args.begin() + 1, args.end()), with_etcd_options({{0, "json", OptionSpec::none},
                                                           {'r', "raw", OptionSpec::none},
                                                           {'n', "limit", OptionSpec::required},
                                                           {0, "once", OptionSpec::none},
                                                           {0, "after", OptionSpec::required},
                                                           {'w', "timeout", OptionSpec::required},
                                                           {0, "meta-dir", OptionSpec::required},
                       {0, "owner", OptionSpec::required}}));
  if (c.args.help) {
    std::cout << kStateHelp;
    return kExitOk;
  }
  if (c.args.has("raw") && c.sub != "get") throw UsageError("-r/--raw is for 'state get' only");
  if (c.args.has("limit") && c.sub != "history")
    throw UsageError("-n/--limit is for 'state history' only");
  if ((c.args.has("once") || c.args.has("after")) && c.sub != "watch")
    throw UsageError("--once and --after are for 'state watch' only");
  if (c.args.positional.empty()) throw UsageError("FILE is missing");
  c.file = c.args.positional[0];
  c.json = c.args.has("json");
  fl_lock_options checked;  // --etcd-* with a file path: a usage error before anything else
  fl_lock_options_init(&checked);
  etcd_options_from(c.args, c.file, &checked);

  const auto &pos = c.args.positional;
  if (c.sub == "get") return get(c);
  if (c.sub == "set") {
    expect_positionals(c, 3, "set FILE POINTER JSON");
    std::string value = json_argument("JSON", pos[2]);
    return change(c, "set " + (pos[1].empty() ? std::string("the document") : pos[1]),
                  [&](fl_txn *t) { return fl_txn_set(t, pos[1].c_str(), value.c_str()); });
  }
  if (c.sub == "remove") {
    expect_positionals(c, 2, "remove FILE POINTER");
    return change(c, "removed " + pos[1],
                  [&](fl_txn *t) { return fl_txn_remove(t, pos[1].c_str()); });
  }
  if (c.sub == "merge") {
    expect_positionals(c, 2, "merge FILE PATCH");
    std::string patch = json_argument("PATCH", pos[1]);
    return change(c, "merged", [&](fl_txn *t) { return fl_txn_merge(t, patch.c_str()); });
  }
  if (c.sub == "history") return history(c);
  if (c.sub == "backups") return backups(c);
  if (c.sub == "restore") return restore(c);
  if (c.sub == "watch") return watch(c);
  return verify(c);
}

}  // namespace filelock::cli

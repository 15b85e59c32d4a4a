// `filelock clean-stale [DIR] --max-age AGE [--dry-run]`: remove abandoned lock files.
#include <dirent.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "args.hpp"
#include "cli.hpp"
#include "filelock.h"
#include "format.hpp"
#include "json.hpp"
#include "locks.hpp"

namespace filelock::cli {

const char *const kCleanStaleHelp =
    "Usage: filelock clean-stale [DIR] [--max-age AGE] [--dry-run] [--json]\n"
    "\n"
    "Removes lock files under DIR (default: the current directory, not recursive) that\n"
    "are at least AGE old (default 1h) and that nobody holds, or whose holder is gone\n"
    "(lock-file backends, where a crash leaves the file behind), and what a process\n"
    "killed while creating or breaking such a lock left beside it (<lock>.new-*,\n"
    "<lock>.breaking-*) once that is provably abandoned. Lock files older scripts leave\n"
    "(a bare pid, pid=/locked_at= lines, a directory holding a pid file) are removed\n"
    "when their pid names no process on this host. A lock that is held is never\n"
    "removed, and removal is safe against processes locking at the same time.\n"
    "\n"
    "Options:\n"
    "  --max-age AGE   minimum age of an unheld lock file: 500ms, 30s, 15m, 2h, 1d\n"
    "                  (a plain number is seconds); default 1h\n"
    "  --dry-run       list what would be removed, and why, without removing anything\n"
    "                  (same rule, applied to the 'filelock status' report)\n"
    "  --json          print the report as JSON\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 if every removal that was tried succeeded, 4 if some failed.\n"
    "\n"
    "Examples:\n"
    "  filelock clean-stale /var/lib/pipeline --max-age 2h --dry-run\n"
    "  filelock clean-stale /var/lib/pipeline --max-age 2h\n";

namespace {

// Names fl_clean_stale considers (any "*.lock") that the scan leaves out because the
// library did not make them: the real run keeps and lists them, so the dry run does.
std::vector<std::string> foreign_lock_names(const std::string &dir, const cJSON *scanned) {
  std::set<std::string> known;
  const cJSON *item = nullptr;
  cJSON_ArrayForEach(item, scanned) known.insert(text_field(item, "lock_path"));
  std::vector<std::string> out;
  DIR *d = opendir(dir.c_str());
  if (d == nullptr) return out;  // fl_scan just read it: vanished since, nothing to keep
  while (const dirent *e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".lock") != 0) continue;
    const std::string path = dir + (dir.back() == '/' ? "" : "/") + name;
    if (known.count(path) == 0) out.push_back(path);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

int dry_run(const std::string &dir, int64_t max_age_ms, bool json) {
  LibString scan;
  check(fl_scan(dir.c_str(), scan.out()));
  Json report = parse_report(scan.str());
  Json out(cJSON_CreateObject());
  cJSON_AddStringToObject(out.get(), "dir", dir.c_str());
  cJSON_AddTrueToObject(out.get(), "dry_run");
  cJSON *would = cJSON_AddArrayToObject(out.get(), "would_remove");
  cJSON *kept = cJSON_AddArrayToObject(out.get(), "kept");
  Table table({"LOCK", "REASON"});
  size_t kept_count = 0;
  const cJSON *item = nullptr;
  cJSON_ArrayForEach(item, field(report.get(), "locks")) {
    LockEntry e = lock_entry(item);
    std::string reason = removal_reason(e, max_age_ms);
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "lock_path", e.lock_path.c_str());
    if (reason.empty()) {
      const bool young = e.age_ms < max_age_ms;
      cJSON_AddStringToObject(entry, "reason", young ? "younger than --max-age"
                                               : e.backend == "legacy" ? e.reason.c_str()
                                                                       : "held");
      cJSON_AddItemToArray(kept, entry);
      ++kept_count;
      continue;
    }
    cJSON_AddStringToObject(entry, "reason", reason.c_str());
    cJSON_AddItemToArray(would, entry);
    table.add({printable(e.lock_path), printable(reason)});
  }
  // Crash leftovers of the lock-file backends: the scan judged them with min age 0.
  cJSON_ArrayForEach(item, field(report.get(), "leftovers")) {
    const std::string path = text_field(item, "path");
    const std::string reason = text_field(item, "reason");
    int64_t age_ms = 0;
    number_field(item, "age_ms", &age_ms);
    const bool remove = bool_field(item, "stale") && age_ms >= max_age_ms;
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "lock_path", path.c_str());
    cJSON_AddStringToObject(entry, "leftover_of", text_field(item, "leftover_of").c_str());
    cJSON_AddStringToObject(entry, "reason",
                            remove || !bool_field(item, "stale") ? reason.c_str() : "younger than --max-age");
    cJSON_AddItemToArray(remove ? would : kept, entry);
    if (remove) table.add({printable(path), printable(reason)});
    else ++kept_count;
  }
  for (const std::string &path : foreign_lock_names(dir, field(report.get(), "locks"))) {
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "lock_path", path.c_str());
    cJSON_AddStringToObject(entry, "reason", "not a lock file made by filelock");
    cJSON_AddItemToArray(kept, entry);
    ++kept_count;
  }
  if (json) {
    char *text = cJSON_PrintUnformatted(out.get());
    std::cout << pretty(text) << "\n";
    cJSON_free(text);
    return kExitOk;
  }
  if (table.empty()) {
    std::cout << "dry run: nothing to remove in " << dir << " (" << kept_count << " kept)\n";
    return kExitOk;
  }
  std::cout << "dry run: would remove:\n";
  table.print(std::cout);
  std::cout << "dry run: would remove " << (cJSON_GetArraySize(would)) << ", keep " << kept_count
            << "; nothing was removed\n";
  return kExitOk;
}

int clean(const std::string &dir, int64_t max_age_ms, bool json) {
  LibString text;
  check(fl_clean_stale(dir.c_str(), max_age_ms, text.out()));
  Json report = parse_report(text.str());
  const cJSON *errors = field(report.get(), "errors");
  const bool failed = cJSON_GetArraySize(errors) > 0;
  if (json) {
    std::cout << pretty(text.str()) << "\n";
    return failed ? kExitError : kExitOk;
  }
  Table table({"REMOVED", "REASON"});
  const cJSON *item = nullptr;
  cJSON_ArrayForEach(item, field(report.get(), "removed")) {
    table.add({printable(text_field(item, "lock_path")), printable(display(field(item, "reason")))});
  }
  if (!table.empty()) table.print(std::cout);
  cJSON_ArrayForEach(item, errors) {
    std::string what = cJSON_IsObject(item) && field(item, "lock_path") != nullptr
                           ? text_field(item, "lock_path") + ": " + display(field(item, "error"))
                           : display(item);
    std::cerr << "filelock: clean-stale: " << printable(what) << "\n";
  }
  std::cout << "removed " << cJSON_GetArraySize(field(report.get(), "removed")) << ", kept "
            << cJSON_GetArraySize(field(report.get(), "kept"));
  if (failed) std::cout << ", failed " << cJSON_GetArraySize(errors);
  std::cout << "\n";
  return failed ? kExitError : kExitOk;
}

}  // namespace

int clean_stale_main(const Args &args) {
  ParsedArgs p = parse_args(args, {{0, "max-age", OptionSpec::required},
                                   {0, "dry-run", OptionSpec::none},
                                   {0, "json", OptionSpec::none}});
  if (p.help) {
    std::cout << kCleanStaleHelp;
    return kExitOk;
  }
  if (p.positional.size() > 1)
    throw UsageError("expects at most one DIR, got '" + p.positional[1] + "' too");
  const std::string dir = p.positional.empty() ? "." : p.positional[0];
  const int64_t max_age = duration_option("--max-age", p.get("max-age", "1h"));
  return p.has("dry-run") ? dry_run(dir, max_age, p.has("json"))
                          : clean(dir, max_age, p.has("json"));
}

}  // namespace filelock::cli

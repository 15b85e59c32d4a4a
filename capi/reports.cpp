#include "reports.hpp"

#include <cjson/cJSON.h>

#include <new>

#include "json/json.hpp"

namespace filelock::capi {

namespace {

cJSON *checked(cJSON *item) {
  if (item == nullptr) throw std::bad_alloc();
  return item;
}

std::string print(const json::Doc &root) { return json::print(root.get(), false); }

// Counts and sizes exactly, past 2^53.
void add_count(cJSON *o, const char *key, uint64_t value) {
  cJSON_AddRawToObject(o, key, std::to_string(value).c_str());
}

// Every string from a file or a name anyone could have made stays valid UTF-8 in the
// document; record fields and reasons also lose control characters.
void add_text(cJSON *o, const char *key, const std::string &text) {
  cJSON_AddStringToObject(o, key, to_printable_utf8(text, false).c_str());
}

void add_label(cJSON *o, const char *key, const std::string &text) {
  cJSON_AddStringToObject(o, key, to_printable_utf8(text, true).c_str());
}

cJSON *holder_json(const HolderRecord &r) {
  cJSON *h = checked(cJSON_CreateObject());
  cJSON_AddNumberToObject(h, "pid", static_cast<double>(r.pid));
  add_label(h, "host", r.host);
  cJSON_AddNumberToObject(h, "start_time", static_cast<double>(r.start_time));
  add_label(h, "boot_id", r.boot_id);
  cJSON_AddNumberToObject(h, "acquired_at", static_cast<double>(r.acquired_at));
  add_label(h, "mode", r.mode.empty() ? "exclusive" : r.mode);
  if (r.owner.empty()) cJSON_AddNullToObject(h, "owner");
  else add_label(h, "owner", r.owner);
  return h;
}

void add_lock_fields(cJSON *o, const LockReport &r) {
  add_label(o, "backend", r.backend);
  if (!r.format.empty()) add_label(o, "format", r.format);
  cJSON_AddBoolToObject(o, "locked", r.locked);
  if (r.locked) cJSON_AddStringToObject(o, "mode", r.exclusive ? "exclusive" : "shared");
  else cJSON_AddNullToObject(o, "mode");
  cJSON *owners = cJSON_AddArrayToObject(o, "holders");
  for (const auto &h : r.owners) {
    cJSON *item = checked(cJSON_CreateObject());
    if (h.pid > 0) cJSON_AddNumberToObject(item, "pid", static_cast<double>(h.pid));
    else cJSON_AddNullToObject(item, "pid");
    add_label(item, "kind", h.kind);
    cJSON_AddStringToObject(item, "mode", h.exclusive ? "exclusive" : "shared");
    cJSON_AddItemToArray(owners, item);
  }
  switch (r.holder) {
    case LockReport::Holder::record:
      cJSON_AddItemToObject(o, "holder", holder_json(r.record));
      break;
    case LockReport::Holder::legacy: {
      cJSON *h = cJSON_AddObjectToObject(o, "holder");
      cJSON_AddNumberToObject(h, "pid", static_cast<double>(r.legacy_pid));
      if (r.legacy_acquired_at > 0)
        cJSON_AddNumberToObject(h, "acquired_at", static_cast<double>(r.legacy_acquired_at));
      break;
    }
    case LockReport::Holder::none:
      cJSON_AddNullToObject(o, "holder");
      break;
  }
  if (r.alive == platform::Liveness::unknown) cJSON_AddNullToObject(o, "alive");
  else cJSON_AddBoolToObject(o, "alive", r.alive == platform::Liveness::alive);
  cJSON_AddBoolToObject(o, "stale", r.stale);
  if (r.has_reason) add_label(o, "reason", r.reason);
  if (r.has_age) cJSON_AddNumberToObject(o, "age_ms", static_cast<double>(r.age_ms));
  else cJSON_AddNullToObject(o, "age_ms");
}

cJSON *scanned_lock(const LockReport &r) {
  cJSON *o = checked(cJSON_CreateObject());
  add_text(o, "lock_path", r.lock_path);
  if (!r.error.empty()) add_text(o, "error", r.error);
  else add_lock_fields(o, r);
  return o;
}

cJSON *leftover(const LeftoverReport &r) {
  cJSON *o = checked(cJSON_CreateObject());
  add_text(o, "path", r.path);
  add_text(o, "leftover_of", r.leftover_of);
  cJSON_AddStringToObject(o, "kind", r.kind.c_str());
  if (!r.error.empty()) {
    add_text(o, "error", r.error);
    return o;
  }
  cJSON_AddNumberToObject(o, "age_ms", static_cast<double>(r.age_ms));
  cJSON_AddBoolToObject(o, "stale", r.stale);
  add_label(o, "reason", r.reason);
  return o;
}

void add_items(cJSON *o, const char *key, const std::vector<CleanReport::Item> &items,
               const char *text_key) {
  cJSON *list = cJSON_AddArrayToObject(o, key);
  for (const auto &i : items) {
    cJSON *item = checked(cJSON_CreateObject());
    add_text(item, "lock_path", i.lock_path);
    add_label(item, text_key, i.text);
    if (!i.leftover_of.empty()) add_text(item, "leftover_of", i.leftover_of);
    cJSON_AddItemToArray(list, item);
  }
}

cJSON *string_array(const std::vector<std::string> &texts) {
  cJSON *list = checked(cJSON_CreateArray());
  for (const auto &t : texts) cJSON_AddItemToArray(list, checked(cJSON_CreateString(t.c_str())));
  return list;
}

}  // namespace

std::string to_json(const LockReport &r) {
  json::Doc root(checked(cJSON_CreateObject()));
  add_text(root.get(), "path", r.path);
  add_text(root.get(), "lock_path", r.lock_path);
  cJSON_AddBoolToObject(root.get(), "exists", r.exists == 1);
  add_lock_fields(root.get(), r);
  return print(root);
}

std::string to_json(const ScanReport &r) {
  json::Doc root(checked(cJSON_CreateObject()));
  add_text(root.get(), "dir", r.dir);
  cJSON *locks = cJSON_AddArrayToObject(root.get(), "locks");
  for (const auto &l : r.locks) cJSON_AddItemToArray(locks, scanned_lock(l));
  cJSON *leftovers = cJSON_AddArrayToObject(root.get(), "leftovers");
  for (const auto &l : r.leftovers) cJSON_AddItemToArray(leftovers, leftover(l));
  return print(root);
}

std::string to_json(const CleanReport &r) {
  json::Doc root(checked(cJSON_CreateObject()));
  add_text(root.get(), "dir", r.dir);
  add_items(root.get(), "removed", r.removed, "reason");
  add_items(root.get(), "kept", r.kept, "reason");
  add_items(root.get(), "errors", r.errors, "error");
  return print(root);
}

std::string to_json(const state::VerifyReport &r) {
  json::Doc root(checked(cJSON_CreateObject()));
  cJSON_AddBoolToObject(root.get(), "ok", r.ok);
  cJSON *doc = cJSON_AddObjectToObject(root.get(), "document");
  cJSON_AddBoolToObject(doc, "ok", r.document.ok);
  cJSON_AddStringToObject(doc, "path", r.document.path.c_str());
  add_count(doc, "size", r.document.size);
  if (!r.document.error.empty()) cJSON_AddStringToObject(doc, "error", r.document.error.c_str());
  add_count(root.get(), "generation", r.generation);
  cJSON *log = cJSON_AddObjectToObject(root.get(), "log");
  cJSON_AddBoolToObject(log, "ok", r.log.ok);
  cJSON_AddStringToObject(log, "path", r.log.path.c_str());
  add_count(log, "records", r.log.records);
  cJSON_AddBoolToObject(log, "torn_tail", r.log.torn_tail);
  add_count(log, "unwritten", r.log.unwritten);
  if (!r.log.error.empty()) cJSON_AddStringToObject(log, "error", r.log.error.c_str());
  cJSON *backups = cJSON_AddObjectToObject(root.get(), "backups");
  add_count(backups, "count", r.backups.count);
  cJSON_AddItemToObject(backups, "invalid", string_array(r.backups.invalid));
  if (!r.backups.newest.empty()) cJSON_AddStringToObject(backups, "newest", r.backups.newest.c_str());
  cJSON_AddItemToObject(root.get(), "problems", string_array(r.problems));
  return print(root);
}

std::string to_json(const std::vector<state::BackupInfo> &backups) {
  json::Doc list(checked(cJSON_CreateArray()));
  for (const auto &b : backups) {
    cJSON *item = checked(cJSON_CreateObject());
    cJSON_AddStringToObject(item, "id", b.id.c_str());
    add_count(item, "generation", b.generation);
    cJSON_AddStringToObject(item, "created_at", b.created_at.c_str());
    add_count(item, "size", b.size);
    cJSON_AddItemToArray(list.get(), item);
  }
  return print(list);
}

}  // namespace filelock::capi

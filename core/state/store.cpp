// What every Store shares: a transaction's edits on its working copy, and how input and
// changes are judged.
#include "state/store.hpp"

#include <algorithm>

#include "json/merge_patch.hpp"
#include "json/pointer.hpp"
#include "state/journal_ops.hpp"

namespace filelock::state {

json::Doc parse_input(const char *op, const std::string &path, std::string_view text) {
  return with_context(op, path, [&] { return json::parse(text); });
}

std::vector<std::string> changed_members(const cJSON *before, const cJSON *after) {
  if (before == nullptr || !cJSON_IsObject(before) || !cJSON_IsObject(after)) return {""};
  std::vector<std::string> out;
  const json::KeyIndex before_keys(before);
  for (const cJSON *m = after->child; m != nullptr && out.size() < kMaxChanged; m = m->next) {
    const cJSON *old = before_keys.find(m->string);
    if (old == nullptr || !json::equal(old, m)) out.push_back("/" + json::escape_token(m->string));
  }
  if (out.size() >= kMaxChanged) return out;
  const json::KeyIndex after_keys(after);
  for (const cJSON *m = before->child; m != nullptr && out.size() < kMaxChanged; m = m->next) {
    if (after_keys.find(m->string) == nullptr) {
      out.push_back("/" + json::escape_token(m->string));
    }
  }
  return out;
}

std::vector<std::string> changes_from(const Current &current, const cJSON *after) {
  json::Doc before;
  if (current.exists) {
    try {
      before = json::parse(current.bytes);
    } catch (const json::JsonError &) {
      // Damaged: there is nothing to compare with.
    }
  }
  return changed_members(before.get(), after);
}

Store::Snapshot Store::get(const std::string &pointer, const CallWait &wait) {
  Snapshot whole = read(wait);
  const json::Doc doc = parse_input("state get", path(), whole.json);
  return {value_at("state get", path(), doc.get(), pointer), whole.generation};
}

std::string value_at(const char *op, const std::string &path, const cJSON *tree, const std::string &pointer) {
  return with_context(op, path, [&] { return json::print(json::get(tree, pointer), false); });
}

// The tree parsed at begin becomes the private copy: the stored document is the original.
Transaction::Transaction(Store &store, Current current)
    : store_(store),
      current_(std::move(current)),
      work_(std::move(current_.tree)),
      record_ops_(store.records_operations()) {}

void Transaction::touched(std::string pointer) {
  if (changed_.size() < kMaxChanged && std::find(changed_.begin(), changed_.end(), pointer) == changed_.end()) {
    changed_.push_back(std::move(pointer));
  }
}

Transaction::~Transaction() { end(); }

void Transaction::end() noexcept {
  if (!open_) return;
  open_ = false;
  store_.end_transaction();
}

std::string Transaction::get(const std::string &pointer) const {
  if (!work_) throw_error(Status::invalid, "transaction get", store_.path(), "the transaction has ended");
  return value_at("transaction get", store_.path(), work_.get(), pointer);
}

void Transaction::set(const std::string &pointer, std::string_view json) {
  json::Doc value = parse_input("transaction set", store_.path(), json);
  if (!record_ops_) {
    with_context("transaction set", store_.path(), [&] { json::set(work_, pointer, std::move(value)); });
    touched(pointer);
    return;
  }
  // A set that changes nothing is left out, so a transaction of such sets writes nothing
  // (as a whole-document commit of an unchanged document does not).
  bool same = false;
  std::string op;
  with_context("transaction set", store_.path(), [&] {
    try {
      same = json::print(json::get(work_.get(), pointer), false) == json::print(value.get(), false);
    } catch (const json::JsonError &) {
      // Nothing there yet (or not reachable): the set below decides.
    }
    if (!same) add_set_op(op, pointer, value.get());
    json::set(work_, pointer, std::move(value));
  });
  if (!op.empty()) ops_ += (ops_.empty() ? "" : ",") + op;
  touched(pointer);
}

void Transaction::remove(const std::string &pointer) {
  with_context("transaction remove", store_.path(), [&] { json::remove(work_, pointer); });
  if (record_ops_) add_remove_op(ops_, pointer);
  touched(pointer);
}

void Transaction::merge(std::string_view patch) {
  const json::Doc p = parse_input("transaction merge", store_.path(), patch);
  json::merge_patch(work_, p.get());
  if (record_ops_) add_merge_op(ops_, p.get());
  if (!cJSON_IsObject(p.get())) touched("");
  for (const cJSON *m = p->child; m != nullptr && cJSON_IsObject(p.get()); m = m->next) {
    touched("/" + json::escape_token(m->string));
  }
}

uint64_t Transaction::commit() {
  if (!open_) throw_error(Status::invalid, "commit", store_.path(), "the transaction has ended");
  open_ = false;
  current_.has_ops = record_ops_;
  if (record_ops_) current_.ops = "[" + ops_ + "]";
  // Handed over with the operations: a store that journals keeps it as its parsed copy.
  current_.tree = std::move(work_);
  return store_.commit_transaction(current_, current_.tree.get(), std::move(changed_));
}

}  // namespace filelock::state

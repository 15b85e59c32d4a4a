#include "etcd/etcd_lock.hpp"

#include <cjson/cJSON.h>

#include <algorithm>
#include <cstdio>

#include "common/cancel_token.hpp"
#include "common/deadline.hpp"
#include "common/error.hpp"
#include "etcd/holders.hpp"
#include "lock/holder_record.hpp"
#include "lock/wait_rules.hpp"
#include "platform/threads.hpp"

namespace filelock::etcd {

namespace {

std::string hex(int64_t id) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

const KeyValue *find_key(const RangeResult &queue, const std::string &key) {
  for (const KeyValue &kv : queue.kvs)
    if (kv.key == key) return &kv;
  return nullptr;
}

}  // namespace

EtcdLock::EtcdLock(const Target &target, const LockOptions &options)
    : target_(target), client_(target, "open lock"), prefix_(target.name + "/"),
      self_(platform::self_identity()), owner_(options.owner) {
  ensure_lease();
}

void EtcdLock::forget_inherited() noexcept {
  held_ = false;
  lease_ = 0;
  (void)keep_alive_.release();  // its thread is the parent's: nothing to stop here
  (void)retired_.release();
}

EtcdLock::~EtcdLock() {
  if (inherited()) forget_inherited();
  if (held_) {
    try {
      unlock();
    } catch (const Error &) {
      // Closing cannot report; the lease below (or its TTL) frees the lock anyway.
    }
  }
  keep_alive_.reset();
  retired_.reset();
  if (lease_ != 0) {
    try {
      client_.revoke("close lock", lease_);  // deletes whatever key still uses it
    } catch (const Error &) {
    }
  }
}

// A lease with at least half its TTL left is reused: lock+unlock then costs a
// transaction and a delete, not a grant too.
void EtcdLock::ensure_lease() {
  if (lease_ != 0 && steady_ms() < lease_valid_until_ms_.load() - target_.ttl_s * 500) return;
  const int64_t sent = steady_ms();
  lease_ = client_.grant(lease_ == 0 ? "open lock" : "lock", target_.ttl_s);
  lease_valid_until_ms_.store(sent + target_.ttl_s * 1000);
}

std::string EtcdLock::record(LockMode mode) const {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "pid", static_cast<double>(self_.pid));
  cJSON_AddStringToObject(o, "host", self_.host.c_str());
  cJSON_AddNumberToObject(o, "start_time", static_cast<double>(self_.start_time));
  cJSON_AddStringToObject(o, "boot_id", self_.boot_id.c_str());
  cJSON_AddStringToObject(o, "backend", "etcd");
  cJSON_AddStringToObject(o, "mode", mode == LockMode::shared ? "shared" : "exclusive");
  if (!owner_.empty()) cJSON_AddStringToObject(o, "owner", owner_.c_str());
  cJSON_AddNumberToObject(o, "acquired_at", static_cast<double>(platform::wall_clock_ms()));
  char *text = cJSON_PrintUnformatted(o);
  std::string out = text != nullptr ? text : "{}";
  cJSON_free(text);
  cJSON_Delete(o);
  return out;
}

bool EtcdLock::lease_alive(const char *op) {
  try {
    return client_.keep_alive(op, lease_, nullptr) > 0;
  } catch (const Error &e) {
    if (e.status() == Status::not_found) return false;
    throw;
  }
}

void EtcdLock::retire_keep_alive() noexcept {
  if (!keep_alive_) return;
  keep_alive_->stop();
  retired_ = std::move(keep_alive_);  // joins the one before, stopped a lock ago
}

void EtcdLock::leave_queue() noexcept {
  keep_alive_.reset();
  try {
    client_.remove("lock", key_);
  } catch (const Error &) {
    // The lease's TTL removes it.
  }
}

// The key's record names this process (the same pid, start time and host).
bool EtcdLock::held_by_this_process(const KeyValue &kv) const {
  HolderRecord record;
  return parse_holder_record(kv.value, record) && record.pid == self_.pid &&
         record.start_time == self_.start_time && record.host == self_.host;
}

bool EtcdLock::lock(LockMode mode, int64_t timeout_ms, CancelToken *token, ReadAlong *also) {
  const char *op = "lock";
  if (inherited()) {
    forget_inherited();
    fork_generation_ = platform::fork_generation();  // a lock of this process's own
  }
  if (held_) wait_rules::already_held(target_.url);
  // As wait_rules::take_early_cancel: a trigger of an earlier call's token goes, a
  // request stays until a call takes it.
  cancel_.reset();
  if (cancel_request_.exchange(false)) {
    throw_error(Status::canceled, op, target_.url,
                "canceled (a cancel request came before the wait began)");
  }
  if (token != nullptr && token->triggered())
    throw_error(Status::canceled, op, target_.url,
                "canceled (the call's cancel token was triggered before it began)");
  InterruptLink link(cancel_);
  CancelScope scope(token, link);
  const auto deadline = deadline_after(timeout_ms < 0 ? kLongestTimeoutMs : timeout_ms);
  ensure_lease();
  key_ = prefix_ + hex(lease_);
  RangeResult queue;
  try {
    queue = client_.put_and_range(op, key_, record(mode), lease_, prefix_, also);
  } catch (const Error &e) {
    if (e.status() != Status::not_found) throw;
    // The lease expired unseen (a suspended process): a new one, once.
    lease_valid_until_ms_.store(0);
    ensure_lease();
    key_ = prefix_ + hex(lease_);
    queue = client_.put_and_range(op, key_, record(mode), lease_, prefix_, also);
  }
  retired_.reset();
  keep_alive_ = std::make_unique<KeepAlive>(client_, lease_, target_.ttl_s, lease_valid_until_ms_);
  bool waited = false;
  try {
    for (;;) {
      const KeyValue *mine = find_key(queue, key_);
      if (mine == nullptr || keep_alive_->lost())
        throw_error(Status::io, op, target_.url,
                    "the lease of key '" + key_ + "' expired while waiting (etcd unreachable for its TTL of " +
                        std::to_string(target_.ttl_s) + " s?)");
      const KeyValue *ahead = blocker(queue, mine->create_revision, mode == LockMode::exclusive);
      if (ahead == nullptr) {
        revision_ = mine->create_revision;
        break;
      }
      if (timeout_ms == 0) {
        const std::vector<const KeyValue *> now = holders(queue);
        wait_rules::busy(target_.url,
                         "held by " + (now.empty() ? std::string("another") : describe(*now.front())));
      }
      if (timeout_ms < 0 && held_by_this_process(*ahead) && platform::only_thread())
        throw_error(Status::deadlock, op, target_.url,
                    "waiting forever for " + describe(*ahead) +
                        ", a lock this process holds through another handle, with no other thread to release it");
      // A watch on a member that went silent would wait forever: each watch lasts at
      // most a TTL, then the queue is read again (which fails over, or fails).
      const auto slice = std::min(deadline, Clock::now() + std::chrono::seconds(target_.ttl_s));
      switch (client_.watch(ahead->key, queue.revision + 1, Client::Event::deleted, slice, &cancel_)) {
        case Client::Wait::canceled:
          cancel_request_.store(false);
          cancel_.reset();
          throw_error(Status::canceled, op, target_.url, "wait canceled");
        case Client::Wait::timed_out:
          if (Clock::now() < deadline) break;
          wait_rules::timed_out(target_.url, timeout_ms, "waiting for " + describe(*ahead));
        case Client::Wait::look_again:
          break;
      }
      queue = client_.range_prefix(op, prefix_);
      waited = true;
    }
  } catch (...) {
    leave_queue();
    throw;
  }
  held_ = true;
  return also != nullptr && !waited;
}

void EtcdLock::unlock() {
  const char *op = "unlock";
  if (inherited() && held_) {
    forget_inherited();
    return;
  }
  if (!held_) throw_error(Status::not_locked, op, target_.url, "this handle holds no lock");
  cancel_request_.store(false);
  cancel_.reset();
  const bool lost = keep_alive_->lost();
  retire_keep_alive();
  held_ = false;
  // Our key already gone: the lease expired (or was revoked) while we held; unless a
  // first attempt whose answer was lost deleted it, which a lease still alive proves.
  bool retried = false;
  if (lost || (client_.remove(op, key_, &retried) == 0 && !(retried && lease_alive(op))))
    throw_error(Status::io, op, target_.url,
                "the lease expired while the lock was held (etcd unreachable for its TTL of " +
                    std::to_string(target_.ttl_s) + " s): another process may have held it meanwhile");
}

int64_t EtcdLock::fencing_token() const {
  if (!held_) throw_error(Status::not_locked, "fencing token", target_.url, "this handle holds no lock");
  return revision_;
}

void EtcdLock::released_with_transaction() noexcept {
  if (!held_) return;
  cancel_.reset();
  retire_keep_alive();
  held_ = false;
}

}  // namespace filelock::etcd

// A lock on etcd, the way etcd's own concurrency.Mutex takes one: each acquirer puts
// "<name>/<lease id hex>" attached to its lease; keys queue by create revision (FIFO);
// the oldest holds; each waiter watches the deletion of the key just before it.
// Shared: a key's value (the holder record) carries its mode, and a shared acquirer
// waits only for the newest exclusive key older than its own.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "etcd/client.hpp"
#include "etcd/keep_alive.hpp"
#include "lock/lock.hpp"
#include "platform/process.hpp"

namespace filelock::etcd {

class EtcdLock final : public Lock {
 public:
  // Grants the first lease, so an unreachable cluster is reported at open.
  EtcdLock(const Target &target, const LockOptions &options);
  ~EtcdLock() override;  // releases the lock if held, revokes the lease

  void lock(LockMode mode, int64_t timeout_ms, CancelToken *token = nullptr) override {
    lock(mode, timeout_ms, token, nullptr);
  }
  // The same, reading `also->key` in the transaction that queues this handle's key.
  // Returns whether that read is of the moment the lock was taken (no one was ahead);
  // after a wait it is stale and the caller reads again.
  bool lock(LockMode mode, int64_t timeout_ms, CancelToken *token, ReadAlong *also);
  void unlock() override;
  void cancel() noexcept override {
    cancel_request_.store(true);
    cancel_.trigger();
  }
  void clear_cancel() noexcept override {
    cancel_request_.store(false);
    cancel_.reset();
  }
  bool locked() const noexcept override { return held_; }
  const std::string &lock_path() const noexcept override { return target_.url; }
  int64_t fencing_token() const override;
  // Known expired (etcd said so), or past the TTL since the last refresh etcd answered.
  bool lost() const noexcept override {
    return held_ && ((keep_alive_ && keep_alive_->lost()) || steady_ms() > lease_valid_until_ms_.load());
  }
  // While held: the holder's key and its create revision, which grows with every
  // acquisition in the cluster, so it serves as a fencing token: a commit that requires
  // the key with this revision fails once the lease expired and another took the lock.
  const std::string &key() const noexcept { return key_; }
  int64_t revision() const noexcept { return revision_; }
  const Target &target() const noexcept { return target_; }
  // The holder's key was deleted by a transaction of the caller's (a state commit that
  // releases the lock with the same write): held no more, nothing left to delete.
  void released_with_transaction() noexcept;

 private:
  void ensure_lease();
  // Whether etcd still knows the lease (a refresh; false once it expired).
  bool lease_alive(const char *op);
  std::string record(LockMode mode) const;
  // Leaves the queue after a failed attempt: the key deleted, the keep-alive stopped.
  void leave_queue() noexcept;
  // FL_EDEADLK, as for files: a wait forever for a key of this process when no other
  // thread exists to release it.
  bool held_by_this_process(const KeyValue &kv) const;

  Target target_;
  Client client_;
  std::string prefix_;  // "<name>/"
  std::string key_;     // "<name>/<lease hex>" while queued or held
  int64_t lease_ = 0;
  std::atomic<int64_t> lease_valid_until_ms_{0};  // steady_ms
  std::unique_ptr<KeepAlive> keep_alive_;
  // The keep-alive of the last release, told to stop but joined only later (by the next
  // acquisition or the handle's close), when its thread has long ended.
  std::unique_ptr<KeepAlive> retired_;
  void retire_keep_alive() noexcept;
  // What a wait watches: set by cancel() (which also keeps its request for the next
  // call) or by the call's cancel token (forgotten when the next call begins).
  Interrupt cancel_;
  std::atomic<bool> cancel_request_{false};
  bool held_ = false;
  int64_t revision_ = 0;  // of key_, while held
  // A child after fork() never releases its parent's lock (as with the file backends):
  // its copy of the handle only forgets it, and has no keep-alive thread to stop.
  bool inherited() const noexcept { return platform::fork_generation() != fork_generation_; }
  void forget_inherited() noexcept;
  uint64_t fork_generation_ = platform::fork_generation();
  platform::ProcessIdentity self_;
  std::string owner_;
};

}  // namespace filelock::etcd

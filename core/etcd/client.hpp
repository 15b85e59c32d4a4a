// The few etcd v3 calls locks need, as JSON through the gateway: leases, a put-and-range
// transaction, range, delete, and a watch for one key's deletion.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etcd/http.hpp"

namespace filelock::etcd {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

// A condition of a transaction: `key`'s create or mod revision equals `revision` (0:
// the key does not exist).
struct Compare {
  enum Target { create, mod };
  std::string key;
  Target target;
  int64_t revision;
};

// One more key read in the same transaction as a put (put_and_range): `found` and `kv`
// are what the key held at that transaction's revision.
struct ReadAlong {
  std::string key;
  bool found = false;
  KeyValue kv;
};

struct RangeResult {
  int64_t revision = 0;  // the store's revision the range was read at
  std::vector<KeyValue> kvs;  // oldest creation first
};

class Client {
 public:
  Client(const Target &target, const char *op) : http_(target, op) {}

  // Every call throws Error naming op, the URL and the reason: io when no endpoint
  // answers, not_found when etcd says the lease is gone, canceled by the interrupt.
  int64_t grant(const char *op, int64_t ttl_s);
  // The lease's remaining TTL in seconds after the refresh; 0 when it has expired.
  int64_t keep_alive(const char *op, int64_t lease, Interrupt *interrupt);
  void revoke(const char *op, int64_t lease);
  // Puts key=value attached to `lease`, then reads the keys directly under `prefix`, oldest
  // creation first: one transaction, so the range sees the put. `also` (if given) reads
  // one more key in that transaction.
  RangeResult put_and_range(const char *op, const std::string &key, const std::string &value,
                            int64_t lease, const std::string &prefix, ReadAlong *also = nullptr);
  RangeResult range_prefix(const char *op, const std::string &prefix);
  // Every key under `prefix`, at any depth (the queues of all locks below it).
  RangeResult range_subtree(const char *op, const std::string &prefix);
  void put(const char *op, const std::string &key, const std::string &value);
  // `key` now; false when it does not exist. `revision`: the store's revision it was read at.
  bool get(const char *op, const std::string &key, KeyValue &out, int64_t *revision = nullptr);
  // Every key under `prefix` with its value, in key order, at most `limit` (0: all),
  // from the greatest key down when `descending`; `keys_only` leaves values empty.
  std::vector<KeyValue> list(const char *op, const std::string &prefix, int64_t limit,
                             bool descending, bool keys_only);
  // One transaction: if every compare holds, puts each key=value and deletes each key,
  // returning true and the revision it wrote at; false (nothing written) otherwise.
  bool txn(const char *op, const std::vector<Compare> &if_all,
           const std::vector<std::pair<std::string, std::string>> &puts,
           const std::vector<std::string> &deletes, int64_t &revision);
  // The number of keys deleted (0: it was already gone). `may_have_applied_before` (if
  // given) says an earlier attempt of this call may have deleted it (Response's flag).
  int64_t remove(const char *op, const std::string &key, bool *may_have_applied_before = nullptr);
  // Deletes every key from `key` up to and including `last`; the number deleted.
  int64_t remove_through(const char *op, const std::string &key, const std::string &last);

  enum class Wait { look_again, canceled, timed_out };
  enum class Event { deleted, any };
  // Watches `key` from `from_revision` until it is deleted (or, for Event::any, put or
  // deleted): look_again; or the stream breaks (look_again: the caller reads again,
  // which fails over or reports the cluster unreachable), the deadline passes or the
  // interrupt fires.
  Wait watch(const std::string &key, int64_t from_revision, Event what,
             Clock::time_point deadline, Interrupt *interrupt);

  const Target &target() const noexcept { return http_.target(); }

 private:
  void authenticate(const char *op);
  std::string call(const char *op, const std::string &path, const std::string &body,
                   Interrupt *interrupt = nullptr, bool *may_have_applied_before = nullptr);
  Http http_;
};

}  // namespace filelock::etcd

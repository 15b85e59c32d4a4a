// Figures for tests/etcd/run.sh: etcd:// lock and state costs beside plain etcd round
// trips over the same connection, on the cluster the run started.
//   etcd_bench HOST:PORT[,...] ROUNDS
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "etcd/client.hpp"
#include "lock/lock.hpp"
#include "state/state.hpp"

using filelock::Lock;
using filelock::LockMode;
using Clock = std::chrono::steady_clock;

namespace {

double us_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename Fn>
double median_us(int rounds, Fn fn) {
  std::vector<double> samples;
  for (int i = 0; i < rounds; ++i) {
    const auto start = Clock::now();
    fn();
    samples.push_back(us_since(start));
  }
  return median(samples);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: etcd_bench HOST:PORT[,...] ROUNDS\n");
    return 2;
  }
  const std::string base = std::string("etcd://") + argv[1] + "/fltest/bench-" + std::to_string(getpid());
  const int rounds = std::atoi(argv[2]);
  try {
    const filelock::etcd::Target target = filelock::etcd::parse_target(base + "/rt", "bench");
    filelock::etcd::Client client(target, "bench");
    client.put("bench", "fltest/warm", "x");
    const double put = median_us(rounds, [&] { client.put("bench", "fltest/rt", "x"); });
    const double range = median_us(rounds, [&] { client.range_prefix("bench", "fltest/rt/"); });

    auto lock = Lock::open(base + "/lock", {});
    std::vector<double> lock_only, unlock_only;
    const double lock_unlock = median_us(rounds, [&] {
      auto t0 = Clock::now();
      lock->lock(LockMode::exclusive, filelock::kNoWait);
      lock_only.push_back(us_since(t0));
      t0 = Clock::now();
      lock->unlock();
      unlock_only.push_back(us_since(t0));
    });

    // Handoff: a waiter blocked in another thread, woken by the holder's unlock.
    auto a = Lock::open(base + "/handoff", {});
    auto b = Lock::open(base + "/handoff", {});
    std::vector<double> handoffs, wakes;
    const int handoff_rounds = std::max(rounds / 10, 5);
    for (int i = 0; i < handoff_rounds; ++i) {
      a->lock(LockMode::exclusive, filelock::kNoWait);
      Clock::time_point acquired;
      std::thread waiter([&] {
        b->lock(LockMode::exclusive, 20000);
        acquired = Clock::now();
      });
      while (client.range_prefix("bench", "fltest/bench-" + std::to_string(getpid()) + "/handoff/").kvs.size() < 2)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the waiter is in its watch
      const auto released = Clock::now();
      a->unlock();
      const auto unlocked = Clock::now();
      waiter.join();
      handoffs.push_back(std::chrono::duration<double, std::micro>(acquired - released).count());
      wakes.push_back(std::chrono::duration<double, std::micro>(acquired - unlocked).count());
      b->unlock();
    }
    // State: a one-key transaction on a 1 KiB document, beside one etcd transaction that
    // compares and puts the same bytes. Measured in turns (a txn, then each store's
    // transaction), so a shared machine's load weighs on all alike. The commit is one
    // fenced etcd transaction that also deletes the lock key: it releases the lock.
    filelock::state::StateOptions options;
    options.initial_json = "{\"n\": 0, \"pad\": \"" + std::string(1000, 'x') + "\"}";
    auto store = filelock::state::open_store(base + "/state", options);  // backups and audit records on
    filelock::state::StateOptions bare_options = options;
    bare_options.backup_before_write = false;
    bare_options.audit_log = false;
    auto bare = filelock::state::open_store(base + "/bare", bare_options);
    const std::string doc_key = "fltest/bench-" + std::to_string(getpid()) + "/state/doc";
    filelock::etcd::KeyValue doc;
    client.get("bench", doc_key, doc);
    int64_t revision = doc.mod_revision;
    std::vector<double> txns, shaped_txns, wholes, commits, bare_commits;
    int n = 0;
    // The same writes as a commit's, sent as a plain txn: the document, a backup of the
    // outgoing one (the oldest beyond 50 deleted), an audit record, a lock key's delete,
    // on two compares. What a commit costs beyond it is the library's.
    const std::string record(200, 'r');
    auto commit_shaped_txn = [&](int i) {
      using filelock::etcd::Compare;
      std::vector<std::string> deletes = {doc_key + "-lock"};
      if (i >= 50) deletes.push_back(doc_key + "-backup-" + std::to_string(i - 50));
      client.txn("bench", {{doc_key + "-copy", Compare::mod, 0}, {doc_key + "-lock", Compare::create, 0}},
                 {{doc_key + "-x", doc.value},
                  {doc_key + "-backup-" + std::to_string(i), doc.value},
                  {doc_key + "-audit-" + std::to_string(i), record}},
                 deletes, revision);
    };
    auto one_key = [&](filelock::state::Store &s, std::vector<double> *whole) {
      const auto t0 = Clock::now();
      auto t = s.begin();
      t->set("/n", std::to_string(++n));
      const auto c0 = Clock::now();
      t->commit();
      if (whole != nullptr) whole->push_back(us_since(t0));
      return us_since(c0);
    };
    for (int i = 0; i < rounds; ++i) {
      const auto t0 = Clock::now();
      client.txn("bench", {{doc_key + "-copy", filelock::etcd::Compare::mod, 0}}, {{doc_key + "-x", doc.value}}, {},
                 revision);
      txns.push_back(us_since(t0));
      const auto s0 = Clock::now();
      commit_shaped_txn(i);
      shaped_txns.push_back(us_since(s0));
      commits.push_back(one_key(*store, &wholes));
      bare_commits.push_back(one_key(*bare, nullptr));
    }
    const double txn = median(txns), whole = median(wholes);
    std::printf("  one gateway round trip, put (libcurl, kept connection): %8.0f us\n", put);
    std::printf("  one gateway round trip, range:                          %8.0f us\n", range);
    std::printf("  etcd:// lock + unlock (uncontended, lease reused):      %8.0f us  (%.2fx two puts)\n",
                lock_unlock, lock_unlock / (2 * put));
    std::printf("    of which lock %.0f us, unlock %.0f us\n", median(lock_only), median(unlock_only));
    std::printf("  etcd:// handoff (unlock -> waiter's lock returns):      %8.0f us\n", median(handoffs));
    std::printf("    of which after unlock returned (watch event + a range): %.0f us\n", median(wakes));
    std::printf("  one etcd txn (compare + put 1 KiB):                     %8.0f us\n", txn);
    std::printf("  etcd:// state, one-key transaction, begin to commit:    %8.0f us  (%.2fx one txn)\n", whole,
                whole / txn);
    std::printf("    of which commit, releasing the lock in its fenced txn: %.0f us (%.2fx one txn)\n",
                median(commits), median(commits) / txn);
    std::printf("    one etcd txn with the commit's writes (+ backup, audit record, lock delete): %.0f us;\n"
                "      the commit is %.2fx it\n",
                median(shaped_txns), median(commits) / median(shaped_txns));
    std::printf("    the same commit without backups and audit records:    %.0f us (%.2fx one txn)\n",
                median(bare_commits), median(bare_commits) / txn);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "etcd_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

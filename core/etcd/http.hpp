// HTTP/JSON requests to an etcd cluster's gateway (/v3/...), over libcurl, with
// failover across the endpoints and waits that another thread can end.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/cancel_token.hpp"
#include "etcd/etcd_url.hpp"

struct curl_slist;  // curl.h

namespace filelock::etcd {

struct CurlLib;

// What ends a transfer in progress from another thread (fl_cancel, a keep-alive
// thread being stopped): trigger() wakes the transfer's poll at once.
class Interrupt {
 public:
  void trigger() noexcept;
  bool triggered() const noexcept { return set_.load(); }
  void reset() noexcept { set_.store(false); }
  // For Http: the multi handle a transfer polls on, so trigger() can wake it.
  void attach(const CurlLib *lib, void *multi) noexcept;
  void detach() noexcept;

 private:
  std::mutex mu_;
  const CurlLib *lib_ = nullptr;
  void *multi_ = nullptr;
  std::atomic<bool> set_{false};
};

// A call's cancel token ends its wait through an interrupt (not async-signal-safe: the
// interrupt takes a mutex to wake curl).
struct InterruptLink final : CancelLink {
  explicit InterruptLink(Interrupt &i) : interrupt(i) {}
  void fire() noexcept override { interrupt.trigger(); }
  Interrupt &interrupt;
};

struct Response {
  long status = 0;       // HTTP status
  std::string body;
  std::string endpoint;  // the one that answered
  // An earlier attempt reached a member and got no usable answer (it timed out, the
  // connection broke, or etcd said "unavailable"): that member may have carried the
  // request out, so a mutation's answer may reflect its own first attempt.
  bool may_have_applied_before = false;
};

using Clock = std::chrono::steady_clock;

class Http {
 public:
  // Loads libcurl (Error(unsupported) naming op and URL if it cannot be).
  Http(const Target &target, const char *op);
  ~Http();
  Http(const Http &) = delete;
  Http &operator=(const Http &) = delete;

  // POSTs `body` to `path` ("/v3/kv/range") within the request timeout, on the endpoint
  // that last answered first; connection failures and 503 (no leader, member stopping)
  // move on to the next one. Throws Error(io) naming op, URL and every endpoint's reason,
  // Error(canceled) if `interrupt` fires.
  Response post(const char *op, const std::string &path, const std::string &body,
                Interrupt *interrupt = nullptr);

  enum class StreamEnd { stopped, canceled, timed_out, broken };
  // A streaming POST (a watch): `on_line` gets each newline-delimited JSON message and
  // returns false to end the stream. `why` says what broke a broken stream.
  StreamEnd stream(const char *op, const std::string &path, const std::string &body,
                   Clock::time_point deadline, Interrupt *interrupt,
                   const std::function<bool(const std::string &)> &on_line, std::string &why);

  const Target &target() const noexcept { return target_; }
  // The auth token every request carries from now on ("": none); any thread.
  void set_token(std::string token);
  std::string token() const;

 private:
  struct Conn;
  class Borrowed;
  Conn *take();
  void give(Conn *conn) noexcept;
  curl_slist *headers_for(Conn &conn);

  Target target_;
  const CurlLib *lib_;
  std::mutex pool_mu_;
  std::vector<Conn *> pool_;  // idle handles, each keeping its connections open
  // After fork() the pooled connections are the parent's sockets: a child never uses
  // or closes them (they are dropped, not cleaned up).
  uint64_t fork_generation_;
  std::atomic<size_t> preferred_{0};
  mutable std::mutex token_mu_;
  std::string token_;
};

}  // namespace filelock::etcd

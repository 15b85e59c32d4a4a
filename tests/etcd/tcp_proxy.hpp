// A TCP proxy on 127.0.0.1 in front of one etcd member, which a test can make silent
// (connections stay open, nothing passes) to take "etcd" away from a handle that is
// already open, and bring back; or deaf to replies (requests reach the member and are
// carried out, answers are dropped), as when a member's reply is lost after it acted.
// It also notes the path of each HTTP request that passes, so a test can count round trips.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace etcdtest {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy &) = delete;
  TcpProxy &operator=(const TcpProxy &) = delete;

  int port() const { return port_; }
  void set_silent(bool silent) { silent_.store(silent); }
  void set_drop_replies(bool drop) { drop_replies_.store(drop); }
  // The paths of the requests that passed since the last call ("/v3/kv/txn", ...).
  std::vector<std::string> take_requests();

 private:
  void accept_loop();
  void pump(int client, int server);
  void note_requests(const char *data, size_t n);

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> silent_{false};
  std::atomic<bool> drop_replies_{false};
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> pumps_;
  std::mutex requests_mu_;
  std::vector<std::string> requests_;
};

// The first member of etcdtest::endpoints(), and a URL etcdtest::url gave rewritten to
// go through a proxy alone.
int first_member_port();
std::string proxied(const std::string &direct, int proxy_port);

}  // namespace etcdtest

#include "tcp_proxy.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "etcd_test_env.hpp"

namespace etcdtest {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), len);
  listen(listen_fd_, 64);
  getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
  stop_.store(true);
  acceptor_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto &t : pumps_) t.join();
  close(listen_fd_);
}

void TcpProxy::accept_loop() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = loopback(target_port_);
    if (connect(server, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
      close(client);
      close(server);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    pumps_.emplace_back([this, client, server] { pump(client, server); });
  }
}

// A request line starts "POST /path HTTP/1.1"; the client writes each request whole.
void TcpProxy::note_requests(const char *data, size_t n) {
  const std::string_view text(data, n);
  for (size_t at = text.find("POST /"); at != std::string_view::npos; at = text.find("POST /", at + 1)) {
    const size_t end = text.find(' ', at + 5);
    if (end == std::string_view::npos) break;
    std::lock_guard<std::mutex> lock(requests_mu_);
    requests_.emplace_back(text.substr(at + 5, end - at - 5));
  }
}

std::vector<std::string> TcpProxy::take_requests() {
  std::lock_guard<std::mutex> lock(requests_mu_);
  return std::move(requests_);
}

int first_member_port() {
  const std::string all = endpoints();
  return std::atoi(all.c_str() + all.find(':') + 1);
}

std::string proxied(const std::string &direct, int proxy_port) {
  const size_t slash = direct.find('/', 7);
  return "etcd://127.0.0.1:" + std::to_string(proxy_port) + direct.substr(slash);
}

// Copies bytes both ways until either side closes; while silent, copies nothing; while
// dropping replies, reads the member's bytes and throws them away.
void TcpProxy::pump(int client, int server) {
  char buf[16384];
  while (!stop_.load()) {
    if (silent_.load()) {
      usleep(20000);
      continue;
    }
    pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (poll(p, 2, 50) <= 0) continue;
    bool closed = false;
    for (int i = 0; i < 2 && !closed; ++i) {
      if (p[i].revents == 0) continue;
      const ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n <= 0) {
        closed = true;
        break;
      }
      if (i == 0) note_requests(buf, static_cast<size_t>(n));
      if (i == 1 && drop_replies_.load()) continue;
      for (ssize_t off = 0; off < n;) {
        const ssize_t w = write(p[1 - i].fd, buf + off, static_cast<size_t>(n - off));
        if (w <= 0) {
          closed = true;
          break;
        }
        off += w;
      }
    }
    if (closed) break;
  }
  close(client);
  close(server);
}

}  // namespace etcdtest

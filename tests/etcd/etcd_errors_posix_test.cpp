// etcd:// names that are wrong, and clusters that do not answer: clear errors, in time.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "etcd_test_env.hpp"
#include "support.hpp"
#include "lock/lock.hpp"
#include "state/append.hpp"
#include "state/state.hpp"

using etcdtest::ms_since;
using etcdtest::mono_ns;
using etcdtest::status_of;
using filelock::Lock;
using filelock::Status;

namespace {

// A port on 127.0.0.1 that accepts connections (the kernel's backlog) and never answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr *>(&addr), len) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port nothing listens on: bound, then closed.
int closed_port() {
  SilentListener l;
  return l.port();
}

TEST(EtcdNames, MalformedNamesAreInvalidAndNamed) {
  for (const std::string url : {"etcd://127.0.0.1:2379", "etcd://127.0.0.1:2379/", "etcd:///x",
                                "etcd://127.0.0.1:2379/x?ttl=0", "etcd://127.0.0.1:2379/x?bogus=1",
                                "etcd://127.0.0.1:2379/x?request_timeout=abc"}) {
    std::string message;
    EXPECT_EQ(status_of([&] { Lock::open(url, {}); }, &message), Status::invalid) << url;
    EXPECT_NE(message.find("open lock '" + url + "'"), std::string::npos) << message;
  }
  filelock::LockOptions flock;
  flock.backend = filelock::Backend::flock;
  EXPECT_EQ(status_of([&] { Lock::open("etcd://127.0.0.1:1/x", flock); }), Status::invalid);
}

// State files and appends take file paths only so far: an etcd:// name is refused, never
// taken for a relative path (which would create "etcd:" directories here).
TEST(EtcdNames, StateAndAppendRefuseEtcdNames) {
  const std::string url = "etcd://127.0.0.1:2379/jobs/state";
  std::string message;
  EXPECT_EQ(status_of([&] { filelock::state::State(url, {}); }, &message), Status::unsupported);
  EXPECT_NE(message.find("open state '" + url + "'"), std::string::npos) << message;
  EXPECT_EQ(status_of([&] { filelock::state::append_line(url, "{}", {}, false); }, &message),
            Status::unsupported);
  EXPECT_NE(message.find("append '" + url + "'"), std::string::npos) << message;
}

TEST(EtcdNames, RefusedConnectionIsAnIoErrorNamingEveryEndpoint) {
  const int a = closed_port(), b = closed_port();
  const std::string url = "etcd://127.0.0.1:" + std::to_string(a) + ",127.0.0.1:" + std::to_string(b) + "/x/y";
  std::string message;
  const int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { Lock::open(url, {}); }, &message), Status::io);
  EXPECT_LT(ms_since(start), 2000);
  EXPECT_NE(message.find("open lock '" + url + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(a) + "/v3/lease/grant"), std::string::npos) << message;
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(b) + "/v3/lease/grant"), std::string::npos) << message;
  EXPECT_NE(message.find("onnect"), std::string::npos) << message;  // curl's reason
}

TEST(EtcdNames, SilentEndpointFailsWithinTheRequestTimeout) {
  SilentListener silent;
  const std::string url = "etcd://127.0.0.1:" + std::to_string(silent.port()) + "/x/y?request_timeout=500ms";
  std::string message;
  const int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { Lock::open(url, {}); }, &message), Status::io);
  EXPECT_GE(ms_since(start), 450);
  EXPECT_LT(ms_since(start), 3000);
  EXPECT_NE(message.find("request timeout (500 ms)"), std::string::npos) << message;
}

TEST(EtcdNames, FailsOverPastADeadEndpoint) {
  REQUIRE_ETCD();
  const std::string live = etcdtest::url("failover");
  const std::string url = "etcd://127.0.0.1:" + std::to_string(closed_port()) + "," + live.substr(7);
  auto lock = Lock::open(url, {});
  EXPECT_EQ(status_of([&] { lock->lock(filelock::LockMode::exclusive, filelock::kNoWait); }), Status::ok);
  lock->unlock();
}

}  // namespace

namespace {

// A member that accepts and never answers gets its share of the request timeout, not
// all of it: the next endpoint still answers in time.
TEST(EtcdNames, HangingEndpointLeavesTimeForTheNext) {
  REQUIRE_ETCD();
  SilentListener silent;
  const std::string live = etcdtest::url("hanging", "ttl=2&request_timeout=3s");
  const std::string url = "etcd://127.0.0.1:" + std::to_string(silent.port()) + "," + live.substr(7);
  const int64_t start = mono_ns();
  std::unique_ptr<Lock> lock;
  EXPECT_EQ(status_of([&] { lock = Lock::open(url, {}); }), Status::ok);
  EXPECT_LT(ms_since(start), 2900);
}

}  // namespace

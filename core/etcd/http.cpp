#include "etcd/http.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "etcd/curl_lib.hpp"
#include "platform/process.hpp"

namespace filelock::etcd {

void Interrupt::trigger() noexcept {
  set_.store(true);
  std::lock_guard<std::mutex> lock(mu_);
  if (multi_ != nullptr) lib_->multi_wakeup(static_cast<CURLM *>(multi_));
}

void Interrupt::attach(const CurlLib *lib, void *multi) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  lib_ = lib;
  multi_ = multi;
}

void Interrupt::detach() noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  multi_ = nullptr;
}

// One easy handle on its own multi handle: the multi's connection cache keeps the
// TCP connection to each endpoint open between requests.
struct Http::Conn {
  CURL *easy = nullptr;
  CURLM *multi = nullptr;
  curl_slist *headers = nullptr;
  // The headers with "Authorization: <token>", for the token they were made with.
  curl_slist *auth_headers = nullptr;
  std::string auth_token;
  char error[CURL_ERROR_SIZE] = {0};  // curl's detailed reason for the last failure
};

class Http::Borrowed {
 public:
  explicit Borrowed(Http &http) : http_(http), conn_(http.take()) {}
  ~Borrowed() { http_.give(conn_); }
  Conn &operator*() const { return *conn_; }

 private:
  Http &http_;
  Conn *conn_;
};

namespace {

int64_t ms_until(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
}

size_t append_body(char *data, size_t size, size_t count, void *out) {
  static_cast<std::string *>(out)->append(data, size * count);
  return size * count;
}

struct LineSink {
  std::string pending;
  const std::function<bool(const std::string &)> *on_line;
  bool stopped = false;
};

size_t split_lines(char *data, size_t size, size_t count, void *user) {
  auto *sink = static_cast<LineSink *>(user);
  sink->pending.append(data, size * count);
  size_t start = 0;
  for (size_t nl; (nl = sink->pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (nl > start && !(*sink->on_line)(sink->pending.substr(start, nl - start))) {
      sink->stopped = true;
      return 0;  // ends the transfer (CURLE_WRITE_ERROR, read as "stopped")
    }
  }
  sink->pending.erase(0, start);
  return size * count;
}

// Runs the transfer set up on `easy` until it ends, the deadline passes or the
// interrupt fires.
enum class Run { finished, canceled, timed_out };

Run run_transfer(const CurlLib &c, CURL *easy, CURLM *multi, Clock::time_point deadline,
                 Interrupt *interrupt, CURLcode &result) {
  c.multi_add_handle(multi, easy);
  if (interrupt != nullptr) interrupt->attach(&c, multi);
  Run outcome = Run::finished;
  result = CURLE_OK;
  for (;;) {
    int running = 0;
    c.multi_perform(multi, &running);
    if (running == 0) break;
    if (interrupt != nullptr && interrupt->triggered()) {
      outcome = Run::canceled;
      break;
    }
    const int64_t left = ms_until(deadline);
    if (left <= 0) {
      outcome = Run::timed_out;
      break;
    }
    c.multi_poll(multi, nullptr, 0, static_cast<int>(std::min<int64_t>(left, 1000)), nullptr);
  }
  if (interrupt != nullptr) interrupt->detach();
  int queued = 0;
  while (CURLMsg *msg = c.multi_info_read(multi, &queued))
    if (msg->msg == CURLMSG_DONE) result = msg->data.result;
  c.multi_remove_handle(multi, easy);
  return outcome;
}

}  // namespace

Http::Http(const Target &target, const char *op)
    : target_(target), lib_(&curl(op, target.url)), fork_generation_(platform::fork_generation()) {}

Http::~Http() {
  if (platform::fork_generation() != fork_generation_) return;
  for (Conn *conn : pool_) {
    lib_->easy_cleanup(conn->easy);
    lib_->multi_cleanup(conn->multi);
    lib_->slist_free_all(conn->headers);
    lib_->slist_free_all(conn->auth_headers);
    delete conn;
  }
}

void Http::set_token(std::string token) {
  std::lock_guard<std::mutex> lock(token_mu_);
  token_ = std::move(token);
}

std::string Http::token() const {
  std::lock_guard<std::mutex> lock(token_mu_);
  return token_;
}

curl_slist *Http::headers_for(Conn &conn) {
  const std::string token = this->token();
  if (token.empty()) return conn.headers;
  if (conn.auth_headers == nullptr || conn.auth_token != token) {
    lib_->slist_free_all(conn.auth_headers);
    conn.auth_headers = lib_->slist_append(nullptr, "Content-Type: application/json");
    if (conn.auth_headers != nullptr) conn.auth_headers = lib_->slist_append(conn.auth_headers, "Expect:");
    if (conn.auth_headers != nullptr)
      conn.auth_headers = lib_->slist_append(conn.auth_headers, ("Authorization: " + token).c_str());
    if (conn.auth_headers == nullptr) throw Error(Status::no_memory, "etcd '" + target_.url + "': no memory for a header");
    conn.auth_token = token;
  }
  return conn.auth_headers;
}

Http::Conn *Http::take() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (platform::fork_generation() != fork_generation_) {
      pool_.clear();
      fork_generation_ = platform::fork_generation();
    }
    if (!pool_.empty()) {
      Conn *conn = pool_.back();
      pool_.pop_back();
      return conn;
    }
  }
  auto conn = std::make_unique<Conn>();
  conn->easy = lib_->easy_init();
  conn->multi = lib_->multi_init();
  // No "Expect: 100-continue" round trip before a body; the gateway speaks JSON.
  conn->headers = lib_->slist_append(nullptr, "Content-Type: application/json");
  if (conn->headers != nullptr) conn->headers = lib_->slist_append(conn->headers, "Expect:");
  if (conn->easy == nullptr || conn->multi == nullptr || conn->headers == nullptr) {
    if (conn->easy) lib_->easy_cleanup(conn->easy);
    if (conn->multi) lib_->multi_cleanup(conn->multi);
    lib_->slist_free_all(conn->headers);
    throw Error(Status::no_memory, "etcd '" + target_.url + "': cannot create a curl handle");
  }
  return conn.release();
}

void Http::give(Conn *conn) noexcept {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(conn);
}

namespace {

void prepare(const CurlLib &c, const Target &t, CURL *easy, curl_slist *headers, char *error,
             const std::string &url, const std::string &body, int64_t connect_ms) {
  c.easy_reset(easy);
  // TLS: the members' certificates checked against the CA file; this client's own.
  if (!t.ca_file.empty()) c.easy_setopt(easy, CURLOPT_CAINFO, t.ca_file.c_str());
  if (!t.cert_file.empty()) c.easy_setopt(easy, CURLOPT_SSLCERT, t.cert_file.c_str());
  if (!t.key_file.empty()) c.easy_setopt(easy, CURLOPT_SSLKEY, t.key_file.c_str());
  error[0] = '\0';
  c.easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
  c.easy_setopt(easy, CURLOPT_URL, url.c_str());
  c.easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  c.easy_setopt(easy, CURLOPT_POSTFIELDS, body.c_str());
  c.easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  c.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  // etcd is reached directly: a web proxy from the environment would only be in the way.
  c.easy_setopt(easy, CURLOPT_NOPROXY, "*");
  c.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max<int64_t>(connect_ms, 1)));
  c.easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
}

// The reason an etcd gateway gives in an error body, else the body itself.
std::string http_reason(long status, const std::string &body) {
  std::string text = body.size() > 300 ? body.substr(0, 300) + "..." : body;
  return "HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text);
}

}  // namespace

Response Http::post(const char *op, const std::string &path, const std::string &body,
                    Interrupt *interrupt) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(target_.request_timeout_ms);
  Borrowed conn(*this);
  std::string reasons;
  bool sent_unanswered = false;
  const size_t n = target_.endpoints.size();
  const size_t first = preferred_.load();
  for (size_t i = 0; i < n; ++i) {
    const size_t index = (first + i) % n;
    const std::string url = target_.endpoints[index] + path;
    const int64_t left = ms_until(deadline);
    if (left <= 0) {
      reasons += (reasons.empty() ? "" : "; ") + std::string("request timeout (") +
                 std::to_string(target_.request_timeout_ms) + " ms) passed";
      break;
    }
    Response response;
    response.endpoint = target_.endpoints[index];
    prepare(*lib_, target_, (*conn).easy, headers_for(*conn), (*conn).error, url, body,
            std::min(left, target_.dial_timeout_ms));
    lib_->easy_setopt((*conn).easy, CURLOPT_WRITEFUNCTION, append_body);
    lib_->easy_setopt((*conn).easy, CURLOPT_WRITEDATA, &response.body);
    CURLcode code;
    // A member that hangs (cut off from the leader) must not use up the time the others
    // could answer in: each attempt gets an equal share of what is left, at least a second.
    const int64_t share = std::max<int64_t>(left / static_cast<int64_t>(n - i), std::min<int64_t>(left, 1000));
    const Run outcome = run_transfer(*lib_, (*conn).easy, (*conn).multi,
                                     Clock::now() + std::chrono::milliseconds(share), interrupt, code);
    if (outcome == Run::canceled) throw_error(Status::canceled, op, target_.url, "canceled");
    std::string why;
    if (outcome == Run::timed_out) {
      why = "no answer within " + std::to_string(share) + " ms of the request timeout (" +
            std::to_string(target_.request_timeout_ms) + " ms)";
      sent_unanswered = true;
    } else if (code != CURLE_OK) {
      why = (*conn).error[0] != '\0' ? std::string((*conn).error) : lib_->easy_strerror(code);
      // Refused or unresolvable: the request never left. Anything else may have.
      sent_unanswered = sent_unanswered || (code != CURLE_COULDNT_CONNECT &&
                                            code != CURLE_COULDNT_RESOLVE_HOST);
    } else {
      lib_->easy_getinfo((*conn).easy, CURLINFO_RESPONSE_CODE, &response.status);
      if (response.status != 503) {
        preferred_.store(index);
        response.may_have_applied_before = sent_unanswered;
        return response;
      }
      why = http_reason(response.status, response.body);
      sent_unanswered = true;  // "request timed out": the proposal may still commit
    }
    reasons += (reasons.empty() ? "" : "; ") + url + ": " + why;
  }
  throw_error(Status::io, op, target_.url, "etcd unreachable: " + reasons);
}

Http::StreamEnd Http::stream(const char *op, const std::string &path, const std::string &body,
                             Clock::time_point deadline, Interrupt *interrupt,
                             const std::function<bool(const std::string &)> &on_line,
                             std::string &why) {
  (void)op;  // a broken stream is retried by the caller, whose error names the operation
  Borrowed conn(*this);
  const size_t index = preferred_.load() % target_.endpoints.size();
  const std::string url = target_.endpoints[index] + path;
  LineSink sink;
  sink.on_line = &on_line;
  prepare(*lib_, target_, (*conn).easy, headers_for(*conn), (*conn).error, url, body, target_.dial_timeout_ms);
  lib_->easy_setopt((*conn).easy, CURLOPT_WRITEFUNCTION, split_lines);
  lib_->easy_setopt((*conn).easy, CURLOPT_WRITEDATA, &sink);
  CURLcode code;
  const Run outcome = run_transfer(*lib_, (*conn).easy, (*conn).multi, deadline, interrupt, code);
  if (sink.stopped) return StreamEnd::stopped;
  if (outcome == Run::canceled) return StreamEnd::canceled;
  if (outcome == Run::timed_out) return StreamEnd::timed_out;
  // The stream ended on its own (the member went away): the next endpoint serves the
  // next attempt.
  size_t expected = index;
  preferred_.compare_exchange_strong(expected, (index + 1) % target_.endpoints.size());
  long status = 0;
  lib_->easy_getinfo((*conn).easy, CURLINFO_RESPONSE_CODE, &status);
  why = url + ": " + (code != CURLE_OK ? std::string((*conn).error[0] ? (*conn).error : lib_->easy_strerror(code))
                                       : http_reason(status, sink.pending));
  return StreamEnd::broken;
}

}  // namespace filelock::etcd

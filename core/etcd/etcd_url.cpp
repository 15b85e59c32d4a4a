#include "etcd/etcd_url.hpp"

#include <cctype>

#include "common/error.hpp"

namespace filelock::etcd {

namespace {

constexpr char kScheme[] = "etcd://";

std::vector<std::string> split(const std::string &text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// "5s", "500ms", "2m", or a bare number of seconds; -1 if it is none of them.
int64_t duration_ms(const std::string &text) {
  size_t i = 0;
  int64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (value > 1000000000) return -1;
    value = value * 10 + (text[i++] - '0');
  }
  if (i == 0) return -1;
  const std::string unit = text.substr(i);
  if (unit.empty() || unit == "s") return value * 1000;
  if (unit == "ms") return value;
  if (unit == "m") return value * 60000;
  return -1;
}

}  // namespace

bool is_etcd_url(const std::string &path) noexcept {
  return path.compare(0, sizeof kScheme - 1, kScheme) == 0;
}

const std::string &file_path_only(const std::string &path, const char *op) {
  if (is_etcd_url(path))
    throw_error(Status::unsupported, op, path,
                "etcd:// names are for locks and state (fl_open, fl_state_open), not for this");
  return path;
}

namespace {

// One setting's text as the name gives it: "5s" for 5000 ms, else whole milliseconds.
std::string duration_text(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

const char *first_setting(const LockOptions::Etcd &given) noexcept {
  if (given.ttl_ms != 0) return "etcd_ttl_ms";
  if (given.dial_timeout_ms != 0) return "etcd_dial_timeout_ms";
  if (given.request_timeout_ms != 0) return "etcd_request_timeout_ms";
  if (!given.tls_ca.empty()) return "etcd_tls_ca";
  if (!given.tls_cert.empty()) return "etcd_tls_cert";
  if (!given.tls_key.empty()) return "etcd_tls_key";
  if (!given.user.empty()) return "etcd_user";
  if (!given.password_file.empty()) return "etcd_password_file";
  return nullptr;
}

Target parse_target(const std::string &url, const char *op, const LockOptions::Etcd &given) {
  auto bad = [&](const std::string &why) { throw_error(Status::invalid, op, url, why); };
  Target t;
  t.url = url;
  std::string rest = url.substr(sizeof kScheme - 1);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  size_t slash = rest.find('/');
  if (slash == std::string::npos) bad("no key name after the endpoints (etcd://host:port/prefix/name)");
  for (const std::string &ep : split(rest.substr(0, slash), ',')) {
    if (ep.empty()) bad("an empty endpoint");
    for (char c : ep)
      if (std::isspace(static_cast<unsigned char>(c)) || c == '@') bad("endpoint '" + ep + "' is not host:port");
    // Port 2379 unless given ("[::1]:2379" carries its own brackets).
    const bool has_port = ep.front() == '[' ? ep.find("]:") != std::string::npos
                                            : ep.find(':') != std::string::npos;
    t.endpoints.push_back("http://" + ep + (has_port ? "" : ":2379"));
  }
  t.name = rest.substr(slash + 1);
  while (!t.name.empty() && t.name.back() == '/') t.name.pop_back();
  if (t.name.empty()) bad("the key name is empty (etcd://host:port/prefix/name)");
  for (char c : t.name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) bad("the key name holds a control character");
  // The name's settings, as options would give them (0 / empty: not in the name).
  LockOptions::Etcd named;
  if (!query.empty()) {
    for (const std::string &pair : split(query, '&')) {
      const size_t eq = pair.find('=');
      const std::string key = pair.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : pair.substr(eq + 1);
      const int64_t ms = duration_ms(value);
      if (key == "ttl") {
        if (ms < 1000 || ms % 1000 != 0) bad("ttl '" + value + "' is not a whole number of seconds >= 1s");
        named.ttl_ms = ms;
      } else if (key == "dial_timeout" || key == "request_timeout") {
        if (ms <= 0) bad(key + " '" + value + "' is not a positive duration (500ms, 2s)");
        (key == "dial_timeout" ? named.dial_timeout_ms : named.request_timeout_ms) = ms;
      } else if (key == "tls_ca" || key == "tls_cert" || key == "tls_key" || key == "user" ||
                 key == "password_file") {
        if (value.empty()) bad("setting '" + key + "' is empty");
        (key == "tls_ca"     ? named.tls_ca
         : key == "tls_cert" ? named.tls_cert
         : key == "tls_key"  ? named.tls_key
         : key == "user"     ? named.user
                             : named.password_file) = value;
      } else {
        bad("unknown setting '" + key +
            "' (ttl, dial_timeout, request_timeout, tls_ca, tls_cert, tls_key, user, password_file)");
      }
    }
  }
  // Each setting from the name or the options; both with different values is a mistake
  // the caller should hear of, not a silent precedence.
  auto duration = [&](int64_t from_name, int64_t from_options, const char *key, const char *field,
                      int64_t &out) {
    if (from_name != 0 && from_options != 0 && from_name != from_options)
      bad(std::string("option ") + field + " (" + std::to_string(from_options) + " ms) and the name's " +
          key + "=" + duration_text(from_name) + " differ");
    if (from_name != 0 || from_options != 0) out = from_name != 0 ? from_name : from_options;
  };
  auto text = [&](const std::string &from_name, const std::string &from_options, const char *key,
                  const char *field, std::string &out) {
    if (!from_name.empty() && !from_options.empty() && from_name != from_options)
      bad(std::string("option ") + field + " ('" + from_options + "') and the name's " + key + "=" +
          from_name + " differ");
    out = from_name.empty() ? from_options : from_name;
  };
  int64_t ttl_ms = t.ttl_s * 1000;
  duration(named.ttl_ms, given.ttl_ms, "ttl", "etcd_ttl_ms", ttl_ms);
  if (ttl_ms < 1000 || ttl_ms % 1000 != 0)
    bad("option etcd_ttl_ms " + std::to_string(ttl_ms) + " is not a whole number of seconds >= 1000");
  t.ttl_s = ttl_ms / 1000;
  duration(named.dial_timeout_ms, given.dial_timeout_ms, "dial_timeout", "etcd_dial_timeout_ms", t.dial_timeout_ms);
  duration(named.request_timeout_ms, given.request_timeout_ms, "request_timeout", "etcd_request_timeout_ms",
           t.request_timeout_ms);
  if (t.dial_timeout_ms <= 0 || t.request_timeout_ms <= 0)
    bad("options etcd_dial_timeout_ms and etcd_request_timeout_ms must be > 0");
  text(named.tls_ca, given.tls_ca, "tls_ca", "etcd_tls_ca", t.ca_file);
  text(named.tls_cert, given.tls_cert, "tls_cert", "etcd_tls_cert", t.cert_file);
  text(named.tls_key, given.tls_key, "tls_key", "etcd_tls_key", t.key_file);
  text(named.user, given.user, "user", "etcd_user", t.user);
  text(named.password_file, given.password_file, "password_file", "etcd_password_file", t.password_file);
  if (t.cert_file.empty() != t.key_file.empty()) bad("tls_cert and tls_key go together");
  if (t.user.empty() != t.password_file.empty()) bad("user and password_file go together");
  if (!t.ca_file.empty() || !t.cert_file.empty())
    for (std::string &ep : t.endpoints) ep.replace(0, 4, "https");  // "http://" -> "https://"
  return t;
}

}  // namespace filelock::etcd

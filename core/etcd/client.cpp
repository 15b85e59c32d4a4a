#include "etcd/client.hpp"

#include <cjson/cJSON.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "common/error.hpp"
#include "etcd/base64.hpp"

namespace filelock::etcd {

namespace {

struct DocDeleter {
  void operator()(cJSON *p) const noexcept { cJSON_Delete(p); }
};
using Doc = std::unique_ptr<cJSON, DocDeleter>;

std::string quoted(const std::string &text) {
  Doc s(cJSON_CreateString(text.c_str()));
  char *printed = cJSON_PrintUnformatted(s.get());
  std::string out = printed;
  cJSON_free(printed);
  return out;
}

std::string b64(const std::string &bytes) { return quoted(base64_encode(bytes)); }

// The first line of a small file (a password), without its line end.
bool read_secret(const std::string &path, std::string &out) {
  FILE *f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return false;
  char buf[1024];
  const size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  out.assign(buf, n);
  const size_t end = out.find_first_of("\r\n");
  if (end != std::string::npos) out.resize(end);
  return true;
}

// The gateway writes int64 fields as strings ("12"); older ones as numbers.
int64_t int_field(const cJSON *object, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(object, name);
  if (cJSON_IsString(v)) return std::strtoll(v->valuestring, nullptr, 10);
  if (cJSON_IsNumber(v)) return static_cast<int64_t>(v->valuedouble);
  return 0;
}

std::string bytes_field(const cJSON *object, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(object, name);
  std::string out;
  if (cJSON_IsString(v)) base64_decode(v->valuestring, out);
  return out;
}

// "name/" -> "name0": the end of the range of every key starting with the prefix.
std::string prefix_end(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

std::string range_body(const std::string &prefix) {
  return "{\"key\":" + b64(prefix) + ",\"range_end\":" + b64(prefix_end(prefix)) +
         ",\"sort_order\":\"ASCEND\",\"sort_target\":\"CREATE\"}";
}

// The keys directly under `prefix` (the queue of lock "a" is "a/<lease>", never the
// keys of a lock "a/b": "a/b/<lease>", which the range also returns), or with `subtree`
// every key under it.
RangeResult read_range(const cJSON *response, int64_t revision, const std::string &prefix,
                       bool subtree = false) {
  RangeResult out;
  out.revision = revision;
  const cJSON *kvs = cJSON_GetObjectItemCaseSensitive(response, "kvs");
  const cJSON *kv;
  cJSON_ArrayForEach(kv, kvs) {
    KeyValue item;
    item.key = bytes_field(kv, "key");
    if (!subtree && item.key.find('/', prefix.size()) != std::string::npos) continue;
    item.value = bytes_field(kv, "value");
    item.create_revision = int_field(kv, "create_revision");
    item.mod_revision = int_field(kv, "mod_revision");
    item.lease = int_field(kv, "lease");
    out.kvs.push_back(std::move(item));
  }
  return out;
}

int64_t header_revision(const cJSON *response) {
  return int_field(cJSON_GetObjectItemCaseSensitive(response, "header"), "revision");
}

Doc parse(const char *op, const Target &t, const std::string &body) {
  Doc doc(cJSON_ParseWithLength(body.data(), body.size()));
  if (!cJSON_IsObject(doc.get()))
    throw_error(Status::io, op, t.url, "etcd sent an answer that is not a JSON object: " + body.substr(0, 200));
  return doc;
}

}  // namespace

// etcd's password authentication: a token for the user, which every request then
// carries. The password is read from its file each time, so a rotated one is used.
void Client::authenticate(const char *op) {
  const Target &t = target();
  std::string password;
  if (!read_secret(t.password_file, password))
    throw_error(Status::permission, op, t.url, "cannot read password_file '" + t.password_file + "'");
  http_.set_token("");  // an expired token would be refused with the request itself
  Response r = http_.post(op, "/v3/auth/authenticate",
                          "{\"name\":" + quoted(t.user) + ",\"password\":" + quoted(password) + "}");
  Doc doc(cJSON_Parse(r.body.c_str()));
  const cJSON *token = cJSON_GetObjectItemCaseSensitive(doc.get(), "token");
  if (r.status != 200 || !cJSON_IsString(token)) {
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(doc.get(), "message");
    throw_error(Status::permission, op, t.url,
                "etcd refused user '" + t.user + "': " +
                    (cJSON_IsString(message) ? message->valuestring : "HTTP " + std::to_string(r.status)));
  }
  http_.set_token(token->valuestring);
}

std::string Client::call(const char *op, const std::string &path, const std::string &body,
                         Interrupt *interrupt, bool *may_have_applied_before) {
  const bool auth = !target().user.empty();
  if (auth && http_.token().empty()) authenticate(op);
  Response r = http_.post(op, path, body, interrupt);
  // An expired or revoked token (simple tokens last --auth-token-ttl): once more with a new one.
  if (auth && (r.status == 401 || r.body.find("invalid auth token") != std::string::npos)) {
    authenticate(op);
    r = http_.post(op, path, body, interrupt);
  }
  if (may_have_applied_before != nullptr) *may_have_applied_before = r.may_have_applied_before;
  if (r.status == 200) return std::move(r.body);
  // A gRPC error as the gateway spells it: {"error": "...", "message": "...", "code": N}.
  Doc doc(cJSON_Parse(r.body.c_str()));
  const cJSON *message = cJSON_GetObjectItemCaseSensitive(doc.get(), "message");
  if (!cJSON_IsString(message)) message = cJSON_GetObjectItemCaseSensitive(doc.get(), "error");
  const std::string reason = cJSON_IsString(message) ? message->valuestring : r.body.substr(0, 200);
  const int64_t code = doc ? int_field(doc.get(), "code") : 0;
  // NotFound: a lease gone. InvalidArgument, or a message over the gateway's own limit:
  // a request etcd refuses as such (too large).
  const bool refused = code == 3 || (code == 8 && reason.find("larger than max") != std::string::npos);
  // PermissionDenied (a user without a role for the key), Unauthenticated.
  const bool denied = code == 7 || code == 16;
  throw_error(code == 5  ? Status::not_found
              : refused ? Status::invalid
              : denied  ? Status::permission
                        : Status::io,
              op, target().url,
              r.endpoint + path + ": " + reason + " (gRPC code " + std::to_string(code) +
                  ", HTTP " + std::to_string(r.status) + ")");
}

int64_t Client::grant(const char *op, int64_t ttl_s) {
  Doc doc = parse(op, target(), call(op, "/v3/lease/grant", "{\"TTL\":" + std::to_string(ttl_s) + "}"));
  const int64_t id = int_field(doc.get(), "ID");
  if (id == 0) {
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(doc.get(), "error");
    throw_error(Status::io, op, target().url,
                std::string("etcd granted no lease: ") + (cJSON_IsString(error) ? error->valuestring : "no ID"));
  }
  return id;
}

int64_t Client::keep_alive(const char *op, int64_t lease, Interrupt *interrupt) {
  // A streaming call: one request in the body, one {"result": ...} back, then the end.
  Doc doc = parse(op, target(), call(op, "/v3/lease/keepalive",
                                     "{\"ID\":\"" + std::to_string(lease) + "\"}", interrupt));
  const cJSON *result = cJSON_GetObjectItemCaseSensitive(doc.get(), "result");
  if (result == nullptr) throw_error(Status::io, op, target().url, "etcd sent no keep-alive result");
  return int_field(result, "TTL");
}

void Client::revoke(const char *op, int64_t lease) {
  call(op, "/v3/lease/revoke", "{\"ID\":\"" + std::to_string(lease) + "\"}");
}

RangeResult Client::put_and_range(const char *op, const std::string &key, const std::string &value,
                                  int64_t lease, const std::string &prefix, ReadAlong *also) {
  std::string body = "{\"success\":[{\"request_put\":{\"key\":" + b64(key) + ",\"value\":" +
                     b64(value) + ",\"lease\":\"" + std::to_string(lease) +
                     "\"}},{\"request_range\":" + range_body(prefix) + "}";
  if (also != nullptr) body += ",{\"request_range\":{\"key\":" + b64(also->key) + "}}";
  body += "]}";
  Doc doc = parse(op, target(), call(op, "/v3/kv/txn", body));
  const cJSON *responses = cJSON_GetObjectItemCaseSensitive(doc.get(), "responses");
  auto range_at = [&](int i) {
    const cJSON *range =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(responses, i), "response_range");
    if (range == nullptr) throw_error(Status::io, op, target().url, "etcd's transaction answer has no range");
    return range;
  };
  const int64_t revision = header_revision(doc.get());
  if (also != nullptr) {
    RangeResult r = read_range(range_at(2), revision, also->key, true);
    also->found = !r.kvs.empty();
    if (also->found) also->kv = std::move(r.kvs.front());
  }
  return read_range(range_at(1), revision, prefix);
}

RangeResult Client::range_prefix(const char *op, const std::string &prefix) {
  Doc doc = parse(op, target(), call(op, "/v3/kv/range", range_body(prefix)));
  return read_range(doc.get(), header_revision(doc.get()), prefix);
}

RangeResult Client::range_subtree(const char *op, const std::string &prefix) {
  Doc doc = parse(op, target(), call(op, "/v3/kv/range", range_body(prefix)));
  return read_range(doc.get(), header_revision(doc.get()), prefix, true);
}

void Client::put(const char *op, const std::string &key, const std::string &value) {
  call(op, "/v3/kv/put", "{\"key\":" + b64(key) + ",\"value\":" + b64(value) + "}");
}

int64_t Client::remove(const char *op, const std::string &key, bool *may_have_applied_before) {
  Doc doc = parse(op, target(), call(op, "/v3/kv/deleterange", "{\"key\":" + b64(key) + "}",
                                     nullptr, may_have_applied_before));
  return int_field(doc.get(), "deleted");
}

bool Client::get(const char *op, const std::string &key, KeyValue &out, int64_t *revision) {
  Doc doc = parse(op, target(), call(op, "/v3/kv/range", "{\"key\":" + b64(key) + "}"));
  if (revision != nullptr) *revision = header_revision(doc.get());
  RangeResult r = read_range(doc.get(), 0, key, true);
  if (r.kvs.empty()) return false;
  out = std::move(r.kvs.front());
  return true;
}

std::vector<KeyValue> Client::list(const char *op, const std::string &prefix, int64_t limit,
                                   bool descending, bool keys_only) {
  std::string body = "{\"key\":" + b64(prefix) + ",\"range_end\":" + b64(prefix_end(prefix)) +
                     ",\"sort_order\":\"" + (descending ? "DESCEND" : "ASCEND") +
                     "\",\"sort_target\":\"KEY\"";
  if (limit > 0) body += ",\"limit\":\"" + std::to_string(limit) + "\"";
  if (keys_only) body += ",\"keys_only\":true";
  body += "}";
  Doc doc = parse(op, target(), call(op, "/v3/kv/range", body));
  return read_range(doc.get(), 0, prefix, true).kvs;
}

bool Client::txn(const char *op, const std::vector<Compare> &if_all,
                 const std::vector<std::pair<std::string, std::string>> &puts,
                 const std::vector<std::string> &deletes, int64_t &revision) {
  std::string body = "{\"compare\":[";
  for (size_t i = 0; i < if_all.size(); ++i) {
    const Compare &c = if_all[i];
    const char *target = c.target == Compare::create ? "create_revision" : "mod_revision";
    body += std::string(i ? "," : "") + "{\"key\":" + b64(c.key) + ",\"target\":\"" +
            (c.target == Compare::create ? "CREATE" : "MOD") + "\",\"result\":\"EQUAL\",\"" +
            target + "\":\"" + std::to_string(c.revision) + "\"}";
  }
  body += "],\"success\":[";
  bool first = true;
  for (const auto &[key, value] : puts) {
    body += std::string(first ? "" : ",") + "{\"request_put\":{\"key\":" + b64(key) +
            ",\"value\":" + b64(value) + "}}";
    first = false;
  }
  for (const std::string &key : deletes) {
    body += std::string(first ? "" : ",") + "{\"request_delete_range\":{\"key\":" + b64(key) + "}}";
    first = false;
  }
  body += "]}";
  Doc doc = parse(op, target(), call(op, "/v3/kv/txn", body));
  revision = header_revision(doc.get());
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc.get(), "succeeded"));
}

int64_t Client::remove_through(const char *op, const std::string &key, const std::string &last) {
  // range_end is exclusive: the smallest key after `last` is `last` and a NUL byte.
  const std::string end = last + std::string(1, '\0');
  Doc doc = parse(op, target(), call(op, "/v3/kv/deleterange",
                                     "{\"key\":" + b64(key) + ",\"range_end\":" + b64(end) + "}"));
  return int_field(doc.get(), "deleted");
}

Client::Wait Client::watch(const std::string &key, int64_t from_revision, Event what,
                           Clock::time_point deadline, Interrupt *interrupt) {
  const std::string body = "{\"create_request\":{\"key\":" + b64(key) + ",\"start_revision\":\"" +
                           std::to_string(from_revision) + "\"}}";
  bool changed = false;  // the event came, or etcd ended the watch (compaction)
  auto on_line = [&changed, what](const std::string &line) {
    Doc doc(cJSON_Parse(line.c_str()));
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(doc.get(), "result");
    if (result == nullptr) return false;  // an error: read again
    // Cancelled by etcd (compacted past from_revision): read again.
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "canceled"))) {
      changed = true;
      return false;
    }
    const cJSON *event;
    cJSON_ArrayForEach(event, cJSON_GetObjectItemCaseSensitive(result, "events")) {
      const cJSON *type = cJSON_GetObjectItemCaseSensitive(event, "type");
      // The gateway leaves out the default type, PUT.
      if (what == Event::any || (cJSON_IsString(type) && std::string(type->valuestring) == "DELETE")) {
        changed = true;
        return false;
      }
    }
    return true;
  };
  std::string why;
  switch (http_.stream("watch", "/v3/watch", body, deadline, interrupt, on_line, why)) {
    case Http::StreamEnd::canceled: return Wait::canceled;
    case Http::StreamEnd::timed_out: return Wait::timed_out;
    case Http::StreamEnd::stopped:
    case Http::StreamEnd::broken: break;
  }
  // A member that fails every watch at once must not turn the wait into a busy loop of
  // watches and reads: a pause before the caller reads again.
  if (!changed) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return Wait::look_again;
}

}  // namespace filelock::etcd

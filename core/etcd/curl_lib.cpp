#include "etcd/curl_lib.hpp"

#include <mutex>
#include <string>

#include "common/error.hpp"
#include "platform/dynamic_library.hpp"

namespace filelock::etcd {

namespace {

struct Loaded {
  CurlLib lib{};
  std::string error;  // non-empty: loading failed
};

template <typename Fn>
bool bind(void *library, const char *name, Fn &fn, std::string &error) {
  fn = reinterpret_cast<Fn>(platform::library_symbol(library, name, error));
  return fn != nullptr;
}

Loaded load() {
  Loaded out;
  void *h = platform::load_library("libcurl.so.4", out.error);
  if (h == nullptr) return out;
  CurlLib &c = out.lib;
  std::string &e = out.error;
  decltype(&curl_global_init) global_init = nullptr;
  // curl_multi_poll and curl_multi_wakeup (7.68): a wait that another thread can end.
  const bool ok = bind(h, "curl_global_init", global_init, e) &&
                  bind(h, "curl_easy_init", c.easy_init, e) &&
                  bind(h, "curl_easy_cleanup", c.easy_cleanup, e) &&
                  bind(h, "curl_easy_reset", c.easy_reset, e) &&
                  bind(h, "curl_easy_setopt", c.easy_setopt, e) &&
                  bind(h, "curl_easy_getinfo", c.easy_getinfo, e) &&
                  bind(h, "curl_easy_strerror", c.easy_strerror, e) &&
                  bind(h, "curl_multi_init", c.multi_init, e) &&
                  bind(h, "curl_multi_cleanup", c.multi_cleanup, e) &&
                  bind(h, "curl_multi_add_handle", c.multi_add_handle, e) &&
                  bind(h, "curl_multi_remove_handle", c.multi_remove_handle, e) &&
                  bind(h, "curl_multi_perform", c.multi_perform, e) &&
                  bind(h, "curl_multi_poll", c.multi_poll, e) &&
                  bind(h, "curl_multi_wakeup", c.multi_wakeup, e) &&
                  bind(h, "curl_multi_info_read", c.multi_info_read, e) &&
                  bind(h, "curl_slist_append", c.slist_append, e) &&
                  bind(h, "curl_slist_free_all", c.slist_free_all, e);
  if (ok && global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) e = "curl_global_init failed";
  return out;
}

}  // namespace

const CurlLib &curl(const char *op, const std::string &url) {
  static const Loaded loaded = load();  // C++11 statics: initialised once, thread-safe
  if (!loaded.error.empty())
    throw_error(Status::unsupported, op, url,
                "etcd:// needs libcurl (libcurl.so.4, 7.68 or later): " + loaded.error);
  return loaded.lib;
}

}  // namespace filelock::etcd

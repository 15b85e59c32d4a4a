// libcurl, loaded with dlopen at the first etcd:// use: libfilelock itself does not
// link it, so processes that never touch etcd never map it.
#pragma once

#include <curl/curl.h>

#include <string>

namespace filelock::etcd {

struct CurlLib {
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_multi_init) multi_init;
  decltype(&curl_multi_cleanup) multi_cleanup;
  decltype(&curl_multi_add_handle) multi_add_handle;
  decltype(&curl_multi_remove_handle) multi_remove_handle;
  decltype(&curl_multi_perform) multi_perform;
  decltype(&curl_multi_poll) multi_poll;
  decltype(&curl_multi_wakeup) multi_wakeup;
  decltype(&curl_multi_info_read) multi_info_read;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

// The loaded library (initialised once, thread-safe). Throws Error(unsupported) naming
// `op` and `url` when libcurl (libcurl.so.4, 7.68 or later) cannot be loaded.
const CurlLib &curl(const char *op, const std::string &url);

}  // namespace filelock::etcd

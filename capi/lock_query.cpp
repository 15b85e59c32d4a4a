// C API for looking at locks from outside: fl_query, fl_scan, fl_clean_stale.
#include "guard.hpp"
#include "lock/lock_inspect.hpp"
#include "reports.hpp"

namespace filelock::capi {
LockOptions to_lock_options(const fl_lock_options *opts, const char *op);  // lock_api.cpp
void refuse_etcd_settings_for_file(const char *path, const LockOptions &options, const char *op);
}

using filelock::capi::dup_string;
using filelock::capi::guard;
using filelock::capi::require;

extern "C" {

FL_API int fl_query(const char *path, const fl_lock_options *opts, char **info_json) {
  return guard([&] {
    require(info_json, "query lock", "info_json");
    *info_json = nullptr;
    require(path, "query lock", "path");
    auto options = filelock::capi::to_lock_options(opts, "query lock");
    filelock::capi::refuse_etcd_settings_for_file(path, options, "query lock");
    *info_json = dup_string(filelock::capi::to_json(filelock::query_lock(path, options)));
  });
}

FL_API int fl_scan(const char *dir, char **report_json) {
  return guard([&] {
    require(report_json, "scan locks", "report_json");
    *report_json = nullptr;
    require(dir, "scan locks", "dir");
    *report_json = dup_string(filelock::capi::to_json(filelock::scan_locks(dir)));
  });
}

FL_API int fl_clean_stale(const char *dir, int64_t min_age_ms, char **report_json) {
  return guard([&] {
    require(report_json, "clean stale locks", "report_json");
    *report_json = nullptr;
    require(dir, "clean stale locks", "dir");
    if (min_age_ms < 0)
      throw filelock::Error(filelock::Status::invalid, "clean stale locks '" + std::string(dir) +
                                                           "': min_age_ms must be >= 0");
    *report_json = dup_string(filelock::capi::to_json(filelock::clean_stale_locks(dir, min_age_ms)));
  });
}

}  // extern "C"

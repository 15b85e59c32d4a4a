// C API for looking at locks from outside: fl_query, fl_scan(_with), fl_clean_stale.
#include "etcd/etcd_url.hpp"
#include "guard.hpp"
#include "lock/lock_inspect.hpp"
#include "reports.hpp"

namespace filelock::capi {
LockOptions to_lock_options(const fl_lock_options *opts, const char *op);  // lock_api.cpp
void refuse_etcd_settings_for_file(const char *path, const LockOptions &options, const char *op);
}

namespace {

// A directory's scan reads every lock file there as it finds it: no option applies. The
// etcd settings are refused as fl_open refuses them for a file path, the others by name.
void refuse_options_for_dir(const char *dir, const filelock::LockOptions &given, const char *op) {
  filelock::capi::refuse_etcd_settings_for_file(dir, given, op);
  const filelock::LockOptions d;
  const char *field = given.backend != d.backend                       ? "backend"
                      : !given.lock_dir.empty()                        ? "lock_dir"
                      : given.sidecar != d.sidecar                     ? "sidecar"
                      : given.file_mode != d.file_mode                 ? "file_mode"
                      : !given.owner.empty()                           ? "owner"
                      : given.record_holder != d.record_holder         ? "record_holder"
                      : given.retry_interval_ms != d.retry_interval_ms ? "retry_interval_ms"
                      : given.stale_after_ms != d.stale_after_ms       ? "stale_after_ms"
                                                                       : nullptr;
  if (field != nullptr)
    filelock::throw_error(filelock::Status::invalid, op, dir,
                          std::string("option ") + field +
                              " does not apply to scanning a directory (leave it at its default)");
}

}  // namespace

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

FL_API int fl_scan(const char *dir, char **report_json) { return fl_scan_with(dir, nullptr, report_json); }

FL_API int fl_scan_with(const char *dir, const fl_lock_options *opts, char **report_json) {
  return guard([&] {
    require(report_json, "scan locks", "report_json");
    *report_json = nullptr;
    require(dir, "scan locks", "dir");
    const filelock::LockOptions options = filelock::capi::to_lock_options(opts, "scan locks");
    if (!filelock::etcd::is_etcd_url(dir)) refuse_options_for_dir(dir, options, "scan locks");
    *report_json = dup_string(filelock::capi::to_json(filelock::scan_locks(dir, options)));
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

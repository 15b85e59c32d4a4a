#include "etcd_options.hpp"

#include <iterator>

#include "cli.hpp"

namespace filelock::cli {

namespace {

const char *const kFileFlags[] = {"etcd-cacert", "etcd-cert", "etcd-key", "etcd-user", "etcd-password-file"};
const char *const kDurationFlags[] = {"etcd-ttl", "etcd-dial-timeout", "etcd-request-timeout"};

// A flag's value; an empty one is refused here, where the flag can be named.
const char *text_value(const ParsedArgs &args, const char *flag) {
  if (!args.has(flag)) return nullptr;
  const std::string &value = args.values.at(flag).back();
  if (value.empty()) throw UsageError(std::string("--") + flag + ": the value is empty");
  return value.c_str();
}

int64_t positive_duration(const ParsedArgs &args, const char *flag) {
  if (!args.has(flag)) return 0;
  const std::string option = std::string("--") + flag;
  const int64_t ms = duration_option(option, args.get(flag));
  if (ms <= 0) throw UsageError(option + ": must be more than 0");
  return ms;
}

}  // namespace

std::vector<OptionSpec> with_etcd_options(std::vector<OptionSpec> specs) {
  for (const char *flag : kFileFlags) specs.push_back({0, flag, OptionSpec::required});
  for (const char *flag : kDurationFlags) specs.push_back({0, flag, OptionSpec::required});
  return specs;
}

void etcd_options_from(const ParsedArgs &args, const std::string &path, fl_lock_options *opts) {
  if (path.rfind("etcd://", 0) != 0) {
    std::vector<const char *> flags(std::begin(kFileFlags), std::end(kFileFlags));
    flags.insert(flags.end(), std::begin(kDurationFlags), std::end(kDurationFlags));
    for (const char *flag : flags)
      if (args.has(flag))
        throw UsageError(std::string("--") + flag + " applies to etcd:// names only, and '" + path +
                         "' is a file path");
    return;
  }
  opts->etcd_tls_ca = text_value(args, "etcd-cacert");
  opts->etcd_tls_cert = text_value(args, "etcd-cert");
  opts->etcd_tls_key = text_value(args, "etcd-key");
  opts->etcd_user = text_value(args, "etcd-user");
  opts->etcd_password_file = text_value(args, "etcd-password-file");
  opts->etcd_ttl_ms = positive_duration(args, "etcd-ttl");
  if (opts->etcd_ttl_ms % 1000 != 0)
    throw UsageError("--etcd-ttl: '" + args.get("etcd-ttl") +
                     "' is not a whole number of seconds (etcd's leases count seconds)");
  opts->etcd_dial_timeout_ms = positive_duration(args, "etcd-dial-timeout");
  opts->etcd_request_timeout_ms = positive_duration(args, "etcd-request-timeout");
}

}  // namespace filelock::cli

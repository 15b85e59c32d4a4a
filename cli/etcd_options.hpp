// The --etcd-* flags of every subcommand that opens an etcd:// name (run, lock-info,
// status, state): the connection settings of fl_lock_options' etcd_* fields.
#pragma once

#include <string>
#include <vector>

#include "args.hpp"
#include "filelock.h"

namespace filelock::cli {

// The block each such subcommand's --help shows, after its own options.
#define FILELOCK_CLI_ETCD_HELP                                                                 \
  "\n"                                                                                         \
  "etcd options (for etcd:// names; with a file path they are an error):\n"                    \
  "      --etcd-cacert FILE   CA certificate(s) to check the members with; turns TLS on\n"     \
  "      --etcd-cert FILE     this client's certificate, with --etcd-key (members that\n"      \
  "                           require one)\n"                                                  \
  "      --etcd-key FILE      the key of --etcd-cert\n"                                        \
  "      --etcd-user NAME     password authentication, with --etcd-password-file\n"            \
  "      --etcd-password-file FILE  a file whose first line is the password\n"                 \
  "      --etcd-ttl DURATION  lease TTL, whole seconds (default 5s): how long the lock of\n"   \
  "                           a holder that died stays taken\n"                                \
  "      --etcd-dial-timeout DURATION     one connection attempt (default 2s)\n"               \
  "      --etcd-request-timeout DURATION  one request, failovers included (default 5s)\n"      \
  "  Each may instead be in the name's query (etcd://HOST:PORT/NAME?tls_ca=FILE&ttl=5s).\n"

// `specs` with the --etcd-* flags added.
std::vector<OptionSpec> with_etcd_options(std::vector<OptionSpec> specs);

// Sets the etcd_* fields of `opts` from the flags in `args` (which must outlive `opts`).
// Throws UsageError if one is given and `path` is not an etcd:// name, or a value is
// malformed (naming the flag).
void etcd_options_from(const ParsedArgs &args, const std::string &path, fl_lock_options *opts);

}  // namespace filelock::cli

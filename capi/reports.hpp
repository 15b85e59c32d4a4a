// The one place where the engine's reports become the JSON documents filelock.h
// describes (fl_query, fl_scan, fl_clean_stale, fl_state_verify, fl_state_list_backups).
#pragma once

#include <string>
#include <vector>

#include "lock/lock_inspect.hpp"
#include "state/backups.hpp"
#include "state/state.hpp"

namespace filelock::capi {

std::string to_json(const LockReport &report);
std::string to_json(const ScanReport &report);
std::string to_json(const CleanReport &report);
std::string to_json(const state::VerifyReport &report);
std::string to_json(const std::vector<state::BackupInfo> &backups);

}  // namespace filelock::capi

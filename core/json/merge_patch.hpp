// JSON Merge Patch (RFC 7386): objects merge key by key, null removes, anything else
// replaces.
#pragma once

#include "json/json.hpp"

namespace filelock::json {

void merge_patch(Doc &target, const cJSON *patch);

}  // namespace filelock::json

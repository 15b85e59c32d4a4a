// A journal record's payload: the operations of one transaction, as it made them, so
// that replaying them on the document it began from rebuilds exactly the tree it
// committed (the same members in the same order, numbers as the same text), at the
// cost of the change rather than of the document. A JSON array in the shape of an RFC
// 6902 JSON Patch, with the transaction's own operations:
//   {"op":"set","path":P,"value":V}   fl_txn_set (parents created, "-" appends)
//   {"op":"remove","path":P}          fl_txn_remove
//   {"op":"merge","path":"","value":M} fl_txn_merge (RFC 7386, on the whole document)
// Paths are JSON pointers (RFC 6901).
#pragma once

#include <string>
#include <string_view>

#include "json/json.hpp"

namespace filelock::state {

// Appends one operation to `ops` (the array's elements, comma-separated).
void add_set_op(std::string &ops, const std::string &pointer, const cJSON *value);
void add_remove_op(std::string &ops, const std::string &pointer);
void add_merge_op(std::string &ops, const cJSON *patch);

// Replays a payload on `doc`. Throws json::JsonError when it is not one or does not
// apply (a damaged record that passed its hash, or a document that is not the base).
void apply_ops(json::Doc &doc, std::string_view payload);

}  // namespace filelock::state

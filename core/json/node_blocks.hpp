// Memory for the nodes parse() makes: carved in order from a few large blocks instead
// of one allocation per node, so that parsing a large document is not mostly malloc
// and freeing it not mostly free. A block is freed with the last of its nodes, so a
// node may outlive the parse and the tree it came in (a value moved into a document).
// cJSON cannot free such a node: trees that may hold them are freed with free_tree and
// changed with json::replace (json.hpp), never cJSON_Delete or cJSON_Replace*.
#pragma once

#include <cjson/cJSON.h>

#include <cstddef>

namespace filelock::json::blocks {

// A type bit cJSON leaves alone (it reads a type through 0xFF and its two flags
// above): the node was carved from a block.
inline constexpr int kCarved = 1 << 12;

struct Block;

// Carves the nodes of one parse. The block in use is held until the carver goes, so
// the carver must go before any tree it made is freed (declare it after the tree).
class Carver {
 public:
  // `text_bytes`: the size of the text parsed; it sizes the blocks.
  explicit Carver(size_t text_bytes);
  ~Carver();
  Carver(const Carver &) = delete;
  Carver &operator=(const Carver &) = delete;

  // Memory for a node of `bytes` (a cJSON and its strings), aligned for cJSON. The
  // caller sets kCarved in its type. Throws std::bad_alloc.
  void *take(size_t bytes);

 private:
  void retire() noexcept;

  Block *block_ = nullptr;
  size_t used_ = 0, size_ = 0;
  size_t carved_ = 0;  // nodes carved from block_ (counted into it when it is retired)
  size_t block_bytes_;
};

// Gives a carved node's memory back to its block (freed with its last node; blocks
// of the largest size are kept, up to a bound, for the next parse).
void release(cJSON *node) noexcept;

// For tests and the benchmark: the emptied blocks kept for the next parse, a way to
// free them, and every block allocated and not yet freed (kept ones included).
size_t kept_blocks() noexcept;
void free_kept_blocks() noexcept;
size_t blocks_in_use() noexcept;

}  // namespace filelock::json::blocks

#include "json/node_blocks.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

namespace filelock::json::blocks {

// A block's header; its nodes follow, each after a pointer back to the block. The
// count is atomic because a node moved into another document may be freed by another
// thread than its block's other nodes.
struct alignas(16) Block {
  std::atomic<size_t> live;
  size_t bytes;  // after the header
};

namespace {

constexpr size_t kAlign = alignof(cJSON) > alignof(Block *) ? alignof(cJSON) : alignof(Block *);
constexpr size_t kSlot = (sizeof(Block *) + kAlign - 1) / kAlign * kAlign;  // the back pointer

// A parsed node takes about five times its share of the text (a 64-byte cJSON, the
// back pointer, its key and text). Blocks of about that, within these bounds: a small
// value takes one small block, a large document blocks of the largest size (64 KiB,
// below glibc's threshold for a mapping of its own).
constexpr size_t kMinBlock = 256;
constexpr size_t kMaxBlock = 64u << 10;

size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Emptied blocks of the largest size, kept for the next parse rather than handed
// back to malloc: freed together at the top of the heap, glibc gave them back to the
// system, and the next parse of the same 4 MiB document took a page fault per 4 KiB
// (a rewrite-mode transaction ran 1.4x slower than with a malloc per node). Slots,
// not a list: each is filled or emptied by one atomic operation, so there is no lock
// a fork could leave held and no ABA. At most 32 MiB kept.
constexpr size_t kKeptBlocks = 512;
std::atomic<Block *> g_kept[kKeptBlocks];
std::atomic<size_t> g_kept_count{0};  // about how many slots are full: where to look first
std::atomic<size_t> g_blocks{0};      // allocated and not yet freed, kept ones included

// Blocks come from malloc, not cJSON's hooks: cJSON never frees them, and a kept block
// must not be freed by another allocator a host installed in cJSON since.
void free_block(Block *block) noexcept {
  block->~Block();
  std::free(block);
  g_blocks.fetch_sub(1, std::memory_order_relaxed);
}

Block *take_kept() noexcept {
  const size_t count = g_kept_count.load(std::memory_order_relaxed);
  if (count == 0) return nullptr;
  for (size_t n = 0, i = count - 1; n < kKeptBlocks; ++n, i = (i + kKeptBlocks - 1) % kKeptBlocks) {
    if (g_kept[i].load(std::memory_order_relaxed) == nullptr) continue;
    if (Block *block = g_kept[i].exchange(nullptr, std::memory_order_acquire); block != nullptr) {
      g_kept_count.fetch_sub(1, std::memory_order_relaxed);
      return block;
    }
  }
  return nullptr;
}

bool keep(Block *block) noexcept {
  const size_t count = g_kept_count.load(std::memory_order_relaxed);
  if (count >= kKeptBlocks) return false;
  for (size_t n = 0, i = count; n < kKeptBlocks; ++n, i = (i + 1) % kKeptBlocks) {
    Block *empty = nullptr;
    if (g_kept[i].load(std::memory_order_relaxed) == nullptr &&
        g_kept[i].compare_exchange_strong(empty, block, std::memory_order_release, std::memory_order_relaxed)) {
      g_kept_count.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

// `bytes` after the header. Held (a count of 1) by the carver until it retires it.
Block *new_block(size_t bytes) {
  if (bytes == kMaxBlock) {
    if (Block *block = take_kept(); block != nullptr) {
      block->live.store(1, std::memory_order_relaxed);
      return block;
    }
  }
  void *memory = std::malloc(sizeof(Block) + bytes);
  if (memory == nullptr) throw std::bad_alloc();
  g_blocks.fetch_add(1, std::memory_order_relaxed);
  return new (memory) Block{{1}, bytes};
}

// One node fewer (or its carver gone); the block goes, or is kept, with the last.
void drop(Block *block) noexcept {
  if (block->live.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (block->bytes == kMaxBlock && keep(block)) return;
  free_block(block);
}

// Node memory at `at` in `block`, after its pointer back to the block.
void *place(Block *block, char *at) {
  *reinterpret_cast<Block **>(at) = block;
  return at + kSlot;
}

char *base(Block *block) { return reinterpret_cast<char *>(block) + sizeof(Block); }

}  // namespace

size_t kept_blocks() noexcept { return g_kept_count.load(std::memory_order_relaxed); }
size_t blocks_in_use() noexcept { return g_blocks.load(std::memory_order_relaxed); }

void free_kept_blocks() noexcept {
  for (auto &slot : g_kept) {
    if (Block *block = slot.exchange(nullptr, std::memory_order_acquire); block != nullptr) {
      g_kept_count.fetch_sub(1, std::memory_order_relaxed);
      free_block(block);
    }
  }
}

namespace {
// The kept blocks go with the library (a host that unloads it gets its memory back).
struct FreeKeptAtUnload {
  ~FreeKeptAtUnload() { free_kept_blocks(); }
} g_free_kept_at_unload;
}  // namespace

Carver::Carver(size_t text_bytes) : block_bytes_(std::clamp(text_bytes * 5, kMinBlock, kMaxBlock)) {}

Carver::~Carver() { retire(); }

void Carver::retire() noexcept {
  if (block_ == nullptr) return;
  // Counted once here rather than per node: no node of a block in use can be freed
  // before its carver goes.
  block_->live.fetch_add(carved_, std::memory_order_relaxed);
  drop(block_);
  block_ = nullptr;
  used_ = size_ = carved_ = 0;
}

void *Carver::take(size_t bytes) {
  const size_t need = kSlot + round_up(bytes);
  if (need > size_ - used_) {
    if (need > block_bytes_ / 2) {
      // A node this large (a long string) gets a block of its own; the block in use
      // keeps serving the small ones.
      Block *own = new_block(need);
      return place(own, base(own));  // its count stays at the one it was made with
    }
    retire();
    block_ = new_block(block_bytes_);
    size_ = block_bytes_;
  }
  char *at = base(block_) + used_;
  used_ += need;
  ++carved_;
  return place(block_, at);
}

void release(cJSON *node) noexcept {
  drop(*reinterpret_cast<Block **>(reinterpret_cast<char *>(node) - kSlot));
}

}  // namespace filelock::json::blocks

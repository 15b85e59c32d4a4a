// Holder records copied by the kernel into a mapping of the lock file (record_page.hpp).
#include "platform/record_page.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "platform/posix/syscall.hpp"
#include "platform/process.hpp"

namespace filelock::platform {

// The process's staging file: kSlots slots of kMaxSize bytes in one memfd, taken and given
// back through an atomic bitmap (no mutex a fork could leave held). Its mapping is
// shared, so a child must not stage there (its parent could be copying that slot): each
// fork generation makes its own, and the parent's is closed in the child at the fork,
// while its number still names it (as holder_watch.cpp does with its epoll set).
struct RecordStage {
  static constexpr size_t kSlots = 1024;
  static constexpr size_t kBytes = kSlots * RecordPage::kMaxSize;
  int fd = -1;
  char *base = nullptr;
  uint64_t generation = 0;
  std::atomic<uint64_t> taken[kSlots / 64] = {};

  // The first free slot, marked taken; kSlots if none is.
  size_t take() noexcept {
    for (size_t w = 0; w < kSlots / 64; ++w) {
      uint64_t bits = taken[w].load(std::memory_order_relaxed);
      while (bits != ~uint64_t{0}) {
        const int bit = __builtin_ctzll(~bits);
        if (taken[w].compare_exchange_weak(bits, bits | (uint64_t{1} << bit)))
          return w * 64 + static_cast<size_t>(bit);
      }
    }
    return kSlots;
  }
  void give_back(size_t slot) noexcept {
    taken[slot / 64].fetch_and(~(uint64_t{1} << (slot % 64)));
  }
  void unmap() noexcept {
    if (base != nullptr) ::munmap(base, kBytes);
    if (fd >= 0) ::close(fd);
    base = nullptr;
    fd = -1;
  }
};

namespace {

// Kept once made (a page's owner pointer must stay valid), so a child leaks the small
// object of each generation before its own, never a descriptor or a mapping.
std::atomic<RecordStage *> g_stage{nullptr};

const bool g_atfork_registered = [] {
  ::pthread_atfork(nullptr, nullptr, [] {
    if (RecordStage *parents = g_stage.load()) parents->unmap();
  });
  return true;
}();

// Each call asks the table (platform/syscalls.hpp) first, as every call of the layer does.
RecordStage *make_stage(uint64_t generation) noexcept {
  const int fd = injected(Syscall::record_page)
                     ? -1
                     : ::memfd_create("filelock-record", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return nullptr;
  void *base = MAP_FAILED;
  // Sealed against shrinking: the stage itself can never fault under our own stores.
  if (!injected(Syscall::record_page) && ::ftruncate(fd, RecordStage::kBytes) == 0 &&
      ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0)
    base = ::mmap(nullptr, RecordStage::kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    ::close(fd);
    return nullptr;
  }
  auto *stage = new (std::nothrow) RecordStage;
  if (stage == nullptr) {
    ::munmap(base, RecordStage::kBytes);
    ::close(fd);
    return nullptr;
  }
  stage->fd = fd;
  stage->base = static_cast<char *>(base);
  stage->generation = generation;
  return stage;
}

RecordStage *this_process_stage() noexcept {
  const uint64_t generation = fork_generation();
  RecordStage *current = g_stage.load(std::memory_order_acquire);
  if (current != nullptr && current->generation == generation) return current;
  RecordStage *made = make_stage(generation);
  if (made == nullptr) return nullptr;
  if (g_stage.compare_exchange_strong(current, made, std::memory_order_acq_rel)) return made;
  made->unmap();  // another thread made this generation's first
  delete made;
  return current->generation == generation ? current : nullptr;
}

}  // namespace

RecordPage RecordPage::map(NativeFile file) noexcept {
  RecordPage page;
  RecordStage *stage = this_process_stage();
  if (stage == nullptr) return page;
  const size_t slot = stage->take();
  if (slot == RecordStage::kSlots) return page;
  void *mapped = injected(Syscall::record_page)
                     ? MAP_FAILED
                     : ::mmap(nullptr, kMaxSize, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
  if (mapped == MAP_FAILED) {
    stage->give_back(slot);
    return page;
  }
#ifdef MADV_POPULATE_WRITE
  // Made writable now, off the record's path: the first store into a clean page faults,
  // and the fault updates the file's times through the journal, as a write would. The
  // bytes stay as they are. Refused before Linux 5.14, or for a file cut short: the
  // first store (or the write) pays then.
  static_cast<void>(::madvise(mapped, kMaxSize, MADV_POPULATE_WRITE));
#endif
  page.page_ = mapped;
  page.owner_ = stage;
  page.slot_ = slot;
  page.stage_ = stage->base + slot * kMaxSize;
  return page;
}

bool RecordPage::store(size_t size) noexcept {
  if (page_ == nullptr || size > kMaxSize || injected(Syscall::record_page)) return false;
  const off_t from = static_cast<off_t>(slot_ * kMaxSize);
  return ::pread(owner_->fd, page_, size, from) == static_cast<ssize_t>(size);
}

void RecordPage::release() noexcept {
  if (page_ == nullptr) return;
  ::munmap(page_, kMaxSize);
  owner_->give_back(slot_);
  page_ = nullptr;
  stage_ = nullptr;
  owner_ = nullptr;
}

RecordPage::~RecordPage() { release(); }

RecordPage::RecordPage(RecordPage &&o) noexcept
    : page_(o.page_), stage_(o.stage_), owner_(o.owner_), slot_(o.slot_) {
  o.page_ = nullptr;
  o.stage_ = nullptr;
  o.owner_ = nullptr;
}

RecordPage &RecordPage::operator=(RecordPage &&o) noexcept {
  if (this != &o) {
    release();
    page_ = o.page_;
    stage_ = o.stage_;
    owner_ = o.owner_;
    slot_ = o.slot_;
    o.page_ = nullptr;
    o.stage_ = nullptr;
    o.owner_ = nullptr;
  }
  return *this;
}

}  // namespace filelock::platform

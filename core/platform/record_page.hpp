// A lock file's first bytes (its holder record), written in place where the system allows
// it safely (Linux).
//
// Why: a write() that is the file's first change in a clock tick makes the filesystem
// update the file's times, and ext4 does that through its journal: 3-5 µs, on the path of
// every handoff (the waiter writes its record right after the kernel let it in). A store
// into a shared mapping of the page updates them only when the page is first dirtied
// after a writeback.
//
// The trap: another tool may truncate the lock file at any moment (py-filelock opens it
// with O_TRUNC before it even tries the lock), and a store into a mapping past the end of
// the file is a SIGBUS in the host process. So the store is never made by our code: the
// kernel copies the record from a staging buffer of ours (a memfd) into the mapping with
// one pread, and a page that is gone comes back as EFAULT. The caller then writes with
// write_at, which also gives the file its size back.
#pragma once

#include <cstddef>

#include "platform/file.hpp"

namespace filelock::platform {

struct RecordStage;

class RecordPage {
 public:
  static constexpr size_t kMaxSize = 512;

  RecordPage() = default;
  ~RecordPage();
  RecordPage(RecordPage &&o) noexcept;
  RecordPage &operator=(RecordPage &&o) noexcept;
  RecordPage(const RecordPage &) = delete;
  RecordPage &operator=(const RecordPage &) = delete;

  // The first page of `file` (open for writing), mapped and made writable, and a staging
  // slot of kMaxSize bytes; empty where the system has neither or either could not be had
  // (Syscall::record_page).
  static RecordPage map(NativeFile file) noexcept;
  explicit operator bool() const noexcept { return page_ != nullptr; }

  // Where to put the next record. Only while non-empty.
  char *stage() noexcept { return stage_; }
  // Copies the staged `size` bytes (at most kMaxSize) to the file's offset 0. false: not
  // written (the file is shorter than the record now, or the copy failed).
  bool store(size_t size) noexcept;

 private:
  void release() noexcept;

  void *page_ = nullptr;
  char *stage_ = nullptr;
  // The process's staging file the slot belongs to (unused where records are written).
  [[maybe_unused]] RecordStage *owner_ = nullptr;
  [[maybe_unused]] size_t slot_ = 0;
};

}  // namespace filelock::platform

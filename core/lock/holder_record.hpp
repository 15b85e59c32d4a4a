// The holder record: who holds an exclusive lock, written into the lock file.
//
// Layout: one JSON object at offset 0, space-padded to kHolderRecordSize bytes and ending
// in '\n'. Fixed size so recording is ONE pwrite, with no truncate on the hot path, and a
// shorter later record never leaves a tail of an older one. Kernel locks cover the whole
// file on POSIX; a Windows backend must lock a byte range beyond the record, because
// Windows locks are mandatory and would block readers of the record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "lock/lock.hpp"
#include "platform/process.hpp"
#include "platform/record_page.hpp"

namespace filelock {

inline constexpr size_t kHolderRecordSize = 512;

struct HolderRecord {
  int64_t pid = 0;
  std::string host;
  int64_t start_time = 0;
  std::string boot_id;
  int64_t acquired_at = 0;  // ms since the Unix epoch
  std::string mode;         // "exclusive" or "shared"
  std::string owner;
  std::string backend;      // "flock", "ofd", "posix", "lockfile", "lockdir"
  std::string machine_id;   // "" in records of older versions, or where none is read
  uint64_t pid_ns = 0;      // the holder's PID namespace; 0: unknown
};

// Everything but the acquisition time, formatted once at open.
class HolderRecordTemplate {
 public:
  HolderRecordTemplate() = default;
  // handle_id (non-zero) tells apart two handles of one process acquiring in the same
  // millisecond, so a record names one acquisition.
  HolderRecordTemplate(const platform::ProcessIdentity &self, const std::string &owner,
                       const char *backend, uint64_t handle_id = 0);
  // Fills out[kHolderRecordSize] for an acquisition at `acquired_at_ms`; no allocation.
  void render(int64_t acquired_at_ms, char *out) const noexcept;
  std::string render(int64_t acquired_at_ms) const;

 private:
  std::string prefix_;  // ... "acquired_at":
};

// A handle's record, written into its lock file at each exclusive acquisition. Advisory
// (fl_query): a failure (a full disk) never fails the lock.
class HolderRecordWriter {
 public:
  HolderRecordWriter() = default;
  // in_place: write through platform::RecordPage (record_page.hpp has why) from the
  // handle's second record on, mapped before the wait when one comes first: a handle that
  // locks once, waiting or not, never pays for the mapping (an mmap and a munmap, each a
  // TLB flush on every CPU running a thread of the process: a pool of 200 threads, each
  // job a new handle, went 2x slower with it).
  HolderRecordWriter(HolderRecordTemplate record, bool in_place)
      : record_(std::move(record)), in_place_(in_place) {}
  void write(platform::NativeFile file) noexcept;
  // Before the handle sleeps in a wait: maps the page then, while another holds the
  // lock, so the record after the wait is one copy (from the second record on, as above).
  void prepare(platform::NativeFile file) noexcept {
    if (wrote_) map_page(file);
  }
  // The handle's descriptor changed (re-opened, closed, inherited at fork): the page
  // mapped belongs to the old one.
  void forget() noexcept {
    page_ = platform::RecordPage();
    mapped_ = false;
    wrote_ = false;
  }

 private:
  void map_page(platform::NativeFile file) noexcept;

  HolderRecordTemplate record_;
  bool in_place_ = false;
  bool mapped_ = false;  // tried already (on failure the record is written)
  bool wrote_ = false;
  platform::RecordPage page_;
  char buf_[kHolderRecordSize];
};
static_assert(kHolderRecordSize <= platform::RecordPage::kMaxSize);

const char *backend_name(Backend backend) noexcept;

// Parses a record (padding and trailing bytes ignored); false if it is not one.
bool parse_holder_record(const std::string &bytes, HolderRecord &out);

}  // namespace filelock

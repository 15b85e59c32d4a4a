// The journal of a state file (meta_dir/journal): commits written as what changed, on
// top of the document file, instead of a whole new document (option journal_max_bytes).
//
// Layout, 64-bit words in the machine's byte order (as the generation record):
//   header:  magic "FLJRN001", base generation, base checksum, hash of those three;
//   records: payload size, generation, payload (compact JSON: the transaction's
//            operations, state/journal_ops.hpp), hash of size + generation + payload.
// The header names the document file it applies on top of: its generation and
// checksum. A journal whose header does not match the document file (a checkpoint
// replaced the file, then crashed before resetting the journal) is stale and ignored.
// Records carry consecutive generations from base + 1; the first record that is torn
// (a crash mid-append), fails its hash or breaks the sequence ends the journal, and
// the next writer cuts it off under the lock before it appends.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "state/generation.hpp"

namespace filelock::state {

struct JournalHeader {
  uint64_t base_generation = 0;
  uint64_t base_checksum = 0;
  bool operator==(const JournalHeader &o) const {
    return base_generation == o.base_generation && base_checksum == o.base_checksum;
  }
};

struct JournalScan {
  bool exists = false;     // the file is there
  bool header_ok = false;  // ... and holds a valid header
  JournalHeader header;
  uint64_t size = 0;  // the file's size as read
  uint64_t from = 0;  // where the records read begin (the header's end, or the offset asked for)
  uint64_t end = 0;   // just after the last valid record (the header's end if none)
  uint64_t last_generation = 0;  // of the last valid record; the base if none
  std::vector<std::string> payloads;  // the records read (from the offset asked for)
  std::string tail_error;  // why the bytes after `end` were not taken (empty: none)
  // ... and they are not what a crash mid-append leaves (an incomplete last record, or
  // zero bytes where a power cut lost its blocks): a damaged record, before others.
  bool tail_damaged = false;
  bool torn() const { return size > end; }
};

class Journal {
 public:
  static constexpr uint64_t kHeaderSize = 32;
  static constexpr uint64_t kRecordOverhead = 24;

  explicit Journal(std::string path) : path_(std::move(path)) {}
  const std::string &path() const { return path_; }

  // Reads the journal. With `from` > 0 (an `end` of an earlier scan whose header was
  // `known`, last generation `last`), reads only what follows it, as long as the header
  // is still `known`; otherwise (or when it changed) the whole file. No lock needed:
  // a concurrent append is seen whole or not at all (its hash). Throws Error on I/O.
  // Reads through a descriptor kept from the last scan while the file is still linked:
  // a change wait's and a re-read's look at a few new records is then three calls.
  JournalScan scan(uint64_t from = 0, const JournalHeader *known = nullptr, uint64_t last = 0) const;

  // Under the exclusive lock. Makes sure the file exists (creating it empty; with
  // `durable`, its name is fsynced into meta_dir): an empty journal is no journal.
  void create_if_missing(bool durable);
  // Starts a journal on top of the document file `header` names: header only.
  // With `durable`, fsynced. Throws Error.
  void reset(const JournalHeader &header, bool durable);
  // Appends one record at `end` (cutting off anything after it first), fsynced with
  // `durable`. On failure the file is cut back to `end` (best effort) and Error thrown.
  void append(uint64_t end, uint64_t generation, std::string_view payload, bool durable);

  static uint64_t record_size(size_t payload) { return kRecordOverhead + payload; }

 private:
  struct Reader;
  // The kept descriptor, replaced once its file is unlinked; shared, so a scan in
  // another thread keeps reading the one it took.
  std::shared_ptr<Reader> reader(bool fresh) const;
  std::string path_;
  mutable std::mutex reader_mutex_;
  mutable std::shared_ptr<Reader> reader_;
};

// Which generation a store is at: the document file's (GenerationFile::resolve), or,
// when the journal's header names that file, its last record's. A file changed outside
// filelock (matching neither pair of the record) beside journal records continues after
// them: generations never go back.
struct ResolvedGeneration {
  uint64_t file_generation = 0;
  uint64_t generation = 0;
  bool journal_applies = false;
};
ResolvedGeneration resolve_with_journal(const GenerationRecord &record, bool exists, uint64_t checksum,
                                        const JournalScan &journal);

}  // namespace filelock::state

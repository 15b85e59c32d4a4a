// The generation record: which generation the document on disk is, without rewriting
// the document. A fixed-size record in meta_dir, updated in place with one pwrite
// (never replaced), holding the current generation with its document's checksum and
// the previous pair. The commit writes it BEFORE the rename, so after a crash at any
// point the document on disk matches one of the two pairs:
//   matches current  -> that generation (the rename happened);
//   matches previous -> the previous one (crash or failure before the rename);
//   matches neither  -> the file was changed outside filelock: current + 1, written
//                       down at the next commit.
// In FL_DURABILITY_FULL the record is fsynced after that write and before the rename,
// so a power cut never leaves the new document beside an older record (which would
// hand out a generation again, and let a write_if based on it through). Without FULL
// nothing is synced and a cut can lose record updates the document survived: the
// generation then resumes from the older record + 1, consistent for readers but
// possibly lower than one handed out before the cut.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "platform/file.hpp"

namespace filelock::state {

struct GenerationRecord {
  uint64_t generation = 0;
  uint64_t checksum = 0;
  uint64_t previous_generation = 0;
  uint64_t previous_checksum = 0;
  // Raised by every operation that adds backups (written before it adds them), so a
  // process that finds the value it wrote itself knows nobody else changed backups/
  // since, and may rotate from the names it kept instead of listing the directory.
  uint64_t backups_epoch = 0;
};

class GenerationFile {
 public:
  // Opens or creates; without the right to write it (a reader of another user's state),
  // opens it read-only, and store() fails with the reason the write open failed.
  explicit GenerationFile(const std::string &path);
  ~GenerationFile();
  GenerationFile(const GenerationFile &) = delete;
  GenerationFile &operator=(const GenerationFile &) = delete;

  // A missing, empty or damaged record reads as all zeros (first document: generation 1).
  GenerationRecord load() const;
  void store(const GenerationRecord &record);
  // fsync: the last store() survives a power cut. Throws Error.
  void sync();
  const std::string &path() const { return path_; }

  // The generation of a document with this checksum, per the rules above.
  static uint64_t resolve(const GenerationRecord &record, uint64_t checksum);

 private:
  void open_read_only(const platform::OsError &write_error);

  std::string path_;
  platform::NativeFile file_ = platform::kInvalidFile;
  bool read_only_ = false;
  platform::OsError write_error_;
};

}  // namespace filelock::state

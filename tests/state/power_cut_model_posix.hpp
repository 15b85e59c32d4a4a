// A power-cut model for the state engine's tests (in the spirit of ALICE and
// CrashMonkey). The I/O layer's observer reports every step; after each one the
// recorder snapshots the watched directories (name -> inode) and file contents, and
// turns the difference from the last snapshot into operations:
//  - a name operation: one directory entry set or removed (a rename sets two at once,
//    atomically); this also catches what the I/O layer does not report (unlinks of
//    rotated backups, the audit log created after its rotation);
//  - a data operation: a file's new contents.
// An operation is durable once a barrier covers it: fsync of that file for its data,
// fsync of that directory for its names. What a cut leaves is the durable state plus
// any subset of the pending operations a kernel may have written back, with two rules
// real file systems keep: operations on one name persist in program order (a
// create never persists without the rename that freed its name), and so do the data
// operations of one file (appends persist as a prefix); names and data, and different
// files or directories, persist independently (a rename may reach the disk before the
// bytes written ahead of it, as on XFS or ext4 noauto_da_alloc). Variants also tear
// the last appends, or let a later append persist over a hole left by an earlier one.
// POSIX only (inode numbers, directory listings).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/observe.hpp"

namespace filelock::state::powercut {

using Object = int;  // a file, across renames (inode numbers can be reused: not those)
using Listing = std::map<std::string, Object>;
// What a cut leaves: directory (relative, "" for the root) -> file name -> bytes.
using DiskImage = std::map<std::string, std::map<std::string, std::string>>;

struct Op {
  bool names = false;
  std::string dir;                                  // name operation
  std::vector<std::pair<std::string, Object>> set;  // name -> object, 0: removed
  Object object = 0;                                // data operation
  std::string name;                                 // ... on the file of this name
  std::string before, after;                        // its contents before and after
};

// One state a cut can leave, with what the test knew when it was taken.
struct Cut {
  std::string label;
  DiskImage image;
  uint64_t min_generation = 0;  // of the last returned commit or restore
  uint64_t max_generation = 0;  // ... or of the one in flight
  // A journal record persisted with zeros inside (Tear::zeroed): verify may call it
  // damage, as it cannot tell it from a damaged record with bytes after it.
  bool zeroed_record = false;
  // Returned durable files (backups) still live: (directory, name) -> bytes.
  std::map<std::pair<std::string, std::string>, std::string> durable;
};

class Recorder {
 public:
  // `dirs` relative to `root`; the test syncs them (::sync) before calling this. The
  // generation there (0: no state yet), which an operation may take up to `may_reach`.
  Recorder(std::string root, std::vector<std::string> dirs, uint64_t generation, uint64_t may_reach);
  ~Recorder();
  Recorder(const Recorder &) = delete;
  Recorder &operator=(const Recorder &) = delete;

  // Around one operation of the test: it may take the generation up to `may_reach`
  // until it returns `generation`. Cuts are taken after every I/O step in between.
  void begin(uint64_t may_reach);
  void returned(uint64_t generation);
  // A returned file (an on-demand backup in FULL) that must survive a cut while it is
  // not rotated away; `dir` as given to the constructor.
  void durable_file(const std::string &dir, const std::string &name, const std::string &bytes);
  void stop();  // removes the observer
  // Data operations on files of this name (the journal) are also torn at every byte
  // (every `stride`-th): an append keeps the old bytes and a prefix of the new ones; a
  // rewrite (cut back, then written) leaves a prefix of the new contents, empty too. An
  // append also persists whole but for zeros from each 8th byte up to its last word.
  void tear_every_byte(const std::string &name, size_t stride = 1) {
    tear_names_.insert(name);
    tear_stride_ = stride == 0 ? 1 : stride;
  }

  // Distinct cut states (duplicates dropped), and how many were built before that.
  const std::vector<Cut> &cuts() const { return cuts_; }
  size_t built() const { return built_; }
  // Steps where the state with every pending operation kept differed from the disk:
  // the model missed an operation (it must be empty).
  const std::vector<std::string> &model_errors() const { return model_errors_; }

  void on_step(io::Step step, const std::string &path);

 private:
  struct Snapshot {
    std::map<std::string, Listing> dirs;
    std::map<Object, std::string> data;
  };
  Snapshot snapshot();
  std::string abs(const std::string &d) const { return d.empty() ? root_ : root_ + "/" + d; }
  void diff(const Snapshot &now);
  // How the data of one file persists: in program order (ext4 data=ordered); with the
  // last kept append of each file torn; or in any order, an append that did not
  // persist below a later one reading as zeros (XFS, ext4 data=writeback).
  enum class Persist { in_order, torn, holes };
  // One pending data operation kept only up to `length` bytes (see tear_every_byte).
  struct Tear {
    size_t op = SIZE_MAX;
    size_t length = 0;
    // An append whose new bytes persisted but for zeros from `length` up to its last
    // word (a sector in the middle lost; the last word is a record's hash).
    bool zeroed = false;
  };
  DiskImage image(const std::vector<bool> &keep, Persist how) const;
  DiskImage image(const std::vector<bool> &keep, Persist how, Tear tear) const;
  void take_tears(const std::string &label);
  DiskImage image_of(const Snapshot &s) const;
  void take_cuts(const std::string &label);
  void add_cut(const std::string &label, DiskImage image, bool zeroed_record = false);

  std::string root_;
  std::vector<std::string> dirs_;
  std::map<std::pair<uint64_t, int64_t>, Object> objects_;  // live (inode, birth) -> object
  Object next_object_ = 1;
  Snapshot prev_;
  std::map<std::string, Listing> durable_dirs_;
  std::map<Object, std::string> durable_data_;
  std::vector<Op> pending_;
  uint64_t min_generation_, max_generation_;
  int steps_ = 0;
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> durable_files_;
  std::vector<Cut> cuts_;
  std::set<std::string> seen_;
  size_t built_ = 0;
  std::vector<std::string> model_errors_;
  bool observing_ = true;
  std::set<std::string> tear_names_;
  size_t tear_stride_ = 1;
};

}  // namespace filelock::state::powercut

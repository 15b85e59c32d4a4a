// What tests watch of the I/O layer, beside the system-call table (platform/syscalls.hpp)
// where they make calls fail: an observer that sees each file step that succeeded with
// the path it acted on (to model what a power cut at that point would leave on disk),
// and pause points inside multi-step protocols.
// Internal to the engine: nothing outside core/ and its tests can reach it.
#pragma once

#include <string>

namespace filelock::io {

enum class Step {
  create,     // creating a temp or data file
  write,      // writing file contents
  fsync,      // fsync of a file
  close,      // close of a written file
  link,       // hard-linking a backup
  rename,     // the atomic replace
  dir_fsync,  // fsync of the directory after a rename or create
  log_append, // the single write of an audit-log or JSONL line
  pwrite,     // the in-place generation record
  count_
};

// Pause points: places inside a multi-step protocol where a test stops one process to
// widen a race window another process then runs into (lock breaking, lock_entry.cpp).
// Without a hook a pause point costs one relaxed load.
enum class Pause {
  break_before_move,  // a breaker has re-read the judged entry and is about to move it
  break_after_move,   // ... has moved an entry aside and is about to check it
  count_
};
using PauseHook = void (*)(Pause point);
void set_pause_hook(PauseHook hook) noexcept;  // nullptr removes it
void pause_point(Pause point) noexcept;

// Called after each step that succeeded, with the path it acted on (for rename and
// link the new name; for dir_fsync the directory). nullptr: none (the default). Set it
// only while no other thread does I/O.
using Observer = void (*)(Step step, const std::string &path, void *context);
void set_observer(Observer observer, void *context) noexcept;
void observe(Step step, const std::string &path);
}  // namespace filelock::io

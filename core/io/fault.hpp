// Fault injection for the I/O layer. Every file operation in core/io/ asks here first,
// so tests can make the Nth call of one step fail with a chosen errno (like LevelDB's
// fault_injection_test) and check that each failure leaves the data as it was.
// Tests can also watch every step that succeeded (set_observer), to model what a power
// cut at that point would leave on disk.
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
  kernel_lock,  // a flock/OFD/POSIX lock call, taken in core/lock (ENOLCK, EOPNOTSUPP: a
                // filesystem without such locks; core/platform cannot depend on this)
  count_
};

// The nth (1-based) call of `step` from now on fails with `err`; 0 clears that step.
void inject_fault(Step step, int nth, int err) noexcept;
void clear_faults() noexcept;
// 0, or the errno the current call of `step` must fail with.
int take_fault(Step step) noexcept;

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

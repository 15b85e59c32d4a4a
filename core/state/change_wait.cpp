// Waiting for a change of a state file: State::wait_for_change and State::cancel.
// A commit renames its temp file onto the state file, so a watch on the file's
// directory (inotify, kqueue, a change notification) wakes the waiter; each wake
// re-reads the generation without the lock, so a long transaction elsewhere never
// holds a waiter up, and the watch is armed before the first look, so a commit between
// the look and the sleep is not missed.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/cancel_token.hpp"
#include "common/deadline.hpp"
#include "common/error.hpp"
#include "io/checksum.hpp"
#include "io/file_io.hpp"
#include "io/os_objects.hpp"
#include "platform/dir_watch.hpp"
#include "platform/threads.hpp"
#include "platform/wakeup.hpp"
#include "state/state.hpp"

namespace filelock::state {

struct State::ChangeWait final : CancelLink {
  platform::Wakeup wakeup;
  std::atomic<bool> canceled{false};
  // cancel() and the call's token end the wait alike.
  void fire() noexcept override {
    canceled.store(true, std::memory_order_release);
    wakeup.signal();
  }
};

// A watch on meta_dir for the journal being written (each append and each new start
// closes the file after writing it), kept by a thread of its own that signals the
// waiter's wake-up: the waiter sleeps on one descriptor, the document's directory.
class State::JournalWatch {
 public:
  JournalWatch(const std::string &journal, ChangeWait &wait)
      : watch_(io::dir_of(journal), io::base_of(journal), platform::DirectoryWatch::Event::arrived),
        wait_(wait) {
    if (!watching()) return;
    // A library helper: no reason for a lock wait to count this process multi-threaded.
    platform::helper_thread_starting();
    try {
      thread_ = std::thread([this] {
        run();
        platform::helper_thread_ending();
      });
    } catch (...) {
      platform::helper_thread_ending();
      throw;
    }
  }
  ~JournalWatch() {
    if (!thread_.joinable()) return;
    stop_.store(true, std::memory_order_release);
    stopper_.signal();
    thread_.join();
  }
  JournalWatch(const JournalWatch &) = delete;
  JournalWatch &operator=(const JournalWatch &) = delete;
  // False where no watch sees the journal's appends: the waiter then re-checks every
  // retry interval instead.
  bool watching() const {
    return platform::DirectoryWatch::sees_writes_in_place() && watch_.native() != platform::kInvalidFile &&
           !stopper_.error();
  }
  // Whether the journal changed since the last call.
  bool take() { return changed_.exchange(false, std::memory_order_acq_rel); }

 private:
  void run() {
    while (!stop_.load(std::memory_order_acquire)) {
      const bool woke = stopper_.wait_until_either(watch_.native(), true, {});
      if (stop_.load(std::memory_order_acquire)) return;
      if (woke && watch_.drain()) {
        changed_.store(true, std::memory_order_release);
        wait_.wakeup.signal();
      }
    }
  }

  platform::DirectoryWatch watch_;
  ChangeWait &wait_;
  platform::Wakeup stopper_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> changed_{false};
  std::thread thread_;
};

namespace {

bool same_record(const GenerationRecord &a, const GenerationRecord &b) {
  return a.generation == b.generation && a.checksum == b.checksum &&
         a.previous_generation == b.previous_generation && a.previous_checksum == b.previous_checksum;
}

bool platform_exists(const std::string &path) {
  platform::FileInfo info;
  return !platform::path_info(path, info);
}

// Bounds the lock-free re-reads while commits keep landing (each one already is a change).
constexpr int kMaxRereads = 100;

}  // namespace

void State::cancel() noexcept {
  {
    std::lock_guard<std::mutex> lk(waits_mutex_);
    if (!waits_.empty()) {
      for (ChangeWait *w : waits_) w->fire();
      return;
    }
    cancel_requested_.store(true, std::memory_order_release);
  }
  lock_->cancel();
}

// The record is written before the rename (generation.hpp), so a document read between
// two equal loads of the record is resolved by that record whichever side of a commit's
// rename it was read on. Records that differ mean a commit ran meanwhile: read again.
// The journal is read after the document. A value read across a checkpoint's steps can
// be too low (an old file beside the new journal), never too high; the step after it
// (the rename, the journal's new start) leaves an event that makes the waiter read again.
uint64_t State::committed_generation() {
  for (int attempt = 0;; ++attempt) {
    const GenerationRecord before = generation_->load();
    std::string bytes;
    const bool exists = io::read_file(path_, bytes);
    const JournalScan journal = journal_.scan();
    const GenerationRecord after = generation_->load();
    if (same_record(before, after) || attempt >= kMaxRereads) {
      return resolve_with_journal(after, exists, exists ? io::hash64(bytes) : 0, journal).generation;
    }
  }
}

uint64_t State::wait_for_change(uint64_t after, int64_t timeout_ms, CancelToken *token) {
  if (timeout_ms < kForever) {
    throw_error(Status::invalid, "wait for a change", path_,
                "timeout " + std::to_string(timeout_ms) + " ms: use FL_NOWAIT, FL_FOREVER or a positive value");
  }
  ChangeWait wait;
  io::check_wakeup(wait.wakeup, path_);
  {
    std::lock_guard<std::mutex> lk(waits_mutex_);
    // A request made while no wait was in progress is this wait's; the lock's copy goes.
    if (cancel_requested_.exchange(false, std::memory_order_acq_rel)) {
      lock_->clear_cancel();
      throw_error(Status::canceled, "wait for a change", path_,
                  "canceled (a cancel request came before the wait began)");
    }
    waits_.push_back(&wait);
  }
  struct Unregister {
    State &st;
    ChangeWait *w;
    ~Unregister() {
      std::lock_guard<std::mutex> lk(st.waits_mutex_);
      st.waits_.erase(std::find(st.waits_.begin(), st.waits_.end(), w));
    }
  } unregister{*this, &wait};
  if (token != nullptr && token->triggered())
    throw_error(Status::canceled, "wait for a change", path_,
                "canceled (the call's cancel token was triggered before it began)");
  CancelScope scope(token, wait);

  const bool forever = timeout_ms < 0;
  const auto deadline = deadline_after(timeout_ms);
  platform::DirectoryWatch watch(io::dir_of(path_), io::base_of(path_),
                                 platform::DirectoryWatch::Event::arrived);
  bool watching = watch.native() != platform::kInvalidFile;
  std::unique_ptr<JournalWatch> journal_watch;
  while (true) {
    const uint64_t now_generation = committed_generation();
    if (now_generation > after) return now_generation;
    // Journal commits touch only meta_dir/journal. It is created before the rename of the
    // first checkpoint that starts it, so once the generation read is that one's (or
    // later) the journal is there to be watched; read again once the watch is armed.
    if (!journal_watch && platform_exists(journal_.path())) {
      journal_watch = std::make_unique<JournalWatch>(journal_.path(), wait);
      if (!journal_watch->watching()) watching = false;  // re-check every retry interval
      continue;
    }
    // Sleeps until an event may concern the file; without a watch (a watch limit),
    // re-checks every retry interval instead.
    while (true) {
      if (wait.canceled.load(std::memory_order_acquire)) {
        throw_error(Status::canceled, "wait for a change", path_, "wait canceled");
      }
      const auto now = std::chrono::steady_clock::now();
      if (!forever && now >= deadline) {
        throw_error(Status::timeout, "wait for a change", path_,
                    "timed out after " + std::to_string(timeout_ms) + " ms; the generation is still " +
                        std::to_string(now_generation));
      }
      auto next = deadline;
      if (!watching) {
        next = now + std::chrono::milliseconds(std::max<int32_t>(options_.lock.retry_interval_ms, 1));
        if (!forever) next = std::min(next, deadline);
      }
      const bool woke = wait.wakeup.wait_until_either(watch.native(), forever && watching, next);
      if (!watching) break;
      if (journal_watch && journal_watch->take()) break;
      if (woke && watch.drain()) break;
    }
  }
}

}  // namespace filelock::state

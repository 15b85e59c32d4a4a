// Waiting for a change of a state file: State::wait_for_change and State::cancel.
// A commit renames its temp file onto the state file, so a watch on the file's
// directory (inotify, kqueue, a change notification) wakes the waiter; each wake
// re-reads the generation without the lock, so a long transaction elsewhere never
// holds a waiter up, and the watch is armed before the first look, so a commit between
// the look and the sleep is not missed.
#include <algorithm>
#include <chrono>
#include <string>

#include "common/cancel_token.hpp"
#include "common/deadline.hpp"
#include "common/error.hpp"
#include "io/checksum.hpp"
#include "io/file_io.hpp"
#include "platform/dir_watch.hpp"
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

namespace {

bool same_record(const GenerationRecord &a, const GenerationRecord &b) {
  return a.generation == b.generation && a.checksum == b.checksum &&
         a.previous_generation == b.previous_generation && a.previous_checksum == b.previous_checksum;
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
uint64_t State::committed_generation() {
  for (int attempt = 0;; ++attempt) {
    const GenerationRecord before = generation_->load();
    std::string bytes;
    const bool exists = io::read_file(path_, bytes);
    const GenerationRecord after = generation_->load();
    if (same_record(before, after) || attempt >= kMaxRereads) {
      return exists ? GenerationFile::resolve(after, io::hash64(bytes)) : after.generation;
    }
  }
}

uint64_t State::wait_for_change(uint64_t after, int64_t timeout_ms, CancelToken *token) {
  if (timeout_ms < kForever) {
    throw_error(Status::invalid, "wait for a change", path_,
                "timeout " + std::to_string(timeout_ms) + " ms: use FL_NOWAIT, FL_FOREVER or a positive value");
  }
  ChangeWait wait;
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
  const bool watching = watch.native() != platform::kInvalidFile;
  while (true) {
    const uint64_t now_generation = committed_generation();
    if (now_generation > after) return now_generation;
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
      if (woke && watch.drain()) break;
    }
  }
}

}  // namespace filelock::state

// Waiting for a change of a state file: State::wait_for_change and State::cancel.
// A commit renames its temp file onto the state file (or appends to the journal in
// meta_dir), so a watch on both directories (inotify, kqueue, a change notification)
// wakes the waiter; each wake re-reads the generation without the lock, so a long
// transaction elsewhere never holds a waiter up, and the watch is armed before the first
// look, so a commit between the look and the sleep is not missed.
#include <algorithm>
#include <chrono>
#include <string>

#include "common/cancel_token.hpp"
#include "common/deadline.hpp"
#include "common/error.hpp"
#include "io/checksum.hpp"
#include "io/file_io.hpp"
#include "io/os_objects.hpp"
#include "platform/dir_watch.hpp"
#include "platform/process.hpp"
#include "platform/wakeup.hpp"
#include "state/state.hpp"

namespace filelock::state {

struct State::ChangeWait final : CancelLink {
  explicit ChangeWait(platform::Wakeup &w) : wakeup(w) {}
  platform::Wakeup &wakeup;
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
// A look reads the journal's new records only, and the document again only when it is
// another file, or was written, since the last look (its checksum otherwise stands, as
// for a handle's kept tree: same_document). A wake whose events named the journal only
// (doc_quiet) reads the journal alone: the document's watch was armed before the last
// look, so a rename onto it or a write to it since would have named it; and the
// generation record changes only with the document (a commit stores it before its
// rename; a failed one leaves the old file, which the record's previous fields still
// resolve), so the last look's record and checksum still describe the file there, or
// one a rename still to come replaces, whose event makes the next look read it: too low
// then, never too high. A journal started again since (another header) takes the whole
// look.
struct State::Seen {
  bool doc_known = false;
  bool doc_quiet = false;  // set by the wait for the next look only
  platform::FileInfo doc;
  uint64_t checksum = 0;
  GenerationRecord record;
  JournalScan journal;
};

uint64_t State::committed_generation(Seen &seen) {
  const auto scan_journal = [this](const JournalScan &last) {
    JournalScan s = last.header_ok ? journal_.scan(last.end, &last.header, last.last_generation) : journal_.scan();
    s.payloads.clear();  // only their count and the last generation matter
    return s;
  };
  if (seen.doc_known && seen.doc_quiet && seen.journal.header_ok) {
    seen.doc_quiet = false;
    JournalScan now = scan_journal(seen.journal);
    if (now.header_ok && now.header == seen.journal.header) {
      seen.journal = std::move(now);
      return resolve_with_journal(seen.record, true, seen.checksum, seen.journal).generation;
    }
  }
  seen.doc_quiet = false;
  for (int attempt = 0;; ++attempt) {
    const GenerationRecord before = generation_->load();
    platform::FileInfo info;
    const bool unchanged = seen.doc_known && !platform::path_info(path_, info) && same_document(seen.doc, info);
    bool exists = true;
    if (!unchanged) {
      std::string bytes;
      exists = io::read_file(path_, bytes, &info);
      seen.doc_known = exists;
      seen.doc = info;
      seen.checksum = exists ? io::hash64(bytes) : 0;
    }
    seen.journal = scan_journal(seen.journal);
    const GenerationRecord after = generation_->load();
    if (same_record(before, after) || attempt >= kMaxRereads) {
      seen.record = after;
      return resolve_with_journal(after, exists, exists ? seen.checksum : 0, seen.journal).generation;
    }
  }
}

uint64_t State::wait_for_change(uint64_t after, int64_t timeout_ms, CancelToken *token) {
  if (timeout_ms < kForever) {
    throw_error(Status::invalid, "wait for a change", path_,
                "timeout " + std::to_string(timeout_ms) + " ms: use FL_NOWAIT, FL_FOREVER or a positive value");
  }
  // The last wait's watch and wake-up serve this one: closing an inotify instance waits
  // for the kernel to tear its watches down (an RCU grace period: hundreds of µs), and
  // the eventfd's close came between the wake-up and the return. What a forked child
  // inherited is the parent's too (one event queue, one counter): it makes its own.
  struct Kit {
    State &st;
    WaitKit kit;
    bool keep_watch = true;
    ~Kit() {
      if (!keep_watch || (kit.watch && kit.watch->native() == platform::kInvalidFile)) kit.watch.reset();
      if (!kit.wakeup || kit.wakeup->error()) return;  // one that could not be made is tried again
      std::lock_guard<std::mutex> lk(st.waits_mutex_);
      if (st.kept_wait_.wakeup) return;  // another wait's is kept: this one closes
      kit.fork_generation = platform::fork_generation();
      st.kept_wait_ = std::move(kit);
    }
  } kit{*this, {}};
  {
    std::lock_guard<std::mutex> lk(waits_mutex_);
    if (kept_wait_.fork_generation == platform::fork_generation()) kit.kit = std::move(kept_wait_);
    kept_wait_ = WaitKit{};
  }
  if (kit.kit.wakeup) {
    kit.kit.wakeup->drain();  // a signal meant for the wait that kept it
  } else {
    kit.kit.wakeup = std::make_unique<platform::Wakeup>();
    io::check_wakeup(*kit.kit.wakeup, path_);
  }
  ChangeWait wait(*kit.kit.wakeup);
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
  if (!kit.kit.watch)
    kit.kit.watch = std::make_unique<platform::DirectoryWatch>(io::dir_of(path_), io::base_of(path_),
                                                               platform::DirectoryWatch::Event::arrived);
  platform::DirectoryWatch &watch = *kit.kit.watch;
  bool watching = watch.native() != platform::kInvalidFile;
  bool &journal_watched = kit.kit.journal;
  Seen seen;
  while (true) {
    const uint64_t now_generation = committed_generation(seen);
    if (now_generation > after) return now_generation;
    // Journal commits touch only meta_dir/journal (each append closes it after writing).
    // It is created before the rename of the first checkpoint that starts it, so once
    // the generation read is that one's (or later) the journal is there to be watched,
    // on the same descriptor; read again once the watch is armed.
    if (!journal_watched && platform_exists(journal_.path())) {
      journal_watched = true;
      if (!watch.also_arrivals(io::dir_of(journal_.path()), io::base_of(journal_.path()))) {
        watching = false;  // re-check every retry interval
        kit.keep_watch = false;
      }
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
      const unsigned concerns = woke ? watch.drain() : platform::DirectoryWatch::kNone;
      if (concerns != platform::DirectoryWatch::kNone) {
        seen.doc_quiet = concerns == platform::DirectoryWatch::kAlso;
        if (!watch.complete()) {
          watching = false;  // re-check every retry interval from here on
          kit.keep_watch = false;
        }
        break;
      }
    }
  }
}

}  // namespace filelock::state

#include "io/fault.hpp"

#include <atomic>

namespace filelock::io {

namespace {
constexpr int kSteps = static_cast<int>(Step::count_);
// countdown[s] > 0: calls left before the failure; the armed flag keeps the fast path
// a single relaxed load when no test has injected anything.
std::atomic<bool> armed{false};
std::atomic<int> countdown[kSteps];
std::atomic<int> error_of[kSteps];
}  // namespace

void inject_fault(Step step, int nth, int err) noexcept {
  const int s = static_cast<int>(step);
  error_of[s].store(err);
  countdown[s].store(err == 0 ? 0 : nth);
  armed.store(true);
}

void clear_faults() noexcept {
  for (int s = 0; s < kSteps; ++s) countdown[s].store(0);
  armed.store(false);
}

int take_fault(Step step) noexcept {
  if (!armed.load(std::memory_order_relaxed)) return 0;
  const int s = static_cast<int>(step);
  int left = countdown[s].load();
  while (left > 0) {
    if (countdown[s].compare_exchange_weak(left, left - 1)) {
      return left == 1 ? error_of[s].load() : 0;
    }
  }
  return 0;
}

namespace {
std::atomic<PauseHook> pause_hook{nullptr};
}  // namespace

void set_pause_hook(PauseHook hook) noexcept { pause_hook.store(hook); }

void pause_point(Pause point) noexcept {
  if (PauseHook hook = pause_hook.load(std::memory_order_relaxed)) hook(point);
}

}  // namespace filelock::io

namespace filelock::io {

namespace {
Observer observer_fn = nullptr;
void *observer_context = nullptr;
}  // namespace

void set_observer(Observer observer, void *context) noexcept {
  observer_fn = observer;
  observer_context = context;
}

void observe(Step step, const std::string &path) {
  if (observer_fn != nullptr) observer_fn(step, path, observer_context);
}

}  // namespace filelock::io

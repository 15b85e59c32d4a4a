#include "io/observe.hpp"

#include <atomic>

namespace filelock::io {

namespace {
std::atomic<PauseHook> pause_hook{nullptr};
Observer observer_fn = nullptr;
void *observer_context = nullptr;
}  // namespace

void set_pause_hook(PauseHook hook) noexcept { pause_hook.store(hook); }

void pause_point(Pause point) noexcept {
  if (PauseHook hook = pause_hook.load(std::memory_order_relaxed)) hook(point);
}

void set_observer(Observer observer, void *context) noexcept {
  observer_fn = observer;
  observer_context = context;
}

void observe(Step step, const std::string &path) {
  if (observer_fn != nullptr) observer_fn(step, path, observer_context);
}

}  // namespace filelock::io

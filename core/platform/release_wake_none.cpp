// Systems without a release-wake table (all but Linux: see linux/release_wake.cpp): every
// slot is empty, so waits go to the kernel at once and nothing below is reached.
#include "platform/release_wake.hpp"

#ifndef __linux__

namespace filelock::platform {

ReleaseWake ReleaseWake::for_file(const FileInfo &) noexcept { return ReleaseWake(); }
void ReleaseWake::held() const noexcept {}
void ReleaseWake::released() const noexcept {}
uint32_t ReleaseWake::generation() const noexcept { return 0; }
bool ReleaseWake::sleepers() const noexcept { return false; }
int32_t ReleaseWake::waking_holder() const noexcept { return 0; }
ReleaseWake::Sleep ReleaseWake::sleep(uint32_t, Wakeup &, uint32_t,
                                      std::chrono::steady_clock::time_point) const noexcept {
  return Sleep::timed_out;
}
HolderWatch::HolderWatch(int32_t pid, const std::shared_ptr<Wakeup> &) noexcept : pid_(pid) {}
HolderWatch::~HolderWatch() = default;
bool HolderWatch::live() const noexcept { return false; }

}  // namespace filelock::platform

#endif

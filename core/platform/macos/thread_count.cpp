// The process's thread count on macOS: the Mach task's thread list.
#include <mach/mach.h>

#include "platform/threads.hpp"

namespace filelock::platform {

int thread_count() noexcept {
  thread_act_array_t threads = nullptr;
  mach_msg_type_number_t count = 0;
  if (::task_threads(::mach_task_self(), &threads, &count) != KERN_SUCCESS) return -1;
  for (mach_msg_type_number_t i = 0; i < count; ++i)
    ::mach_port_deallocate(::mach_task_self(), threads[i]);
  ::vm_deallocate(::mach_task_self(), reinterpret_cast<vm_address_t>(threads),
                  count * sizeof(thread_act_t));
  return static_cast<int>(count);
}

}  // namespace filelock::platform

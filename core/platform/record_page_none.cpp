// Systems without in-place records (all but Linux: see linux/record_page.cpp): every page
// is empty, so records go through write_at.
#include "platform/record_page.hpp"

#ifndef __linux__

namespace filelock::platform {

struct RecordStage {};

RecordPage RecordPage::map(NativeFile) noexcept { return RecordPage(); }
bool RecordPage::store(size_t) noexcept { return false; }
void RecordPage::release() noexcept {}
RecordPage::~RecordPage() = default;
RecordPage::RecordPage(RecordPage &&) noexcept {}
RecordPage &RecordPage::operator=(RecordPage &&) noexcept { return *this; }

}  // namespace filelock::platform

#endif

#include "lock/holder_record.hpp"

#include <cjson/cJSON.h>

#include <charconv>
#include <cstring>

namespace filelock {

namespace {

std::string json_string(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Room left for the acquisition time, "}" and the final newline.
constexpr size_t kTailRoom = 24;

}  // namespace

const char *backend_name(Backend backend) noexcept {
  switch (backend) {
    case Backend::automatic: return "auto";
    case Backend::flock: return "flock";
    case Backend::ofd: return "ofd";
    case Backend::posix: return "posix";
    case Backend::lockfile: return "lockfile";
    case Backend::lockdir: return "lockdir";
    case Backend::windows: return "windows";
  }
  return "unknown";
}

namespace {

// Linux allows any 64 bytes as a hostname; escaped, control characters take six bytes
// each and could push the record past its fixed size. Printable, and at most 64 bytes.
std::string record_host(const std::string &host) {
  std::string out = to_printable_utf8(host, true);
  while (out.size() > 64) {
    out.pop_back();
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  }
  return out;
}

}  // namespace

HolderRecordTemplate::HolderRecordTemplate(const platform::ProcessIdentity &self,
                                           const std::string &owner, const char *backend,
                                           uint64_t handle_id) {
  std::string head = "{\"pid\":" + std::to_string(self.pid) + ",\"host\":" + json_string(record_host(self.host)) +
                     ",\"start_time\":" + std::to_string(self.start_time) +
                     ",\"boot_id\":" + json_string(self.boot_id) +
                     ",\"backend\":" + json_string(backend) + ",\"mode\":\"exclusive\"";
  if (!self.machine_id.empty()) head += ",\"machine_id\":" + json_string(self.machine_id);
  if (self.pid_ns != 0) head += ",\"pid_ns\":" + std::to_string(self.pid_ns);
  if (handle_id != 0) head += ",\"handle\":" + std::to_string(handle_id);
  std::string tail = ",\"acquired_at\":";
  // An owner label too long for the record is cut (at a character, not inside an escape).
  std::string label = owner;
  while (!label.empty() &&
         head.size() + json_string(label).size() + 9 + tail.size() + kTailRoom > kHolderRecordSize) {
    label.pop_back();
    while (!label.empty() && (static_cast<unsigned char>(label.back()) & 0xC0) == 0x80)
      label.pop_back();
    if (!label.empty() && static_cast<unsigned char>(label.back()) >= 0xC0) label.pop_back();
  }
  prefix_ = head + (owner.empty() ? "" : ",\"owner\":" + json_string(label)) + tail;
}

void HolderRecordTemplate::render(int64_t acquired_at_ms, char *out) const noexcept {
  std::memset(out, ' ', kHolderRecordSize);
  std::memcpy(out, prefix_.data(), prefix_.size());
  // to_chars, not snprintf: this runs at every exclusive acquisition, and printf's
  // machinery was 3% of an uncontended lock+unlock.
  char *end = std::to_chars(out + prefix_.size(), out + kHolderRecordSize - 2, acquired_at_ms).ptr;
  *end = '}';
  out[kHolderRecordSize - 1] = '\n';
}

std::string HolderRecordTemplate::render(int64_t acquired_at_ms) const {
  std::string out(kHolderRecordSize, ' ');
  render(acquired_at_ms, out.data());
  return out;
}

void HolderRecordWriter::map_page(platform::NativeFile file) noexcept {
  if (!in_place_ || mapped_) return;
  mapped_ = true;
  page_ = platform::RecordPage::map(file);
}

void HolderRecordWriter::write(platform::NativeFile file) noexcept {
  const int64_t now = platform::wall_clock_ms();
  if (wrote_) map_page(file);
  wrote_ = true;
  if (page_) {
    record_.render(now, page_.stage());
    if (page_.store(kHolderRecordSize)) return;
  }
  // No page, or the file was cut short under it (another tool's O_TRUNC): the write also
  // gives the record its bytes back.
  record_.render(now, buf_);
  static_cast<void>(platform::write_at(file, 0, buf_, kHolderRecordSize));
}

bool parse_holder_record(const std::string &bytes, HolderRecord &out) {
  const char *end = nullptr;
  cJSON *root = cJSON_ParseWithLengthOpts(bytes.data(), bytes.size(), &end, 0);
  if (root == nullptr) return false;
  bool ok = cJSON_IsObject(root) && cJSON_IsNumber(cJSON_GetObjectItem(root, "pid"));
  if (ok) {
    auto num = [&](const char *k) {
      cJSON *v = cJSON_GetObjectItem(root, k);
      // Anyone may write a lock file: a number no int64 holds (1e300, NaN) reads as 0.
      if (!cJSON_IsNumber(v) || !(v->valuedouble > -9.2e18 && v->valuedouble < 9.2e18))
        return int64_t{0};
      return static_cast<int64_t>(v->valuedouble);
    };
    auto str = [&](const char *k) {
      cJSON *v = cJSON_GetObjectItem(root, k);
      return cJSON_IsString(v) ? std::string(v->valuestring) : std::string();
    };
    out.pid = num("pid");
    out.host = str("host");
    out.start_time = num("start_time");
    out.boot_id = str("boot_id");
    out.acquired_at = num("acquired_at");
    out.mode = str("mode");
    out.owner = str("owner");
    out.backend = str("backend");
    out.machine_id = str("machine_id");
    out.pid_ns = static_cast<uint64_t>(num("pid_ns"));
  }
  cJSON_Delete(root);
  return ok;
}

}  // namespace filelock

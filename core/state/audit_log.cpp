#include "state/audit_log.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "common/error.hpp"
#include "io/checksum.hpp"
#include "io/observe.hpp"
#include "io/file_io.hpp"
#include "platform/owner.hpp"
#include "platform/process.hpp"

namespace filelock::state {

namespace {


constexpr size_t kCrcTail = sizeof(",\"crc\":\"00000000\"}") - 1;

// Splits file contents into lines; a last line without '\n' is marked incomplete.
std::vector<std::string> lines_of(const std::string &text, bool &incomplete_tail) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start));
      incomplete_tail = true;
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Cuts a torn last line (a writer died mid-append) so the next line starts clean:
// done under the lock by the next writer, the log never holds a torn line anywhere
// but at its end, where readers skip it. Returns the size after the cut.
uint64_t drop_torn_tail(io::File file, uint64_t size, const std::string &path) {
  char last = '\n';
  size_t got = 0;
  if (size == 0 || platform::read_at(file, size - 1, &last, 1, got) || got != 1 || last == '\n') return size;
  std::string text;
  io::read_file(path, text);
  const size_t nl = text.rfind('\n');
  const uint64_t keep = nl == std::string::npos ? 0 : nl + 1;
  if (const platform::OsError e = platform::truncate(file, keep)) io::fail("truncate audit log", path, e);
  return keep;
}

// `text` as valid UTF-8, so every line is valid JSON (a path may hold any bytes, e.g.
// Latin-1 "caf\xe9.json"). A byte that is not part of a valid UTF-8 sequence becomes
// U+00XX with the same value (what \u00XX would say), not U+FFFD: the line still
// shows which byte it was, and Latin-1 names read right.
std::string valid_utf8(const std::string &text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n > 1 && i + n <= text.size()) {
      uint32_t code = c & (0xff >> (n + 1));
      for (size_t k = 1; k < n && n != 0; ++k) {
        const auto b = static_cast<unsigned char>(text[i + k]);
        if ((b & 0xc0) != 0x80) n = 0;
        else code = code << 6 | (b & 0x3f);
      }
      const uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
      if (n != 0 && (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))) n = 0;
    } else if (n > 1) {
      n = 0;
    }
    if (n == 0) {
      out += static_cast<char>(0xc0 | c >> 6);
      out += static_cast<char>(0x80 | (c & 0x3f));
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

io::File open_log(const std::string &path) {
  io::File file;
  if (const platform::OsError e = platform::open_write(path, platform::Create::if_missing, true, 0644, file))
    io::fail("open audit log", path, e);
  return file;
}

}  // namespace

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const int64_t micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const int64_t secs = micros / 1000000;
  // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm): no gmtime_r, which
  // not every platform's C library has.
  const int64_t z = secs / 86400 + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  const int64_t sod = secs % 86400;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", year, month, day,
                static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                static_cast<int>(sod % 60), static_cast<int>(micros % 1000000));
  return buf;
}

std::string AuditLog::format(const AuditEntry &e) {
  static const std::string host = platform::host_name();
  json::Doc rec(cJSON_CreateObject());
  if (!rec) throw std::bad_alloc();
  cJSON_AddStringToObject(rec.get(), "time", utc_now().c_str());
  cJSON_AddRawToObject(rec.get(), "generation", std::to_string(e.generation).c_str());
  cJSON_AddStringToObject(rec.get(), "op", valid_utf8(e.op).c_str());
  cJSON_AddBoolToObject(rec.get(), "ok", e.ok);
  cJSON_AddRawToObject(rec.get(), "pid", std::to_string(platform::current_pid()).c_str());
  cJSON_AddStringToObject(rec.get(), "host", valid_utf8(host).c_str());
  if (e.owner.empty()) cJSON_AddNullToObject(rec.get(), "owner");
  else cJSON_AddStringToObject(rec.get(), "owner", valid_utf8(e.owner).c_str());
  cJSON *changed = cJSON_AddArrayToObject(rec.get(), "changed");
  for (const auto &c : e.changed) cJSON_AddItemToArray(changed, cJSON_CreateString(valid_utf8(c).c_str()));
  if (e.error.empty()) cJSON_AddNullToObject(rec.get(), "error");
  else cJSON_AddStringToObject(rec.get(), "error", valid_utf8(e.error).c_str());
  std::string body = json::print(rec.get(), false);
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", io::crc32(body));
  body.pop_back();  // the closing '}': the checksum is the last member
  return body + ",\"crc\":\"" + crc + "\"}\n";
}

json::Doc AuditLog::parse_line(const std::string &line) {
  // The frame around the checksum is compared byte for byte: the checksum covers the
  // body only, so a damaged closing '"}' would otherwise pass.
  if (line.size() < kCrcTail + 2 || line.compare(line.size() - kCrcTail, 8, ",\"crc\":\"") != 0 ||
      line.compare(line.size() - 2, 2, "\"}") != 0) {
    return nullptr;
  }
  const std::string body = line.substr(0, line.size() - kCrcTail) + "}";
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", io::crc32(body));
  if (line.compare(line.size() - 10, 8, crc) != 0) return nullptr;
  try {
    return json::parse(body);
  } catch (const json::JsonError &) {
    return nullptr;
  }
}

AuditLog::~AuditLog() { close_open(); }

void AuditLog::close_open() noexcept {
  if (open_) platform::close(file_);
  open_ = false;
  prepared_ = false;
  end_ = UINT64_MAX;
}

bool AuditLog::still_open(uint64_t &size) const {
  platform::FileInfo st;
  if (!open_ || platform::path_info(path_, st) || st.dev != dev_ || st.ino != ino_) return false;
  size = st.size;
  return true;
}

void AuditLog::open_fresh(uint64_t &size) {
  close_open();
  file_ = open_log(path_);
  open_ = true;
  platform::FileInfo st;
  if (const platform::OsError e = platform::info(file_, st)) {
    close_open();
    io::fail("stat audit log", path_, e);
  }
  dev_ = st.dev;
  ino_ = st.ino;
  size = st.size;
}

void AuditLog::prepare() {
  uint64_t size = 0;
  if (!still_open(size)) open_fresh(size);
  prepared_ = true;
  prepared_size_ = size;
}

// A kept line is at most this many bytes behind: past it the oldest are dropped (and
// the count says so) rather than letting memory grow while the log stays unwritable.
constexpr size_t kMaxPending = 1 << 20;

void AuditLog::append(const AuditEntry &entry, bool keep) {
  const std::string own = format(entry);
  try {
    append_text(pending_ + own);
  } catch (const Error &e) {
    if (keep) {
      if (pending_.size() + own.size() <= kMaxPending) pending_ += own;
      ++pending_count_;
      pending_reason_ = e.what();
    }
    throw;
  }
  pending_.clear();
  pending_count_ = 0;
  pending_reason_.clear();
}

void AuditLog::append_text(const std::string &line) {
  uint64_t size = 0;
  if (prepared_) {
    // Checked by prepare() under the lock still held: no second stat.
    size = prepared_size_;
    prepared_ = false;
  } else if (!still_open(size)) {
    open_fresh(size);
  }
  if (max_bytes_ > 0 && size > 0 && size + line.size() > static_cast<uint64_t>(max_bytes_)) {
    close_open();
    try {
      // Housekeeping must not cost the entry or a commit's time: if the log cannot be
      // moved now (on Windows a viewer holding it open without delete sharing blocks
      // the rename), the line goes to the current file and a later append rotates.
      io::rename_file(path_, path_ + ".1", false);
    } catch (const Error &) {
    }
    open_fresh(size);
  }
  try {
    if (size != end_) size = drop_torn_tail(file_, size, path_);
    // Under the lock: the lines land whole or, on error, are cut back off.
    size_t written = 0;
    if (const platform::OsError e = platform::write_append(file_, line, written)) {
      // Should even the cut fail, the next append's drop_torn_tail() does it.
      if (written > 0) platform::truncate(file_, size);
      io::fail("append to audit log", path_, e);
    }
  } catch (...) {
    close_open();
    throw;
  }
  // Not fsynced (see the header).
  end_ = size + line.size();
  io::observe(io::Step::log_append, path_);
}

LogScan AuditLog::scan(size_t want) const {
  LogScan result;
  for (size_t f = 0; f < 2; ++f) {
    const std::string file = f == 0 ? path_ : path_ + ".1";
    std::string text;
    if (!io::read_file(file, text)) continue;
    bool incomplete = false;
    const auto lines = lines_of(text, incomplete);
    std::vector<json::Doc> records;
    for (size_t i = 0; i < lines.size(); ++i) {
      const size_t zero = lines[i].rfind('\0');
      if (zero != std::string::npos) {
        // No line holds a zero byte (strings escape it): a power cut kept a later
        // append's size but not the blocks of earlier ones (XFS, ext4 data=writeback),
        // which read as zeros. Those lines are lost, not damaged; what follows the last
        // zero is kept when it is a whole line.
        result.zero_filled = true;
        if (json::Doc rec = parse_line(lines[i].substr(zero + 1))) records.push_back(std::move(rec));
        continue;
      }
      json::Doc rec = parse_line(lines[i]);
      if (!rec) {
        // Only a last line without its '\n' is a crash mid-append (the writer adds
        // the newline last); a damaged complete line is damage, wherever it is.
        if (i + 1 == lines.size() && incomplete) {
          result.torn_tail = true;
          continue;
        }
        if (result.damaged_line == 0) {
          result.damaged_line = static_cast<long>(i + 1);
          result.damaged_file = file;
        }
        continue;
      }
      records.push_back(std::move(rec));
    }
    // Older file's records go before the newer ones.
    for (auto &r : result.records) records.push_back(std::move(r));
    result.records = std::move(records);
    if (result.records.size() >= want) break;
  }
  return result;
}

}  // namespace filelock::state

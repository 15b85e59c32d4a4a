#include "state/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/error.hpp"
#include "io/checksum.hpp"
#include "io/fault.hpp"
#include "io/file_io.hpp"

namespace filelock::state {

namespace {

constexpr size_t kCrcTail = sizeof(",\"crc\":\"00000000\"}") - 1;

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

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

// Cuts a torn last line (a writer died mid-append) so the next line starts clean.
void drop_torn_tail(int fd, off_t size, const std::string &path) {
  char last = '\n';
  if (size == 0 || ::pread(fd, &last, 1, size - 1) != 1 || last == '\n') return;
  std::string text;
  io::read_file(path, text);
  const size_t nl = text.rfind('\n');
  const off_t keep = nl == std::string::npos ? 0 : static_cast<off_t>(nl + 1);
  if (::ftruncate(fd, keep) != 0) throw_os_error("truncate audit log", path, errno);
}

}  // namespace

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(micros % 1000000));
  return buf;
}

std::string AuditLog::format(const AuditEntry &e) {
  static const std::string host = host_name();
  json::Doc rec(cJSON_CreateObject());
  if (!rec) throw std::bad_alloc();
  cJSON_AddStringToObject(rec.get(), "time", utc_now().c_str());
  cJSON_AddRawToObject(rec.get(), "generation", std::to_string(e.generation).c_str());
  cJSON_AddStringToObject(rec.get(), "op", e.op.c_str());
  cJSON_AddBoolToObject(rec.get(), "ok", e.ok);
  cJSON_AddRawToObject(rec.get(), "pid", std::to_string(::getpid()).c_str());
  cJSON_AddStringToObject(rec.get(), "host", host.c_str());
  if (e.owner.empty()) cJSON_AddNullToObject(rec.get(), "owner");
  else cJSON_AddStringToObject(rec.get(), "owner", e.owner.c_str());
  cJSON *changed = cJSON_AddArrayToObject(rec.get(), "changed");
  for (const auto &c : e.changed) cJSON_AddItemToArray(changed, cJSON_CreateString(c.c_str()));
  if (e.error.empty()) cJSON_AddNullToObject(rec.get(), "error");
  else cJSON_AddStringToObject(rec.get(), "error", e.error.c_str());
  std::string body = json::print(rec.get(), false);
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", io::crc32(body));
  body.pop_back();  // the closing '}': the checksum is the last member
  return body + ",\"crc\":\"" + crc + "\"}\n";
}

json::Doc AuditLog::parse_line(const std::string &line) {
  if (line.size() < kCrcTail + 2 || line.compare(line.size() - kCrcTail, 8, ",\"crc\":\"") != 0) {
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

void AuditLog::append(const AuditEntry &entry) {
  const std::string line = format(entry);
  int fd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) throw_os_error("open audit log", path_, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw_os_error("stat audit log", path_, err);
  }
  if (max_bytes_ > 0 && st.st_size > 0 && st.st_size + static_cast<off_t>(line.size()) > max_bytes_) {
    ::close(fd);
    io::rename_file(path_, path_ + ".1");
    fd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) throw_os_error("open audit log", path_, errno);
    st.st_size = 0;
  }
  try {
    drop_torn_tail(fd, st.st_size, path_);
    if (const int err = io::take_fault(io::Step::log_append)) throw_os_error("append to audit log", path_, err);
    // One write() under the lock: the line lands whole or, on error, is cut back off.
    ssize_t n;
    do {
      n = ::write(fd, line.data(), line.size());
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(line.size())) {
      const int err = n < 0 ? errno : ENOSPC;
      if (n > 0) {
        // Cut the partial line back off; should even that fail, the next append's
        // drop_torn_tail() does it.
        const int ignored = ::ftruncate(fd, st.st_size);
        (void)ignored;
      }
      throw_os_error("append to audit log", path_, err);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);  // not fsynced (see the header): a close error cannot lose more than that
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
      json::Doc rec = parse_line(lines[i]);
      if (!rec) {
        if (i + 1 == lines.size() && f == 0) {
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

#include "state/journal.hpp"

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "io/checksum.hpp"
#include "io/file_io.hpp"
#include "io/observe.hpp"
#include "platform/file.hpp"

namespace filelock::state {

namespace {

constexpr uint64_t kMagic = 0x3130304E524A4C46ULL;  // "FLJRN001"
// A record larger than this is damage, not a commit (it would not fit in memory anyway).
constexpr uint64_t kMaxPayload = uint64_t{1} << 40;

uint64_t word_at(const std::string &buf, size_t at) {
  uint64_t v;
  std::memcpy(&v, buf.data() + at, sizeof v);
  return v;
}

// Whether a whole record of `generation` starts anywhere in body after `p` (the one
// after a record that failed its checksum, whose size field cannot be trusted).
bool record_follows(const std::string &body, size_t p, uint64_t generation) {
  for (size_t q = p + 1; q + Journal::kRecordOverhead <= body.size(); ++q) {
    if (word_at(body, q + 8) != generation) continue;
    const uint64_t payload = word_at(body, q);
    if (payload > body.size() - q - Journal::kRecordOverhead) continue;
    if (word_at(body, q + 16 + payload) == io::hash64(std::string_view(body.data() + q, 16 + payload)))
      return true;
  }
  return false;
}

void put_word(std::string &buf, uint64_t v) { buf.append(reinterpret_cast<const char *>(&v), sizeof v); }

std::string header_bytes(const JournalHeader &h) {
  std::string out;
  put_word(out, kMagic);
  put_word(out, h.base_generation);
  put_word(out, h.base_checksum);
  put_word(out, io::hash64(out));
  return out;
}

// `size` bytes at `offset` (fewer at the end of the file).
std::string read_range(platform::NativeFile f, uint64_t offset, uint64_t size, const std::string &path) {
  std::string out(size, '\0');
  size_t have = 0;
  while (have < size) {
    size_t got = 0;
    if (const platform::OsError e = platform::read_at(f, offset + have, &out[have], size - have, got)) {
      io::fail("read journal", path, e);
    }
    if (got == 0) break;
    have += got;
  }
  out.resize(have);
  return out;
}

}  // namespace

struct Journal::Reader {
  platform::NativeFile f = platform::kInvalidFile;
  ~Reader() {
    if (f != platform::kInvalidFile) platform::close(f);
  }
};

// Empty when there is no journal.
std::shared_ptr<Journal::Reader> Journal::reader(bool fresh) const {
  std::lock_guard<std::mutex> lk(reader_mutex_);
  if (reader_ && !fresh) return reader_;
  reader_.reset();
  auto r = std::make_shared<Reader>();
  if (const platform::OsError e = platform::open_read(path_, r->f)) {
    if (e.err == ENOENT) return nullptr;
    io::fail("open journal", path_, e);
  }
  reader_ = r;
  return r;
}

JournalScan Journal::scan(uint64_t from, const JournalHeader *known, uint64_t last) const {
  JournalScan s;
  platform::FileInfo info;
  // No timestamps: reading them would make the next append update the inode.
  auto stat = [&](const Reader &r) {
    platform::OsError e = platform::link_info(r.f, info);
    if (!e && !info.regular) e = platform::OsError{platform::kNotRegularFile, 0, nullptr};
    if (e) io::fail("stat journal", path_, e);
  };
  std::shared_ptr<Reader> r = reader(false);
  if (!r) return s;
  stat(*r);
  if (info.nlink == 0) {  // removed or replaced since the last scan: the file there now
    r = reader(true);
    if (!r) return s;
    stat(*r);
  }
  const platform::NativeFile f = r->f;
  s.exists = true;
  s.size = info.size;
  const std::string head = read_range(f, 0, kHeaderSize, path_);
  if (head.size() < kHeaderSize || word_at(head, 0) != kMagic ||
      word_at(head, 24) != io::hash64(std::string_view(head.data(), 24))) {
    s.end = 0;
    if (s.size != 0) s.tail_error = "the header is incomplete or damaged";
    return s;
  }
  s.header_ok = true;
  s.header = {word_at(head, 8), word_at(head, 16)};
  uint64_t at = kHeaderSize;
  s.last_generation = s.header.base_generation;
  if (from > kHeaderSize && known != nullptr && *known == s.header && from <= s.size) {
    at = from;
    s.last_generation = last;
  }
  s.from = at;
  // Read up to the size seen; an append landing meanwhile is read next time.
  const std::string body = read_range(f, at, s.size - at, path_);
  s.size = at + body.size();
  size_t p = 0;
  bool torn_checksum = false;
  while (p < body.size()) {
    if (body.size() - p < kRecordOverhead) {
      s.tail_error = "the last record is incomplete (a crash mid-append)";
      break;
    }
    const uint64_t payload = word_at(body, p);
    const uint64_t generation = word_at(body, p + 8);
    if (payload > kMaxPayload || body.size() - p - kRecordOverhead < payload) {
      s.tail_error = payload > kMaxPayload ? "a record's size is damaged"
                                           : "the last record is incomplete (a crash mid-append)";
      break;
    }
    const uint64_t sum = word_at(body, p + 16 + payload);
    if (sum != io::hash64(std::string_view(body.data() + p, 16 + payload))) {
      s.tail_error = "the record after generation " + std::to_string(s.last_generation) +
                     " fails its checksum (torn or damaged)";
      torn_checksum = true;
      break;
    }
    if (generation != s.last_generation + 1) {
      s.tail_error = "a record holds generation " + std::to_string(generation) + " after " +
                     std::to_string(s.last_generation);
      break;
    }
    s.payloads.emplace_back(body.data() + p + 16, payload);
    s.last_generation = generation;
    p += kRecordOverhead + payload;
  }
  s.end = at + p;
  if (!s.tail_error.empty() && s.tail_error.find("incomplete") == std::string::npos) {
    const bool zeros = body.find_first_not_of('\0', p) == std::string::npos;
    // A record that fails its checksum is damage only if a good one follows it: a power
    // cut may tear the last append anywhere (its sectors written or zero in any order),
    // and the next commit cuts that off.
    s.tail_damaged = !zeros && (!torn_checksum || record_follows(body, p, s.last_generation + 2));
    if (zeros) s.tail_error = "the last record is zero bytes (lost to a power cut)";
  }
  return s;
}

void Journal::create_if_missing(bool durable) {
  platform::FileInfo info;
  if (!platform::path_info(path_, info)) return;
  platform::NativeFile f = platform::kInvalidFile;
  if (const platform::OsError e = platform::open_write(path_, platform::Create::if_missing, false, 0644, f)) {
    io::fail("create journal", path_, e);
  }
  io::close_file(f, path_);
  io::observe(io::Step::create, path_);
  if (durable) io::sync_dir(io::dir_of(path_));
}

void Journal::reset(const JournalHeader &header, bool durable) {
  platform::NativeFile f = platform::kInvalidFile;
  if (const platform::OsError e = platform::open_write(path_, platform::Create::if_missing, false, 0644, f)) {
    io::fail("open journal", path_, e);
  }
  try {
    // Cut first: a crash between the two leaves an empty journal, which is none.
    if (const platform::OsError e = platform::truncate(f, 0)) io::fail("truncate journal", path_, e);
    const std::string head = header_bytes(header);
    if (const platform::OsError e = platform::write_at(f, 0, head.data(), head.size())) {
      io::fail("write journal", path_, e);
    }
    io::observe(io::Step::pwrite, path_);
    if (durable) io::sync_file(f, path_);
  } catch (...) {
    platform::close(f);
    throw;
  }
  // Closed after writing, so a directory watch on meta_dir sees the change (waiters).
  io::close_file(f, path_);
}

void Journal::append(uint64_t end, uint64_t generation, std::string_view payload, bool durable) {
  std::string record;
  record.reserve(record_size(payload.size()));
  put_word(record, payload.size());
  put_word(record, generation);
  record.append(payload);
  put_word(record, io::hash64(record));
  platform::NativeFile f = platform::kInvalidFile;
  platform::FileInfo info;
  if (const platform::OsError e = platform::open_write(path_, platform::Create::never, false, 0644, f, &info)) {
    io::fail("open journal", path_, e);
  }
  bool written = false;
  try {
    // A torn tail of a crashed append: cut off, so the new record follows the last good one.
    if (info.size > end) {
      if (const platform::OsError e = platform::truncate(f, end)) io::fail("truncate journal", path_, e);
    }
    written = true;  // from here a failure may leave part of the record behind
    if (const platform::OsError e = platform::write_at(f, end, record.data(), record.size())) {
      io::fail("append to journal", path_, e);
    }
    io::observe(io::Step::write, path_);
    if (durable) io::sync_file(f, path_);
  } catch (...) {
    // Refused commits leave no record readers could take: cut back to where it began.
    if (written) (void)platform::truncate(f, end);
    platform::close(f);
    throw;
  }
  // Closed after writing, so a directory watch on meta_dir sees the append (waiters).
  // A failed close can carry a deferred write error: the record is cut back then too.
  if (const platform::OsError e = platform::close_checked(f)) {
    platform::NativeFile again = platform::kInvalidFile;
    if (!platform::open_write(path_, platform::Create::never, false, 0644, again)) {
      (void)platform::truncate(again, end);
      platform::close(again);
    }
    io::fail("close journal", path_, e);
  }
}

ResolvedGeneration resolve_with_journal(const GenerationRecord &record, bool exists, uint64_t checksum,
                                        const JournalScan &journal) {
  ResolvedGeneration r;
  r.file_generation = exists ? GenerationFile::resolve(record, checksum) : record.generation;
  r.generation = r.file_generation;
  if (!journal.header_ok || !exists) return r;
  if (journal.header == JournalHeader{r.file_generation, checksum}) {
    r.journal_applies = true;
    r.generation = journal.last_generation;
    return r;
  }
  const bool outside_edit = checksum != record.checksum && checksum != record.previous_checksum;
  if (outside_edit && journal.last_generation >= r.generation) r.generation = journal.last_generation + 1;
  return r;
}

}  // namespace filelock::state

#include "power_cut_model_posix.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstddef>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif

#include "state_test_util.hpp"

namespace filelock::state::powercut {

namespace {

struct Node {
  uint64_t dev = 0, ino = 0;
  bool regular = false;
  int64_t born = 0;  // ns; 0 where the file system keeps no birth time
};

// The birth time tells a reused inode number from the file it named before.
Node node_of(const std::string &path) {
#ifdef __linux__
  struct statx st {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_TYPE | STATX_BTIME, &st) != 0) return {};
  const int64_t born = (st.stx_mask & STATX_BTIME) != 0
                           ? static_cast<int64_t>(st.stx_btime.tv_sec) * 1000000000 + st.stx_btime.tv_nsec
                           : 0;
  return {makedev(st.stx_dev_major, st.stx_dev_minor), st.stx_ino, S_ISREG(st.stx_mode), born};
#else  // the BSDs and macOS keep a birth time in struct stat
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  const int64_t born = static_cast<int64_t>(st.st_birthtimespec.tv_sec) * 1000000000 + st.st_birthtimespec.tv_nsec;
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), S_ISREG(st.st_mode), born};
#endif
}

const char *step_name(io::Step step) {
  switch (step) {
    case io::Step::create: return "create";
    case io::Step::write: return "write";
    case io::Step::fsync: return "fsync";
    case io::Step::close: return "close";
    case io::Step::link: return "link";
    case io::Step::rename: return "rename";
    case io::Step::dir_fsync: return "fsync dir";
    case io::Step::log_append: return "log append";
    case io::Step::pwrite: return "pwrite";
    default: return "call";
  }
}

std::string base(const std::string &path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void observe_recorder(io::Step step, const std::string &path, void *context) {
  static_cast<Recorder *>(context)->on_step(step, path);
}

// Whether `later` may persist only after `earlier`: both name operations on one entry,
// or both data operations on one file.
bool ordered(const Op &earlier, const Op &later) {
  if (earlier.names != later.names) return false;
  if (!earlier.names) return earlier.object == later.object;
  if (earlier.dir != later.dir) return false;
  for (const auto &[a, unused_a] : earlier.set) {
    for (const auto &[b, unused_b] : later.set) {
      if (a == b) return true;
    }
  }
  return false;
}

bool is_append(const Op &op) {
  return !op.names && op.after.size() > op.before.size() && op.after.compare(0, op.before.size(), op.before) == 0;
}

}  // namespace

Recorder::Recorder(std::string root, std::vector<std::string> dirs, uint64_t generation, uint64_t may_reach)
    : root_(std::move(root)), dirs_(std::move(dirs)), min_generation_(generation), max_generation_(may_reach) {
  prev_ = snapshot();
  durable_dirs_ = prev_.dirs;  // the start is durable: the test synced it
  durable_data_ = prev_.data;
  take_cuts("start");
  io::set_observer(observe_recorder, this);
}

Recorder::~Recorder() { stop(); }

void Recorder::stop() {
  if (observing_) io::set_observer(nullptr, nullptr);
  observing_ = false;
}

void Recorder::begin(uint64_t may_reach) { max_generation_ = may_reach; }

// Each return is a step of its own: what the call did after its last I/O step (the
// unlinks of a rotation) is seen before the next call can reuse an inode number.
void Recorder::returned(uint64_t generation) {
  min_generation_ = max_generation_ = generation;
  on_step(io::Step::count_, "(returned)");
}

void Recorder::durable_file(const std::string &dir, const std::string &name, const std::string &bytes) {
  durable_files_.push_back({dir, {name, bytes}});
  on_step(io::Step::count_, "(returned)");
}

Recorder::Snapshot Recorder::snapshot() {
  Snapshot s;
  std::map<std::pair<uint64_t, int64_t>, Object> live;
  for (const auto &d : dirs_) {
    Listing &names = s.dirs[d];
    for (const auto &name : statetest::entries(abs(d))) {
      const std::string path = abs(d) + "/" + name;
      const Node n = node_of(path);
      if (!n.regular) continue;
      auto it = live.find({n.ino, n.born});
      if (it == live.end()) {
        const auto known = objects_.find({n.ino, n.born});
        const Object id = known != objects_.end() ? known->second : next_object_++;
        it = live.emplace(std::make_pair(n.ino, n.born), id).first;
        s.data[id] = statetest::slurp(path);
      }
      names[name] = it->second;
    }
  }
  // An inode gone from every listing is freed: if its number comes back, it is another file.
  objects_ = std::move(live);
  return s;
}

void Recorder::diff(const Snapshot &now) {
  for (const auto &d : dirs_) {
    const Listing &before = prev_.dirs[d];
    const Listing &after = now.dirs.at(d);
    std::vector<std::pair<std::string, Object>> changes;
    for (const auto &[name, id] : after) {
      const auto it = before.find(name);
      if (it == before.end() || it->second != id) changes.emplace_back(name, id);
    }
    for (const auto &[name, id] : before) {
      if (after.count(name) == 0) changes.emplace_back(name, 0);
    }
    // A name removed while another took its object is one rename: atomic.
    std::vector<bool> used(changes.size(), false);
    for (size_t i = 0; i < changes.size(); ++i) {
      if (used[i]) continue;
      Op op;
      op.names = true;
      op.dir = d;
      op.set.push_back(changes[i]);
      used[i] = true;
      const Object moved = changes[i].second != 0 ? changes[i].second : before.at(changes[i].first);
      for (size_t j = i + 1; j < changes.size(); ++j) {
        if (used[j]) continue;
        const bool removal_of_moved = changes[j].second == 0 && before.at(changes[j].first) == moved &&
                                      changes[i].second == moved;
        const bool target_of_moved = changes[i].second == 0 && changes[j].second == moved;
        if (removal_of_moved || target_of_moved) {
          op.set.push_back(changes[j]);
          used[j] = true;
          break;
        }
      }
      pending_.push_back(std::move(op));
    }
  }
  for (const auto &[id, bytes] : now.data) {
    const auto it = prev_.data.find(id);
    const std::string old = it == prev_.data.end() ? "" : it->second;
    if (old == bytes) continue;
    Op op;
    op.object = id;
    for (const auto &[d, names] : now.dirs) {
      for (const auto &[name, object] : names) {
        if (object == id) op.name = name;
      }
    }
    op.before = old;
    op.after = bytes;
    pending_.push_back(std::move(op));
  }
}

void Recorder::on_step(io::Step step, const std::string &path) {
  Snapshot now = snapshot();
  diff(now);
  if (step == io::Step::fsync) {
    const Node n = node_of(path);
    const auto it = objects_.find({n.ino, n.born});
    if (it != objects_.end()) {
      durable_data_[it->second] = now.data[it->second];
      std::vector<Op> left;
      for (auto &op : pending_) {
        if (op.names || op.object != it->second) left.push_back(std::move(op));
      }
      pending_ = std::move(left);
    }
  }
  if (step == io::Step::dir_fsync) {
    const Node synced = node_of(path);
    for (const auto &d : dirs_) {
      const Node n = node_of(abs(d));
      if (n.dev != synced.dev || n.ino != synced.ino) continue;
      durable_dirs_[d] = now.dirs[d];
      std::vector<Op> left;
      for (auto &op : pending_) {
        if (!op.names || op.dir != d) left.push_back(std::move(op));
      }
      pending_ = std::move(left);
    }
  }
  prev_ = std::move(now);
  ++steps_;
  take_cuts("step " + std::to_string(steps_) + " (" + step_name(step) + " " + base(path) + ")");
}

DiskImage Recorder::image_of(const Snapshot &s) const {
  DiskImage out;
  for (const auto &d : dirs_) {
    auto &files = out[d];
    for (const auto &[name, id] : s.dirs.at(d)) files[name] = s.data.at(id);
  }
  return out;
}

DiskImage Recorder::image(const std::vector<bool> &keep, Persist how) const { return image(keep, how, Tear{}); }

DiskImage Recorder::image(const std::vector<bool> &wanted, Persist how, Tear tear) const {
  // What may persist: an operation whose predecessors on the same name or file did
  // (with holes: a file's data in any order).
  std::vector<bool> keep = wanted;
  for (size_t i = 0; i < pending_.size(); ++i) {
    for (size_t j = 0; j < i && keep[i]; ++j) {
      const bool same_file_data = !pending_[i].names && !pending_[j].names;
      if (!keep[j] && ordered(pending_[j], pending_[i]) && !(how == Persist::holes && same_file_data)) {
        keep[i] = false;
      }
    }
  }
  std::map<std::string, Listing> dirs = durable_dirs_;
  std::map<Object, std::string> data = durable_data_;
  std::map<Object, size_t> last_write;
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (!keep[i]) continue;
    const Op &op = pending_[i];
    if (op.names) {
      for (const auto &[name, id] : op.set) {
        if (id == 0) dirs[op.dir].erase(name);
        else dirs[op.dir][name] = id;
      }
      continue;
    }
    std::string &bytes = data[op.object];
    if (i == tear.op && tear.zeroed) {
      bytes = op.after;
      std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(op.before.size() + tear.length), bytes.end() - 8, '\0');
    } else if (i == tear.op) {
      bytes = is_append(op) ? op.after.substr(0, op.before.size() + tear.length) : op.after.substr(0, tear.length);
    } else if (how == Persist::holes && is_append(op)) {
      // An earlier append that did not persist reads as zeros below this one's size.
      bytes.resize(op.before.size(), '\0');
      bytes += op.after.substr(op.before.size());
    } else {
      bytes = op.after;
    }
    last_write[op.object] = i;
  }
  if (how == Persist::torn) {
    // The last kept append of each file, half written (a torn audit line).
    for (const auto &[id, i] : last_write) {
      const Op &op = pending_[i];
      if (is_append(op) && op.after.size() > op.before.size() + 1) {
        data[id] = op.after.substr(0, op.before.size() + (op.after.size() - op.before.size()) / 2);
      }
    }
  }
  DiskImage out;
  for (const auto &d : dirs_) {
    auto &files = out[d];
    for (const auto &[name, id] : dirs[d]) {
      const auto it = data.find(id);
      files[name] = it == data.end() ? "" : it->second;  // never synced: empty
    }
  }
  return out;
}

// Per cut point, at most 5 + 4n states from the n pending operations: none kept, all,
// all with the last appends torn, names only, data only, each one dropped, each one
// alone, each program-order prefix, each append dropped with the later ones of its file
// kept (a hole); and every subset when n <= 5.
void Recorder::take_cuts(const std::string &label) {
  const size_t n = pending_.size();
  const auto add = [&](const std::string &variant, const std::vector<bool> &keep, Persist how = Persist::in_order) {
    add_cut(label + ", " + variant, image(keep, how));
  };
  add("only what was synced", std::vector<bool>(n, false));
  add("every pending operation", std::vector<bool>(n, true));
  add("every pending operation, last appends torn", std::vector<bool>(n, true), Persist::torn);
  std::vector<bool> names(n), data(n);
  for (size_t i = 0; i < n; ++i) names[i] = pending_[i].names, data[i] = !pending_[i].names;
  add("names only", names);
  add("data only", data);
  for (size_t i = 0; i < n; ++i) {
    std::vector<bool> all_but(n, true), alone(n, false), prefix(n, false);
    all_but[i] = false;
    alone[i] = true;
    for (size_t j = 0; j < i; ++j) prefix[j] = true;
    add("all but pending #" + std::to_string(i), all_but);
    add("only pending #" + std::to_string(i), alone);
    add("first " + std::to_string(i) + " pending", prefix);
    if (is_append(pending_[i])) add("all but pending #" + std::to_string(i) + ", a hole in its place", all_but, Persist::holes);
  }
  take_tears(label);
  if (n <= 5) {
    for (unsigned mask = 0; mask < (1u << n); ++mask) {
      std::vector<bool> keep(n);
      for (size_t i = 0; i < n; ++i) keep[i] = (mask >> i & 1u) != 0;
      add("subset " + std::to_string(mask), keep);
    }
  }
  if (image(std::vector<bool>(n, true), Persist::in_order) != image_of(prev_)) model_errors_.push_back(label);
}

// Each pending data operation on a file named in tear_names_ torn at every byte
// (stride), with every other pending operation kept but the later ones on that file.
void Recorder::take_tears(const std::string &label) {
  const size_t n = pending_.size();
  for (size_t i = 0; i < n; ++i) {
    const Op &op = pending_[i];
    if (op.names || tear_names_.count(op.name) == 0) continue;
    std::vector<bool> keep(n, true);
    for (size_t j = i + 1; j < n; ++j) {
      if (ordered(op, pending_[j])) keep[j] = false;
    }
    const size_t added = is_append(op) ? op.after.size() - op.before.size() : op.after.size();
    for (size_t length = 0; length < added; length += tear_stride_) {
      add_cut(label + ", pending #" + std::to_string(i) + " (" + op.name + ") torn after " + std::to_string(length) +
                  " bytes",
              image(keep, Persist::in_order, {i, length, false}));
    }
    for (size_t length = 0; is_append(op) && length + 8 < added; length += 8) {
      add_cut(label + ", pending #" + std::to_string(i) + " (" + op.name + ") zeros from byte " +
                  std::to_string(length) + " to its last word",
              image(keep, Persist::in_order, {i, length, true}), true);
    }
  }
}

void Recorder::add_cut(const std::string &label, DiskImage image, bool zeroed_record) {
  ++built_;
  Cut cut{label, std::move(image), min_generation_, max_generation_, zeroed_record, {}};
  for (const auto &[dir, file] : durable_files_) {
    const auto &live = prev_.dirs[dir];
    const auto it = live.find(file.first);
    if (it != live.end() && prev_.data[it->second] == file.second) cut.durable[{dir, file.first}] = file.second;
  }
  std::string key = std::to_string(cut.min_generation) + "/" + std::to_string(cut.max_generation) + (zeroed_record ? "z" : "");
  for (const auto &[file, bytes] : cut.durable) key += "|" + file.first + "/" + file.second;
  for (const auto &[dir, files] : cut.image) {
    for (const auto &[name, bytes] : files) key += std::string("\0", 1) + dir + "/" + name + '\0' + bytes;
  }
  if (seen_.insert(std::move(key)).second) cuts_.push_back(std::move(cut));
}

}  // namespace filelock::state::powercut

// A small benchmark harness: interleaved rounds, medians, percentiles, and one
// "name value" line per figure so bench/report.py can build the table.
//
// Variants that are compared as a ratio run interleaved (A, B, C, A, B, C, ...):
// on a shared, noisy machine drift then hits every variant alike instead of
// whichever happened to run during a busy second.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace bench {

inline double now_us() {
  using namespace std::chrono;
  return duration<double, std::micro>(steady_clock::now().time_since_epoch()).count();
}

// Value at fraction q (0..1) of the sorted samples.
inline double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}
inline double median(const std::vector<double> &v) { return percentile(v, 0.5); }

// Prints one figure; report.py keys the table on `name`.
inline void emit(const std::string &name, double value) {
  std::printf("%s %.3f\n", name.c_str(), value);
  std::fflush(stdout);
}

[[noreturn]] inline void die(const std::string &what) {
  std::fprintf(stderr, "filelock-bench: %s\n", what.c_str());
  std::exit(1);
}

struct Variant {
  std::string name;          // figure name, e.g. "lock.raw_flock_us"
  std::function<void()> op;  // one operation
};

// Runs `rounds` rounds; in each, every variant runs `batch` operations. Returns,
// per variant, the mean µs/op of each batch (so each variant gets `rounds` samples).
inline std::vector<std::vector<double>> interleave(const std::vector<Variant> &variants,
                                                   int rounds, int batch) {
  std::vector<std::vector<double>> samples(variants.size());
  for (const auto &v : variants) v.op();  // warm caches, create files
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < variants.size(); ++i) {
      double t = now_us();
      for (int k = 0; k < batch; ++k) variants[i].op();
      samples[i].push_back((now_us() - t) / batch);
    }
  }
  return samples;
}

// interleave() and emit the median batch mean of each variant; returns the samples.
inline std::vector<std::vector<double>> run_and_emit(const std::vector<Variant> &variants,
                                                     int rounds, int batch) {
  auto samples = interleave(variants, rounds, batch);
  for (size_t i = 0; i < variants.size(); ++i) emit(variants[i].name, median(samples[i]));
  return samples;
}

// The median of round-by-round differences a - b: far steadier than the
// difference of two medians when a small cost rides on a large, noisy one.
inline double median_difference(const std::vector<double> &a, const std::vector<double> &b) {
  std::vector<double> d;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d.push_back(a[i] - b[i]);
  return median(d);
}

}  // namespace bench

// Boost.Interprocess file_lock (fcntl record locks), uncontended lock+unlock,
// measured like filelock-bench measures filelock. Prints "cxxlock.boost_file_lock_us V".
// Usage: boost_file_lock LOCKFILE
#include <boost/interprocess/sync/file_lock.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  { std::ofstream touch(argv[1], std::ios::app); }
  boost::interprocess::file_lock lock(argv[1]);
  const int n = 200000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    lock.lock();
    lock.unlock();
  }
  std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  std::printf("cxxlock.boost_file_lock_us %.3f\n", took.count() / n);
}

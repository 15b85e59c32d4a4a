// The platform file I/O under the state engine (platform/file.hpp, dir.hpp), checked through
// the same calls on every platform: what each call promises its callers in core/io
// and core/state (errno-like reasons to branch on, appends at the end, whole reads).
#include <gtest/gtest.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "io/file_io.hpp"
#include "io/file_io.hpp"
#include "platform/dir.hpp"
#include "platform/file.hpp"
#include "platform/owner.hpp"
#include "platform/process.hpp"
#include "state/audit_log.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace fs = filelock::platform;
using filelock::Status;
using statetest::slurp;
using statetest::spit;
using statetest::status_of;

namespace {

TEST(FsIo, ExclusiveCreateRefusesAnExistingName) {
  fltest::TempDir dir;
  const std::string path = dir.file("a");
  filelock::io::File f;
  ASSERT_FALSE(fs::open_write(path, fs::Create::exclusive, false, 0644, f));
  size_t written = 0;
  ASSERT_FALSE(fs::write_all(f, "abc", written));
  EXPECT_EQ(written, 3u);
  ASSERT_FALSE(fs::close_checked(f));
  EXPECT_EQ(fs::open_write(path, fs::Create::exclusive, false, 0644, f).err, EEXIST);
  EXPECT_EQ(slurp(path), "abc");
}

TEST(FsIo, MissingFilesReportEnoent) {
  fltest::TempDir dir;
  filelock::io::File f;
  EXPECT_EQ(fs::open_read(dir.file("none"), f).err, ENOENT);
  EXPECT_EQ(fs::open_write(dir.file("none"), fs::Create::never, true, 0644, f).err, ENOENT);
  fs::FileInfo info;
  EXPECT_EQ(fs::path_info(dir.file("none"), info).err, ENOENT);
  EXPECT_EQ(fs::list_dir(dir.file("none"), [](std::string_view) {}).err, ENOENT);
  EXPECT_EQ(fs::remove(dir.file("none")).err, ENOENT);
}

TEST(FsIo, AppendWritesAtTheEndEvenAfterATruncate) {
  fltest::TempDir dir;
  const std::string path = dir.file("log");
  spit(path, "one\ntwo");
  filelock::io::File f;
  ASSERT_FALSE(fs::open_write(path, fs::Create::if_missing, true, 0644, f));
  fs::FileInfo info;
  ASSERT_FALSE(fs::info(f, info));
  EXPECT_EQ(info.size, 7u);
  char last = 0;
  size_t got = 0;
  ASSERT_FALSE(fs::read_at(f, 6, &last, 1, got));
  EXPECT_EQ(got, 1u);
  EXPECT_EQ(last, 'o');
  ASSERT_FALSE(fs::read_at(f, 7, &last, 1, got));  // at the end: nothing, no error
  EXPECT_EQ(got, 0u);
  ASSERT_FALSE(fs::truncate(f, 4));
  size_t written = 0;
  ASSERT_FALSE(fs::write_append(f, "three\n", written));
  ASSERT_FALSE(fs::write_append(f, "four\n", written));
  fs::close(f);
  EXPECT_EQ(slurp(path), "one\nthree\nfour\n");
}

#ifdef _WIN32
// A handle of another program that denies write sharing (.NET's File.OpenRead, many
// editors) refuses our open while it is held: a short hold is waited out, a long one
// is reported as the sharing violation it is.
TEST(FsIo, OpenWaitsOutAHandleThatDeniesSharing) {
  fltest::TempDir dir;
  const std::string path = dir.file("journal.jsonl");
  spit(path, "{}\n");
  auto deny_writers = [&] {
    return CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0,
                       nullptr);
  };
  HANDLE held = deny_writers();
  ASSERT_NE(held, INVALID_HANDLE_VALUE);
  std::thread closer([&] {
    Sleep(100);
    CloseHandle(held);
  });
  filelock::io::File f;
  const fs::OsError e = fs::open_write(path, fs::Create::never, true, 0644, f);
  closer.join();
  ASSERT_FALSE(e) << e.native;
  fs::close(f);

  held = deny_writers();
  ASSERT_NE(held, INVALID_HANDLE_VALUE);
  const auto start = std::chrono::steady_clock::now();
  const fs::OsError refused = fs::open_write(path, fs::Create::never, true, 0644, f);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  CloseHandle(held);
  EXPECT_EQ(refused.native, static_cast<uint32_t>(ERROR_SHARING_VIOLATION));
}
#endif

TEST(FsIo, WriteAtAndReadAllSeeTheSameBytes) {
  fltest::TempDir dir;
  const std::string path = dir.file("record");
  filelock::io::File f;
  ASSERT_FALSE(fs::open_write(path, fs::Create::if_missing, false, 0644, f));
  ASSERT_FALSE(fs::write_at(f, 0, "xxxxxxxx", 8));
  ASSERT_FALSE(fs::write_at(f, 2, "AB", 2));
  ASSERT_FALSE(fs::sync(f));
  fs::close(f);
  std::string text;
  ASSERT_TRUE(filelock::io::read_file(path, text));
  EXPECT_EQ(text, "xxABxxxx");
  EXPECT_FALSE(filelock::io::read_file(dir.file("none"), text));
}

TEST(FsIo, RenameReplacesAndLinkSharesTheFile) {
  fltest::TempDir dir;
  spit(dir.file("old"), "old");
  spit(dir.file("new"), "new");
  ASSERT_FALSE(fs::rename_replace(dir.file("new"), dir.file("old"), true));
  EXPECT_EQ(slurp(dir.file("old")), "new");
  fs::FileInfo gone;
  EXPECT_EQ(fs::path_info(dir.file("new"), gone).err, ENOENT);
  ASSERT_EQ(filelock::io::link_file(dir.file("old"), dir.file("link")), filelock::io::Link::made);
  fs::FileInfo a, b;
  ASSERT_FALSE(fs::path_info(dir.file("old"), a));
  ASSERT_FALSE(fs::path_info(dir.file("link"), b));
  EXPECT_EQ(a.ino, b.ino);
  EXPECT_EQ(a.dev, b.dev);
  EXPECT_EQ(fs::hard_link(dir.file("old"), dir.file("link")).err, EEXIST);
  EXPECT_EQ(filelock::io::link_file(dir.file("old"), dir.file("link")), filelock::io::Link::exists);
}

TEST(FsIo, ListDirNamesEveryEntryButDots) {
  fltest::TempDir dir;
  spit(dir.file("a"), "");
  spit(dir.file("b"), "");
  filelock::io::make_dir(dir.file("sub"), 0755);
  filelock::io::make_dir(dir.file("sub"), 0755);  // already there: fine
  std::vector<std::string> names;
  ASSERT_FALSE(fs::list_dir(dir.path(), [&](std::string_view n) { names.emplace_back(n); }));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "sub"}));
  fs::FileInfo info;
  ASSERT_FALSE(fs::path_info(dir.file("sub"), info));
  EXPECT_TRUE(info.directory);
  std::string message;
  EXPECT_EQ(status_of([&] { filelock::io::make_dir(dir.file("a"), 0755); }, &message),
            Status::invalid);
  EXPECT_NE(message.find(dir.file("a")), std::string::npos) << message;
}

TEST(FsIo, ErrorsNameTheOperationAndThePath) {
  fltest::TempDir dir;
  std::string message;
  EXPECT_EQ(status_of([&] { filelock::io::rename_file(dir.file("none"), dir.file("to")); },
                      &message),
            Status::not_found);
  EXPECT_EQ(message.rfind("rename '" + dir.file("to") + "': ", 0), 0u) << message;
  spit(dir.file("taken"), "");
  EXPECT_NE(status_of([&] { filelock::io::create_exclusive(dir.file("taken"), 0644); }, &message),
            Status::ok);
  EXPECT_EQ(message.rfind("create '" + dir.file("taken") + "': ", 0), 0u) << message;
}

TEST(FsIo, ProcessIdIsOurs) {
  EXPECT_GT(fs::current_pid(), 0);
  EXPECT_EQ(fs::current_pid(), fs::current_pid());
}

// utc_now computes the civil date itself; it must agree with the C library's.
TEST(FsIo, UtcNowAgreesWithGmtime) {
  // The same clock as utc_now (time() may read a coarser one that lags by a tick).
  const auto seconds = [] { return std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()); };
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::time_t before = seconds();
    const std::string now = filelock::state::utc_now();
    if (seconds() != before) continue;  // crossed a second: try again
    char expected[32];
    std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S", std::gmtime(&before));
    EXPECT_EQ(now.substr(0, 19), expected);
    EXPECT_EQ(now.size(), std::string("2026-11-24T11:45:12.123456Z").size());
    EXPECT_EQ(now.back(), 'Z');
    return;
  }
  FAIL() << "the clock kept crossing seconds";
}

}  // namespace
